// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> ConvRows();           // conv.cc
std::vector<KernelDef> ConvTransposeRows();  // conv_transpose.cc
std::vector<KernelDef> NhwcConvRows();       // conv_nhwc.cc

std::vector<KernelDef> ConvKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {ConvRows, ConvTransposeRows, NhwcConvRows}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
