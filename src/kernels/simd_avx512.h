// The AVX-512F vector traits shared by the packed GEMM (packed_gemm_kernel.h) and the row
// kernels (simd_rows_impl.h). Include only from files compiled with -mavx512f.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace parallax::simd {

struct Avx512 {
  static constexpr int kLanes = 16;
  using T = __m512;
  using M = __mmask16;
  static M First(int64_t n) { return static_cast<M>((1u << n) - 1); }
  static T Set(float f) { return _mm512_set1_ps(f); }
  static T Zero() { return _mm512_setzero_ps(); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T Broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static T LoadN(const float* p, int64_t n, float fill) { return _mm512_mask_loadu_ps(Set(fill), First(n), p); }
  static void StoreN(float* p, int64_t n, T v) { _mm512_mask_storeu_ps(p, First(n), v); }
  static T Add(T a, T b) { return _mm512_add_ps(a, b); }
  static T Sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T Mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T Recip(T a) { return _mm512_rcp14_ps(a); }
  static T Fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T Fnma(T a, T b, T c) { return _mm512_fnmadd_ps(a, b, c); }
  static T Max(T a, T b) { return _mm512_max_ps(a, b); }
  static T Min(T a, T b) { return _mm512_min_ps(a, b); }
  static T Abs(T a) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff))); }
  static T Round(T a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static M Lt(T a, T b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M IsNan(T a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static T Select(M m, T a, T b) { return _mm512_mask_blend_ps(m, b, a); }
  static T Pow2(T p, T n) { return _mm512_scalef_ps(p, n); }
};

}  // namespace parallax::simd
