// simd_rows_impl.h for Avx512 (simd_avx512.h). Compiled with this ISA's flags (CMakeLists.txt).
#include "kernels/simd_rows.h"

#if defined(__x86_64__) && defined(__AVX512F__)
// GCC 12's _mm512_undefined_ps() (the pass-through operand of unmasked max/min/round) is
// "__m512 __Y = __Y", which -Wuninitialized reports at every inlined use: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/simd_avx512.h"
#include "kernels/simd_rows_impl.h"

namespace parallax::simd {
namespace {

void Softmax(const float* x, float* y, int64_t n) { SoftmaxRow<Avx512>(x, y, n); }
float SoftmaxExp(const float* x, float* y, int64_t n) { return SoftmaxExpRow<Avx512>(x, y, n); }
void GeluN(float* x, int64_t n, float bias) { GeluRow<Avx512>(x, n, bias); }
void SiluN(float* x, int64_t n, float bias, float beta) { SigmoidRow<Avx512, true>(x, n, bias, beta); }
void SigmoidN(float* x, int64_t n, float bias) { SigmoidRow<Avx512, false>(x, n, bias, 1.f); }
void ExpSubAcc(const float* x, const float* m, float* y, float* sum, int64_t n) { ExpSubAccRow<Avx512>(x, m, y, sum, n); }
const RowKernels kRows = {"avx512", Softmax, SoftmaxExp, GeluN, SiluN, SigmoidN, ExpSubAcc};

}  // namespace

const RowKernels* Avx512RowKernels() { return &kRows; }

}  // namespace parallax::simd

#else
namespace parallax::simd {
const RowKernels* Avx512RowKernels() { return nullptr; }
}  // namespace parallax::simd
#endif
