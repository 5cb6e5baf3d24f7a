// 2-D convolution and pooling on OpenCL, for NCHW (Conv, MaxPool, AveragePool, GlobalAveragePool,
// GlobalMaxPool) and for the NHWC nodes of the layout pass (parallax::NhwcConv, NhwcMaxPool).
//
// Conv with one group: "im2col" writes the patch matrix col[P, K] (P = N·OH·OW output pixels,
// K = C·KH·KW, in W's (c, ky, kx) order), then CLBlast's SGEMM multiplies it with W [M, K]:
// NHWC: Y[P, M] = col · Wᵀ in one call; NCHW: Y_n[M, OH·OW] = W · col_nᵀ per image. Grouped
// (e.g. depthwise) convolutions, and patch matrices above kMaxColFloats, run "conv_direct",
// one work-item per output element. The bias and the fused activation are the "activate"
// kernel (elementwise.cc), with the bias indexed per channel of either layout.
// Pooling: "pool", one work-item per output element. Max over the in-bounds taps (as the CPU
// kernels: padding never wins); average divides by the CPU kernel's count (in-bounds taps, or
// with count_include_pad those inside the padded input). Global pools are one window.
#include <string>
#include <vector>

#include "kernels/ops/conv.h"
#include "kernels/ops/conv_geometry.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

const char* const kConvPoolClSource = R"CLC(
typedef struct {
  int n, c, h, w;     /* input */
  int m, oh, ow;      /* output channels and size */
  int kh, kw, sh, sw, dh, dw, ph, pw;
  int group, nhwc;
  int pe_h, pe_w;           /* pads at the end (pooling) */
  int avg, include_pad;     /* pooling: average instead of max; count_include_pad */
} ConvGeom;

/* Splits output index i into (n, channel, oy, ox) for the layout, with `ch` channels. */
void px_decode(int i, ConvGeom g, int ch, int* n, int* c, int* oy, int* ox) {
  if (g.nhwc) {
    *c = i % ch; *ox = (i / ch) % g.ow; *oy = (i / (ch * g.ow)) % g.oh; *n = i / (ch * g.ow * g.oh);
  } else {
    *ox = i % g.ow; *oy = (i / g.ow) % g.oh; *c = (i / (g.ow * g.oh)) % ch; *n = i / (g.ow * g.oh * ch);
  }
}

/* Taps k in [0, ksize) with 0 <= o*s - pb + k*d < in. */
int px_taps(int o, int s, int pb, int d, int ksize, int in) {
  int n = 0;
  for (int k = 0; k < ksize; ++k) {
    const int i = o * s - pb + k * d;
    n += i >= 0 && i < in;
  }
  return n;
}

float px_load(__global const float* x, ConvGeom g, int n, int c, int iy, int ix) {
  if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return 0.0f;
  return g.nhwc ? x[((n * g.h + iy) * g.w + ix) * g.c + c] : x[((n * g.c + c) * g.h + iy) * g.w + ix];
}

/* col[p, k] for p = (n, oy, ox), k = (c, ky, kx); one group. */
__kernel void im2col(__global const float* x, __global float* col, int total, ConvGeom g) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int K = g.c * g.kh * g.kw;
  const int p = i / K, k = i % K;
  const int ox = p % g.ow, oy = (p / g.ow) % g.oh, n = p / (g.ow * g.oh);
  const int kx = k % g.kw, ky = (k / g.kw) % g.kh, c = k / (g.kw * g.kh);
  col[i] = px_load(x, g, n, c, oy * g.sh - g.ph + ky * g.dh, ox * g.sw - g.pw + kx * g.dw);
}

/* y = conv(x, w), any group count; no bias. */
__kernel void conv_direct(__global const float* x, __global const float* w, __global float* y, int total,
                          ConvGeom g) {
  const int i = get_global_id(0);
  if (i >= total) return;
  int m, ox, oy, n;
  px_decode(i, g, g.m, &n, &m, &oy, &ox);
  const int cg = g.c / g.group, mg = g.m / g.group, c0 = (m / mg) * cg;
  float acc = 0.0f;
  for (int c = 0; c < cg; ++c) {
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        const float v = px_load(x, g, n, c0 + c, oy * g.sh - g.ph + ky * g.dh, ox * g.sw - g.pw + kx * g.dw);
        acc += v * w[((m * cg + c) * g.kh + ky) * g.kw + kx];
      }
    }
  }
  y[i] = acc;
}

