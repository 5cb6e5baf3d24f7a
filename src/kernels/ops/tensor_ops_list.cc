// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"
#include "kernels/ops/tensor_ops.h"

namespace parallax::ops {

std::vector<KernelDef> TensorOpKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {TensorConcatSplitRows, TensorSliceRows, TensorGatherRows, TensorScatterRows,
                    TensorTransposeRows, TensorPadRows, TensorMiscRows}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
