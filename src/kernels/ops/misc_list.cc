// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> MiscResizeKernels();   // misc_resize.cc: Resize, Upsample
std::vector<KernelDef> MiscTopKKernels();     // misc_topk.cc
std::vector<KernelDef> MiscNonZeroKernels();  // misc_nonzero.cc
std::vector<KernelDef> MiscCumSumKernels();   // misc_cumsum.cc
std::vector<KernelDef> MiscEinsumKernels();   // misc_einsum.cc
std::vector<KernelDef> MiscNmsKernels();      // misc_nms.cc: NonMaxSuppression

std::vector<KernelDef> MiscKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {MiscResizeKernels, MiscTopKKernels, MiscNonZeroKernels, MiscCumSumKernels,
                    MiscEinsumKernels, MiscNmsKernels}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
