// ImageConvNchw's row kernel, written once over a vector type V (image_conv_avx512.cc and
// image_conv_avx2.cc include this with their own V and compile flags). See kernels/image_conv.h.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/image_conv.h"
#include "kernels/packed_gemm_kernel.h"  // TileStore, MakeStore, FinishTile

namespace parallax::image_conv_detail {

constexpr int kPixels = 12;  // output pixels per tile
constexpr int64_t kMaxK = kImageConvMaxK;

// acc[r] = sum over the taps t of x[off[t] + r * step] * w[k[t]] (a vector of output channels)
// for the R pixels from x on. step = S when S > 0 (a constant: the broadcasts take immediate
// offsets), else s.
template <class V, int R, int S>
inline void Tile(const float* x, const int64_t* off, const int64_t* k, int64_t taps, const float* w, int64_t s,
                 typename V::T* acc) {
  constexpr int L = V::kLanes;
  const int64_t step = S > 0 ? S : s;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = V::Zero();
  for (int64_t t = 0; t < taps; ++t) {
    const float* p = x + off[t];
    const typename V::T wv = V::Load(w + k[t] * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = V::Fma(V::Broadcast(p + r * step), wv, acc[r]);
  }
}

template <class V, int S>
void RowStride(const ConvGeometry& g, const float* x, const ImageConvWeights& w, const TileEpilogue* ep, float* y,
               int64_t n, int64_t oh) {
  using T = typename V::T;
  constexpr int L = V::kLanes;
  const int64_t C = g.channels, KH = g.kernel_h, KW = g.kernel_w, M = w.M(), OW = g.out_w, W = g.in_w;
  const int64_t sw = g.stride_w, dw = g.dilation_w, pl = g.pad_left;
  // The window's rows inside the image: their offset in x and the k of their kw = 0 (for the
  // one-pixel path), and every tap of them (for tiles).
  int64_t row_off[kMaxK], row_k[kMaxK], off[kMaxK], k[kMaxK];
  int64_t rows = 0, taps = 0;
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
      if (ih < 0 || ih >= g.in_h) continue;
      const int64_t base = ((n * C + c) * g.in_h + ih) * W;
      row_off[rows] = base;
      row_k[rows++] = (c * KH + kh) * KW;
      for (int64_t kw = 0; kw < KW; ++kw) {
        off[taps] = base + kw * dw - pl;
        k[taps++] = (c * KH + kh) * KW + kw;
      }
    }
  }
  // Pixels whose window is inside the row: ow * sw >= pl and ow * sw - pl + (KW - 1) * dw < W.
  const int64_t lo = std::min(OW, (pl + sw - 1) / sw);
  const int64_t last = W - 1 - (KW - 1) * dw + pl;  // the largest ow * sw that fits
  const int64_t hi = std::clamp<int64_t>(last < 0 ? 0 : last / sw + 1, lo, OW);
  float* yrow = y + (n * g.out_h + oh) * OW * M;
  for (int64_t j = 0; j * L < M; ++j) {
    const float* wj = w.block(j);
    const int64_t col = j * L, width = std::min<int64_t>(L, M - col);
    const packed_gemm_detail::TileStore<V> store =
        ep != nullptr ? packed_gemm_detail::MakeStore<V>(*ep, col, width) : packed_gemm_detail::TileStore<V>{};
    alignas(64) float scratch[kPixels * L];
    // Stores pixels [ow, ow + count) of this block of channels, finished by the epilogue.
    auto emit = [&](int64_t ow, int count, const T* acc) {
      float* out = width == L ? yrow + ow * M + col : scratch;
      const int64_t ld = width == L ? M : L;
      for (int r = 0; r < count; ++r) V::Store(out + r * ld, acc[r]);
      if (ep != nullptr) packed_gemm_detail::FinishTile<V>(store, out, ld, count, 1);
      if (width != L) {
        for (int r = 0; r < count; ++r) V::StoreN(yrow + (ow + r) * M + col, width, V::Load(scratch + r * L));
      }
    };
    for (int64_t ow = 0; ow < OW;) {
      if (ow >= lo && ow + kPixels <= hi) {
        T acc[kPixels];
        Tile<V, kPixels, S>(x + ow * sw, off, k, taps, wj, sw, acc);
        emit(ow, kPixels, acc);
        ow += kPixels;
        continue;
      }
      T acc = V::Zero();
      const int64_t iw0 = ow * sw - pl;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t iw = iw0 + kw * dw;
          if (iw < 0 || iw >= W) continue;
          acc = V::Fma(V::Broadcast(x + row_off[r] + iw), V::Load(wj + (row_k[r] + kw) * L), acc);
        }
      }
      emit(ow, 1, &acc);
      ++ow;
    }
  }
}

template <class V>
void Row(const ConvGeometry& g, const float* x, const ImageConvWeights& w, const TileEpilogue* ep, float* y,
         int64_t n, int64_t oh) {
  if (g.stride_w == 1) return RowStride<V, 1>(g, x, w, ep, y, n, oh);
  if (g.stride_w == 2) return RowStride<V, 2>(g, x, w, ep, y, n, oh);
  RowStride<V, 0>(g, x, w, ep, y, n, oh);
}

}  // namespace parallax::image_conv_detail
