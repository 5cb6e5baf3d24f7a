// simd_rows_impl.h for Avx2 (simd_avx2.h). Compiled with this ISA's flags (CMakeLists.txt).
#include "kernels/simd_rows.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include "kernels/simd_avx2.h"
#include "kernels/simd_rows_impl.h"

namespace parallax::simd {
namespace {

void Softmax(const float* x, float* y, int64_t n) { SoftmaxRow<Avx2>(x, y, n); }
float SoftmaxExp(const float* x, float* y, int64_t n) { return SoftmaxExpRow<Avx2>(x, y, n); }
void GeluN(float* x, int64_t n, float bias) { GeluRow<Avx2>(x, n, bias); }
void SiluN(float* x, int64_t n, float bias, float beta) { SigmoidRow<Avx2, true>(x, n, bias, beta); }
void SigmoidN(float* x, int64_t n, float bias) { SigmoidRow<Avx2, false>(x, n, bias, 1.f); }
void ExpSubAcc(const float* x, const float* m, float* y, float* sum, int64_t n) { ExpSubAccRow<Avx2>(x, m, y, sum, n); }
const RowKernels kRows = {"avx2", Softmax, SoftmaxExp, GeluN, SiluN, SigmoidN, ExpSubAcc};

}  // namespace

const RowKernels* Avx2RowKernels() { return &kRows; }

}  // namespace parallax::simd

#else
namespace parallax::simd {
const RowKernels* Avx2RowKernels() { return nullptr; }
}  // namespace parallax::simd
#endif