/* Max or average pooling; g.m = g.c (channels pass through). */
__kernel void pool(__global const float* x, __global float* y, int total, ConvGeom g) {
  const int i = get_global_id(0);
  if (i >= total) return;
  int c, ox, oy, n;
  px_decode(i, g, g.c, &n, &c, &oy, &ox);
  float best = -FLT_MAX, sum = 0.0f;  /* the CPU kernel's start: lowest(), not -inf */
  for (int ky = 0; ky < g.kh; ++ky) {
    const int iy = oy * g.sh - g.ph + ky * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (int kx = 0; kx < g.kw; ++kx) {
      const int ix = ox * g.sw - g.pw + kx * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      const float v = g.nhwc ? x[((n * g.h + iy) * g.w + ix) * g.c + c] : x[((n * g.c + c) * g.h + iy) * g.w + ix];
      best = best < v ? v : best;
      sum += v;
    }
  }
  if (!g.avg) {
    y[i] = best;
    return;
  }
  /* The divisor as the CPU kernel counts it: in-bounds taps, or with count_include_pad the taps
     inside the padded input. */
  const int cy = g.include_pad ? px_taps(oy, g.sh, 0, g.dh, g.kh, g.h + g.ph + g.pe_h)
                               : px_taps(oy, g.sh, g.ph, g.dh, g.kh, g.h);
  const int cx = g.include_pad ? px_taps(ox, g.sw, 0, g.dw, g.kw, g.w + g.pw + g.pe_w)
                               : px_taps(ox, g.sw, g.pw, g.dw, g.kw, g.w);
  y[i] = cy * cx > 0 ? sum * (1.0f / (float)cy) * (1.0f / (float)cx) : 0.0f;
}
)CLC";

namespace {

// Patch matrices above this many floats (1 GiB) run the direct kernel instead.
constexpr int64_t kMaxColFloats = int64_t{1} << 28;

struct ConvGeom {
  int32_t n = 0, c = 0, h = 0, w = 0;
  int32_t m = 0, oh = 0, ow = 0;
  int32_t kh = 0, kw = 0, sh = 0, sw = 0, dh = 0, dw = 0, ph = 0, pw = 0;
  int32_t group = 1, nhwc = 0;
  int32_t pe_h = 0, pe_w = 0;
  int32_t avg = 0, include_pad = 0;
};

bool IsNhwc(const Node& node) { return node.domain == "parallax"; }

bool Fits32(int64_t v) { return v >= 0 && v <= INT32_MAX; }

// The geometry of a Conv/NhwcConv on X and W (ONNX layout [M, C/group, KH, KW]); false for
// anything the kernels do not handle (not 2-D, bad attributes, shapes that do not match).
bool ConvGeometry(const Node& node, const Shape& x, const Shape& w, ConvGeom* g) {
  if (x.size() != 4 || w.size() != 4) return false;
  const bool nhwc = IsNhwc(node);
  const Shape nchw = nhwc ? Shape{x[0], x[3], x[1], x[2]} : x;
  Shape out;
  if (!ops::ConvOutputShape(node, nchw, w, nullptr, &out).ok()) return false;
  StatusOr<ops::SpatialGeometry> sg = ops::ComputeConvGeometry(node, {nchw[2], nchw[3]}, {w[2], w[3]}, false);
  if (!sg.ok()) return false;
  const int64_t group = node.GetInt("group", 1);
  // Every index the kernels form (oy·sh + ky·dh and the padded extent) must fit in int32.
  const int64_t vals[] = {nchw[0], nchw[1], nchw[2], nchw[3], w[0], out[2], out[3], w[2], w[3],
                          sg->stride[0], sg->stride[1], sg->dilation[0], sg->dilation[1],
                          sg->pad_begin[0], sg->pad_begin[1], group,
                          out[2] * sg->stride[0] + w[2] * sg->dilation[0] + nchw[2],
                          out[3] * sg->stride[1] + w[3] * sg->dilation[1] + nchw[3]};
  for (int64_t v : vals) {
    if (!Fits32(v)) return false;
  }
  *g = ConvGeom{static_cast<int32_t>(nchw[0]), static_cast<int32_t>(nchw[1]), static_cast<int32_t>(nchw[2]),
                static_cast<int32_t>(nchw[3]), static_cast<int32_t>(w[0]), static_cast<int32_t>(out[2]),
                static_cast<int32_t>(out[3]), static_cast<int32_t>(w[2]), static_cast<int32_t>(w[3]),
                static_cast<int32_t>(sg->stride[0]), static_cast<int32_t>(sg->stride[1]),
                static_cast<int32_t>(sg->dilation[0]), static_cast<int32_t>(sg->dilation[1]),
                static_cast<int32_t>(sg->pad_begin[0]), static_cast<int32_t>(sg->pad_begin[1]),
                static_cast<int32_t>(group), nhwc ? 1 : 0};
  return true;
}

Shape ConvOut(const ConvGeom& g) {
  return g.nhwc ? Shape{g.n, g.oh, g.ow, g.m} : Shape{g.n, g.m, g.oh, g.ow};
}

bool ConvSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.size() < 2 || in.size() > 3 || !IsDenseFloat(in, 0) || !IsDenseFloat(in, 1)) return false;
  // NhwcConv forms the kernels here do not write: an NCHW image in, Y in pieces (a folded Split).
  if (node.outputs.size() != 1 || node.GetString("input_layout", "NHWC") != "NHWC") return false;
  ConvGeom g;
  if (!ConvGeometry(node, in[0].shape, in[1].shape, &g)) return false;
  if (NumElements(ConvOut(g)) > INT32_MAX || NumElements(ConvOut(g)) <= 0) return false;
  ClActivationParams act;
  if (!FusedActivation(node, &act)) return false;
  return in.size() < 3 || IsOmitted(in, 2) || (IsDenseFloat(in, 2) && in[2].shape == Shape{g.m});
}

