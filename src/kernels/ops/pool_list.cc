// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> PoolRows();  // pool.cc (Max/Average/Lp pools and their Global forms)

std::vector<KernelDef> PoolKernels() { return PoolRows(); }

}  // namespace parallax::ops
