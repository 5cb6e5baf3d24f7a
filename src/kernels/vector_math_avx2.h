// 8-wide AVX2+FMA versions of vector_math.h's FastExp and FastGelu, the same polynomials with
// the same saturation and NaN rules, for loops the auto-vectoriser leaves scalar (selects
// between two polynomials, float->int exponent tricks). Callers check HasAvx2Fma() first;
// MaskTail(n) gives the lane mask for the last n < 8 elements so that a whole row goes
// through the same code (results then do not depend on where a row is split).
//
//   for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Gelu8(_mm256_loadu_ps(x + i)));
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <cstdint>

namespace parallax::avx2 {

inline bool HasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

__attribute__((target("avx2,fma"))) inline __m256i MaskTail(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// FastExp: 0 below -87.3, +inf above 88.7, NaN stays NaN.
__attribute__((target("avx2,fma"))) inline __m256 Exp8(__m256 x_in) {
  const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.7f);
  const __m256 x = _mm256_min_ps(_mm256_max_ps(x_in, lo), hi);  // NaN -> lo (max returns 2nd)
  const __m256 magic = _mm256_set1_ps(12582912.f);
  const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic), magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x_in, hi, _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x_in, lo, _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x_in, _mm256_cmp_ps(x_in, x_in, _CMP_UNORD_Q));
}

// FastGelu: 0.5·x·(1 + erf(x/√2)), erfc's Chebyshev fit for |z| > 0.5, Taylor series below.
__attribute__((target("avx2,fma"))) inline __m256 Gelu8(__m256 x) {
  const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.f), z);
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), a, _mm256_set1_ps(1.f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  const __m256 c = _mm256_mul_ps(t, Exp8(_mm256_fnmadd_ps(a, a, p)));  // erfc(|z|)
  const __m256 negative = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 big = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.f), c), c, negative);
  const __m256 zz = _mm256_mul_ps(z, z);
  __m256 s = _mm256_set1_ps(-1.f / 1320.f);
  s = _mm256_fmadd_ps(s, zz, _mm256_set1_ps(1.f / 216.f));
  s = _mm256_fmadd_ps(s, zz, _mm256_set1_ps(-1.f / 42.f));
  s = _mm256_fmadd_ps(s, zz, _mm256_set1_ps(1.f / 10.f));
  s = _mm256_fmadd_ps(s, zz, _mm256_set1_ps(-1.f / 3.f));
  s = _mm256_fmadd_ps(s, zz, _mm256_set1_ps(1.f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(1.12837916709551257f), z), s, _mm256_set1_ps(1.f));
  const __m256 one_plus_erf = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.5f), _CMP_LE_OQ));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), one_plus_erf);
}

// x[i] = Gelu(x[i] + bias) for all n elements, the tail through a masked load/store.
__attribute__((target("avx2,fma"))) inline void GeluInPlace(float* x, int64_t n, float bias) {
  const __m256 b = _mm256_set1_ps(bias);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, Gelu8(_mm256_add_ps(_mm256_loadu_ps(x + i), b)));
  if (i < n) {
    const __m256i m = MaskTail(n - i);
    _mm256_maskstore_ps(x + i, m, Gelu8(_mm256_add_ps(_mm256_maskload_ps(x + i, m), b)));
  }
}

}  // namespace parallax::avx2
#endif
