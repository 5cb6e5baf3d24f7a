#include "kernels/image_conv.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace parallax {

std::shared_ptr<ImageConvWeights> ImageConvWeights::Pack(int64_t M, int64_t C, int64_t KH, int64_t KW, const float* w,
                                                        GemmIsa isa) {
  if (M <= 0 || C <= 0 || KH <= 0 || KW <= 0 || C * KH * KW > kImageConvMaxK) return nullptr;
  if (isa == GemmIsa::kAuto) isa = PackedGemmIsa();
  if (isa == GemmIsa::kAuto || !PackedGemmRuns(isa)) return nullptr;  // same gate as the packed GEMM
  const image_conv_detail::RowFn row =
      isa == GemmIsa::kAvx512 ? image_conv_detail::Avx512Row() : image_conv_detail::Avx2Row();
  if (row == nullptr) return nullptr;
  auto p = std::make_shared<ImageConvWeights>();
  p->m_ = M, p->c_ = C, p->kh_ = KH, p->kw_ = KW;
  p->lanes_ = isa == GemmIsa::kAvx512 ? 16 : 8;
  p->row_ = row;
  // block(j)[k][l] = w[j * lanes + l][k] for k = (c * KH + kh) * KW + kw: ONNX's order within a filter.
  const int64_t K = C * KH * KW, L = p->lanes_, blocks = (M + L - 1) / L;
  p->data_.assign(static_cast<size_t>(blocks * K * L), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k) p->data_[((m / L) * K + k) * L + m % L] = w[m * K + k];
  }
  return p;
}

void ImageConvNchw(ThreadPool* pool, const ConvGeometry& g, const float* x, const ImageConvWeights& w, float* y,
                   const TileEpilogue& ep) {
  const int64_t rows = g.batch * g.out_h;
  if (rows <= 0 || g.out_w <= 0) return;
  const TileEpilogue* tile = ep.empty() ? nullptr : &ep;
  const image_conv_detail::RowFn row = w.row_fn();
  // A row of YOLOv8n's first layer (320 pixels x 16 channels x 27) is ~140 k multiply-adds.
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.out_w * w.M() * w.C() * w.KH() * w.KW()));
  ParallelFor(pool, rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) row(g, x, w, tile, y, r / g.out_h, r % g.out_h);
  });
}

}  // namespace parallax
