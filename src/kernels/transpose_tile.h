// The tile of a 2-D transpose of 4-byte elements, the inner step of the tiled path of
// tensor_detail::StridedCopyT (Transpose, and the layout pass's NHWC <-> NCHW borders):
//
//   dst[j * ld + l] = src[l * ls + j]   for l < nl, j < nj
//
// With AVX2 it moves 8 x 8 blocks through registers (loads and stores of 8 consecutive
// elements instead of one strided element at a time: YOLOv8n's 6400 x 144 head transpose
// 1.0 -> 0.58 ms); edges and other CPUs run the scalar loop. Elements are moved as bits.
#pragma once

#include <cstdint>

namespace parallax {

void TransposeTile32(const uint32_t* src, int64_t ls, uint32_t* dst, int64_t ld, int64_t nl, int64_t nj);

namespace transpose_detail {
// The scalar loop, also for the edges of the vector version.
inline void TransposeScalar(const uint32_t* src, int64_t ls, uint32_t* dst, int64_t ld, int64_t nl, int64_t nj) {
  for (int64_t j = 0; j < nj; ++j) {
    for (int64_t l = 0; l < nl; ++l) dst[j * ld + l] = src[l * ls + j];
  }
}
// The AVX2 version (transpose_tile_avx2.cc); null when not compiled in.
using TileFn = void (*)(const uint32_t*, int64_t, uint32_t*, int64_t, int64_t, int64_t);
TileFn Avx2TransposeTile();
}  // namespace transpose_detail

}  // namespace parallax
