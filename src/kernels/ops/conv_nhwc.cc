// parallax::NhwcConv — Conv on NHWC activations, for the convolution regions the layout pass
// (ir/passes/layout_nhwc.cc) keeps in NHWC so that XNNPACK needs no transposes.
//   X (N, H, W, C); W (M, C/group, KH, KW) and B (M) as in ONNX; Conv's attributes (and the
//   fused "activation"). Y (N, OH, OW, M). A 1-D convolution is X (N, W, C), W (M, C/group,
//   KW), Y (N, OW, M): the 2-D code with H = KH = 1.
//   Inputs 3, 4, ... (after an empty B where there is none) are further channels of X: X is
//   the channel concatenation of inputs 0, 3, 4, ... — a Concat folded into its 1x1
//   convolution by ir/passes/fuse_concat_conv.cc. The packed kernel reads each piece in place;
//   elsewhere the pieces are concatenated into a scratch X first.
//   With input_layout = "NCHW" (set by the layout pass on a region's first convolution when
//   X has few channels: an image), X is (N, C, H, W) and Y still (N, OH, OW, M): the image
//   kernel (kernels/image_conv.h) reads the image in place; elsewhere X is transposed first.
// With group 1, 16 or more input and 32 or more output channels and constant weights it runs on
// kernels/packed_conv.h (the packed-GEMM micro-kernels, weights packed once per node, at load
// where the session prepacks); narrower and grouped (depthwise) ones on XNNPACK, the operator
// cached per node. PARALLAX_NHWC_CONV=xnnpack sends every node to XNNPACK (the A/B
// baseline: docs/benchmarks.md). Where neither runs, the NCHW Conv runs between two transposes.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/image_conv.h"
#include "kernels/kernel_util.h"
#include "kernels/packed_conv.h"
#include "kernels/ops/conv.h"
#include "kernels/ops/conv_activation.h"
#include "kernels/ops/conv_geometry.h"
#include "kernels/ops/conv_xnn.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

// Channels-last <-> channels-first, rank 3 or 4.
Shape ToNchw(const Shape& s) {
  return s.size() == 3 ? Shape{s[0], s[2], s[1]} : Shape{s[0], s[3], s[1], s[2]};
}
Shape ToNhwc(const Shape& s) {
  return s.size() == 3 ? Shape{s[0], s[2], s[1]} : Shape{s[0], s[2], s[3], s[1]};
}

// X is an NCHW image (the attribute the layout pass sets on a region's first convolution).
bool InputIsNchw(const Node& node) { return node.GetString("input_layout", "NHWC") == "NCHW"; }

Status NhwcShapes(const Node& node, const Shape& x, const Shape& w, const Shape* b, Shape* out) {
  if ((x.size() != 4 && x.size() != 3) || w.size() != x.size()) {
    return InvalidArgument("NhwcConv expects X (N, H, W, C) and W of rank 4, or X (N, W, C) and W of rank 3, got X " +
                           ShapeToString(x) + " and W " + ShapeToString(w));
  }
  Shape nchw_out;
  PX_RETURN_IF_ERROR(ConvOutputShape(node, ToNchw(x), w, b, &nchw_out));
  *out = ToNhwc(nchw_out);
  return Status::Ok();
}

// X's shape with the channels of the pieces (inputs 3, ...) added.
StatusOr<Shape> JoinedX(const Node& node, const std::vector<const Shape*>& pieces) {
  Shape x = *pieces[0];
  for (size_t i = 1; i < pieces.size(); ++i) {
    const Shape& p = *pieces[i];
    if (p.size() != x.size() || x.empty() || !std::equal(p.begin(), p.end() - 1, x.begin())) {
      return InvalidArgument(node.Describe() + "X piece " + std::to_string(i) + " " + ShapeToString(p) +
                             " does not match X " + ShapeToString(*pieces[0]) + " but in its channels");
    }
    x.back() += p.back();
  }
  return x;
}

