// ConvTranspose (float32, NCHW, any spatial rank): per (image, group) one sgemm
// col = W_g^T * X_g, then col2im scatter-adds col into the output; bias last.
#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/gemm.h"
#include "kernels/kernel_util.h"
#include "kernels/ops/conv_geometry.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

int64_t Prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

struct TGeometry {
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, out;
};

Status ConvTransposeShapes(const Node& node, const Shape& x, const Shape& w, const Shape* b,
                           TGeometry* g, Shape* out_shape) {
  if (x.size() < 3) {
    return InvalidArgument("input X has shape " + ShapeToString(x) +
                           ", expected rank >= 3 (N, C, spatial...)");
  }
  if (w.size() != x.size()) {
    return InvalidArgument("weight W has shape " + ShapeToString(w) + ", expected rank " +
                           std::to_string(x.size()));
  }
  const int64_t group = node.GetInt("group", 1);
  if (group <= 0) return InvalidArgument("group must be positive, got " + std::to_string(group));
  if (w[0] != x[1]) {
    return InvalidArgument("input channels " + std::to_string(x[1]) + " of X " + ShapeToString(x) +
                           " do not match W " + ShapeToString(w) + " dim 0");
  }
  if (x[1] % group != 0) {
    return InvalidArgument("input channels " + std::to_string(x[1]) + " not divisible by group " +
                           std::to_string(group));
  }
  const int64_t M = w[1] * group;
  if (b != nullptr && (b->size() != 1 || (*b)[0] != M)) {
    return InvalidArgument("bias B has shape " + ShapeToString(*b) + ", expected [" + std::to_string(M) + "]");
  }
  const size_t R = x.size() - 2;
  g->in.assign(x.begin() + 2, x.end());
  g->kernel.assign(w.begin() + 2, w.end());
  std::vector<int64_t> ks = node.GetInts("kernel_shape");
  if (!ks.empty() && ks != g->kernel) {
    return InvalidArgument("kernel_shape " + VecToString(ks) + " does not match W " + ShapeToString(w));
  }
  auto read = [&](const char* name, int64_t def, std::vector<int64_t>* v) -> Status {
    *v = node.GetInts(name);
    if (v->empty()) v->assign(R, def);
    if (v->size() != R) {
      return InvalidArgument(std::string(name) + " " + VecToString(*v) + " must have " +
                             std::to_string(R) + " values");
    }
    return Status::Ok();
  };
  std::vector<int64_t> out_pad;
  PX_RETURN_IF_ERROR(read("strides", 1, &g->stride));
  PX_RETURN_IF_ERROR(read("dilations", 1, &g->dilation));
  PX_RETURN_IF_ERROR(read("output_padding", 0, &out_pad));
  for (size_t i = 0; i < R; ++i) {
    if (g->stride[i] <= 0 || g->dilation[i] <= 0 || g->stride[i] > INT_MAX || g->dilation[i] > INT_MAX ||
        g->kernel[i] > INT_MAX) {
      return InvalidArgument("strides/dilations must be positive");
    }
    if (out_pad[i] < 0 || out_pad[i] > INT_MAX) {
      return InvalidArgument("output_padding " + VecToString(out_pad) + " must be non-negative");
    }
  }
  std::vector<int64_t> pads = node.GetInts("pads");
  if (!pads.empty() && pads.size() != 2 * R) {
    return InvalidArgument("pads " + VecToString(pads) + " must have " + std::to_string(2 * R) + " values");
  }
  for (int64_t p : pads) {
    if (p < 0 || p > INT_MAX) return InvalidArgument("pads " + VecToString(pads) + " must be non-negative");
  }
  std::vector<int64_t> os = node.GetInts("output_shape");
  if (os.size() == R + 2) os.erase(os.begin(), os.begin() + 2);
  if (!os.empty() && os.size() != R) {
    return InvalidArgument("output_shape " + VecToString(os) + " must have " + std::to_string(R) + " values");
  }
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "NOTSET" && auto_pad != "VALID" && !auto_pad.empty()) {
    return InvalidArgument("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  g->pad_begin.assign(R, 0);
  g->out.assign(R, 0);
  for (size_t i = 0; i < R; ++i) {
    const int64_t full = g->stride[i] * (g->in[i] - 1) + out_pad[i] + (g->kernel[i] - 1) * g->dilation[i] + 1;
    if (!os.empty() || same) {
      const int64_t target = !os.empty() ? os[i] : g->in[i] * g->stride[i];
      if (target < 0) return InvalidArgument("output_shape " + VecToString(os) + " must be non-negative");
      const int64_t total = std::max<int64_t>(0, full - target);
      // Odd padding: the extra goes at the end for SAME_UPPER, at the beginning otherwise.
      g->pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g->out[i] = target;
    } else {
      int64_t pb = pads.empty() ? 0 : pads[i], pe = pads.empty() ? 0 : pads[i + R];
      if (auto_pad == "VALID") pb = pe = 0;
      g->pad_begin[i] = pb;
      g->out[i] = full - pb - pe;
      if (g->out[i] < 0) {
        return InvalidArgument("pads " + VecToString(pads) + " are larger than the output dim " +
                               std::to_string(full));
      }
    }
  }
  *out_shape = {x[0], M};
  for (int64_t o : g->out) out_shape->push_back(o);
  return Status::Ok();
}

Status ConvTransposeInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) {
    return InvalidArgument("ConvTranspose expects inputs X and W");
  }
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32) {
    return NotImplemented(std::string("ConvTranspose supports float32, got ") + DataTypeName(dt));
  }
  if (ctx.in(1).dtype != dt || (ctx.has(2) && ctx.in(2).dtype != dt)) {
    return InvalidArgument("ConvTranspose inputs must all be float32");
  }
  TGeometry g;
  Shape out;
  PX_RETURN_IF_ERROR(ConvTransposeShapes(ctx.node, ctx.in(0).shape, ctx.in(1).shape,
                                         ctx.has(2) ? &ctx.in(2).shape : nullptr, &g, &out));
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

