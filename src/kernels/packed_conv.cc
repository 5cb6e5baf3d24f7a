#include "kernels/packed_conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/packed_gemm_kernel.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

using packed_gemm_detail::kKc;
using packed_gemm_detail::kMc;

// Pointers to the rows of A for rows [i0, i0 + mc) and taps [t0, t0 + taps), laid out for
// IndirectPanel: [tile of mr rows][tap][mr]. A tap outside X points at zeros, as do the
// unused rows of the last tile.
void BuildIndirection(const ConvGeometry& g, const float* x, const float* zeros, int64_t i0, int64_t mc,
                      int64_t t0, int64_t taps, int mr, std::vector<const float*>* ind) {
  const int64_t C = g.channels, pixels = g.out_h * g.out_w, tiles = (mc + mr - 1) / mr;
  ind->resize(static_cast<size_t>(tiles * taps * mr));
  const float** out = ind->data();
  // Window offsets of the block's taps (no divisions in the row loop: this runs per row block).
  std::vector<int64_t> dy(taps), dx(taps);
  for (int64_t t = 0; t < taps; ++t) {
    dy[t] = ((t0 + t) / g.kernel_w) * g.dilation_h;
    dx[t] = ((t0 + t) % g.kernel_w) * g.dilation_w;
  }
  int64_t n = i0 / pixels, oh = (i0 % pixels) / g.out_w, ow = i0 % g.out_w;
  for (int64_t r = 0; r < tiles * mr; ++r) {
    const float** slot = out + (r / mr) * taps * mr + r % mr;
    if (r >= mc) {
      for (int64_t t = 0; t < taps; ++t) slot[t * mr] = zeros;
      continue;
    }
    const float* image = x + n * g.in_h * g.in_w * C;
    const int64_t y0 = oh * g.stride_h - g.pad_top, x0 = ow * g.stride_w - g.pad_left;
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t ih = y0 + dy[t], iw = x0 + dx[t];
      const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
      slot[t * mr] = inside ? image + (ih * g.in_w + iw) * C : zeros;
    }
    if (++ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) {
        oh = 0;
        ++n;
      }
    }
  }
}

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

void PackedConvNhwc(ThreadPool* pool, const ConvGeometry& g, const float* x, const PackedConvWeights& w,
                    float* y, const GemmEpilogue& epilogue) {
  const PackedMatrix& b = w.b();
  const int64_t M = g.batch * g.out_h * g.out_w, N = b.N(), K = b.K(), panels = b.panels();
  if (M <= 0 || N <= 0) return;
  // A is X itself for a 1x1, stride-1, unpadded convolution.
  const bool direct = w.KH() == 1 && w.KW() == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
                      g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
  // Tasks: blocks of rows x chunks of panels, ~4 per thread. Rows are split first (blocks of
  // kMc, down to 4 tiles when there are fewer blocks than tasks wanted): each chunk of
  // panels re-reads its block of A.
  const int threads = pool ? pool->threads() : 1;
  const bool small = M * N * K < (int64_t{1} << 20);
  const int64_t want = threads <= 1 || small ? 1 : 4 * threads;
  const int64_t mr = b.indirect().mr;
  int64_t block_rows = kMc;
  if ((M + kMc - 1) / kMc < want) {
    block_rows = std::clamp<int64_t>(((M + want - 1) / want + mr - 1) / mr * mr, 4 * mr, kMc);
  }
  const int64_t row_blocks = (M + block_rows - 1) / block_rows;
  const int64_t chunks = std::clamp<int64_t>((want + row_blocks - 1) / row_blocks, 1, panels);
  const int64_t per_chunk = (panels + chunks - 1) / chunks;
  const packed_gemm_detail::PanelFn panel = b.panel_fn();
  const packed_gemm_detail::IndirectKernel indirect = b.indirect();
  // What taps outside X read.
  const std::vector<float> zeros(direct ? 0 : static_cast<size_t>(g.channels), 0.0f);
  auto task = [&](int64_t t) {
    const int64_t rb = t / chunks, ch = t % chunks;
    const int64_t i0 = rb * block_rows, mc = std::min(M, i0 + block_rows) - i0;
    const int64_t p0 = ch * per_chunk, p1 = std::min(panels, p0 + per_chunk);
    if (p0 >= p1) return;
    if (direct) {
      for (int64_t k0 = 0; k0 < K; k0 += kKc) {
        const int64_t kc = std::min(kKc, K - k0);
        for (int64_t p = p0; p < p1; ++p) panel(mc, x + i0 * K + k0, K, b, p, k0, kc, y + i0 * N, N, k0 > 0);
      }
    } else {
      // Blocks of whole taps, about kKc rows of B each.
      thread_local std::vector<const float*> ind;
      const int64_t taps = w.KH() * w.KW(), per_block = std::max<int64_t>(1, kKc / g.channels);
      for (int64_t t0 = 0; t0 < taps; t0 += per_block) {
        const int64_t tb = std::min(per_block, taps - t0);
        BuildIndirection(g, x, zeros.data(), i0, mc, t0, tb, indirect.mr, &ind);
        for (int64_t p = p0; p < p1; ++p) {
          indirect.fn(mc, ind.data(), t0, tb, g.channels, b, p, y + i0 * N, N, t0 > 0);
        }
      }
    }
    if (epilogue) epilogue(i0, i0 + mc, p0 * b.nr(), std::min(N, p1 * b.nr()));
  };
  const int64_t tasks = row_blocks * chunks;
  if (tasks == 1 || pool == nullptr) {
    for (int64_t t = 0; t < tasks; ++t) task(t);
    return;
  }
  pool->ParallelFor(tasks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) task(t);
  });
}

}  // namespace parallax
