// PackedSgemm's Avx512 micro-kernel: 12 rows x 32 columns of C in 24 zmm registers.
// Compiled with this ISA's flags (CMakeLists.txt) and only called when the CPU reports it.
#include "kernels/packed_gemm.h"

#if defined(__x86_64__) && defined(__AVX512F__)
// GCC 12 reports the _mm512_undefined_ps() inside its own intrinsics as maybe-uninitialized
// where the tile epilogue inlines the GELU/SiLU code (GCC bug 105593).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/packed_gemm_kernel.h"
#include "kernels/simd_avx512.h"

namespace parallax::packed_gemm_detail {

RangeFn Avx512Range() { return &Range<simd::Avx512, 12>; }
PanelFn Avx512Panel() { return &Panel<simd::Avx512, 12>; }
IndirectKernel Avx512Indirect() { return {&IndirectPanel<simd::Avx512, 12>, 12}; }

}  // namespace parallax::packed_gemm_detail

#else
namespace parallax::packed_gemm_detail {
RangeFn Avx512Range() { return nullptr; }
PanelFn Avx512Panel() { return nullptr; }
IndirectKernel Avx512Indirect() { return {}; }
}  // namespace parallax::packed_gemm_detail
#endif
