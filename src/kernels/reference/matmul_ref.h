// Naive double-precision MatMul reference with numpy semantics (tests only).
#pragma once

#include "parallax/tensor.h"

namespace parallax::ref {

// float32 in, float32 out, accumulated in double; 1-D promotion and batch broadcasting.
Tensor MatMulRef(const Tensor& a, const Tensor& b);

}  // namespace parallax::ref
