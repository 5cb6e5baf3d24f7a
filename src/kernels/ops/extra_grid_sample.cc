// GridSample (ai.onnx 16, 20, 22): samples X (N, C, D1..Dr) at the normalised coordinates of
// grid (N, O1..Or, r), whose last axis lists them innermost-dimension first (x, y[, z]).
// Output (N, C, O1..Or). Opset 16 is 2-D only and names the modes bilinear/bicubic; later
// opsets are N-D and name them linear/cubic (both spellings are accepted everywhere).
//   denormalise: align_corners ? (g+1)/2*(d-1) : ((g+1)*d-1)/2
//   nearest: round half to even (what the official tests expect for 2-D and 3-D alike)
//   linear: tensor product of 2-tap weights; cubic: of 4-tap Keys weights (alpha -0.75)
//   padding_mode zeros (outside reads 0), border (clamp), reflection (mirror at the borders:
//   [-0.5, d-0.5], or [0, d-1] with align_corners).
// Follows the ONNX reference implementation. float32, float64; float16 computed in float32.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

enum class GsMode { kNearest, kLinear, kCubic };
enum class GsPad { kZeros, kBorder, kReflection };

struct GsParams {
  GsMode mode = GsMode::kLinear;
  GsPad pad = GsPad::kZeros;
  bool align = false;
};

StatusOr<GsParams> GetParams(const Node& node) {
  GsParams p;
  const std::string mode = node.GetString("mode", node.opset >= 20 ? "linear" : "bilinear");
  if (mode == "nearest") p.mode = GsMode::kNearest;
  else if (mode == "linear" || mode == "bilinear") p.mode = GsMode::kLinear;
  else if (mode == "cubic" || mode == "bicubic") p.mode = GsMode::kCubic;
  else return InvalidArgument("mode must be linear, nearest or cubic, got '" + mode + "'");
  const std::string pad = node.GetString("padding_mode", "zeros");
  if (pad == "zeros") p.pad = GsPad::kZeros;
  else if (pad == "border") p.pad = GsPad::kBorder;
  else if (pad == "reflection") p.pad = GsPad::kReflection;
  else return InvalidArgument("padding_mode must be zeros, border or reflection, got '" + pad + "'");
  p.align = node.GetInt("align_corners", 0) != 0;
  return p;
}

Status GridSampleInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'X' and 'grid' are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by GridSample");
  }
  if (ctx.in(1).dtype != dt) return InvalidArgument("grid must have X's dtype");
  PX_RETURN_IF_ERROR(GetParams(ctx.node).status());
  const Shape& x = ctx.in(0).shape;
  const Shape& g = ctx.in(1).shape;
  if (x.size() < 3) return InvalidArgument("X must have rank >= 3, got " + ShapeToString(x));
  const size_t r = x.size() - 2;
  if (ctx.node.opset < 20 && r != 2) return InvalidArgument("GridSample before opset 20 takes 4-D X only");
  if (g.size() != x.size() || g[0] != x[0] || g.back() != static_cast<int64_t>(r)) {
    return InvalidArgument("grid shape " + ShapeToString(g) + " does not match X " + ShapeToString(x) +
                           " (expected (N, O1..O" + std::to_string(r) + ", " + std::to_string(r) + "))");
  }
  Shape out{x[0], x[1]};
  out.insert(out.end(), g.begin() + 1, g.end() - 1);
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

