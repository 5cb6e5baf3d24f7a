// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"
#include "kernels/ops/shape_ops.h"

namespace parallax::ops {

std::vector<KernelDef> ShapeOpKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {ShapeSizeRows, ShapeReshapeRows, ShapeExpandRows, ShapeConstantRows}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
