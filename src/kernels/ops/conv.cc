// Conv (float32, NCHW, 1-D/2-D/3-D and higher): XNNPACK for 1-D/2-D; otherwise im2col + GEMM
// per (image, group), a direct GEMM for 1x1 stride-1 unpadded convs, and a direct loop for
// depthwise 2-D convs.
// Bias and the internal fused activation ("activation" attribute, see conv_activation.h) are
// applied in the epilogue while the block is still in cache.
//
// Implementation choice (bench/conv_bench.cc, 1 thread, YOLOv8n shapes, CPU ms, OpenBLAS with
// the SkylakeX core that blas_loader.cc selects; a loaded 2-core VM, so +-15%):
//                           XNNPACK NHWC    im2col/direct    XNNPACK NHWC, cached op
//                           + transposes    + OpenBLAS       and NHWC data (bound)
//   16->32 3x3 s2 320x320   4.3             6.1              2.1
//   32->32 1x1     160x160  2.1             1.25             0.48
//   64->64 3x3 s1  80x80    5.0             8.5              3.9
//   256->256 1x1   20x20    0.78            0.44             0.39
// So: 1-D/2-D convs with a spatial kernel go to XNNPACK's NHWC convolution with transposes at
// the boundaries (conv_xnn.cc); 1x1 stride-1 convs are one direct GEMM on the NCHW data; 3-D
// convs use im2col + GEMM; depthwise has a direct loop (used when XNNPACK is unavailable).
//
// With plan state and constant W/B the XNNPACK operator (packed weights) is made once per node
// (XnnConv2DOp in KernelContext::state). YOLOv8n, 1 thread, CPU ms per inference (parallax
// bench --runs 10, same binary, loaded VM): operator per call 117-127, cached 101-104. Sending
// 1x1 convs to the cached operator as well (transposes included) was slower than the direct
// GEMM: 113-125 vs 107-112, so 1x1 stays on the GEMM.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/gemm.h"
#include "kernels/kernel_util.h"
#include "kernels/ops/conv.h"
#include "kernels/ops/conv_activation.h"
#include "kernels/ops/conv_geometry.h"
#include "kernels/ops/conv_xnn.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

constexpr int64_t kGrainElems = 16384;

int64_t Prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// Validates X, W, B and the attributes; fills the geometry and the output shape.
Status ConvShapes(const Node& node, const Shape& x, const Shape& w, const Shape* b,
                  SpatialGeometry* geo, Shape* out) {
  if (x.size() < 3) {
    return InvalidArgument("input X has shape " + ShapeToString(x) +
                           ", expected rank >= 3 (N, C, spatial...)");
  }
  if (w.size() != x.size()) {
    return InvalidArgument("weight W has shape " + ShapeToString(w) + ", expected rank " +
                           std::to_string(x.size()) + " like X " + ShapeToString(x));
  }
  const int64_t group = node.GetInt("group", 1);
  if (group <= 0) return InvalidArgument("group must be positive, got " + std::to_string(group));
  const int64_t C = x[1], M = w[0];
  if (w[1] * group != C) {
    return InvalidArgument("input channels " + std::to_string(C) + " of X " + ShapeToString(x) +
                           " do not match W " + ShapeToString(w) + " times group " +
                           std::to_string(group));
  }
  if (M % group != 0) {
    return InvalidArgument("output channels " + std::to_string(M) + " are not divisible by group " +
                           std::to_string(group));
  }
  if (b != nullptr && (b->size() != 1 || (*b)[0] != M)) {
    return InvalidArgument("bias B has shape " + ShapeToString(*b) + ", expected [" +
                           std::to_string(M) + "]");
  }
  std::vector<int64_t> in(x.begin() + 2, x.end());
  std::vector<int64_t> kernel(w.begin() + 2, w.end());
  std::vector<int64_t> ks = node.GetInts("kernel_shape");
  if (!ks.empty() && ks != kernel) {
    return InvalidArgument("kernel_shape " + VecToString(ks) + " does not match W " + ShapeToString(w));
  }
  PX_ASSIGN_OR_RETURN(*geo, ComputeConvGeometry(node, in, kernel, false));
  *out = {x[0], M};
  for (int64_t o : geo->out) out->push_back(o);
  return Status::Ok();
}

