#include "kernels/reference/normalization_ref.h"

#include <algorithm>
#include <cmath>

namespace parallax::reference {

std::vector<double> Softmax(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner,
                            bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t i) { return (o * n + i) * inner + k; };
      double m = -INFINITY;
      for (int64_t i = 0; i < n; ++i) m = std::max(m, x[at(i)]);
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::exp(x[at(i)] - m);
      for (int64_t i = 0; i < n; ++i) {
        y[at(i)] = log ? x[at(i)] - m - std::log(s) : std::exp(x[at(i)] - m) / s;
      }
    }
  }
  return y;
}

std::vector<double> LayerNorm(const std::vector<double>& x, int64_t d, const std::vector<double>& scale,
                              const std::vector<double>& bias, double eps,
                              std::vector<double>* mean, std::vector<double>* inv_std) {
  std::vector<double> y(x.size());
  const int64_t rows = d == 0 ? 0 : static_cast<int64_t>(x.size()) / d;
  mean->assign(rows, 0);
  inv_std->assign(rows, 0);
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < d; ++j) m += x[r * d + j];
    m /= d;
    for (int64_t j = 0; j < d; ++j) v += (x[r * d + j] - m) * (x[r * d + j] - m);
    v /= d;
    const double inv = 1 / std::sqrt(v + eps);
    for (int64_t j = 0; j < d; ++j) {
      y[r * d + j] = (x[r * d + j] - m) * inv * scale[j] + (bias.empty() ? 0 : bias[j]);
    }
    (*mean)[r] = m;
    (*inv_std)[r] = inv;
  }
  return y;
}

std::vector<double> GroupNorm(const std::vector<double>& x, int64_t n, int64_t c, int64_t hw,
                              int64_t groups, const std::vector<double>& scale,
                              const std::vector<double>& bias, double eps) {
  std::vector<double> y(x.size());
  const int64_t len = c / groups * hw;
  for (int64_t g = 0; g < n * groups; ++g) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < len; ++i) m += x[g * len + i];
    m /= len;
    for (int64_t i = 0; i < len; ++i) v += (x[g * len + i] - m) * (x[g * len + i] - m);
    v /= len;
    for (int64_t i = 0; i < len; ++i) {
      const int64_t ch = (g % groups) * (c / groups) + i / hw;
      y[g * len + i] = (x[g * len + i] - m) / std::sqrt(v + eps) * scale[ch] + bias[ch];
    }
  }
  return y;
}

}  // namespace parallax::reference
