#include "kernels/packed_conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/packed_gemm_kernel.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

using packed_gemm_detail::kKc;

// Taps per K block of a convolution over `taps` taps of C channels: whole taps, blocks of at
// most about 512 rows of B, all of about the same size. Each block is a pass that reloads C, and
// an uneven split ends in a short block that pays a whole pass: 9 taps of 64 channels were
// 4 + 4 + 1, now 3 + 3 + 3; 9 of 128 were 2 + 2 + 2 + 2 + 1, now 3 + 3 + 3; 9 of 32 were
// 8 + 1, now one block. conv_bench, interleaved in one process at 1 / 2 threads: 3x3 64->64 at 80x80
// 0.963 / 0.995, at 40x40 0.966 / 0.995, 128->128 at 20x20 0.978 / 0.978, 64->80 at 80x80
// 0.993 / 0.943, 80->80 1.000 / 1.001. (One block up to 1024 rows, as GemmKBlock, lost 5% on
// 80->80.)
int64_t TapsPerBlock(int64_t taps, int64_t C) {
  using packed_gemm_detail::EqualBlock;
  const int64_t whole_taps = std::max<int64_t>(1, EqualBlock(taps * C, 512) / C);
  return EqualBlock(taps, whole_taps);
}

// Pointers to the rows of A for rows [i0, i0 + mc) and taps [t0, t0 + taps), laid out for
// IndirectPanel: [tile of mr rows][tap][mr]. A tap outside X points at zeros, as do the
// unused rows of the last tile. With `strided`, a whole tile whose rows are consecutive pixels
// of one output row with every window inside X gets its first window's corner in (*corners)[tile]
// and no pointers (StridedTiles); *off receives each tap's offset from a corner, in floats.
void BuildIndirection(const ConvGeometry& g, const float* x, const float* zeros, int64_t i0, int64_t mc,
                      int64_t t0, int64_t taps, int mr, bool strided, std::vector<const float*>* ind,
                      std::vector<const float*>* corners, std::vector<int64_t>* off) {
  const int64_t C = g.channels, pixels = g.out_h * g.out_w, tiles = (mc + mr - 1) / mr;
  ind->resize(static_cast<size_t>(tiles * taps * mr));
  corners->assign(static_cast<size_t>(tiles), nullptr);
  off->resize(static_cast<size_t>(taps));
  // Window offsets of the block's taps (no divisions in the row loop: this runs per row block),
  // their range, and each tap's offset in X from the window's corner.
  std::vector<int64_t> dy(taps), dx(taps);
  int64_t dy_max = 0, dx_max = 0;
  for (int64_t t = 0; t < taps; ++t) {
    dy[t] = ((t0 + t) / g.kernel_w) * g.dilation_h;
    dx[t] = ((t0 + t) % g.kernel_w) * g.dilation_w;
    (*off)[t] = (dy[t] * g.in_w + dx[t]) * C;
    dy_max = std::max(dy_max, dy[t]);
    dx_max = std::max(dx_max, dx[t]);
  }
  const int64_t* offs = off->data();
  int64_t n = i0 / pixels, oh = (i0 % pixels) / g.out_w, ow = i0 % g.out_w;
  auto next_row = [&](int64_t step) {  // step pixels along one output row (ow + step <= out_w)
    ow += step;
    if (ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) {
        oh = 0;
        ++n;
      }
    }
  };
  for (int64_t tile = 0; tile < tiles; ++tile) {
    const float** slots = ind->data() + tile * taps * mr;
    const int64_t r0 = tile * mr;
    if (strided && r0 + mr <= mc && ow + mr <= g.out_w) {
      const int64_t y0 = oh * g.stride_h - g.pad_top, x0 = ow * g.stride_w - g.pad_left;
      const int64_t x_last = x0 + (mr - 1) * g.stride_w;
      if (y0 >= 0 && y0 + dy_max < g.in_h && x0 >= 0 && x_last + dx_max < g.in_w) {
        (*corners)[tile] = x + ((n * g.in_h + y0) * g.in_w + x0) * C;
        next_row(mr);
        continue;
      }
    }
    for (int64_t lane = 0; lane < mr; ++lane) {
      const float** slot = slots + lane;  // the row's slot for tap 0 ([tile][0][lane])
      if (r0 + lane >= mc) {
        for (int64_t t = 0; t < taps; ++t) slot[t * mr] = zeros;
        continue;
      }
      const float* image = x + n * g.in_h * g.in_w * C;
      const int64_t y0 = oh * g.stride_h - g.pad_top, x0 = ow * g.stride_w - g.pad_left;
      if (y0 >= 0 && y0 + dy_max < g.in_h && x0 >= 0 && x0 + dx_max < g.in_w) {  // the whole window is inside
        const float* corner = image + (y0 * g.in_w + x0) * C;
        for (int64_t t = 0; t < taps; ++t) slot[t * mr] = corner + offs[t];
      } else {
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t ih = y0 + dy[t], iw = x0 + dx[t];
          const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
          slot[t * mr] = inside ? image + (ih * g.in_w + iw) * C : zeros;
        }
      }
      next_row(1);
    }
  }
}

