// PackedSgemm's Avx2 micro-kernel: 6 rows x 16 columns of C in 12 ymm registers.
// Compiled with this ISA's flags (CMakeLists.txt) and only called when the CPU reports it.
#include "kernels/packed_gemm.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include "kernels/packed_gemm_kernel.h"
#include "kernels/simd_avx2.h"

namespace parallax::packed_gemm_detail {

RangeFn Avx2Range() { return &Range<simd::Avx2, 6>; }
PanelFn Avx2Panel() { return &Panel<simd::Avx2, 6>; }
IndirectKernel Avx2Indirect() { return {&IndirectPanel<simd::Avx2, 6>, 6}; }

}  // namespace parallax::packed_gemm_detail

#else
namespace parallax::packed_gemm_detail {
RangeFn Avx2Range() { return nullptr; }
PanelFn Avx2Panel() { return nullptr; }
IndirectKernel Avx2Indirect() { return {}; }
}  // namespace parallax::packed_gemm_detail
#endif
