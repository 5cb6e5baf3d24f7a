// ImageConvNchw's Avx2 row kernel (8 output channels per vector). Compiled with this ISA's
// flags (CMakeLists.txt) and only called when the CPU reports it.
#include "kernels/image_conv.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include "kernels/image_conv_kernel.h"
#include "kernels/simd_avx2.h"

namespace parallax::image_conv_detail {
RowFn Avx2Row() { return &Row<simd::Avx2>; }
}  // namespace parallax::image_conv_detail

#else
namespace parallax::image_conv_detail {
RowFn Avx2Row() { return nullptr; }
}  // namespace parallax::image_conv_detail
#endif
