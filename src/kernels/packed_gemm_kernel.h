// The register-tiled micro-kernel and block loops of PackedSgemm, written once over a vector
// type V (packed_gemm_avx512.cc, packed_gemm_avx2.cc include this with their own V and compile
// flags). A tile is R rows x 2 vectors of C held in 2R registers; per k it loads two vectors of
// the packed B panel and broadcasts one float of each of the R rows of A.
//
// V: simd_avx512.h or simd_avx2.h (kLanes, T, Zero, Load, Store, Broadcast, Fma).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/packed_gemm.h"

namespace parallax::packed_gemm_detail {

// Cache blocks: KC rows of a B panel (KC x NR floats, 32 KiB at NR = 32) stay in L1 while the
// kernel walks MC rows of A; the MC x KC block of A (240 KiB) stays in L2 across the panels.
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 240;
constexpr int64_t kAInL2Bytes = int64_t{1} << 20;

template <class V, int R, bool kPrefetch = false>
inline void Tile(const float* a, int64_t lda, const float* bp, int64_t kc, float* c, int64_t ldc,
                 bool accumulate) {
  constexpr int L = V::kLanes;
  typename V::T c0[R], c1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    c0[r] = accumulate ? V::Load(c + r * ldc) : V::Zero();
    c1[r] = accumulate ? V::Load(c + r * ldc + L) : V::Zero();
  }
  for (int64_t k = 0; k < kc; ++k) {
    if constexpr (kPrefetch) {
      __builtin_prefetch(bp + 16 * 2 * L);
      __builtin_prefetch(bp + 16 * 2 * L + 16);
    }
    const typename V::T b0 = V::Load(bp);
    const typename V::T b1 = V::Load(bp + L);
    bp += 2 * L;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const typename V::T av = V::Broadcast(a + r * lda + k);
      c0[r] = V::Fma(av, b0, c0[r]);
      c1[r] = V::Fma(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    V::Store(c + r * ldc, c0[r]);
    V::Store(c + r * ldc + L, c1[r]);
  }
}

template <class V, int R, bool kPrefetch>
void TileRows(int rows, const float* a, int64_t lda, const float* bp, int64_t kc, float* c,
              int64_t ldc, bool accumulate) {
  if constexpr (R > 1) {
    if (rows < R) return TileRows<V, R - 1, kPrefetch>(rows, a, lda, bp, kc, c, ldc, accumulate);
  }
  Tile<V, R, kPrefetch>(a, lda, bp, kc, c, ldc, accumulate);
}

// C rows [i0, i1) x panels [p0, p1) over all of K. A panel narrower than NR at the right edge
// of C is computed in a scratch tile and copied out. The first row tile of each block of B
// prefetches it (B comes from memory: weights are read once per inference); later tiles find
// it in L1. When a row block of A fits in L2 the panels are walked one at a time, so B is read
// front to back; otherwise K blocks are outermost, keeping each MC x KC block of A in L2.
template <class V, int MR>
void Range(int64_t i0, int64_t i1, int64_t p0, int64_t p1, const float* a, int64_t lda,
           const PackedMatrix& b, float* c, int64_t ldc) {
  constexpr int NR = 2 * V::kLanes;
  const int64_t K = b.K(), N = b.N();
  alignas(64) float scratch[MR * NR];
  auto block = [&](int64_t ic, int64_t mc, int64_t p, int64_t k0) {
    const int64_t kc = std::min(kKc, K - k0);
    const bool accumulate = k0 > 0;
    const float* bp = b.panel(p) + k0 * NR;
    const int64_t col = p * NR;
    const int64_t width = std::min<int64_t>(NR, N - col);
    for (int64_t i = ic; i < ic + mc; i += MR) {
      const int rows = static_cast<int>(std::min<int64_t>(MR, ic + mc - i));
      const float* ai = a + i * lda + k0;
      float* ci = c + i * ldc + col;
      float* out = width == NR ? ci : scratch;
      const int64_t ldo = width == NR ? ldc : NR;
      if (width != NR && accumulate) {
        for (int r = 0; r < rows; ++r) std::memcpy(scratch + r * NR, ci + r * ldc, width * sizeof(float));
      }
      if (i == ic) {
        TileRows<V, MR, true>(rows, ai, lda, bp, kc, out, ldo, accumulate);
      } else {
        TileRows<V, MR, false>(rows, ai, lda, bp, kc, out, ldo, accumulate);
      }
      if (width != NR) {
        for (int r = 0; r < rows; ++r) std::memcpy(ci + r * ldc, scratch + r * NR, width * sizeof(float));
      }
    }
  };
  for (int64_t ic = i0; ic < i1; ic += kMc) {
    const int64_t mc = std::min(kMc, i1 - ic);
    if (mc * K * static_cast<int64_t>(sizeof(float)) <= kAInL2Bytes) {
      for (int64_t p = p0; p < p1; ++p) {
        for (int64_t k0 = 0; k0 < K; k0 += kKc) block(ic, mc, p, k0);
      }
    } else {
      for (int64_t k0 = 0; k0 < K; k0 += kKc) {
        for (int64_t p = p0; p < p1; ++p) block(ic, mc, p, k0);
      }
    }
  }
}

}  // namespace parallax::packed_gemm_detail
