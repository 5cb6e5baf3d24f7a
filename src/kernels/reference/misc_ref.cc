#include "kernels/reference/misc_ref.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace parallax::reference {
namespace {

std::vector<double> Coeffs(const ResizeRefParams& p, double ratio, bool integer) {
  if (p.mode == "nearest") {
    if (integer) return {0, 1};
    if (p.nearest == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
    if (p.nearest == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
    if (p.nearest == "floor") return {1, 0};
    return {0, 1};
  }
  if (p.mode == "linear") return {1 - ratio, ratio};
  const double a = p.cubic_a, t = ratio;
  return {((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
          ((a + 2) * t - (a + 3)) * t * t + 1,
          ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
          ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a};
}

double Interp1D(const std::vector<double>& data, double scale, int64_t out_len, int64_t xo,
                const ResizeRefParams& p) {
  const int64_t lo = static_cast<int64_t>(data.size());
  const double ow = scale * lo;
  double x;
  if (p.coord == "asymmetric") x = xo / scale;
  else if (p.coord == "align_corners") x = ow == 1 ? 0 : xo * (lo - 1.0) / (ow - 1);
  else if (p.coord == "pytorch_half_pixel") x = ow > 1 ? (xo + 0.5) / scale - 0.5 : 0;
  else if (p.coord == "half_pixel_symmetric") {
    const double adj = out_len / ow;
    x = lo / 2.0 * (1 - adj) + (xo + 0.5) / scale - 0.5;
  } else x = (xo + 0.5) / scale - 0.5;
  const double fl = std::floor(x);
  const bool integer = x == fl;
  const double ratio = integer ? 1.0 : x - fl;
  std::vector<double> c = Coeffs(p, ratio, integer);
  const int64_t n = static_cast<int64_t>(c.size());
  const int64_t pad = (n + 1) / 2;
  // n closest positions of the padded axis (ties: lower first), sorted.
  std::vector<int64_t> cand(lo + 2 * pad);
  std::iota(cand.begin(), cand.end(), int64_t{0});
  const double xp = x + pad;
  std::stable_sort(cand.begin(), cand.end(), [&](int64_t a, int64_t b) {
    return std::fabs(xp - a) < std::fabs(xp - b);
  });
  cand.resize(n);
  std::sort(cand.begin(), cand.end());
  if (p.exclude_outside) {
    double s = 0;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t src = cand[j] - pad;
      if (src < 0 || src >= lo) c[j] = 0;
      s += c[j];
    }
    for (double& v : c) v /= s;
  }
  double r = 0;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t src = std::clamp<int64_t>(cand[j] - pad, 0, lo - 1);  // edge padding
    r += c[j] * data[src];
  }
  return r;
}

double InterpND(const std::vector<double>& x, const std::vector<int64_t>& in_shape,
                const std::vector<int64_t>& out_shape, const std::vector<double>& scales,
                const ResizeRefParams& p, size_t d, int64_t base, const std::vector<int64_t>& oidx) {
  int64_t stride = 1;
  for (size_t k = d + 1; k < in_shape.size(); ++k) stride *= in_shape[k];
  std::vector<double> line(in_shape[d]);
  for (int64_t i = 0; i < in_shape[d]; ++i) {
    line[i] = d + 1 == in_shape.size() ? x[base + i]
                                       : InterpND(x, in_shape, out_shape, scales, p, d + 1, base + i * stride, oidx);
  }
  return Interp1D(line, scales[d], out_shape[d], oidx[d], p);
}

}  // namespace

std::vector<double> Resize(const std::vector<double>& x, const std::vector<int64_t>& in_shape,
                           const std::vector<int64_t>& out_shape, const std::vector<double>& scales,
                           const ResizeRefParams& p) {
  int64_t n = 1;
  for (int64_t d : out_shape) n *= d;
  std::vector<double> y(n);
  std::vector<int64_t> oidx(out_shape.size(), 0);
  for (int64_t e = 0; e < n; ++e) {
    y[e] = InterpND(x, in_shape, out_shape, scales, p, 0, 0, oidx);
    for (int64_t d = static_cast<int64_t>(out_shape.size()) - 1; d >= 0; --d) {
      if (++oidx[d] < out_shape[d]) break;
      oidx[d] = 0;
    }
  }
  return y;
}

void TopK(const std::vector<double>& x, const std::vector<int64_t>& shape, int64_t axis, int64_t k,
          bool largest, std::vector<double>* vals, std::vector<int64_t>* idx) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  vals->assign(outer * k * inner, 0);
  idx->assign(outer * k * inner, 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      std::vector<int64_t> ord(n);
      std::iota(ord.begin(), ord.end(), int64_t{0});
      auto v = [&](int64_t i) { return x[(o * n + i) * inner + in]; };
      std::stable_sort(ord.begin(), ord.end(), [&](int64_t a, int64_t b) {
        return largest ? v(a) > v(b) : v(a) < v(b);
      });
      for (int64_t j = 0; j < k; ++j) {
        (*vals)[(o * k + j) * inner + in] = v(ord[j]);
        (*idx)[(o * k + j) * inner + in] = ord[j];
      }
    }
  }
}

std::vector<double> CumSum(const std::vector<double>& x, const std::vector<int64_t>& shape,
                           int64_t axis, bool exclusive, bool reverse) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t j = 0; j < n; ++j) {
          const bool take = reverse ? (exclusive ? j > i : j >= i) : (exclusive ? j < i : j <= i);
          if (take) s += x[(o * n + j) * inner + in];
        }
        y[(o * n + i) * inner + in] = s;
      }
    }
  }
  return y;
}

}  // namespace parallax::reference
