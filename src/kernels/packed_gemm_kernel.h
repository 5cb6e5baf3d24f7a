// The register-tiled micro-kernel and block loops of PackedSgemm, written once over a vector
// type V (packed_gemm_avx512.cc, packed_gemm_avx2.cc include this with their own V and compile
// flags). A tile is R rows x 2 vectors of C held in 2R registers; per k it loads two vectors of
// the packed B panel and broadcasts one float of each of the R rows of A.
//
// V: simd_avx512.h or simd_avx2.h (kLanes, T, Zero, Load, Store, Broadcast, Fma, and what
// simd_rows_impl.h's activations use).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/packed_gemm.h"
#include "kernels/simd_rows_impl.h"

namespace parallax::packed_gemm_detail {

// Cache blocks: KC rows of a B panel (KC x NR floats, 32 KiB at NR = 32 and KC = 256) are read
// by every tile while the kernel walks MC rows of A; the MC x KC block of A stays in L2 across
// the panels. Convolutions use KC = 256; the weight GEMMs GemmKBlock(K).
constexpr int64_t kKc = 256;
// The weight GEMMs (Range) take longer K blocks where K > 512: the fewest blocks of at most
// kKcMaxGemm rows, of equal length. Fewer blocks mean fewer passes that reload and store C,
// which costs more than the B block outgrowing L1 (B is read front to back). An in-process
// interleaved A/B (gemm_bench BM_AB-style) at 1 / 2 threads put the gain at:
//   128x768x3072:  0.988 / 0.967      1500x384x1536: 0.962 / 0.995
//   1500x64x1500:  0.955 / 0.922      72x64x1500:    0.966 / 0.866
//   128x768x768:   0.993 / 0.968
// K <= 512 is unchanged (2 x 256); K = 512 measured 1.01 / 1.03 as one block.
constexpr int64_t kKcMaxGemm = 1024;
// The length of the fewest blocks of at most max_len that cover n, all of equal length (the
// last may be shorter by less than the number of blocks).
constexpr int64_t EqualBlock(int64_t n, int64_t max_len) {
  const int64_t blocks = (n + max_len - 1) / max_len;
  return (n + blocks - 1) / blocks;
}
inline int64_t GemmKBlock(int64_t K) { return K <= 512 ? kKc : EqualBlock(K, kKcMaxGemm); }
constexpr int64_t kMc = 240;
constexpr int64_t kAInL2Bytes = int64_t{1} << 20;
// Columns per panel (two vectors).
template <class V>
constexpr int64_t kNr = 2 * V::kLanes;

// A TileEpilogue made ready for one panel: the bias of its two column vectors (zero without
// bias) and the activation's constant. The activations are simd_rows_impl.h's, so a tile gets
// the same values as the row kernels would give it.
template <class V>
struct TileStore {
  TileEpilogue::Act act = TileEpilogue::kNone;
  typename V::T bias0 = V::Zero(), bias1 = V::Zero(), k = V::Zero();
};

// For the panel whose columns start at col, width of them real.
template <class V>
TileStore<V> MakeStore(const TileEpilogue& ep, int64_t col, int64_t width) {
  constexpr int L = V::kLanes;
  TileStore<V> s;
  s.act = ep.act;
  if (ep.bias != nullptr) {
    s.bias0 = V::LoadN(ep.bias + col, std::min<int64_t>(L, width), 0.f);
    if (width > L) s.bias1 = V::LoadN(ep.bias + col + L, std::min<int64_t>(L, width - L), 0.f);
  }
  s.k = V::Set(ep.act == TileEpilogue::kSilu ? -ep.beta * 1.44269504088896341f : -1.f);
  return s;
}

// c = act(c + bias) on a tile just stored (rows x nv vectors, still in L1). Kept out of the
// tile kernels: inlined there, the activations' constants compete with the accumulators for
// registers.
template <class V>
__attribute__((noinline)) void FinishTile(const TileStore<V>& s, float* c, int64_t ldc, int rows, int nv) {
  using T = typename V::T;
  constexpr int L = V::kLanes;
  auto each = [&](auto f) {
    for (int r = 0; r < rows; ++r) {
      float* row = c + r * ldc;
      V::Store(row, f(V::Add(V::Load(row), s.bias0)));
      if (nv == 2) V::Store(row + L, f(V::Add(V::Load(row + L), s.bias1)));
    }
  };
  switch (s.act) {
    case TileEpilogue::kNone: return each([](T v) { return v; });
    case TileEpilogue::kRelu: return each([](T v) { return V::Max(v, V::Zero()); });
    case TileEpilogue::kSilu: return each([&](T v) { return simd::SiluFast<V>(v, s.k); });
    case TileEpilogue::kSigmoid: return each([&](T v) { return simd::SigmoidGate<V, false>(v, s.k); });
    case TileEpilogue::kGelu: return each([](T v) { return simd::Gelu<V>(v); });
  }
}

// NV = 2 computes both vectors of the panel; NV = 1 only the first (a right-edge panel at
// most one vector wide: half the FMAs). With kPrefetch the tile prefetches B 16 rows ahead into
// L1 and, for its first next_lines values of k, one cache line per k of `next` into L2 (the
// block of B that runs after this one; see PanelNext).
template <class V, int R, bool kPrefetch = false, int NV = 2>
inline void Tile(const float* a, int64_t lda, const float* bp, int64_t kc, float* c, int64_t ldc,
                 bool accumulate, const float* next = nullptr, int64_t next_lines = 0) {
  constexpr int L = V::kLanes;
  typename V::T c0[R], c1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    c0[r] = accumulate ? V::Load(c + r * ldc) : V::Zero();
    if constexpr (NV == 2) c1[r] = accumulate ? V::Load(c + r * ldc + L) : V::Zero();
  }
  for (int64_t k = 0; k < kc; ++k) {
    if constexpr (kPrefetch) {
      __builtin_prefetch(bp + 16 * 2 * L);
      __builtin_prefetch(bp + 16 * 2 * L + 16);
      if (k < next_lines) __builtin_prefetch(next + k * 16, 0, 2);  // one line into L2
    }
    const typename V::T b0 = V::Load(bp);
    typename V::T b1;
    if constexpr (NV == 2) b1 = V::Load(bp + L);
    bp += 2 * L;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const typename V::T av = V::Broadcast(a + r * lda + k);
      c0[r] = V::Fma(av, b0, c0[r]);
      if constexpr (NV == 2) c1[r] = V::Fma(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    V::Store(c + r * ldc, c0[r]);
    if constexpr (NV == 2) V::Store(c + r * ldc + L, c1[r]);
  }
}

template <class V, int R, bool kPrefetch, int NV = 2>
void TileRows(int rows, const float* a, int64_t lda, const float* bp, int64_t kc, float* c,
              int64_t ldc, bool accumulate, const float* next = nullptr, int64_t next_lines = 0) {
  if constexpr (R > 1) {
    if (rows < R) return TileRows<V, R - 1, kPrefetch, NV>(rows, a, lda, bp, kc, c, ldc, accumulate, next, next_lines);
  }
  Tile<V, R, kPrefetch, NV>(a, lda, bp, kc, c, ldc, accumulate, next, next_lines);
}

// The convolution tile: taps x C rows of the packed panel against R rows of A given per tap.
// rows_of(t) returns tap t's rows (at(r): row r's first float, C of them); per k the tile loads
// two vectors of the panel and broadcasts element k of each row, and prefetches B 16 rows
// ahead (conv_bench, interleaved in one process, against none: YOLOv8n's 3x3 shapes 0.94-0.98
// at 2 threads, 0.97-1.00 at 1, once 1.017).
template <class V, int R, int NV, class RowsOf>
inline void TileTaps(RowsOf rows_of, int64_t taps, int64_t C, const float* bp, float* c, int64_t ldc,
                     bool accumulate) {
  constexpr int L = V::kLanes;
  typename V::T c0[R], c1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    c0[r] = accumulate ? V::Load(c + r * ldc) : V::Zero();
    if constexpr (NV == 2) c1[r] = accumulate ? V::Load(c + r * ldc + L) : V::Zero();
  }
  for (int64_t t = 0; t < taps; ++t) {
    const auto a = rows_of(t);
    for (int64_t k = 0; k < C; ++k) {
      __builtin_prefetch(bp + 16 * 2 * L);  // as Panel's tiles: 16 rows of B ahead
      __builtin_prefetch(bp + 16 * 2 * L + 16);
      const typename V::T b0 = V::Load(bp);
      typename V::T b1;
      if constexpr (NV == 2) b1 = V::Load(bp + L);
      bp += 2 * L;
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const typename V::T av = V::Broadcast(a.at(r) + k);
        c0[r] = V::Fma(av, b0, c0[r]);
        if constexpr (NV == 2) c1[r] = V::Fma(av, b1, c1[r]);
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    V::Store(c + r * ldc, c0[r]);
    if constexpr (NV == 2) V::Store(c + r * ldc + L, c1[r]);
  }
}

// A tap's rows given by pointers (ind[t * MR + r]: the indirection the driver builds) ...
template <int R>
struct PointerRows {
  const float* p[R];
  const float* at(int r) const { return p[r]; }
};
// ... or at a constant distance P from the first (a strided tile: one register plus an
// immediate offset per broadcast).
template <int P>
struct StridedRows {
  const float* a;
  const float* at(int r) const { return a + r * P; }
};

template <class V, int R, int MR, int NV>
void TileIndirectRows(int rows, const float* const* ind, int64_t taps, int64_t C, const float* bp, float* c,
                      int64_t ldc, bool accumulate) {
  if constexpr (R > 1) {
    if (rows < R) return TileIndirectRows<V, R - 1, MR, NV>(rows, ind, taps, C, bp, c, ldc, accumulate);
  }
  auto rows_of = [ind](int64_t t) {
    PointerRows<R> a;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) a.p[r] = ind[t * MR + r];
    return a;
  };
  TileTaps<V, R, NV>(rows_of, taps, C, bp, c, ldc, accumulate);
}