Status ConvInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) {
    return InvalidArgument("Conv expects inputs X and W");
  }
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32) {
    return NotImplemented(std::string("Conv supports float32, got ") + DataTypeName(dt));
  }
  if (ctx.in(1).dtype != dt || (ctx.has(2) && ctx.in(2).dtype != dt)) {
    return InvalidArgument("Conv inputs must all be float32");
  }
  PX_RETURN_IF_ERROR(ParseActivation(ctx.node).status());
  SpatialGeometry geo;
  Shape out;
  PX_RETURN_IF_ERROR(ConvShapes(ctx.node, ctx.in(0).shape, ctx.in(1).shape,
                                ctx.has(2) ? &ctx.in(2).shape : nullptr, &geo, &out));
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

// 2-D geometry (1-D convs get a unit leading dim).
struct Geo2 {
  int64_t H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL;
};

Geo2 To2D(const SpatialGeometry& g) {
  if (g.rank() == 1) {
    return {1, g.in[0], 1, g.out[0], 1, g.kernel[0], 1, g.stride[0], 1, g.dilation[0], 0, g.pad_begin[0]};
  }
  return {g.in[0],     g.in[1],     g.out[0],      g.out[1],      g.kernel[0],    g.kernel[1],
          g.stride[0], g.stride[1], g.dilation[0], g.dilation[1], g.pad_begin[0], g.pad_begin[1]};
}

// Rows [r0, r1) of the im2col matrix (row = (c*KH + kh)*KW + kw, OH*OW columns) of one image
// group `x` (Cg planes of H*W).
void Im2Col2D(const float* x, const Geo2& g, int64_t r0, int64_t r1, float* col) {
  const int64_t OS = g.OH * g.OW;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t kw = r % g.KW, kh = (r / g.KW) % g.KH, c = r / (g.KW * g.KH);
    const float* plane = x + c * g.H * g.W;
    float* dst = col + r * OS;
    const int64_t off_w = kw * g.DW - g.PL;
    // Valid output columns: 0 <= ow*SW + off_w < W.
    int64_t ow0 = off_w >= 0 ? 0 : (-off_w + g.SW - 1) / g.SW;
    int64_t ow1 = g.W - off_w <= 0 ? 0 : (g.W - off_w + g.SW - 1) / g.SW;
    ow0 = std::min(ow0, g.OW);
    ow1 = std::min(std::max(ow1, ow0), g.OW);
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      float* d = dst + oh * g.OW;
      const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
      if (ih < 0 || ih >= g.H) {
        std::memset(d, 0, sizeof(float) * g.OW);
        continue;
      }
      const float* src = plane + ih * g.W + off_w;
      for (int64_t ow = 0; ow < ow0; ++ow) d[ow] = 0.0f;
      if (g.SW == 1) {
        std::memcpy(d + ow0, src + ow0, sizeof(float) * (ow1 - ow0));
      } else if (g.SW == 2) {
        for (int64_t ow = ow0; ow < ow1; ++ow) d[ow] = src[ow * 2];
      } else {
        for (int64_t ow = ow0; ow < ow1; ++ow) d[ow] = src[ow * g.SW];
      }
      for (int64_t ow = ow1; ow < g.OW; ++ow) d[ow] = 0.0f;
    }
  }
}