Status ConvRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
               const std::vector<Tensor*>& out, ClIo& io) {
  ConvGeom g;
  if (!ConvGeometry(node, in[0]->shape(), in[1]->shape(), &g)) return Internal("shapes changed since Supports");
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, ConvOut(g)));
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* w, io.Input(1));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0, /*zero=*/true));
  const int64_t pixels = int64_t{g.oh} * g.ow, P = g.n * pixels;
  const int64_t K = int64_t{g.c} * g.kh * g.kw, total = out[0]->numel();
  if (g.group == 1 && P * K <= std::min<int64_t>(kMaxColFloats, INT32_MAX)) {
    PX_ASSIGN_OR_RETURN(ClBuffer col, rt.Allocate(P * K));
    PX_RETURN_IF_ERROR(rt.Launch("im2col", {static_cast<size_t>(P * K)}, {}, *x, col, static_cast<int32_t>(P * K), g));
    if (g.nhwc) {
      PX_RETURN_IF_ERROR(Sgemm(rt, false, true, P, g.m, K, 1.0f, col, 0, *w, 0, 0.0f, *y, 0));
    } else {
      for (int64_t n = 0; n < g.n; ++n) {
        PX_RETURN_IF_ERROR(Sgemm(rt, false, true, g.m, pixels, K, 1.0f, *w, 0, col, n * pixels * K, 0.0f, *y, n * g.m * pixels));
      }
    }
  } else {
    PX_RETURN_IF_ERROR(rt.Launch("conv_direct", {static_cast<size_t>(total)}, {}, *x, *w, *y,
                                 static_cast<int32_t>(total), g));
  }
  ClActivationParams act;
  FusedActivation(node, &act);
  const bool has_bias = in.size() > 2 && in[2] != nullptr;
  if (act.kind == kActNone && !has_bias) return Status::Ok();
  const ClBuffer* bias = nullptr;
  if (has_bias) {
    PX_ASSIGN_OR_RETURN(bias, io.Input(2));
  }
  return RunActivation(rt, *y, *y, bias, g.m, total, act, g.nhwc ? 1 : pixels);
}

bool IsGlobal(const Node& node) { return node.op_type.rfind("Global", 0) == 0; }
bool IsAverage(const Node& node) { return node.op_type.find("Average") != std::string::npos; }