// The same layout for pieces of one width as the taps: tap t of row i is row i of piece t.
// Rows past mc (the last tile's unused ones, never read) repeat row mc - 1.
void PieceIndirection(const std::vector<ChannelPiece>& pieces, int64_t i0, int64_t mc, int64_t t0, int64_t taps,
                      int mr, std::vector<const float*>* ind) {
  const int64_t C = pieces[0].channels, tiles = (mc + mr - 1) / mr;
  ind->resize(static_cast<size_t>(tiles * taps * mr));
  for (int64_t r = 0, lane = 0; r < tiles * mr; ++r) {
    const int64_t row = i0 + std::min(r, mc - 1);
    const float** slot = ind->data() + (r - lane) * taps + lane;
    if (++lane == mr) lane = 0;
    for (int64_t t = 0; t < taps; ++t) slot[t * mr] = pieces[t0 + t].x + row * C;
  }
}

// PARALLAX_STRIDED_TILES=off builds pointers for every tile (the A/B baseline and the tests'
// reference).
bool StridedTilesDisabled() {
  static const bool off = [] {
    const char* env = std::getenv("PARALLAX_STRIDED_TILES");
    return env != nullptr && std::string(env) == "off";
  }();
  return off;
}

// Where one task's panels of Y go (rows [i0, i0 + mc), panels [p0, p1)): into Y, or into its
// pieces (a Split folded into the convolution). A panel whose columns straddle two pieces is
// computed in a scratch block (allocated only then) and scattered into them by Finish().
class PanelOutput {
 public:
  PanelOutput(const std::vector<OutputPiece>& ys, int64_t N, int nr, int64_t i0, int64_t mc, int64_t p0, int64_t p1)
      : ys_(ys), n_(N), nr_(nr), i0_(i0), mc_(mc), p0_(p0), p1_(p1) {
    int64_t start;
    for (int64_t p = p0; p < p1; ++p) {
      if (PieceOf(p, &start) == nullptr) {
        scratch_.resize(static_cast<size_t>((p1 - p0) * mc * nr));
        break;
      }
    }
  }
  // Panel p's first column for the kernel, and the distance between its rows.
  float* At(int64_t p, int64_t* ld) {
    int64_t start;
    if (const OutputPiece* y = PieceOf(p, &start)) {
      *ld = y->channels;
      return y->y + i0_ * y->channels + (p * nr_ - start);
    }
    *ld = nr_;
    return scratch_.data() + (p - p0_) * mc_ * nr_;
  }
  void Finish() const {
    for (int64_t p = p0_; p < p1_; ++p) {
      int64_t start;
      if (PieceOf(p, &start) != nullptr) continue;
      const int64_t col = p * nr_, end = col + Width(p);
      const float* tmp = scratch_.data() + (p - p0_) * mc_ * nr_;
      start = 0;
      for (const OutputPiece& y : ys_) {
        const int64_t lo = std::max(start, col), hi = std::min(start + y.channels, end);
        for (int64_t r = 0; r < mc_ && lo < hi; ++r) {
          std::memcpy(y.y + (i0_ + r) * y.channels + (lo - start), tmp + r * nr_ + (lo - col), (hi - lo) * sizeof(float));
        }
        start += y.channels;
      }
    }
  }

