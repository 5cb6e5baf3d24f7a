// Resize (opset 10: scales input; 11-12: roi, scales, sizes; 13-17; 18: axes, antialias,
// keep_aspect_ratio_policy; 19+: half_pixel_symmetric) and Upsample (opset 7-8: scales
// attribute; 9: scales input). Modes nearest (every nearest_mode), linear (N-linear) and cubic,
// every coordinate_transformation_mode including tf_crop_and_resize, exclude_outside and
// antialias for linear/cubic downsampling.
//
// Each resized axis gets a table of taps (source index, weight) per output position; the
// interpolation is separable. Nearest with no extrapolation copies elements through index
// tables (any dtype) and reuses the previous output row when two rows share a source row —
// the YOLO-style 2x nearest upsample is then a gather over the last axis plus row memcpy.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/resize_taps.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

enum class Mode { kNearest, kLinear, kCubic };

struct ResizeParams {
  Mode mode = Mode::kNearest;
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  bool simple_nearest = false;  // opset < 11 and Upsample: floor (ceil when downsampling)
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0;
  Shape in_shape, out_shape;
  std::vector<double> scales;           // per dim
  std::vector<double> roi_start, roi_end;
};

bool IsUpsample(const Node& n) { return n.op_type == "Upsample"; }

StatusOr<std::vector<double>> ReadFloats(const Tensor& t) { return ReadDoubles(t); }