// Pooling geometry in ConvGeom (m = c); false for what "pool" does not run. Global pools are
// one window over the whole image.
bool PoolGeometry(const Node& node, const Shape& x, ConvGeom* g) {
  if (x.size() != 4) return false;
  const bool nhwc = IsNhwc(node);
  const Shape nchw = nhwc ? Shape{x[0], x[3], x[1], x[2]} : x;
  ops::SpatialGeometry sg;
  if (IsGlobal(node)) {
    sg.kernel = {nchw[2], nchw[3]};
    sg.stride = sg.dilation = {1, 1};
    sg.pad_begin = sg.pad_end = {0, 0};
    sg.out = {1, 1};
  } else {
    const std::vector<int64_t> kernel = node.GetInts("kernel_shape");
    const int64_t ceil_mode = node.GetInt("ceil_mode", 0);
    if (kernel.size() != 2 || (ceil_mode != 0 && ceil_mode != 1)) return false;
    // Dilations as the CPU kernel reads them (pool.cc: every opset, for max and average).
    StatusOr<ops::SpatialGeometry> r = ops::ComputeConvGeometry(node, {nchw[2], nchw[3]}, kernel, ceil_mode != 0);
    if (!r.ok()) return false;
    sg = std::move(r).value();
  }
  const int64_t include_pad = node.GetInt("count_include_pad", 0);
  if (include_pad != 0 && include_pad != 1) return false;
  const int64_t vals[] = {nchw[0], nchw[1], nchw[2], nchw[3], sg.out[0], sg.out[1], sg.kernel[0], sg.kernel[1],
                          sg.stride[0], sg.stride[1], sg.dilation[0], sg.dilation[1], sg.pad_begin[0],
                          sg.pad_begin[1], sg.pad_end[0], sg.pad_end[1], nchw[2] + sg.pad_begin[0] + sg.pad_end[0],
                          nchw[3] + sg.pad_begin[1] + sg.pad_end[1]};
  for (int64_t v : vals) {
    if (!Fits32(v)) return false;
  }
  auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
  *g = ConvGeom{i32(nchw[0]), i32(nchw[1]), i32(nchw[2]), i32(nchw[3]), i32(nchw[1]), i32(sg.out[0]), i32(sg.out[1]),
                i32(sg.kernel[0]), i32(sg.kernel[1]), i32(sg.stride[0]), i32(sg.stride[1]), i32(sg.dilation[0]),
                i32(sg.dilation[1]), i32(sg.pad_begin[0]), i32(sg.pad_begin[1]), 1, nhwc ? 1 : 0,
                i32(sg.pad_end[0]), i32(sg.pad_end[1]), IsAverage(node) ? 1 : 0, i32(include_pad)};
  return true;
}

bool PoolSupports(const Node& node, const std::vector<ValueInfo>& in) {
  // One output: MaxPool's Indices output stays on the CPU.
  if (in.size() != 1 || !IsDenseFloat(in, 0) || node.outputs.size() != 1) return false;
  if (node.GetInt("storage_order", 0) != 0) return false;
  ConvGeom g;
  if (!PoolGeometry(node, in[0].shape, &g)) return false;
  const int64_t n = NumElements(ConvOut(g));
  return n > 0 && n <= INT32_MAX;
}

Status PoolRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
               const std::vector<Tensor*>& out, ClIo& io) {
  ConvGeom g;
  if (!PoolGeometry(node, in[0]->shape(), &g)) return Internal("shapes changed since Supports");
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, ConvOut(g)));
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  const int64_t total = out[0]->numel();
  return rt.Launch("pool", {static_cast<size_t>(total)}, {}, *x, *y, static_cast<int32_t>(total), g);
}

}  // namespace

std::vector<ClOp> ConvPoolClOps() {
  return {
      {"Conv", "", 1, ConvSupports, ConvRun},
      {"NhwcConv", "parallax", 1, ConvSupports, ConvRun},
      {"MaxPool", "", 1, PoolSupports, PoolRun},
      {"NhwcMaxPool", "parallax", 1, PoolSupports, PoolRun},
      {"AveragePool", "", 1, PoolSupports, PoolRun},
      {"GlobalAveragePool", "", 1, PoolSupports, PoolRun},
      {"GlobalMaxPool", "", 1, PoolSupports, PoolRun},
  };
}

}  // namespace parallax::opencl