// The R = MR rows of a strided tile (StridedTiles): row r of tap t at x + off[t] + r * P.
template <class V, int R, int P, int NV>
inline void TileStrided(const float* x, const int64_t* off, int64_t taps, int64_t C, const float* bp, float* c,
                        int64_t ldc, bool accumulate) {
  TileTaps<V, R, NV>([x, off](int64_t t) { return StridedRows<P>{x + off[t]}; }, taps, C, bp, c, ldc, accumulate);
}

// TileStrided with the stride given at run time: one of StridedTileStrides (packed_gemm.h),
// each of which has its own instantiation.
template <class V, int MR, int NV, int... P>
inline void TileStridedOf(std::integer_sequence<int, P...>, int64_t stride, const float* x, const int64_t* off,
                          int64_t taps, int64_t C, const float* bp, float* c, int64_t ldc, bool accumulate) {
  ((stride == P ? (TileStrided<V, MR, P, NV>(x, off, taps, C, bp, c, ldc, accumulate), true) : false) || ...);
}
template <class V, int MR, int NV>
inline void TileStridedAny(int64_t P, const float* x, const int64_t* off, int64_t taps, int64_t C, const float* bp,
                           float* c, int64_t ldc, bool accumulate) {
  TileStridedOf<V, MR, NV>(StridedTileStrides{}, P, x, off, taps, C, bp, c, ldc, accumulate);
}

