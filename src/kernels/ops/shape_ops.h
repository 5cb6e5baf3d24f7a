// Row lists of the shape-op family (Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Expand,
// ConstantOfShape, EyeLike, Range, Constant); concatenated by shape_ops_list.cc.
#pragma once

#include <vector>

#include "kernels/kernel.h"

namespace parallax::ops {

std::vector<KernelDef> ShapeSizeRows();     // shape_ops_shape.cc: Shape, Size
std::vector<KernelDef> ShapeReshapeRows();  // shape_ops_reshape.cc: Reshape, Flatten, Squeeze, Unsqueeze
std::vector<KernelDef> ShapeExpandRows();   // shape_ops_expand.cc: Expand
std::vector<KernelDef> ShapeConstantRows(); // shape_ops_constant.cc: Constant, ConstantOfShape, EyeLike, Range

}  // namespace parallax::ops
