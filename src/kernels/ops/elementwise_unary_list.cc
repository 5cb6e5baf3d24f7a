// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/elementwise_unary.h"
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> ElementwiseUnaryKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {ElementwiseUnaryMathRows, ElementwiseUnaryMiscRows, ElementwiseUnaryCastRows}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