// The tile loop shared by Panel and IndirectPanel: for each tile of MR rows of C (c points at
// the panel's first column, `width` <= NR columns wide), run(i, rows, out, ldo, one_vector)
// computes it into out, then st (null: none) finishes it. A full panel, or a full first vector
// of one (the one-vector tile stores only that), goes straight to C; a narrower right-edge
// panel goes through a scratch tile.
template <class V, int MR, class Run>
inline void ForEachTile(int64_t mc, int64_t width, float* c, int64_t ldc, bool accumulate, const TileStore<V>* st,
                        Run run) {
  constexpr int NR = 2 * V::kLanes;
  alignas(64) float scratch[MR * NR];
  const bool in_place = width == NR || width == V::kLanes;
  for (int64_t i = 0; i < mc; i += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - i));
    float* ci = c + i * ldc;
    if (!in_place && accumulate) {
      for (int r = 0; r < rows; ++r) std::memcpy(scratch + r * NR, ci + r * ldc, width * sizeof(float));
    }
    run(i, rows, in_place ? ci : scratch, in_place ? ldc : NR, width <= V::kLanes);
    if (st != nullptr) FinishTile<V>(*st, in_place ? ci : scratch, in_place ? ldc : NR, rows, width <= V::kLanes ? 1 : 2);
    if (!in_place) {
      for (int r = 0; r < rows; ++r) std::memcpy(ci + r * ldc, scratch + r * NR, width * sizeof(float));
    }
  }
}

