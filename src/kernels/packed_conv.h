// 2-D convolution on NHWC activations as a GEMM on the packed-weight micro-kernels of
// kernels/packed_gemm.h (group 1 only):
//
//   auto w = PackedConvWeights::Pack(M, C, KH, KW, w_oihw);   // once per node; null: no kernel
//   if (w) PackedConvNhwc(pool, geometry, x_nhwc, *w, y_nhwc, epilogue);
//
// Y[n*OH*OW, M] = A[n*OH*OW, KH*KW*C] * B[KH*KW*C, M], where row (n, oh, ow) of A holds the
// KH x KW input pixels that output pixel reads (im2col), tap-major and channel-minor. A is never
// built: per block of rows and taps, each tile of output pixels gets one pointer per pixel and
// tap into X (or to a zero row for padding), and the micro-kernel broadcasts from those rows
// (a tile of consecutive pixels of one output row with every window inside X gets one pointer
// per tap instead, the pixels at a constant stride from it: StridedTiles). A 1x1, stride-1,
// unpadded convolution reads X in place, or its pieces when X is a concatenation. Every element
// of Y is summed in the same order whatever the thread count (and whichever way a tile reads A).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/packed_gemm.h"

namespace parallax {

class ThreadPool;

// The narrowest convolutions the NhwcConv kernel gives this kernel (group 1); narrower ones run
// on XNNPACK (kernels/ops/conv_nhwc.cc; the measurements are in docs/decisions.md).
constexpr int64_t kPackedConvMinChannels = 16;
constexpr int64_t kPackedConvMinOutputs = 32;

struct ConvGeometry {
  int64_t batch = 1, in_h = 0, in_w = 0, channels = 0;  // X: (batch, in_h, in_w, channels)
  int64_t out_h = 0, out_w = 0;                          // Y: (batch, out_h, out_w, M)
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // bottom/right padding follows from out_h/out_w
};

class PackedConvWeights {
 public:
  // w: ONNX's (M, C, KH, KW). Null where PackedMatrix::Pack is (no micro-kernel here).
  static std::shared_ptr<PackedConvWeights> Pack(int64_t M, int64_t C, int64_t KH, int64_t KW,
                                                 const float* w, GemmIsa isa = GemmIsa::kAuto);
  int64_t M() const { return b_->N(); }
  int64_t C() const { return c_; }
  int64_t KH() const { return kh_; }
  int64_t KW() const { return kw_; }
  const PackedMatrix& b() const { return *b_; }

 private:
  std::shared_ptr<PackedMatrix> b_;
  int64_t c_ = 0, kh_ = 0, kw_ = 0;
};

// Y's columns in pieces side by side, each its own tensor of `channels` floats per row: a
// Split of Y's channels folded into the convolution (ir/passes/fuse_split_conv.cc). The pieces'
// channels add up to M.
struct OutputPiece {
  float* y;
  int64_t channels;
};

// y (batch*out_h*out_w rows of M floats) = conv(x, w). The tile epilogue (bias, activation)
// is applied in registers as each tile is stored for the last time; the block epilogue then runs
// on each finished block of rows x columns of y while it is in cache.
void PackedConvNhwc(ThreadPool* pool, const ConvGeometry& g, const float* x,
                    const PackedConvWeights& w, float* y, const GemmEpilogue& epilogue = nullptr,
                    const TileEpilogue& tile = {});
// The same into the pieces of Y (the block epilogue, if any, sees Y's columns: one piece only).
void PackedConvNhwc(ThreadPool* pool, const ConvGeometry& g, const float* x, const PackedConvWeights& w,
                    const std::vector<OutputPiece>& ys, const TileEpilogue& tile = {},
                    const GemmEpilogue& epilogue = nullptr);

// A run of consecutive input channels held in its own tensor: `rows` rows of `channels` floats.
struct ChannelPiece {
  const float* x;
  int64_t channels;
};

// A 1x1, stride-1 convolution whose X is the channel concatenation of `pieces` (a Concat the
// graph no longer makes): y (rows x M) = [pieces...] * B, each piece read in place as its K
// rows of B. The pieces' channels must add up to w.C(); w must be 1x1.
void PackedPointwiseConvPieces(ThreadPool* pool, int64_t rows, const std::vector<ChannelPiece>& pieces,
                               const PackedConvWeights& w, float* y, const GemmEpilogue& epilogue = nullptr,
                               const TileEpilogue& tile = {});
void PackedPointwiseConvPieces(ThreadPool* pool, int64_t rows, const std::vector<ChannelPiece>& pieces,
                               const PackedConvWeights& w, const std::vector<OutputPiece>& ys,
                               const TileEpilogue& tile = {}, const GemmEpilogue& epilogue = nullptr);

}  // namespace parallax