// Generic N-D im2col rows [r0, r1): row = c*KS + kernel offset (row-major over kernel dims).
void Im2ColND(const float* x, const SpatialGeometry& g, int64_t r0, int64_t r1, float* col) {
  const size_t R = g.rank();
  const int64_t KS = Prod(g.kernel), OS = Prod(g.out), IS = Prod(g.in);
  std::vector<int64_t> kidx(R), oidx(R);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / KS;
    int64_t k = r % KS;
    for (size_t d = R; d-- > 0;) {
      kidx[d] = k % g.kernel[d];
      k /= g.kernel[d];
    }
    const float* plane = x + c * IS;
    float* dst = col + r * OS;
    std::fill(oidx.begin(), oidx.end(), 0);
    for (int64_t o = 0; o < OS; ++o) {
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < R; ++d) {
        const int64_t i = oidx[d] * g.stride[d] - g.pad_begin[d] + kidx[d] * g.dilation[d];
        if (i < 0 || i >= g.in[d]) {
          valid = false;
          break;
        }
        off = off * g.in[d] + i;
      }
      dst[o] = valid ? plane[off] : 0.0f;
      for (size_t d = R; d-- > 0;) {
        if (++oidx[d] < g.out[d]) break;
        oidx[d] = 0;
      }
    }
  }
}

// Depthwise (one input channel per group) 2-D conv of one output plane, no bias.
__attribute__((optimize("tree-vectorize"))) void DepthwisePlane(const float* in, const float* w,
                                                                 const Geo2& g, float* out) {
  std::memset(out, 0, sizeof(float) * g.OH * g.OW);
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const float wv = w[kh * g.KW + kw];
      const int64_t off_w = kw * g.DW - g.PL;
      int64_t ow0 = off_w >= 0 ? 0 : (-off_w + g.SW - 1) / g.SW;
      int64_t ow1 = g.W - off_w <= 0 ? 0 : (g.W - off_w + g.SW - 1) / g.SW;
      ow0 = std::min(ow0, g.OW);
      ow1 = std::min(std::max(ow1, ow0), g.OW);
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
        if (ih < 0 || ih >= g.H) continue;
        const float* src = in + ih * g.W + off_w;
        float* d = out + oh * g.OW;
        if (g.SW == 1) {
          for (int64_t ow = ow0; ow < ow1; ++ow) d[ow] += wv * src[ow];
        } else {
          for (int64_t ow = ow0; ow < ow1; ++ow) d[ow] += wv * src[ow * g.SW];
        }
      }
    }
  }
}

