// simd_rows_impl.h for AVX-512F (16 lanes). Compiled with -mavx512f (CMakeLists.txt).
#include "kernels/simd_rows.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

#include "kernels/simd_rows_impl.h"

namespace parallax::simd {
namespace {

struct Avx512 {
  static constexpr int kLanes = 16;
  using T = __m512;
  using M = __mmask16;
  static __mmask16 First(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
  static T Set(float f) { return _mm512_set1_ps(f); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, T v) { _mm512_storeu_ps(p, v); }
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
  static float SumLanes(T v) {
    alignas(64) float l[16];
    _mm512_store_ps(l, v);
    float s = 0;
    for (float x : l) s += x;
    return s;
  }
  static float MaxLanes(T v) {
    alignas(64) float l[16];
    _mm512_store_ps(l, v);
    float m = l[0];
    for (float x : l) m = x > m ? x : m;
    return m;
  }
};

void Softmax(const float* x, float* y, int64_t n) { SoftmaxRow<Avx512>(x, y, n); }
void GeluN(float* x, int64_t n, float bias) { GeluRow<Avx512>(x, n, bias); }
void SiluN(float* x, int64_t n, float bias, float beta) { SigmoidRow<Avx512, true>(x, n, bias, beta); }
void SigmoidN(float* x, int64_t n, float bias) { SigmoidRow<Avx512, false>(x, n, bias, 1.f); }
const RowKernels kRows = {"avx512", Softmax, GeluN, SiluN, SigmoidN};

}  // namespace

const RowKernels* Avx512RowKernels() { return &kRows; }

}  // namespace parallax::simd

#else
namespace parallax::simd {
const RowKernels* Avx512RowKernels() { return nullptr; }
}  // namespace parallax::simd
#endif
