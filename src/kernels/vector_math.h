// Branch-free float32 transcendental functions written for the auto-vectoriser (the kernels'
// hot loops call them element by element; GCC turns those loops into AVX2/NEON code).
//
//   y[i] = FastExp(x[i]);    // ~2 ulp; saturates instead of overflowing (see below)
//   y[i] = FastErf(x[i]);    // relative error ~1e-6
//   y[i] = FastGelu(x[i]);   // 0.5·x·(1 + erf(x/√2)) without cancellation for x << 0
//   y[i] = FastTanh(x[i]);   // ~2 ulp
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace parallax {

// exp(x), ~2 ulp. Below -87.3 the result is 0 (true exp would be subnormal there) and above
// 88.7 it is +inf. Never returning subnormals matters: a softmax over masked logits otherwise
// leaves ~1e-38 probabilities whose products with V are subnormal, and subnormal arithmetic
// made CLIP's attention GEMMs ~30x slower (53 ms of 127 per inference).
inline float FastExp(float x_in) {
  // Clamp so that NaN becomes a finite value (the float->int cast of NaN is undefined), then
  // hand NaN back at the end.
  float x = x_in > -87.3f ? x_in : -87.3f;
  x = x < 88.7f ? x : 88.7f;
  const float kMagic = 12582912.f;  // 1.5 * 2^23: adding it rounds to an integer
  float n = (x * 1.44269504088896341f + kMagic) - kMagic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  const float r_exp = p * scale;
  const float big = x_in > 88.7f ? __builtin_inff() : r_exp;
  const float result = x_in < -87.3f ? 0.f : big;
  return x_in != x_in ? x_in : result;
}

// erfc(a) for a >= 0: the Chebyshev fit of Numerical Recipes' erfcc, relative error < 1.2e-7
// in exact arithmetic (so 1 + erf(x) stays accurate for x << 0, where GELU needs it).
inline float ErfcNonNegative(float a) {
  const float t = 1.f / (1.f + 0.5f * a);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * FastExp(-a * a + p);
}

// erf near 0 by its Taylor series (accurate to < 1e-8 relative for |x| <= 0.5).
inline float ErfSmall(float x) {
  const float z = x * x;
  float p = -1.f / 1320.f;
  p = p * z + 1.f / 216.f;
  p = p * z - 1.f / 42.f;
  p = p * z + 1.f / 10.f;
  p = p * z - 1.f / 3.f;
  p = p * z + 1.f;
  return 1.12837916709551257f * x * p;
}

inline float FastErf(float x) {
  const float a = x < 0.f ? -x : x;
  const float big = 1.f - ErfcNonNegative(a);
  const float signed_big = x < 0.f ? -big : big;
  return a <= 0.5f ? ErfSmall(x) : signed_big;
}

inline float FastGelu(float x) {
  const float z = x * 0.70710678118654752f;
  const float a = z < 0.f ? -z : z;
  const float c = ErfcNonNegative(a);  // 1 + erf(z) = 2 - c for z >= 0, c for z < 0
  const float one_plus_erf_big = z < 0.f ? c : 2.f - c;
  const float one_plus_erf = a <= 0.5f ? 1.f + ErfSmall(z) : one_plus_erf_big;
  return 0.5f * x * one_plus_erf;
}

// tanh: Cephes' odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would cancel), the
// exp form above it.
inline float FastTanh(float x) {
  const float ax = x < 0.f ? -x : x;
  const float z = x * x;
  float small = -5.70498872745e-3f;
  small = small * z + 2.06390887954e-2f;
  small = small * z - 5.37397155531e-2f;
  small = small * z + 1.33314422036e-1f;
  small = small * z - 3.33332819422e-1f;
  small = small * z * x + x;
  float big = 1.f - 2.f / (FastExp(2.f * ax) + 1.f);
  big = x < 0.f ? -big : big;
  return ax < 0.625f ? small : big;
}

inline float FastSigmoid(float x) { return 1.f / (1.f + FastExp(-x)); }

// Typed entry points for templated kernels: float32 takes the fast path, other types libm.
template <typename T>
inline T Exp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return FastExp(x);
  } else {
    return std::exp(x);
  }
}
template <typename T>
inline T Erf(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return FastErf(x);
  } else {
    return std::erf(x);
  }
}
template <typename T>
inline T Tanh(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return FastTanh(x);
  } else {
    return std::tanh(x);
  }
}

}  // namespace parallax
