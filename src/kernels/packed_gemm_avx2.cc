// PackedSgemm's AVX2+FMA micro-kernel: 6 rows x 16 columns of C in 12 ymm registers.
// Compiled with -mavx2 -mfma (CMakeLists.txt) and only called when the CPU reports both.
#include "kernels/packed_gemm.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/packed_gemm_kernel.h"

namespace parallax::packed_gemm_detail {
namespace {

struct Avx2 {
  static constexpr int kLanes = 8;
  using T = __m256;
  static T Zero() { return _mm256_setzero_ps(); }
  static T Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T Broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static T Fma(T a, T b, T acc) { return _mm256_fmadd_ps(a, b, acc); }
};

}  // namespace

RangeFn Avx2Range() { return &Range<Avx2, 6>; }

}  // namespace parallax::packed_gemm_detail

#else
namespace parallax::packed_gemm_detail {
RangeFn Avx2Range() { return nullptr; }
}  // namespace parallax::packed_gemm_detail
#endif
