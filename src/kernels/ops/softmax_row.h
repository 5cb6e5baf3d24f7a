// One float32 softmax row (max-subtracted, FastExp; AVX2 where the CPU has it), shared by the
// Softmax kernel and FusedAttention. x == y (in place) is allowed.
#pragma once

#include <cstdint>

namespace parallax::ops {

void SoftmaxRowF32(const float* x, float* y, int64_t n);

// The softmax without its division: y = exp(x - max(x)); returns the sum of y (>= 1 unless the
// row has no finite maximum). FusedAttention divides its output rows instead of the scores.
float SoftmaxExpRowF32(const float* x, float* y, int64_t n);

}  // namespace parallax::ops
