// The AVX2+FMA vector traits shared by the packed GEMM (packed_gemm_kernel.h) and the row
// kernels (simd_rows_impl.h). Include only from files compiled with -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace parallax::simd {

struct Avx2 {
  static constexpr int kLanes = 8;
  using T = __m256;
  using M = __m256;
  static __m256i First(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T Set(float f) { return _mm256_set1_ps(f); }
  static T Zero() { return _mm256_setzero_ps(); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T Broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static T LoadN(const float* p, int64_t n, float fill) {
    const __m256i m = First(n);
    return _mm256_blendv_ps(Set(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void StoreN(float* p, int64_t n, T v) { _mm256_maskstore_ps(p, First(n), v); }
  static T Add(T a, T b) { return _mm256_add_ps(a, b); }
  static T Sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T Mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T Recip(T a) { return _mm256_rcp_ps(a); }
  static T Fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T Fnma(T a, T b, T c) { return _mm256_fnmadd_ps(a, b, c); }
  static T Max(T a, T b) { return _mm256_max_ps(a, b); }
  static T Min(T a, T b) { return _mm256_min_ps(a, b); }
  static T Abs(T a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  static T Round(T a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static M Lt(T a, T b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M IsNan(T a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static T Select(M m, T a, T b) { return _mm256_blendv_ps(b, a, m); }
  static T Pow2(T p, T n) {
    // n is integral and >= -126 after the callers' clamps: 2^n built in the exponent field.
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  }
};

}  // namespace parallax::simd
