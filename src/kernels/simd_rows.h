// Vectorised row kernels for the hot elementwise work of transformer models, chosen once by
// CPUID (AVX-512, else AVX2+FMA); null where neither runs (callers keep their scalar loops).
//
//   if (const RowKernels* k = BestRowKernels()) k->softmax(x, y, n); else ...
#pragma once

#include <cstdint>

namespace parallax {

struct RowKernels {
  const char* isa;
  void (*softmax)(const float* x, float* y, int64_t n);  // x == y allowed
  // y = exp(x - max(x)), returning the sum of y (softmax without its division); x == y allowed
  float (*softmax_exp)(const float* x, float* y, int64_t n);
  void (*gelu)(float* x, int64_t n, float bias);         // x[i] = Gelu(x[i] + bias)
  // x[i] = v·sigmoid(beta·v) with v = x[i] + bias (Silu; QuickGELU with beta = 1.702)
  void (*silu)(float* x, int64_t n, float bias, float beta);
  void (*sigmoid)(float* x, int64_t n, float bias);      // x[i] = sigmoid(x[i] + bias)
  // y[i] = exp(x[i] - m[i]), sum[i] += y[i], every x[i] - m[i] <= 0: a row of a softmax over a
  // strided axis (m, sum: the columns' maxima and running sums)
  void (*exp_sub_acc)(const float* x, const float* m, float* y, float* sum, int64_t n);
};

// PARALLAX_SIMD_ROWS=avx2 caps the choice at AVX2, =off disables both (for comparisons).
const RowKernels* BestRowKernels();

namespace simd {
const RowKernels* Avx512RowKernels();  // null when not compiled in
const RowKernels* Avx2RowKernels();
}  // namespace simd

}  // namespace parallax