// Gathers everything from the node and the (known) input contents. `vals[i]` is the contents of
// input i or nullptr; `present[i]` whether input i is given.
StatusOr<ResizeParams> MakeParams(const Node& node, const Shape& in_shape,
                                  const std::vector<const Tensor*>& vals,
                                  const std::vector<bool>& present) {
  ResizeParams p;
  p.in_shape = in_shape;
  const int64_t rank = static_cast<int64_t>(in_shape.size());
  if (rank == 0) return InvalidArgument("input 'X' must have rank >= 1");
  const std::string mode = node.GetString("mode", "nearest");
  if (mode == "nearest") p.mode = Mode::kNearest;
  else if (mode == "linear" || mode == "bilinear") p.mode = Mode::kLinear;
  else if (mode == "cubic" && !IsUpsample(node) && node.opset >= 11) p.mode = Mode::kCubic;
  else return InvalidArgument("unsupported mode '" + mode + "'");
  const bool legacy = IsUpsample(node) || node.opset < 11;
  auto has = [&](size_t i) { return i < present.size() && present[i]; };
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  std::vector<double> roi;
  if (legacy) {
    p.coord = "asymmetric";
    p.simple_nearest = true;
    if (IsUpsample(node) && node.opset < 9) {
      for (float f : node.GetFloats("scales")) scales.push_back(f);
      if (scales.empty()) return InvalidArgument("attribute 'scales' is required");
    } else {
      if (!has(1)) return InvalidArgument("input 'scales' is required");
      if (vals[1] == nullptr) return NeedsValue();
      PX_ASSIGN_OR_RETURN(scales, ReadFloats(*vals[1]));
      // Found by fuzz_loader: an empty scales tensor fell through to the sizes path.
      if (scales.empty()) return InvalidArgument("input 'scales' is empty");
    }
  } else {
    p.coord = node.GetString("coordinate_transformation_mode", "half_pixel");
    p.nearest = node.GetString("nearest_mode", "round_prefer_floor");
    p.cubic_a = node.GetFloat("cubic_coeff_a", -0.75f);
    p.exclude_outside = node.GetInt("exclude_outside", 0) != 0;
    p.extrapolation = node.GetFloat("extrapolation_value", 0.f);
    p.antialias = node.opset >= 18 && node.GetInt("antialias", 0) != 0;
    for (size_t i = 1; i <= 3; ++i) {
      if (has(i) && vals[i] == nullptr) return NeedsValue();
    }
    if (has(1) && vals[1]->numel() > 0) { PX_ASSIGN_OR_RETURN(roi, ReadFloats(*vals[1])); }
    if (has(2) && vals[2]->numel() > 0) { PX_ASSIGN_OR_RETURN(scales, ReadFloats(*vals[2])); }
    if (has(3) && vals[3]->numel() > 0) { PX_ASSIGN_OR_RETURN(sizes, ReadInts(*vals[3])); }
    if (!scales.empty() && !sizes.empty()) return InvalidArgument("only one of 'scales' and 'sizes' may be given");
    if (scales.empty() && sizes.empty()) return InvalidArgument("one of 'scales' and 'sizes' is required");
  }
  static const char* kCoords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                  "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                  "tf_crop_and_resize"};
  if (std::find_if(std::begin(kCoords), std::end(kCoords), [&](const char* c) { return p.coord == c; }) ==
      std::end(kCoords)) {
    return InvalidArgument("unsupported coordinate_transformation_mode '" + p.coord + "'");
  }
  if (p.nearest != "round_prefer_floor" && p.nearest != "round_prefer_ceil" && p.nearest != "floor" &&
      p.nearest != "ceil") {
    return InvalidArgument("unsupported nearest_mode '" + p.nearest + "'");
  }
  // Axes the scales/sizes/roi refer to.
  std::vector<int64_t> axes;
  if (!legacy && node.opset >= 18 && node.attr("axes")) {
    std::vector<bool> seen(rank, false);
    for (int64_t a : node.GetInts("axes")) {
      PX_ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(a, rank));
      if (seen[ax]) return InvalidArgument("attribute 'axes' repeats axis " + std::to_string(a));
      seen[ax] = true;
      axes.push_back(ax);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const size_t na = axes.size();
  if (!scales.empty() && scales.size() != na) {
    return InvalidArgument("'scales' has " + std::to_string(scales.size()) + " values, expected " +
                           std::to_string(na));
  }
  if (!sizes.empty() && sizes.size() != na) {
    return InvalidArgument("'sizes' has " + std::to_string(sizes.size()) + " values, expected " +
                           std::to_string(na));
  }
  if (!roi.empty() && roi.size() != 2 * na) {
    return InvalidArgument("'roi' has " + std::to_string(roi.size()) + " values, expected " +
                           std::to_string(2 * na));
  }
  p.scales.assign(rank, 1.0);
  p.out_shape = in_shape;
  p.roi_start.assign(rank, 0.0);
  p.roi_end.assign(rank, 1.0);
  for (size_t k = 0; k < na && !roi.empty(); ++k) {
    p.roi_start[axes[k]] = roi[k];
    p.roi_end[axes[k]] = roi[na + k];
  }
  if (!scales.empty()) {
    for (size_t k = 0; k < na; ++k) {
      if (!(scales[k] > 0)) return InvalidArgument("'scales' values must be positive");
      p.scales[axes[k]] = scales[k];
      double o = std::floor(static_cast<double>(in_shape[axes[k]]) * scales[k]);
      if (o > 1e15) return InvalidArgument("output size is too large");
      p.out_shape[axes[k]] = static_cast<int64_t>(o);
    }
  } else {
    for (int64_t s : sizes) if (s < 0) return InvalidArgument("'sizes' values must be >= 0");
    const std::string policy = node.opset >= 18 ? node.GetString("keep_aspect_ratio_policy", "stretch")
                                                : "stretch";
    if (policy == "stretch") {
      for (size_t k = 0; k < na; ++k) {
        p.out_shape[axes[k]] = sizes[k];
        const int64_t in = in_shape[axes[k]];
        p.scales[axes[k]] = in > 0 ? static_cast<double>(sizes[k]) / in : 1.0;
      }
    } else if (policy == "not_larger" || policy == "not_smaller") {
      double sc = policy == "not_larger" ? 1e300 : 0;
      for (size_t k = 0; k < na; ++k) {
        const int64_t in = in_shape[axes[k]];
        if (in == 0) continue;
        const double r = static_cast<double>(sizes[k]) / in;
        sc = policy == "not_larger" ? std::min(sc, r) : std::max(sc, r);
      }
      if (sc == 1e300 || sc == 0) sc = 1;
      for (size_t k = 0; k < na; ++k) {
        p.scales[axes[k]] = sc;
        p.out_shape[axes[k]] = static_cast<int64_t>(std::nearbyint(sc * in_shape[axes[k]]));
      }
    } else {
      return InvalidArgument("unsupported keep_aspect_ratio_policy '" + policy + "'");
    }
  }
  return p;
}

// Source coordinate of output position x along one axis.
double SourceCoord(const ResizeParams& p, int64_t d, int64_t x) {
  const double s = p.scales[d];
  const double lo = static_cast<double>(p.in_shape[d]);
  // As in the ONNX reference, the resized length in these formulas is scale * length_original
  // (equal to the output size when `sizes` was given), not the rounded output size.
  const double lr = s * lo;
  const std::string& c = p.coord;
  if (c == "half_pixel") return (x + 0.5) / s - 0.5;
  if (c == "asymmetric") return x / s;
  if (c == "pytorch_half_pixel") return lr > 1 ? (x + 0.5) / s - 0.5 : 0.0;
  if (c == "align_corners") return lr == 1 ? 0.0 : x * (lo - 1) / (lr - 1);
  if (c == "tf_half_pixel_for_nn") return (x + 0.5) / s;
  if (c == "half_pixel_symmetric") {
    const double adj = static_cast<double>(p.out_shape[d]) / lr;
    const double center = lo / 2;
    const double offset = center * (1 - adj);
    return offset + (x + 0.5) / s - 0.5;
  }
  // tf_crop_and_resize
  const double st = p.roi_start[d], en = p.roi_end[d];
  if (lr > 1) return st * (lo - 1) + x * (en - st) * (lo - 1) / (lr - 1);
  return 0.5 * (st + en) * (lo - 1);
}

struct AxisTaps {
  int n = 1;                     // taps per output position
  std::vector<int64_t> idx;      // out_len * n source indices
  std::vector<double> w;         // out_len * n weights
  std::vector<uint8_t> outside;  // out_len flags: extrapolate (tf_crop_and_resize)
  bool identity_like = true;     // every position has a single weight-1 tap
};

double CubicWeight(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

AxisTaps MakeTaps(const ResizeParams& p, int64_t d) {
  AxisTaps t;
  const int64_t lo = p.in_shape[d], lr = p.out_shape[d];
  t.outside.assign(lr, 0);
  const bool crop = p.coord == "tf_crop_and_resize";
  const double s = p.scales[d];
  if (p.mode == Mode::kNearest) {
    t.n = 1;
    t.idx.resize(lr);
    t.w.assign(lr, 1.0);
    for (int64_t x = 0; x < lr; ++x) {
      const double xo = SourceCoord(p, d, x);
      if (crop && (xo < 0 || xo > lo - 1)) t.outside[x] = 1;
      double r;
      if (p.simple_nearest) r = s < 1 ? std::ceil(xo) : std::floor(xo);
      else if (p.nearest == "round_prefer_floor") r = std::ceil(xo - 0.5);
      else if (p.nearest == "round_prefer_ceil") r = std::floor(xo + 0.5);
      else if (p.nearest == "floor") r = std::floor(xo);
      else r = std::ceil(xo);
      t.idx[x] = std::clamp<int64_t>(static_cast<int64_t>(std::max(-1.0, std::min(r, 1e15))), 0, lo - 1);
    }
    return t;
  }
  const double se = p.antialias ? std::min(s, 1.0) : 1.0;
  int64_t start;
  if (p.mode == Mode::kLinear) start = static_cast<int64_t>(std::floor(-1 / se) + 1);
  else start = static_cast<int64_t>(std::floor(-2 / se) + 1);
  const int n = static_cast<int>(2 - 2 * start);
  t.n = n;
  t.idx.resize(lr * n);
  t.w.resize(lr * n);
  for (int64_t x = 0; x < lr; ++x) {
    const double xo = SourceCoord(p, d, x);
    if (crop && (xo < 0 || xo > lo - 1)) t.outside[x] = 1;
    const double fb = std::floor(xo);
    const int64_t base = static_cast<int64_t>(std::max(-1e15, std::min(fb, 1e15)));
    const double ratio = xo - fb;
    double sum = 0;
    for (int j = 0; j < n; ++j) {
      const double arg = (start + j - ratio) * se;
      double w = p.mode == Mode::kLinear ? std::clamp(1 - std::fabs(arg), 0.0, 1.0)
                                         : CubicWeight(arg, p.cubic_a);
      const int64_t src = base + start + j;
      if (p.exclude_outside && (src < 0 || src >= lo)) w = 0;
      t.idx[x * n + j] = std::clamp<int64_t>(src, 0, lo - 1);
      t.w[x * n + j] = w;
      sum += w;
    }
    if (sum != 0) for (int j = 0; j < n; ++j) t.w[x * n + j] /= sum;
  }
  // Compress to one tap when every position has a single non-zero weight of 1.
  for (int64_t x = 0; x < lr && t.identity_like; ++x) {
    int nz = 0;
    for (int j = 0; j < n; ++j) {
      const double w = t.w[x * n + j];
      if (w != 0) { ++nz; if (std::fabs(w - 1) > 1e-12) t.identity_like = false; }
    }
    if (nz > 1) t.identity_like = false;
  }
  if (t.identity_like && n > 1) {
    std::vector<int64_t> idx(lr);
    for (int64_t x = 0; x < lr; ++x) {
      idx[x] = t.idx[x * n];
      for (int j = 0; j < n; ++j) if (t.w[x * n + j] != 0) idx[x] = t.idx[x * n + j];
    }
    t.idx = std::move(idx);
    t.w.assign(lr, 1.0);
    t.n = 1;
  }
  return t;
}

std::vector<const Tensor*> InferVals(const InferContext& ctx, std::vector<bool>* present) {
  std::vector<const Tensor*> v;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    present->push_back(ctx.has(i));
    v.push_back(ctx.Value(i));
  }
  return v;
}

Status ResizeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'X'");
  const DataType dt = ctx.in(0).dtype;
  if (DataTypeSize(dt) == 0) return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported");
  std::vector<bool> present;
  std::vector<const Tensor*> vals = InferVals(ctx, &present);
  PX_ASSIGN_OR_RETURN(ResizeParams p, MakeParams(ctx.node, ctx.in(0).shape, vals, present));
  const bool crop = p.coord == "tf_crop_and_resize";
  if ((p.mode != Mode::kNearest || crop) && dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) +
                          " is only supported by nearest resizing without extrapolation");
  }
  ctx.SetOutput(0, dt, p.out_shape);
  return Status::Ok();
}

