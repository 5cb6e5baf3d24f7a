// Row lists of the elementwise unary family; concatenated by elementwise_unary_list.cc.
#pragma once

#include <vector>

#include "kernels/kernel.h"

namespace parallax::ops {

// elementwise_unary_math.cc: Relu, Sigmoid, Tanh, Exp, Log, ..., Gelu, parallax::Gelu/Silu.
std::vector<KernelDef> ElementwiseUnaryMathRows();
// elementwise_unary_misc.cc: Not, IsNaN, IsInf, Clip, Identity, Dropout, Shrink.
std::vector<KernelDef> ElementwiseUnaryMiscRows();
// elementwise_unary_cast.cc: Cast, CastLike.
std::vector<KernelDef> ElementwiseUnaryCastRows();

}  // namespace parallax::ops