// Y, or (a Split folded in: attribute "split", one output per entry) its pieces of channels.
Status SetOutputs(InferContext& ctx, const Shape& y) {
  const size_t n = ctx.node.outputs.size();
  if (n <= 1) {
    ctx.SetOutput(0, DataType::kFloat32, y);
    return Status::Ok();
  }
  const std::vector<int64_t> split = ctx.node.GetInts("split");
  int64_t sum = 0;
  bool positive = true;
  for (int64_t c : split) sum += c, positive = positive && c > 0;
  if (split.size() != n || sum != y.back() || !positive) {
    return InvalidArgument(ctx.node.Describe() + "NhwcConv with " + std::to_string(n) +
                           " outputs expects 'split' with as many positive entries adding up to its " +
                           std::to_string(y.back()) + " output channels, got " + ShapeToString(split));
  }
  for (size_t i = 0; i < n; ++i) {
    Shape s = y;
    s.back() = split[i];
    ctx.SetOutput(i, DataType::kFloat32, std::move(s));
  }
  return Status::Ok();
}

Status NhwcConvInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) return InvalidArgument("NhwcConv expects X and W");
  std::vector<const Shape*> pieces = {&ctx.in(0).shape};
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (i >= 3 && !ctx.has(i)) return InvalidArgument(ctx.node.Describe() + "X piece " + std::to_string(i) + " is empty");
    if (ctx.has(i) && ctx.in(i).dtype != DataType::kFloat32) {
      return NotImplemented("NhwcConv supports float32 only");
    }
    if (i >= 3) pieces.push_back(&ctx.in(i).shape);
  }
  PX_RETURN_IF_ERROR(ParseActivation(ctx.node).status());
  if (InputIsNchw(ctx.node)) {
    if (pieces.size() > 1 || ctx.in(0).shape.size() != 4) {
      return InvalidArgument(ctx.node.Describe() + "input_layout NCHW expects one X of rank 4, got " +
                             std::to_string(pieces.size()) + " piece(s) of X " + ShapeToString(ctx.in(0).shape));
    }
    Shape out;
    PX_RETURN_IF_ERROR(NhwcShapes(ctx.node, ToNhwc(ctx.in(0).shape), ctx.in(1).shape,
                                  ctx.has(2) ? &ctx.in(2).shape : nullptr, &out));
    return SetOutputs(ctx, out);
  }
  PX_ASSIGN_OR_RETURN(Shape x, JoinedX(ctx.node, pieces));
  Shape out;
  PX_RETURN_IF_ERROR(NhwcShapes(ctx.node, x, ctx.in(1).shape, ctx.has(2) ? &ctx.in(2).shape : nullptr, &out));
  return SetOutputs(ctx, out);
}

// dst = src with the last three axes of each image rotated: (H*W, C) <-> (C, H*W).
void Rotate(const float* src, float* dst, int64_t n, int64_t rows, int64_t cols, ThreadPool* pool) {
  ParallelFor(pool, n * cols, std::max<int64_t>(1, 16384 / std::max<int64_t>(rows, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const int64_t img = p / cols, c = p % cols;
      const float* s = src + img * rows * cols + c;
      float* d = dst + img * rows * cols + c * rows;
      for (int64_t r = 0; r < rows; ++r) d[r] = s[r * cols];
    }
  });
}

// A node's cached form: its image-kernel weights (input_layout NCHW), its packed weights, or
// its XNNPACK operator.
struct NhwcConvState {
  std::shared_ptr<ImageConvWeights> image;
  std::shared_ptr<PackedConvWeights> packed;
  std::shared_ptr<XnnConv2DOp> xnn;
};

bool PackedConvEnabled() {
  static const bool on = [] {
    const char* env = std::getenv("PARALLAX_NHWC_CONV");
    return env == nullptr || std::strcmp(env, "xnnpack") != 0;
  }();
  return on;
}

