// The first convolution of a vision model, read straight from the NCHW image and written NHWC
// (group 1, few input channels: RGB), with bias and activation applied to each finished tile:
//
//   auto w = ImageConvWeights::Pack(M, C, KH, KW, w_oihw);   // once per node; null: no kernel here
//   if (w) ImageConvNchw(pool, geometry, x_nchw, *w, y_nhwc, epilogue);
//
// An NHWC region would otherwise start with a transpose of the image (3 planes interleaved) and
// then a convolution whose rows of A are 3 floats long. Here a tile is R consecutive output
// pixels of one row times one vector of output channels. Per input element (c, kh, kw) of the
// window it loads one vector of weights and broadcasts the R pixels' inputs, which lie at a
// fixed stride from one pointer into the image row: no indirection, no transpose. Pixels whose
// window crosses the left or right padding go one at a time with bounds checks; rows of the
// window above or below the image are skipped. Each output element is summed in the same
// order whatever the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/packed_conv.h"  // ConvGeometry
#include "kernels/packed_gemm.h"  // GemmIsa, TileEpilogue

namespace parallax {

class ThreadPool;
class ImageConvWeights;

namespace image_conv_detail {
// One output row (image n, row oh) of y, every block of output channels.
using RowFn = void (*)(const ConvGeometry& g, const float* x, const ImageConvWeights& w, const TileEpilogue* ep,
                       float* y, int64_t n, int64_t oh);
RowFn Avx512Row();  // null when not compiled in
RowFn Avx2Row();
}  // namespace image_conv_detail

class ImageConvWeights {
 public:
  // w: ONNX's (M, C, KH, KW). Null where no micro-kernel runs here (as PackedMatrix::Pack).
  static std::shared_ptr<ImageConvWeights> Pack(int64_t M, int64_t C, int64_t KH, int64_t KW, const float* w,
                                                GemmIsa isa = GemmIsa::kAuto);
  int64_t M() const { return m_; }
  int64_t C() const { return c_; }
  int64_t KH() const { return kh_; }
  int64_t KW() const { return kw_; }
  int lanes() const { return lanes_; }
  // Block j of `lanes` output channels: [C * KH * KW][lanes], zero past M.
  const float* block(int64_t j) const { return data_.data() + j * c_ * kh_ * kw_ * lanes_; }
  image_conv_detail::RowFn row_fn() const { return row_; }

 private:
  int64_t m_ = 0, c_ = 0, kh_ = 0, kw_ = 0;
  int lanes_ = 0;
  image_conv_detail::RowFn row_ = nullptr;
  std::vector<float> data_;
};

// The input channels up to which a first-layer convolution takes this path (the layout pass
// asks: ir/passes/layout_nhwc.cc), and the largest window (C * KH * KW) it takes.
constexpr int64_t kImageConvMaxChannels = 4;
constexpr int64_t kImageConvMaxK = 256;
constexpr bool ImageConvTakes(int64_t group, int64_t C, int64_t KH, int64_t KW) {
  return group == 1 && C <= kImageConvMaxChannels && C * KH * KW <= kImageConvMaxK;
}

// y (batch, out_h, out_w, M) = act(conv(x) + bias) for x (batch, channels, in_h, in_w).
void ImageConvNchw(ThreadPool* pool, const ConvGeometry& g, const float* x, const ImageConvWeights& w, float* y,
                   const TileEpilogue& ep = {});

}  // namespace parallax
