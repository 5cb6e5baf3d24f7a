// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> ReduceOpKernels();   // reduce_ops.cc: Reduce*
std::vector<KernelDef> ReduceArgKernels();  // reduce_arg.cc: ArgMax, ArgMin

std::vector<KernelDef> ReductionKernels() {
  std::vector<KernelDef> rows = ReduceOpKernels();
  for (const KernelDef& k : ReduceArgKernels()) rows.push_back(k);
  return rows;
}

}  // namespace parallax::ops