// The packed kernel computes 32 output channels per tile (AVX-512) and reads the rows of A as
// runs of C floats: with fewer output channels, or input rows under 16 floats, XNNPACK's
// 16-wide tiles win, measured per node (docs/benchmarks.md). YOLOv8n's second layer (C 16,
// M 32) moved to the packed kernel once bias and SiLU ran on the tiles in L1 (session 8):
// 2.42 against 2.78 ms, the best of 4 alternated processes each.
bool UsePackedConv(int64_t groups, int64_t channels, int64_t outputs) {
  return groups == 1 && channels >= kPackedConvMinChannels && outputs >= kPackedConvMinOutputs && PackedConvEnabled();
}

// W (M, C, KH, KW) or (M, C, KW) packed for the packed kernel; null where it does not run
// this convolution (or has no micro-kernel here).
std::shared_ptr<PackedConvWeights> PackedWeightsFor(int64_t groups, const Tensor& w) {
  const int64_t M = w.dim(0), C = w.dim(1), KH = w.rank() == 4 ? w.dim(2) : 1, KW = w.dim(w.rank() - 1);
  return UsePackedConv(groups, C, M) ? PackedConvWeights::Pack(M, C, KH, KW, w.data<float>()) : nullptr;
}

// The image kernel's weights for a convolution of an NCHW image it runs; null otherwise.
std::shared_ptr<ImageConvWeights> ImageWeightsFor(const Node& node, const Tensor& w) {
  if (!InputIsNchw(node) || w.rank() != 4 || !ImageConvTakes(node.GetInt("group", 1), w.dim(1), w.dim(2), w.dim(3))) {
    return nullptr;
  }
  return ImageConvWeights::Pack(w.dim(0), w.dim(1), w.dim(2), w.dim(3), w.data<float>());
}

// KernelDef::prepack: the weights of a convolution the image or the packed kernel runs (the
// state NhwcConvCompute would otherwise make at its first run), so that the session keeps only
// that copy; null for the convolutions XNNPACK runs.
std::shared_ptr<void> PrepackNhwcConvWeight(const Node& node, const Tensor& w) {
  if (w.dtype() != DataType::kFloat32 || (w.rank() != 4 && w.rank() != 3) || w.raw() == nullptr) return nullptr;
  auto s = std::make_shared<NhwcConvState>();
  s->image = ImageWeightsFor(node, w);
  if (s->image == nullptr) s->packed = PackedWeightsFor(node.GetInt("group", 1), w);
  if (s->image == nullptr && s->packed == nullptr) return nullptr;
  return s;
}
// The packing depends on the weight and on nothing but these attributes.
const char* const kNhwcConvPackingAttrs[] = {"group", "input_layout", nullptr};

// Bias and activation on rows [r0, r1) x columns [c0, c1) of Y (M columns), in one activation
// call when the block is whole rows.
void BiasActivation(const Activation& act, const float* bias, float* y, int64_t M, int64_t r0, int64_t r1,
                    int64_t c0, int64_t c1) {
  if (c0 == 0 && c1 == M) {
    if (bias != nullptr) ApplyRowBiasActivation(Activation{}, y + r0 * M, r1 - r0, M, bias);
    if (act.kind != Activation::kNone) ApplyBiasActivation(act, y + r0 * M, (r1 - r0) * M, 0.0f);
    return;
  }
  ApplyRowBiasActivation(act, y + r0 * M + c0, r1 - r0, c1 - c0, bias ? bias + c0 : nullptr, M);
}

Status NhwcConvCompute(KernelContext& ctx);

// The outputs as pieces of Y's channels (a Split folded in); empty for a plain Y.
std::vector<OutputPiece> OutputPieces(KernelContext& ctx) {
  std::vector<OutputPiece> ys;
  if (ctx.outputs.size() <= 1) return ys;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) ys.push_back({ctx.out(i).data<float>(), ctx.out(i).shape().back()});
  return ys;
}