double Reflect(double x, double lo, double hi) {
  const double rng = hi - lo;
  if (rng <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const int64_t n = static_cast<int64_t>(dx / rng);
    const double r = dx - n * rng;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const int64_t n = static_cast<int64_t>(dx / rng);
    const double r = dx - n * rng;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

void CubicCoeffs(double x, double c[4]) {
  const double a = -0.75;
  x = std::fabs(x);
  c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

template <typename T>
Status GridSampleTyped(KernelContext& ctx) {
  PX_ASSIGN_OR_RETURN(GsParams p, GetParams(ctx.node));
  const Tensor& xt = ctx.in(0);
  const Tensor& gt = ctx.in(1);
  const Shape& xs = xt.shape();
  const int64_t N = xs[0], C = xs[1];
  const int r = static_cast<int>(xs.size()) - 2;
  std::vector<int64_t> dims(xs.begin() + 2, xs.end());
  int64_t in_sp = 1, out_sp = 1;
  for (int64_t d : dims) in_sp *= d;
  for (size_t i = 1; i + 1 < gt.shape().size(); ++i) out_sp *= gt.shape()[i];
  if (ctx.out(0).numel() == 0) return Status::Ok();
  std::vector<int64_t> in_strides(r, 1);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * dims[i + 1];
  std::vector<double> lo(r), hi(r);
  for (int i = 0; i < r; ++i) {
    lo[i] = p.align ? 0.0 : -0.5;
    hi[i] = p.align ? dims[i] - 1.0 : dims[i] - 0.5;
  }
  const int taps = p.mode == GsMode::kCubic ? 4 : p.mode == GsMode::kLinear ? 2 : 1;
  const T* x = xt.data<T>();
  const T* g = gt.data<T>();
  T* y = ctx.out(0).data<T>();
  int64_t combos = 1;
  for (int i = 0; i < r; ++i) combos *= taps;

  ctx.pool->ParallelFor(N * out_sp, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, C * combos)),
                        [&](int64_t b, int64_t e) {
    // Per dim: the tap indices (-1: reads zero) and weights.
    std::vector<int64_t> idx(static_cast<size_t>(r * taps));
    std::vector<double> w(static_cast<size_t>(r * taps));
    for (int64_t it = b; it < e; ++it) {
      const int64_t n = it / out_sp, o = it % out_sp;
      const T* gp = g + it * r;
      for (int i = 0; i < r; ++i) {
        const double gn = static_cast<double>(gp[r - 1 - i]);
        const double d = static_cast<double>(dims[i]);
        double v = p.align ? (gn + 1) / 2.0 * (d - 1) : ((gn + 1) * d - 1) / 2.0;
        // NaN reads as far outside; huge values are capped so the integer casts stay defined.
        v = std::isnan(v) ? -1e9 : std::clamp(v, -1e9, 1e9);
        if (p.mode == GsMode::kNearest) {
          v = std::nearbyint(v);
        }
        if (v < lo[i] || v > hi[i]) {
          if (p.pad == GsPad::kBorder) v = std::clamp(v, 0.0, d - 1);
          else if (p.pad == GsPad::kReflection) v = Reflect(v, lo[i], hi[i]);
        }
        // Index lookup with the padding rule.
        auto at = [&](int64_t k) -> int64_t {
          if (p.pad == GsPad::kZeros) return (k >= 0 && k < dims[i]) ? k : -1;
          if (p.pad == GsPad::kBorder) return std::clamp<int64_t>(k, 0, dims[i] - 1);
          const int64_t rk = static_cast<int64_t>(Reflect(static_cast<double>(k), lo[i], hi[i]));
          return std::clamp<int64_t>(rk, 0, dims[i] - 1);
        };
        if (p.mode == GsMode::kNearest) {
          idx[i] = at(static_cast<int64_t>(v));
          w[i] = 1.0;
        } else {
          const double f = std::floor(v);
          const int64_t k0 = static_cast<int64_t>(f);
          const double t = v - f;
          if (p.mode == GsMode::kLinear) {
            idx[i * 2] = at(k0);
            idx[i * 2 + 1] = at(k0 + 1);
            w[i * 2] = 1 - t;
            w[i * 2 + 1] = t;
          } else {
            double c[4];
            CubicCoeffs(t, c);
            for (int k = 0; k < 4; ++k) {
              idx[i * 4 + k] = at(k0 - 1 + k);
              w[i * 4 + k] = c[k];
            }
          }
        }
      }
      for (int64_t c = 0; c < C; ++c) {
        const T* xc = x + (n * C + c) * in_sp;
        double acc = 0;
        for (int64_t m = 0; m < combos; ++m) {
          int64_t rem = m, off = 0;
          double wt = 1;
          bool zero = false;
          for (int i = r - 1; i >= 0; --i) {
            const int k = static_cast<int>(rem % taps);
            rem /= taps;
            const int64_t id = idx[i * taps + k];
            if (id < 0) {
              zero = true;
              break;
            }
            off += id * in_strides[i];
            wt *= w[i * taps + k];
          }
          if (!zero) acc += wt * static_cast<double>(xc[off]);
        }
        y[(n * C + c) * out_sp + o] = static_cast<T>(acc);
      }
    }
  });
  return Status::Ok();
}

Status GridSampleFloat(KernelContext& ctx) { return GridSampleTyped<float>(ctx); }

Status GridSampleCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return GridSampleTyped<float>(ctx);
    case DataType::kFloat64: return GridSampleTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, GridSampleFloat);
    default: return NotImplemented("GridSample: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraGridSampleKernels() {
  return {{"GridSample", "", 16, 0, GridSampleInfer, GridSampleCompute}};
}

}  // namespace parallax::ops