 private:
  int64_t Width(int64_t p) const { return std::min<int64_t>(nr_, n_ - p * nr_); }
  // The piece holding all of panel p's columns, and its first column in *start; null when the
  // panel straddles two pieces.
  const OutputPiece* PieceOf(int64_t p, int64_t* start) const {
    const int64_t col = p * nr_;
    size_t j = 0;
    *start = 0;
    while (j + 1 < ys_.size() && *start + ys_[j].channels <= col) *start += ys_[j++].channels;
    return col + Width(p) <= *start + ys_[j].channels ? &ys_[j] : nullptr;
  }

  const std::vector<OutputPiece>& ys_;
  int64_t n_;
  int nr_;
  int64_t i0_, mc_, p0_, p1_;
  std::vector<float> scratch_;
};

}  // namespace

std::shared_ptr<PackedConvWeights> PackedConvWeights::Pack(int64_t M, int64_t C, int64_t KH, int64_t KW,
                                                           const float* w, GemmIsa isa) {
  if (M <= 0 || C <= 0 || KH <= 0 || KW <= 0) return nullptr;
  // B[(kh * KW + kw) * C + c, m] = w[m, c, kh, kw]: row-major [K, M] for PackedMatrix::Pack.
  const int64_t taps = KH * KW, K = taps * C;
  std::vector<float> kn(static_cast<size_t>(K * M));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t t = 0; t < taps; ++t) kn[(t * C + c) * M + m] = w[(m * C + c) * taps + t];
    }
  }
  auto b = PackedMatrix::Pack(K, M, kn.data(), /*b_is_kn=*/true, isa);
  if (b == nullptr || b->panel_fn() == nullptr || b->indirect().fn == nullptr) return nullptr;
  auto p = std::make_shared<PackedConvWeights>();
  p->b_ = std::move(b);
  p->c_ = C;
  p->kh_ = KH;
  p->kw_ = KW;
  return p;
}

void PackedPointwiseConvPieces(ThreadPool* pool, int64_t rows, const std::vector<ChannelPiece>& pieces,
                               const PackedConvWeights& w, float* y, const GemmEpilogue& epilogue,
                               const TileEpilogue& tile) {
  PackedPointwiseConvPieces(pool, rows, pieces, w, {{y, w.M()}}, tile, epilogue);
}

void PackedPointwiseConvPieces(ThreadPool* pool, int64_t rows, const std::vector<ChannelPiece>& pieces,
                               const PackedConvWeights& w, const std::vector<OutputPiece>& ys,
                               const TileEpilogue& tile, const GemmEpilogue& epilogue) {
  const PackedMatrix& b = w.b();
  const TileEpilogue* ep = tile.empty() ? nullptr : &tile;
  const int64_t N = b.N(), K = b.K(), panels = b.panels();
  if (rows <= 0 || N <= 0) return;
  const packed_gemm_detail::PanelFn panel = b.panel_fn();
  const packed_gemm_detail::IndirectKernel indirect = b.indirect();
  const GemmTasks tasks = SplitGemm(pool, rows, N, K, panels, indirect.mr);
  // Pieces of one width (YOLOv8n's C2f: c channels each) are the taps of the indirect kernel,
  // which sums them in registers; a narrow piece on its own would store and reload C per piece.
  bool same_width = pieces.size() > 1;
  for (const ChannelPiece& piece : pieces) same_width = same_width && piece.channels == pieces[0].channels;
  RunGemmTasks(pool, tasks.count(), [&](int64_t t) {
    int64_t i0, i1, p0, p1;
    if (!tasks.Get(t, &i0, &i1, &p0, &p1)) return;
    const int64_t mc = i1 - i0;
    PanelOutput out(ys, N, b.nr(), i0, mc, p0, p1);
    int64_t ld;
    if (same_width) {
      const int64_t C = pieces[0].channels, taps = static_cast<int64_t>(pieces.size());
      const int64_t per_block = TapsPerBlock(taps, C);
      thread_local std::vector<const float*> ind;
      for (int64_t t0 = 0; t0 < taps; t0 += per_block) {
        const int64_t tb = std::min(per_block, taps - t0);
        PieceIndirection(pieces, i0, mc, t0, tb, indirect.mr, &ind);
        const TileEpilogue* last = t0 + tb == taps ? ep : nullptr;
        for (int64_t p = p0; p < p1; ++p) {
          float* c = out.At(p, &ld);
          indirect.fn(mc, ind.data(), t0, tb, C, b, p, c, ld, t0 > 0, last, nullptr);
        }
      }
    } else {
      int64_t k = 0;  // the piece's first row of B
      for (const ChannelPiece& piece : pieces) {
        const int64_t C = piece.channels;
        for (int64_t k0 = 0; k0 < C; k0 += kKc) {
          const int64_t kc = std::min(kKc, C - k0);
          const TileEpilogue* last = k + k0 + kc == K ? ep : nullptr;
          for (int64_t p = p0; p < p1; ++p) {
            float* c = out.At(p, &ld);
            panel(mc, piece.x + i0 * C + k0, C, b, p, k + k0, kc, c, ld, k + k0 > 0, last);
          }
        }
        k += C;
      }
    }
    out.Finish();
    if (epilogue) epilogue(i0, i1, p0 * b.nr(), std::min(N, p1 * b.nr()));
  });
}