// For the paths that cannot write pieces: Y whole into a scratch tensor, then its channels
// copied into the outputs.
Status ComputeThenSplit(KernelContext& ctx) {
  Shape ys = ctx.out(0).shape();
  ys.back() = 0;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) ys.back() += ctx.out(i).shape().back();
  PX_ASSIGN_OR_RETURN(Tensor y, Tensor::Allocate(DataType::kFloat32, ys));
  KernelContext whole = ctx;
  whole.outputs = {&y};
  PX_RETURN_IF_ERROR(NhwcConvCompute(whole));
  const int64_t M = ys.back(), rows = NumElements(ys) / std::max<int64_t>(M, 1);
  int64_t c0 = 0;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    const int64_t c = ctx.out(i).shape().back();
    float* dst = ctx.out(i).data<float>();
    for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * c, y.data<float>() + r * M + c0, c * sizeof(float));
    c0 += c;
  }
  return Status::Ok();
}

// X in pieces (inputs 3, ...): the packed kernel reads them in place (1x1, stride 1, no
// padding); otherwise they are concatenated into a scratch X for the one-piece path.
Status NhwcConvPiecesCompute(KernelContext& ctx) {
  std::vector<const Shape*> shapes = {&ctx.in(0).shape()};
  for (size_t i = 3; i < ctx.inputs.size(); ++i) shapes.push_back(&ctx.in(i).shape());
  PX_ASSIGN_OR_RETURN(Shape xs, JoinedX(ctx.node, shapes));
  const Tensor& Wt = ctx.in(1);
  const bool pointwise = Wt.rank() == static_cast<int64_t>(xs.size()) && Wt.dim(0) > 0 &&
                         NumElements(Wt.shape()) == Wt.dim(0) * Wt.dim(1);
  bool unit = ctx.node.GetInt("group", 1) == 1;
  for (int64_t v : ctx.node.GetInts("strides")) unit = unit && v == 1;
  for (int64_t v : ctx.node.GetInts("pads")) unit = unit && v == 0;
  const bool cacheable = ctx.state != nullptr && ctx.is_constant(1) && (!ctx.has(2) || ctx.is_constant(2));
  NhwcConvState* state = nullptr;
  if (cacheable && pointwise && unit) {
    state = ctx.state->GetOrCreate<NhwcConvState>([&] {  // the state NhwcConvCompute makes, less XNNPACK
      auto s = std::make_shared<NhwcConvState>();
      s->packed = PackedWeightsFor(1, Wt);
      return s;
    });
  }
  if (state != nullptr && state->packed != nullptr && state->packed->C() == xs.back() &&
      state->packed->KH() * state->packed->KW() == 1) {
    PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(ctx.node));
    const float* bias = ctx.has(2) ? ctx.in(2).data<float>() : nullptr;
    std::vector<ChannelPiece> pieces = {{ctx.in(0).data<float>(), ctx.in(0).shape().back()}};
    for (size_t i = 3; i < ctx.inputs.size(); ++i) pieces.push_back({ctx.in(i).data<float>(), ctx.in(i).shape().back()});
    const int64_t M = state->packed->M();
    const std::optional<TileEpilogue> tile = AsTileEpilogue(act, bias);
    const int64_t rows = NumElements(xs) / xs.back();
    if (ctx.outputs.size() > 1) {
      if (!tile) return ComputeThenSplit(ctx);
      PackedPointwiseConvPieces(ctx.pool, rows, pieces, *state->packed, OutputPieces(ctx), *tile);
      return Status::Ok();
    }
    float* y = ctx.out(0).data<float>();
    GemmEpilogue epilogue;
    if (!tile) {
      epilogue = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) { BiasActivation(act, bias, y, M, r0, r1, c0, c1); };
    }
    PackedPointwiseConvPieces(ctx.pool, rows, pieces, *state->packed, y, epilogue, tile.value_or(TileEpilogue{}));
    return Status::Ok();
  }
  if (ctx.outputs.size() > 1) return ComputeThenSplit(ctx);
  PX_ASSIGN_OR_RETURN(Tensor x, Tensor::Allocate(DataType::kFloat32, xs));
  const int64_t rows = NumElements(xs) / xs.back(), C = xs.back();
  int64_t c0 = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Tensor& piece = ctx.in(i == 0 ? 0 : i + 2);
    const int64_t c = piece.shape().back();
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(x.data<float>() + r * C + c0, piece.data<float>() + r * c, c * sizeof(float));
    }
    c0 += c;
  }
  KernelContext joined = ctx;
  joined.inputs.resize(3);
  joined.inputs[0] = &x;
  return NhwcConvCompute(joined);
}