// Nearest without extrapolation: pure index gather, any element size.
template <typename U>
void NearestGather(const U* x, U* y, const ResizeParams& p, const std::vector<AxisTaps>& taps,
                   ThreadPool* pool) {
  const int64_t r = static_cast<int64_t>(p.out_shape.size());
  const int64_t w_out = p.out_shape[r - 1];
  const std::vector<int64_t> in_st = Strides(p.in_shape);
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < r; ++d) rows *= p.out_shape[d];
  const int64_t* wmap = taps[r - 1].idx.data();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, w_out));
  pool->ParallelFor(rows, grain, [&](int64_t b, int64_t e) {
    int64_t prev_src = -1;
    for (int64_t row = b; row < e; ++row) {
      int64_t rem = row, src = 0;
      for (int64_t d = r - 2; d >= 0; --d) {
        const int64_t od = rem % p.out_shape[d];
        rem /= p.out_shape[d];
        src += taps[d].idx[od] * in_st[d];
      }
      U* yr = y + row * w_out;
      if (src == prev_src && row > b) {
        std::memcpy(yr, yr - w_out, static_cast<size_t>(w_out) * sizeof(U));
        continue;
      }
      prev_src = src;
      const U* xr = x + src;
      for (int64_t j = 0; j < w_out; ++j) yr[j] = xr[wmap[j]];
    }
  });
}