Status ConvCompute(KernelContext& ctx) {
  const Tensor& X = ctx.in(0);
  const Tensor& Wt = ctx.in(1);
  const Tensor* B = ctx.has(2) ? &ctx.in(2) : nullptr;
  Tensor& Y = ctx.out(0);
  PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(ctx.node));
  SpatialGeometry geo;
  Shape out_shape;
  PX_RETURN_IF_ERROR(ConvShapes(ctx.node, X.shape(), Wt.shape(), B ? &B->shape() : nullptr, &geo,
                                &out_shape));
  if (Y.numel() == 0) return Status::Ok();
  const int64_t N = X.dim(0), C = X.dim(1), M = Wt.dim(0);
  const int64_t G = ctx.node.GetInt("group", 1);
  const int64_t Cg = C / G, Mg = M / G;
  const int64_t IS = Prod(geo.in), OS = Prod(geo.out), KS = Prod(geo.kernel);
  const int64_t K = Cg * KS;
  const float* x = X.data<float>();
  const float* w = Wt.data<float>();
  const float* bias = B ? B->data<float>() : nullptr;
  float* y = Y.data<float>();
  ThreadPool* pool = ctx.pool;
  const int64_t row_grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(OS, 1));

  auto epilogue = [&](float* block, int64_t m0, int64_t rows) {
    if (bias == nullptr && act.kind == Activation::kNone) return;
    pool->ParallelFor(rows, row_grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        ApplyBiasActivation(act, block + r * OS, OS, bias ? bias[m0 + r] : 0.0f);
      }
    });
  };

  if (K == 0) {  // no input channels: output is act(bias)
    std::memset(y, 0, Y.nbytes());
    for (int64_t n = 0; n < N; ++n) epilogue(y + n * M * OS, 0, M);
    return Status::Ok();
  }

  bool pointwise = true;
  for (size_t i = 0; i < geo.rank(); ++i) {
    if (geo.kernel[i] != 1 || geo.stride[i] != 1 || geo.pad_begin[i] != 0 || geo.pad_end[i] != 0) {
      pointwise = false;
    }
  }
  const bool two_d = geo.rank() <= 2;

  // Internal attribute "parallax_impl" = "im2col" skips XNNPACK (tests and benchmarks).
  const bool allow_xnn = ctx.node.GetString("parallax_impl", "") != "im2col";
  // Constant W (and B) with plan state: the XNNPACK operator is created once per node.
  const bool cacheable =
      ctx.state != nullptr && ctx.is_constant(1) && (B == nullptr || ctx.is_constant(2));
  // 1x1 stride-1 convs are one direct GEMM on the NCHW data (faster than NHWC + transposes).
  if (two_d && allow_xnn && !pointwise) {
    const Geo2 g2 = To2D(geo);
    const int64_t pb = geo.rank() == 1 ? 0 : geo.pad_end[0], pr = geo.pad_end[geo.rank() - 1];
    const XnnConvArgs xa{N,     C,     g2.H,  g2.W,  M,     g2.OH, g2.OW, g2.KH, g2.KW,
                         g2.SH, g2.SW, g2.DH, g2.DW, g2.PT, g2.PL, pb,    pr,    G};
    if (XnnConv2DSupported(xa)) {
      if (cacheable) {
        XnnConv2DOp* op = ctx.state->GetOrCreate<XnnConv2DOp>(
            [&] { return XnnConv2DOp::Create(xa, w, bias, act); });
        // Falls through to a private operator when this one is busy or was made for other args.
        if (op != nullptr && op->TryRun(xa, x, y, pool)) return Status::Ok();
      }
      if (XnnConv2D(xa, x, w, bias, y, act, pool)) return Status::Ok();
    }
  }

  if (Cg == 1 && two_d && !pointwise) {  // depthwise (any channel multiplier)
    const Geo2 g2 = To2D(geo);
    pool->ParallelFor(N * M, row_grain, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t n = p / M, m = p % M, c = m / Mg;
        float* out = y + p * OS;
        DepthwisePlane(x + (n * C + c) * IS, w + m * KS, g2, out);
        ApplyBiasActivation(act, out, OS, bias ? bias[m] : 0.0f);
      }
    });
    return Status::Ok();
  }

  std::unique_ptr<float[]> col;
  if (!pointwise) col.reset(new (std::nothrow) float[static_cast<size_t>(K * OS)]);
  if (!pointwise && col == nullptr) return OutOfMemory("Conv im2col buffer");
  const Geo2 g2 = two_d ? To2D(geo) : Geo2{};
  const int64_t col_grain = std::max<int64_t>(1, kGrainElems / OS);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t g = 0; g < G; ++g) {
      const float* xg = x + (n * C + g * Cg) * IS;
      const float* bmat = xg;
      if (!pointwise) {
        pool->ParallelFor(K, col_grain, [&](int64_t b, int64_t e) {
          if (two_d) {
            Im2Col2D(xg, g2, b, e, col.get());
          } else {
            Im2ColND(xg, geo, b, e, col.get());
          }
        });
        bmat = col.get();
      }
      float* yg = y + (n * M + g * Mg) * OS;
      Sgemm(pool, false, false, Mg, OS, K, 1.0f, w + g * Mg * K, K, bmat, OS, 0.0f, yg, OS);
      epilogue(yg, g * Mg, Mg);
    }
  }
  return Status::Ok();
}

}  // namespace

Status ConvOutputShape(const Node& node, const Shape& x, const Shape& w, const Shape* b, Shape* out) {
  SpatialGeometry geo;
  return ConvShapes(node, x, w, b, &geo, out);
}

Status ConvNchwCompute(KernelContext& ctx) { return ConvCompute(ctx); }

// Registry rows (referenced from conv_list.cc).
std::vector<KernelDef> ConvRows() {
  return {
      {"Conv", "", 1, 0, ConvInfer, ConvCompute},
  };
}

}  // namespace parallax::ops
