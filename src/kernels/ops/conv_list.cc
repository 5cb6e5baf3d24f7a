// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> ConvKernels() { return {}; }

}  // namespace parallax::ops