void PackedConvNhwc(ThreadPool* pool, const ConvGeometry& g, const float* x, const PackedConvWeights& w,
                    float* y, const GemmEpilogue& epilogue, const TileEpilogue& tile) {
  PackedConvNhwc(pool, g, x, w, {{y, w.M()}}, tile, epilogue);
}

void PackedConvNhwc(ThreadPool* pool, const ConvGeometry& g, const float* x, const PackedConvWeights& w,
                    const std::vector<OutputPiece>& ys, const TileEpilogue& tile, const GemmEpilogue& epilogue) {
  const PackedMatrix& b = w.b();
  const int64_t M = g.batch * g.out_h * g.out_w, N = b.N(), K = b.K(), panels = b.panels();
  if (M <= 0 || N <= 0) return;
  // A is X itself for a 1x1, stride-1, unpadded convolution.
  if (w.KH() == 1 && w.KW() == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 &&
      g.out_h == g.in_h && g.out_w == g.in_w) {
    return PackedPointwiseConvPieces(pool, M, {{x, K}}, w, ys, tile, epilogue);
  }
  // Rows are split before panels (down to 4 tiles per block): each chunk of panels re-makes
  // the pointers to its block of A.
  const packed_gemm_detail::IndirectKernel indirect = b.indirect();
  const GemmTasks tasks = SplitGemm(pool, M, N, K, panels, indirect.mr);
  // What taps outside X read.
  const std::vector<float> zeros(static_cast<size_t>(g.channels), 0.0f);
  const TileEpilogue* ep = tile.empty() ? nullptr : &tile;
  // Tiles of consecutive pixels of one output row with every window inside X read A at this
  // stride from one pointer per tap (StridedTiles), where the kernel is compiled for it.
  const int64_t pixel_stride = g.stride_w * g.channels;
  const bool strided = StridedTilesRun(pixel_stride) && !StridedTilesDisabled();
  RunGemmTasks(pool, tasks.count(), [&](int64_t t) {
    int64_t i0, i1, p0, p1;
    if (!tasks.Get(t, &i0, &i1, &p0, &p1)) return;
    const int64_t mc = i1 - i0;
    PanelOutput out(ys, N, b.nr(), i0, mc, p0, p1);
    int64_t ld;
    // Blocks of whole taps (TapsPerBlock).
    thread_local std::vector<const float*> ind;
    std::vector<const float*> corners;
    std::vector<int64_t> off;
    const int64_t taps = w.KH() * w.KW(), per_block = TapsPerBlock(taps, g.channels);
    for (int64_t t0 = 0; t0 < taps; t0 += per_block) {
      const int64_t tb = std::min(per_block, taps - t0);
      BuildIndirection(g, x, zeros.data(), i0, mc, t0, tb, indirect.mr, strided, &ind, &corners, &off);
      const StridedTiles tiles{corners.data(), off.data(), pixel_stride};
      const TileEpilogue* last = t0 + tb == taps ? ep : nullptr;
      for (int64_t p = p0; p < p1; ++p) {
        float* c = out.At(p, &ld);
        indirect.fn(mc, ind.data(), t0, tb, g.channels, b, p, c, ld, t0 > 0, last, strided ? &tiles : nullptr);
      }
    }
    out.Finish();
    if (epilogue) epilogue(i0, i1, p0 * b.nr(), std::min(N, p1 * b.nr()));
  });
}

}  // namespace parallax