Status NhwcConvCompute(KernelContext& ctx) {
  if (ctx.inputs.size() > 3) return NhwcConvPiecesCompute(ctx);
  const bool image_in = InputIsNchw(ctx.node);
  const Tensor* Xp = &ctx.in(0);
  const Tensor& Wt = ctx.in(1);
  const Tensor* B = ctx.has(2) ? &ctx.in(2) : nullptr;
  Tensor& Y = ctx.out(0);
  if (Y.numel() == 0) return Status::Ok();
  PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(ctx.node));
  const bool one_d = Xp->rank() == 3 && !image_in;
  const int64_t N = Xp->dim(0), H = one_d ? 1 : Xp->dim(image_in ? 2 : 1), W = Xp->dim(Xp->rank() - (image_in ? 1 : 2)),
                C = Xp->dim(image_in ? 1 : Xp->rank() - 1);
  const int64_t M = Wt.dim(0), KH = one_d ? 1 : Wt.dim(2), KW = Wt.dim(Wt.rank() - 1);
  PX_ASSIGN_OR_RETURN(SpatialGeometry g, one_d ? ComputeConvGeometry(ctx.node, {W}, {KW}, false)
                                               : ComputeConvGeometry(ctx.node, {H, W}, {KH, KW}, false));
  if (one_d) {  // as 2-D with a height of 1
    for (auto* v : {&g.in, &g.kernel, &g.out}) v->insert(v->begin(), 1);
    for (auto* v : {&g.stride, &g.dilation}) v->insert(v->begin(), 1);
    for (auto* v : {&g.pad_begin, &g.pad_end}) v->insert(v->begin(), 0);
  }
  const XnnConvArgs xa{N,           C,           H,           W,           M,
                       g.out[0],    g.out[1],    KH,          KW,          g.stride[0],
                       g.stride[1], g.dilation[0], g.dilation[1], g.pad_begin[0], g.pad_begin[1],
                       g.pad_end[0], g.pad_end[1], ctx.node.GetInt("group", 1)};
  const float* bias = B ? B->data<float>() : nullptr;
  const bool cacheable = ctx.state != nullptr && ctx.is_constant(1) && (B == nullptr || ctx.is_constant(2));
  ConvGeometry cg;
  cg.batch = N, cg.in_h = H, cg.in_w = W, cg.channels = C, cg.out_h = g.out[0], cg.out_w = g.out[1];
  cg.kernel_h = KH, cg.kernel_w = KW, cg.stride_h = g.stride[0], cg.stride_w = g.stride[1];
  cg.dilation_h = g.dilation[0], cg.dilation_w = g.dilation[1], cg.pad_top = g.pad_begin[0],
  cg.pad_left = g.pad_begin[1];
  const std::optional<TileEpilogue> tile = AsTileEpilogue(act, bias);
  NhwcConvState* state = nullptr;
  if (cacheable) {
    state = ctx.state->GetOrCreate<NhwcConvState>([&] {
      auto s = std::make_shared<NhwcConvState>();
      s->image = ImageWeightsFor(ctx.node, Wt);
      if (s->image == nullptr) s->packed = PackedWeightsFor(xa.G, Wt);
      if (s->image == nullptr && s->packed == nullptr && XnnConv2DSupported(xa)) {
        s->xnn = XnnConv2DOp::Create(xa, Wt.data<float>(), bias, act);
      }
      return s;
    });
  }
  Tensor x_nhwc;
  if (image_in && ctx.outputs.size() > 1) return ComputeThenSplit(ctx);
  if (image_in) {
    const ImageConvWeights* image = state != nullptr ? state->image.get() : nullptr;
    if (image != nullptr && image->C() == C && image->M() == M && image->KH() == KH && image->KW() == KW) {
      float* y = Y.data<float>();
      ImageConvNchw(ctx.pool, cg, Xp->data<float>(), *image, y, tile.value_or(TileEpilogue{}));
      if (!tile) BiasActivation(act, bias, y, M, 0, N * g.out[0] * g.out[1], 0, M);
      return Status::Ok();
    }
    // No image kernel here: the image to NHWC, then as any NhwcConv.
    PX_ASSIGN_OR_RETURN(x_nhwc, Tensor::Allocate(DataType::kFloat32, ToNhwc(Xp->shape())));
    Rotate(Xp->data<float>(), x_nhwc.data<float>(), N, C, H * W, ctx.pool);
    Xp = &x_nhwc;
  }
  const Tensor& X = *Xp;
  if (state != nullptr) {
    if (state->packed != nullptr && state->packed->C() == C && state->packed->M() == M &&
        state->packed->KH() == KH && state->packed->KW() == KW) {
      if (ctx.outputs.size() > 1) {
        if (!tile) return ComputeThenSplit(ctx);
        PackedConvNhwc(ctx.pool, cg, X.data<float>(), *state->packed, OutputPieces(ctx), *tile);
        return Status::Ok();
      }
      float* y = Y.data<float>();
      GemmEpilogue epilogue;
      if (!tile) {
        epilogue = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
          BiasActivation(act, bias, y, M, r0, r1, c0, c1);
        };
      }
      PackedConvNhwc(ctx.pool, cg, X.data<float>(), *state->packed, y, epilogue, tile.value_or(TileEpilogue{}));
      return Status::Ok();
    }
  }
  if (ctx.outputs.size() > 1) return ComputeThenSplit(ctx);  // the paths below write Y whole
  if (state != nullptr && state->xnn != nullptr && state->xnn->TryRunNhwc(xa, X.data<float>(), Y.data<float>(), ctx.pool)) {
    return Status::Ok();
  }
  if (Wt.raw() == nullptr) {  // prepacked: only the packed kernel has the weights
    return InvalidArgument("NhwcConv weights were packed at load for " + ShapeToString(Wt.shape()) +
                           " and group 1, which X " + ShapeToString(X.shape()) + " and this node do not fit");
  }
  if (XnnConv2DSupported(xa) && XnnConv2DNhwc(xa, X.data<float>(), Wt.data<float>(), bias, Y.data<float>(), act, ctx.pool)) {
    return Status::Ok();
  }
  // XNNPACK refused: the NCHW kernel between two transposes.
  PX_ASSIGN_OR_RETURN(Tensor x_nchw, Tensor::Allocate(DataType::kFloat32, ToNchw(X.shape())));
  PX_ASSIGN_OR_RETURN(Tensor y_nchw, Tensor::Allocate(DataType::kFloat32, ToNchw(Y.shape())));
  Rotate(X.data<float>(), x_nchw.data<float>(), N, H * W, C, ctx.pool);
  KernelContext nchw{ctx.node, ctx.inputs, {&y_nchw}, ctx.pool, nullptr, ctx.constant_inputs, nullptr};
  nchw.inputs[0] = &x_nchw;
  PX_RETURN_IF_ERROR(ConvNchwCompute(nchw));
  Rotate(y_nchw.data<float>(), Y.data<float>(), N, M, g.out[0] * g.out[1], ctx.pool);
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> NhwcConvRows() {
  return {
      {"NhwcConv", "parallax", 1, 0, NhwcConvInfer, NhwcConvCompute, -1, false, false, PrepackNhwcConvWeight,
       kNhwcConvPackingAttrs},
  };
}

}  // namespace parallax::ops