// General separable interpolation (float types).
template <typename T>
void Interpolate(const T* x, T* y, const ResizeParams& p, const std::vector<AxisTaps>& taps,
                 ThreadPool* pool) {
  const int64_t r = static_cast<int64_t>(p.out_shape.size());
  const int64_t w_out = p.out_shape[r - 1];
  const std::vector<int64_t> in_st = Strides(p.in_shape);
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < r; ++d) rows *= p.out_shape[d];
  const AxisTaps& last = taps[r - 1];
  const int nl = last.n;
  const T extra = static_cast<T>(p.extrapolation);
  int64_t combos_max = 1;
  for (int64_t d = 0; d + 1 < r; ++d) combos_max *= taps[d].n;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, w_out * nl * combos_max));
  pool->ParallelFor(rows, grain, [&](int64_t b, int64_t e) {
    std::vector<int64_t> coff, od(r > 1 ? r - 1 : 0);
    std::vector<T> cw;
    std::vector<T> lw(last.w.size());
    for (size_t i = 0; i < lw.size(); ++i) lw[i] = static_cast<T>(last.w[i]);
    for (int64_t row = b; row < e; ++row) {
      int64_t rem = row;
      bool out_row = false;
      for (int64_t d = r - 2; d >= 0; --d) {
        od[d] = rem % p.out_shape[d];
        rem /= p.out_shape[d];
        out_row = out_row || taps[d].outside[od[d]];
      }
      T* yr = y + row * w_out;
      if (out_row) {
        for (int64_t j = 0; j < w_out; ++j) yr[j] = extra;
        continue;
      }
      // Offsets and weights of every combination of the outer axes' taps.
      coff.assign(1, 0);
      cw.assign(1, T(1));
      for (int64_t d = 0; d + 1 < r; ++d) {
        const AxisTaps& t = taps[d];
        const size_t m = coff.size();
        std::vector<int64_t> noff;
        std::vector<T> nw;
        noff.reserve(m * t.n);
        nw.reserve(m * t.n);
        for (size_t c = 0; c < m; ++c) {
          for (int j = 0; j < t.n; ++j) {
            const double w = t.w[od[d] * t.n + j];
            if (w == 0) continue;
            noff.push_back(coff[c] + t.idx[od[d] * t.n + j] * in_st[d]);
            nw.push_back(cw[c] * static_cast<T>(w));
          }
        }
        coff.swap(noff);
        cw.swap(nw);
      }
      for (int64_t j = 0; j < w_out; ++j) {
        if (last.outside[j]) { yr[j] = extra; continue; }
        const int64_t* li = last.idx.data() + j * nl;
        const T* lwj = lw.data() + j * nl;
        T acc = 0;
        for (size_t c = 0; c < coff.size(); ++c) {
          const T* xr = x + coff[c];
          T s = 0;
          for (int k = 0; k < nl; ++k) s += lwj[k] * xr[li[k]];
          acc += cw[c] * s;
        }
        yr[j] = acc;
      }
    }
  });
}

}  // namespace