// Rows [0, mc) of A given by pointers, taps [t0, t0 + taps) of C floats each (B rows
// [t0 * C, (t0 + taps) * C)), times panel p, into C (c at the panel's first column). ind holds, per tile of MR rows, taps x MR
// pointers ([tile][tap][MR]); a tile with a strided corner (always MR rows) reads from it instead.
template <class V, int MR>
void IndirectPanel(int64_t mc, const float* const* ind, int64_t t0, int64_t taps, int64_t C, const PackedMatrix& b,
                   int64_t p, float* c, int64_t ldc, bool accumulate, const TileEpilogue* ep,
                   const StridedTiles* strided) {
  constexpr int NR = 2 * V::kLanes;
  const float* bp = b.panel(p) + t0 * C * NR;
  const int64_t width = std::min<int64_t>(NR, b.N() - p * NR);
  const TileStore<V> store = ep != nullptr ? MakeStore<V>(*ep, p * NR, width) : TileStore<V>{};
  ForEachTile<V, MR>(mc, width, c, ldc, accumulate, ep != nullptr ? &store : nullptr,
                     [&](int64_t i, int rows, float* out, int64_t ldo, bool one_vector) {
                       const float* corner = strided != nullptr ? strided->corner[i / MR] : nullptr;
                       if (corner != nullptr) {
                         const int64_t P = strided->pixel_stride;
                         if (one_vector) {
                           TileStridedAny<V, MR, 1>(P, corner, strided->off, taps, C, bp, out, ldo, accumulate);
                         } else {
                           TileStridedAny<V, MR, 2>(P, corner, strided->off, taps, C, bp, out, ldo, accumulate);
                         }
                         return;
                       }
                       const float* const* ti = ind + (i / MR) * taps * MR;
                       if (one_vector) {
                         TileIndirectRows<V, MR, MR, 1>(rows, ti, taps, C, bp, out, ldo, accumulate);
                       } else {
                         TileIndirectRows<V, MR, MR, 2>(rows, ti, taps, C, bp, out, ldo, accumulate);
                       }
                     });
}

// Rows [0, mc) of A (a points at column k0 of row 0) times rows [k0, k0 + kc) of panel p of B,
// into C (c at the panel's first column; stored, or added to C when accumulate).
//
// Every tile prefetches B 16 rows ahead into L1: the first tile brings the block from memory
// (weights are read once per inference), and the later ones no longer find a block of
// GemmKBlock rows in L1. Against prefetching in the first tile only, interleaved in one process
// (gemm_bench shapes, 1 / 2 threads): 128x768x3072 0.961 / 0.981, 1500x384x1536 0.938 / 0.929,
// 128x768x768 0.979 / 0.960, none above 1.005.
//
// The first tile still reads its block at the rate of memory, not of the FMAs; with few tiles
// per block (M = 77: 7) that tile is a large share of the time. So the tiles after the first
// share out the next block's cache lines (next: next_floats floats, null: none), one line per k
// into L2, and the next block's first tile finds its B there. Against no such prefetch, cold
// weights, interleaved in one process, 1 / 2 threads: 77x2048x512 0.900 / 0.918, 77x512x2048
// 0.957 / 0.956, 128x768x768 0.931 / 0.956, 128x3072x768 0.944 / 0.946, 1500x384x384 0.971 /
// 0.987, the conv-shaped products 0.98-1.00, none above 1.005. Into L3 instead (prefetcht2):
// the same within 1-2%; into L1: 1.01-1.03. Whole models (ab_bench, 2 / 1 threads): CLIP text
// 0.972, 0.955 / 0.937, DistilBERT 0.961 / 0.960, Whisper encoder 0.979 / 0.999, SwinV2 0.978 /
// 0.975.
template <class V, int MR>
void PanelNext(int64_t mc, const float* a, int64_t lda, const PackedMatrix& b, int64_t p, int64_t k0,
               int64_t kc, float* c, int64_t ldc, bool accumulate, const TileEpilogue* ep,
               const float* next, int64_t next_floats) {
  constexpr int NR = 2 * V::kLanes;
  const float* bp = b.panel(p) + k0 * NR;
  const int64_t width = std::min<int64_t>(NR, b.N() - p * NR);
  const TileStore<V> store = ep != nullptr ? MakeStore<V>(*ep, p * NR, width) : TileStore<V>{};
  constexpr int64_t kLineFloats = 16;
  const int64_t tiles = (mc + MR - 1) / MR;
  const int64_t lines = next != nullptr && tiles > 1 ? (next_floats + kLineFloats - 1) / kLineFloats : 0;
  const int64_t per_tile = lines > 0 ? (lines + tiles - 2) / (tiles - 1) : 0;
  ForEachTile<V, MR>(mc, width, c, ldc, accumulate, ep != nullptr ? &store : nullptr,
                     [&](int64_t i, int rows, float* out, int64_t ldo, bool one_vector) {
                       const float* ai = a + i * lda;
                       if (one_vector) return TileRows<V, MR, false, 1>(rows, ai, lda, bp, kc, out, ldo, accumulate);
                       const int64_t t = i / MR;  // tile t > 0 prefetches lines [(t-1), t) x per_tile
                       const int64_t first = (t - 1) * per_tile;
                       const int64_t count = t > 0 ? std::clamp<int64_t>(lines - first, 0, std::min(per_tile, kc)) : 0;
                       TileRows<V, MR, true>(rows, ai, lda, bp, kc, out, ldo, accumulate,
                                             count > 0 ? next + first * kLineFloats : nullptr, count);
                     });
}
template <class V, int MR>
void Panel(int64_t mc, const float* a, int64_t lda, const PackedMatrix& b, int64_t p, int64_t k0,
           int64_t kc, float* c, int64_t ldc, bool accumulate, const TileEpilogue* ep) {
  PanelNext<V, MR>(mc, a, lda, b, p, k0, kc, c, ldc, accumulate, ep, nullptr, 0);
}

