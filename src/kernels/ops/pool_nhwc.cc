// parallax::NhwcMaxPool — 2-D MaxPool on NHWC activations (float32), for the convolution
// regions of the layout pass (ir/passes/layout_nhwc.cc). MaxPool's attributes (kernel_shape,
// strides, pads, auto_pad, dilations, ceil_mode); one output, no Indices. Each output pixel is
// a running max over its window of contiguous C-vectors.
#include <algorithm>
#include <limits>

#include "kernels/kernel_util.h"
#include "kernels/ops/conv_geometry.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status Geometry(const Node& node, const Shape& x, SpatialGeometry* g) {
  if (x.size() != 4) return InvalidArgument("NhwcMaxPool expects a 4-D X (N, H, W, C), got " + ShapeToString(x));
  const std::vector<int64_t> kernel = node.GetInts("kernel_shape");
  if (kernel.size() != 2) return InvalidArgument("NhwcMaxPool needs a 2-D kernel_shape");
  const int64_t ceil_mode = node.GetInt("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return InvalidArgument("ceil_mode must be 0 or 1");
  PX_ASSIGN_OR_RETURN(*g, ComputeConvGeometry(node, {x[1], x[2]}, kernel, ceil_mode != 0));
  for (size_t i = 0; i < 2; ++i) {
    if (g->pad_begin[i] >= g->kernel[i] * g->dilation[i] || g->pad_end[i] >= g->kernel[i] * g->dilation[i]) {
      return InvalidArgument("pads must be smaller than the kernel");
    }
  }
  return Status::Ok();
}

Status NhwcMaxPoolInfer(InferContext& ctx) {
  if (ctx.num_inputs() != 1 || !ctx.has(0)) return InvalidArgument("NhwcMaxPool expects one input");
  if (ctx.in(0).dtype != DataType::kFloat32) return NotImplemented("NhwcMaxPool supports float32 only");
  if (ctx.node.outputs.size() != 1) return InvalidArgument("NhwcMaxPool has no Indices output");
  SpatialGeometry g;
  const Shape& x = ctx.in(0).shape;
  PX_RETURN_IF_ERROR(Geometry(ctx.node, x, &g));
  ctx.SetOutput(0, DataType::kFloat32, {x[0], g.out[0], g.out[1], x[3]});
  return Status::Ok();
}

Status NhwcMaxPoolCompute(KernelContext& ctx) {
  const Tensor& X = ctx.in(0);
  Tensor& Y = ctx.out(0);
  if (Y.numel() == 0) return Status::Ok();
  SpatialGeometry g;
  PX_RETURN_IF_ERROR(Geometry(ctx.node, X.shape(), &g));
  const int64_t N = X.dim(0), H = X.dim(1), W = X.dim(2), C = X.dim(3), OH = g.out[0], OW = g.out[1];
  const float* x = X.data<float>();
  float* y = Y.data<float>();
  ParallelFor(ctx.pool, N * OH, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, OW * C)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t n = row / OH, oh = row % OH;
      for (int64_t ow = 0; ow < OW; ++ow) {
        float* out = y + ((n * OH + oh) * OW + ow) * C;
        std::fill(out, out + C, std::numeric_limits<float>::lowest());
        for (int64_t kh = 0; kh < g.kernel[0]; ++kh) {
          const int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dilation[0];
          if (ih < 0 || ih >= H) continue;
          for (int64_t kw = 0; kw < g.kernel[1]; ++kw) {
            const int64_t iw = ow * g.stride[1] - g.pad_begin[1] + kw * g.dilation[1];
            if (iw < 0 || iw >= W) continue;
            const float* in = x + ((n * H + ih) * W + iw) * C;
            for (int64_t c = 0; c < C; ++c) out[c] = std::max(out[c], in[c]);  // as the NCHW MaxPool (from lowest())
          }
        }
      }
    }
  });
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> NhwcMaxPoolRows() {
  return {
      {"NhwcMaxPool", "parallax", 1, 0, NhwcMaxPoolInfer, NhwcMaxPoolCompute},
  };
}

}  // namespace parallax::ops