StatusOr<ResizeTaps> ComputeResizeTaps(const Node& node, const Shape& in_shape,
                                       const std::vector<const Tensor*>& vals, const std::vector<bool>& present) {
  PX_ASSIGN_OR_RETURN(ResizeParams p, MakeParams(node, in_shape, vals, present));
  ResizeTaps r;
  r.out_shape = p.out_shape;
  for (size_t d = 0; d < in_shape.size(); ++d) {
    AxisTaps t = MakeTaps(p, static_cast<int64_t>(d));
    ResizeTaps::Axis a;
    a.n = t.n;
    a.idx = std::move(t.idx);
    a.w = std::move(t.w);
    for (uint8_t o : t.outside) a.outside = a.outside || o != 0;
    r.axes.push_back(std::move(a));
  }
  return r;
}

namespace {

Status ResizeCompute(KernelContext& ctx) {
  std::vector<const Tensor*> vals;
  std::vector<bool> present;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    present.push_back(ctx.has(i));
    vals.push_back(ctx.has(i) ? &ctx.in(i) : nullptr);
  }
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  PX_ASSIGN_OR_RETURN(ResizeParams p, MakeParams(ctx.node, in.shape(), vals, present));
  if (out.numel() == 0) return Status::Ok();
  if (in.numel() == 0) return InvalidArgument("cannot resize an empty input to a non-empty output");
  const int64_t r = in.rank();
  std::vector<AxisTaps> taps(r);
  bool nearest_like = true, any_outside = false;
  for (int64_t d = 0; d < r; ++d) {
    taps[d] = MakeTaps(p, d);
    nearest_like = nearest_like && taps[d].n == 1;
    for (uint8_t o : taps[d].outside) any_outside = any_outside || o;
  }
  if (nearest_like && !any_outside) {
    return DispatchBySize(in.dtype(), [&](auto tag) {
      using U = decltype(tag);
      NearestGather<U>(in.data<U>(), out.data<U>(), p, taps, ctx.pool);
    });
  }
  if (in.dtype() == DataType::kFloat32) Interpolate<float>(in.data<float>(), out.data<float>(), p, taps, ctx.pool);
  else if (in.dtype() == DataType::kFloat64) Interpolate<double>(in.data<double>(), out.data<double>(), p, taps, ctx.pool);
  else return NotImplemented("interpolating resize supports float32 and float64");
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> MiscResizeKernels() {
  return {
      {"Resize", "", 10, 10, ResizeInfer, ResizeCompute},
      {"Resize", "", 11, 12, ResizeInfer, ResizeCompute},
      {"Resize", "", 13, 17, ResizeInfer, ResizeCompute},
      {"Resize", "", 18, 18, ResizeInfer, ResizeCompute},
      {"Resize", "", 19, 0, ResizeInfer, ResizeCompute},
      {"Upsample", "", 7, 8, ResizeInfer, ResizeCompute},
      {"Upsample", "", 9, 9, ResizeInfer, ResizeCompute},
  };
}

}  // namespace parallax::ops
