// simd_rows_impl.h for AVX2+FMA (8 lanes). Compiled with -mavx2 -mfma (CMakeLists.txt).
#include "kernels/simd_rows.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/simd_rows_impl.h"

namespace parallax::simd {
namespace {

struct Avx2 {
  static constexpr int kLanes = 8;
  using T = __m256;
  using M = __m256;
  static __m256i First(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T Set(float f) { return _mm256_set1_ps(f); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, T v) { _mm256_storeu_ps(p, v); }
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
    // n is integral and >= -127 after the caller's clamp: build 2^n in the exponent field.
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  }
  static float SumLanes(T v) {
    alignas(32) float l[8];
    _mm256_store_ps(l, v);
    float s = 0;
    for (float x : l) s += x;
    return s;
  }
  static float MaxLanes(T v) {
    alignas(32) float l[8];
    _mm256_store_ps(l, v);
    float m = l[0];
    for (float x : l) m = x > m ? x : m;
    return m;
  }
};

void Softmax(const float* x, float* y, int64_t n) { SoftmaxRow<Avx2>(x, y, n); }
void GeluN(float* x, int64_t n, float bias) { GeluRow<Avx2>(x, n, bias); }
void SiluN(float* x, int64_t n, float bias, float beta) { SigmoidRow<Avx2, true>(x, n, bias, beta); }
void SigmoidN(float* x, int64_t n, float bias) { SigmoidRow<Avx2, false>(x, n, bias, 1.f); }
const RowKernels kRows = {"avx2", Softmax, GeluN, SiluN, SigmoidN};

}  // namespace

const RowKernels* Avx2RowKernels() { return &kRows; }

}  // namespace parallax::simd

#else
namespace parallax::simd {
const RowKernels* Avx2RowKernels() { return nullptr; }
}  // namespace parallax::simd
#endif
