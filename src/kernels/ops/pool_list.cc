// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> PoolRows();  // pool.cc (Max/Average/Lp pools and their Global forms)

std::vector<KernelDef> NhwcMaxPoolRows();  // pool_nhwc.cc

std::vector<KernelDef> PoolKernels() {
  std::vector<KernelDef> rows = PoolRows();
  for (const KernelDef& k : NhwcMaxPoolRows()) rows.push_back(k);
  return rows;
}

}  // namespace parallax::ops
