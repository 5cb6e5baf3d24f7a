// ImageConvNchw's Avx512 row kernel (16 output channels per vector). Compiled with this ISA's
// flags (CMakeLists.txt) and only called when the CPU reports it.
#include "kernels/image_conv.h"

#if defined(__x86_64__) && defined(__AVX512F__)
// GCC 12 reports the _mm512_undefined_ps() inside its own intrinsics as maybe-uninitialized
// where the tile epilogue inlines the GELU/SiLU code (GCC bug 105593).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/image_conv_kernel.h"
#include "kernels/simd_avx512.h"

namespace parallax::image_conv_detail {
RowFn Avx512Row() { return &Row<simd::Avx512>; }
}  // namespace parallax::image_conv_detail

#else
namespace parallax::image_conv_detail {
RowFn Avx512Row() { return nullptr; }
}  // namespace parallax::image_conv_detail
#endif
