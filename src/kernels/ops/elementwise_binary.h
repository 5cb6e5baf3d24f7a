// Row lists of the elementwise binary family; concatenated by elementwise_binary_list.cc.
#pragma once

#include <vector>

#include "kernels/kernel.h"

namespace parallax::ops {

// elementwise_binary_arith.cc: Add, Sub, Mul, Div, Pow, Mod, PRelu, Min, Max, Sum, Mean.
std::vector<KernelDef> ElementwiseBinaryArithRows();
// elementwise_binary_logic.cc: comparisons, And/Or/Xor, BitShift, Bitwise*, Where.
std::vector<KernelDef> ElementwiseBinaryLogicRows();

}  // namespace parallax::ops