// Scatter-adds the col rows of output channel block [m0, m1) into y (Mg planes of OS).
void Col2Im(const float* col, const TGeometry& g, int64_t m0, int64_t m1, float* y) {
  const size_t R = g.in.size();
  const int64_t KS = Prod(g.kernel), IS = Prod(g.in), OS = Prod(g.out);
  std::vector<int64_t> kidx(R), iidx(R);
  for (int64_t m = m0; m < m1; ++m) {
    float* plane = y + m * OS;
    for (int64_t k = 0; k < KS; ++k) {
      const float* src = col + (m * KS + k) * IS;
      int64_t kk = k;
      for (size_t d = R; d-- > 0;) {
        kidx[d] = kk % g.kernel[d];
        kk /= g.kernel[d];
      }
      if (R == 2) {  // fast path
        const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
        const int64_t sw = g.stride[1];
        const int64_t offw = kidx[1] * g.dilation[1] - g.pad_begin[1];
        // valid iw: 0 <= iw*sw + offw < OW
        int64_t iw0 = offw >= 0 ? 0 : (-offw + sw - 1) / sw;
        int64_t iw1 = OW - offw <= 0 ? 0 : (OW - offw + sw - 1) / sw;
        iw0 = std::min(iw0, W);
        iw1 = std::min(std::max(iw1, iw0), W);
        for (int64_t ih = 0; ih < H; ++ih) {
          const int64_t oh = ih * g.stride[0] - g.pad_begin[0] + kidx[0] * g.dilation[0];
          if (oh < 0 || oh >= OH) continue;
          float* dst = plane + oh * OW + offw;
          const float* s = src + ih * W;
          for (int64_t iw = iw0; iw < iw1; ++iw) dst[iw * sw] += s[iw];
        }
        continue;
      }
      std::fill(iidx.begin(), iidx.end(), 0);
      for (int64_t i = 0; i < IS; ++i) {
        int64_t off = 0;
        bool valid = true;
        for (size_t d = 0; d < R; ++d) {
          const int64_t o = iidx[d] * g.stride[d] - g.pad_begin[d] + kidx[d] * g.dilation[d];
          if (o < 0 || o >= g.out[d]) {
            valid = false;
            break;
          }
          off = off * g.out[d] + o;
        }
        if (valid) plane[off] += src[i];
        for (size_t d = R; d-- > 0;) {
          if (++iidx[d] < g.in[d]) break;
          iidx[d] = 0;
        }
      }
    }
  }
}

Status ConvTransposeCompute(KernelContext& ctx) {
  const Tensor& X = ctx.in(0);
  const Tensor& Wt = ctx.in(1);
  const Tensor* B = ctx.has(2) ? &ctx.in(2) : nullptr;
  Tensor& Y = ctx.out(0);
  TGeometry geo;
  Shape out_shape;
  PX_RETURN_IF_ERROR(ConvTransposeShapes(ctx.node, X.shape(), Wt.shape(), B ? &B->shape() : nullptr,
                                         &geo, &out_shape));
  float* y = Y.data<float>();
  if (Y.numel() == 0) return Status::Ok();
  std::memset(y, 0, Y.nbytes());
  const int64_t N = X.dim(0), C = X.dim(1), G = ctx.node.GetInt("group", 1);
  const int64_t Cg = C / G, Mg = Wt.dim(1), M = Mg * G;
  const int64_t IS = Prod(geo.in), OS = Prod(geo.out), KS = Prod(geo.kernel);
  const int64_t rows = Mg * KS;
  if (rows > INT_MAX || IS > INT_MAX || Cg > INT_MAX) return NotImplemented("ConvTranspose is too large");
  const float* x = X.data<float>();
  const float* w = Wt.data<float>();
  if (Cg > 0 && IS > 0) {
    std::unique_ptr<float[]> col(new (std::nothrow) float[static_cast<size_t>(rows * IS)]);
    if (col == nullptr) return OutOfMemory("ConvTranspose col buffer");
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, KS * IS));
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < G; ++g) {
        Sgemm(ctx.pool, true, false, rows, IS, Cg, 1.0f, w + g * Cg * rows, rows, x + (n * C + g * Cg) * IS, IS,
              0.0f, col.get(), IS);
        float* yg = y + (n * M + g * Mg) * OS;
        ctx.pool->ParallelFor(Mg, grain, [&](int64_t b, int64_t e) { Col2Im(col.get(), geo, b, e, yg); });
      }
    }
  }
  if (B != nullptr) {
    const float* bias = B->data<float>();
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t m = 0; m < M; ++m) {
        float* p = y + (n * M + m) * OS;
        const float bv = bias[m];
        for (int64_t i = 0; i < OS; ++i) p[i] += bv;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ConvTransposeRows() {
  return {
      {"ConvTranspose", "", 1, 0, ConvTransposeInfer, ConvTransposeCompute},
  };
}

}  // namespace parallax::ops
