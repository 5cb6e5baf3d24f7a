// PackedSgemm's AVX-512 micro-kernel: 12 rows x 32 columns of C in 24 zmm registers.
// Compiled with -mavx512f (CMakeLists.txt) and only called when the CPU reports AVX-512F.
#include "kernels/packed_gemm.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

#include "kernels/packed_gemm_kernel.h"

namespace parallax::packed_gemm_detail {
namespace {

struct Avx512 {
  static constexpr int kLanes = 16;
  using T = __m512;
  static T Zero() { return _mm512_setzero_ps(); }
  static T Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T Broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static T Fma(T a, T b, T acc) { return _mm512_fmadd_ps(a, b, acc); }
};

}  // namespace

RangeFn Avx512Range() { return &Range<Avx512, 12>; }

}  // namespace parallax::packed_gemm_detail

#else
namespace parallax::packed_gemm_detail {
RangeFn Avx512Range() { return nullptr; }
}  // namespace parallax::packed_gemm_detail
#endif
