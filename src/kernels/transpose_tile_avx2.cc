// TransposeTile32 with AVX2: 8 x 8 blocks through registers. Compiled with -mavx2
// (CMakeLists.txt) and only called when the CPU reports it.
#include "kernels/transpose_tile.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

namespace parallax::transpose_detail {
namespace {

// Rows l..l+7 of src (8 elements each, at j) to rows j..j+7 of dst (8 elements each, at l).
inline void Block8(const uint32_t* src, int64_t ls, uint32_t* dst, int64_t ld) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ls);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // t0 = a0 b0 a1 b1 | a4 b4 a5 b5 (rows a, b), t2 the same for rows c, d, ...
  r[0] = _mm256_shuffle_ps(t[0], t[2], 0x44);
  r[1] = _mm256_shuffle_ps(t[0], t[2], 0xEE);
  r[2] = _mm256_shuffle_ps(t[1], t[3], 0x44);
  r[3] = _mm256_shuffle_ps(t[1], t[3], 0xEE);
  r[4] = _mm256_shuffle_ps(t[4], t[6], 0x44);
  r[5] = _mm256_shuffle_ps(t[4], t[6], 0xEE);
  r[6] = _mm256_shuffle_ps(t[5], t[7], 0x44);
  r[7] = _mm256_shuffle_ps(t[5], t[7], 0xEE);
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(d + i * ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(d + (i + 4) * ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

void Tile(const uint32_t* src, int64_t ls, uint32_t* dst, int64_t ld, int64_t nl, int64_t nj) {
  const int64_t nl8 = nl / 8 * 8, nj8 = nj / 8 * 8;
  for (int64_t j = 0; j < nj8; j += 8) {
    for (int64_t l = 0; l < nl8; l += 8) Block8(src + l * ls + j, ls, dst + j * ld + l, ld);
  }
  if (nl8 < nl) TransposeScalar(src + nl8 * ls, ls, dst + nl8, ld, nl - nl8, nj8);
  if (nj8 < nj) TransposeScalar(src + nj8, ls, dst + nj8 * ld, ld, nl, nj - nj8);
}

}  // namespace

TileFn Avx2TransposeTile() { return &Tile; }

}  // namespace parallax::transpose_detail

#else
namespace parallax::transpose_detail {
TileFn Avx2TransposeTile() { return nullptr; }
}  // namespace parallax::transpose_detail
#endif
