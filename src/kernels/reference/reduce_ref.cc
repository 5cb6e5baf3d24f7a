#include "kernels/reference/reduce_ref.h"

#include <cmath>
#include <limits>

namespace parallax::reference {

std::vector<double> Reduce(const std::string& op, const std::vector<double>& x,
                           const std::vector<int64_t>& shape, const std::vector<bool>& reduced) {
  const size_t r = shape.size();
  int64_t n_out = 1;
  for (size_t d = 0; d < r; ++d) if (!reduced[d]) n_out *= shape[d];
  // Bucket every input element by its output index.
  std::vector<std::vector<double>> groups(static_cast<size_t>(n_out));
  std::vector<int64_t> idx(r, 0);
  for (size_t e = 0; e < x.size(); ++e) {
    int64_t o = 0;
    for (size_t d = 0; d < r; ++d) if (!reduced[d]) o = o * shape[d] + idx[d];
    groups[o].push_back(x[e]);
    for (int64_t d = static_cast<int64_t>(r) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> out;
  for (const auto& g : groups) {
    double v = 0;
    if (op == "ReduceSum") { for (double a : g) v += a; }
    else if (op == "ReduceMean") { for (double a : g) v += a; v /= g.size(); }
    else if (op == "ReduceMax") { v = -inf; for (double a : g) v = std::max(v, a); }
    else if (op == "ReduceMin") { v = inf; for (double a : g) v = std::min(v, a); }
    else if (op == "ReduceProd") { v = 1; for (double a : g) v *= a; }
    else if (op == "ReduceL1") { for (double a : g) v += std::fabs(a); }
    else if (op == "ReduceL2") { for (double a : g) v += a * a; v = std::sqrt(v); }
    else if (op == "ReduceLogSum") { for (double a : g) v += a; v = std::log(v); }
    else if (op == "ReduceLogSumExp") { for (double a : g) v += std::exp(a); v = std::log(v); }
    else if (op == "ReduceSumSquare") { for (double a : g) v += a * a; }
    out.push_back(v);
  }
  return out;
}

std::vector<int64_t> ArgReduce(bool is_max, const std::vector<double>& x,
                               const std::vector<int64_t>& shape, int64_t axis, bool last) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  std::vector<int64_t> out;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < inner; ++k) {
      int64_t best = 0;
      for (int64_t i = 1; i < n; ++i) {
        const double a = x[(o * n + i) * inner + k], b = x[(o * n + best) * inner + k];
        const bool better = is_max ? (last ? a >= b : a > b) : (last ? a <= b : a < b);
        if (better) best = i;
      }
      out.push_back(best);
    }
  }
  return out;
}

}  // namespace parallax::reference