// C rows [i0, i1) x panels [p0, p1) over all of K, ep (null: none) on the last block of K. When a row block of A fits in L2 the
// panels are walked one at a time, so B is read front to back; otherwise K blocks are
// outermost, keeping each MC x KC block of A in L2.
template <class V, int MR>
void Range(int64_t i0, int64_t i1, int64_t p0, int64_t p1, const float* a, int64_t lda,
           const PackedMatrix& b, float* c, int64_t ldc, const TileEpilogue* ep) {
  const int64_t K = b.K(), kc = GemmKBlock(K);
  constexpr int64_t NR = kNr<V>;
  // block (p, k0), and the block that runs after it (null: none), whose B the tiles after
  // the first prefetch into L2.
  auto block = [&](int64_t ic, int64_t mc, int64_t p, int64_t k0, int64_t np, int64_t nk0) {
    const float* next = np < 0 ? nullptr : b.panel(np) + nk0 * NR;
    const int64_t next_floats = np < 0 ? 0 : std::min(kc, K - nk0) * NR;
    PanelNext<V, MR>(mc, a + ic * lda + k0, lda, b, p, k0, std::min(kc, K - k0), c + ic * ldc + p * NR, ldc, k0 > 0,
                     k0 + kc >= K ? ep : nullptr, next, next_floats);
  };
  for (int64_t ic = i0; ic < i1; ic += kMc) {
    const int64_t mc = std::min(kMc, i1 - ic);
    if (mc * K * static_cast<int64_t>(sizeof(float)) <= kAInL2Bytes) {
      for (int64_t p = p0; p < p1; ++p) {
        for (int64_t k0 = 0; k0 < K; k0 += kc) {
          const bool last_k = k0 + kc >= K;
          const int64_t np = last_k ? (p + 1 < p1 ? p + 1 : -1) : p, nk0 = last_k ? 0 : k0 + kc;
          block(ic, mc, p, k0, np, nk0);
        }
      }
    } else {
      for (int64_t k0 = 0; k0 < K; k0 += kc) {
        for (int64_t p = p0; p < p1; ++p) {
          const bool last_p = p + 1 >= p1;
          const int64_t nk0 = last_p ? k0 + kc : k0, np = last_p ? (nk0 < K ? p0 : -1) : p + 1;
          block(ic, mc, p, k0, np, nk0);
        }
      }
    }
  }
}

}  // namespace parallax::packed_gemm_detail
