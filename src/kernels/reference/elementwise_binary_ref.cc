#include "kernels/reference/elementwise_binary_ref.h"

#include <algorithm>

#include "kernels/kernel_util.h"

namespace parallax::reference {

Shape BroadcastShapesRef(const std::vector<Shape>& shapes, bool* ok) {
  *ok = true;
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[rank - s.size() + i];
      const int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
      } else {
        *ok = false;
      }
    }
  }
  return out;
}

std::vector<double> BroadcastRef(const std::vector<std::vector<double>>& inputs,
                                 const std::vector<Shape>& shapes, const Shape& out,
                                 const std::function<double(const std::vector<double>&)>& f) {
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  std::vector<double> result(static_cast<size_t>(n));
  std::vector<int64_t> idx(out.size());
  std::vector<double> args(inputs.size());
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t r = flat;
    for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
      idx[d] = r % out[d];
      r /= out[d];
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const Shape& s = shapes[k];
      const size_t off = out.size() - s.size();
      int64_t pos = 0;
      for (size_t i = 0; i < s.size(); ++i) pos = pos * s[i] + (s[i] == 1 ? 0 : idx[off + i]);
      args[k] = inputs[k][static_cast<size_t>(pos)];
    }
    result[static_cast<size_t>(flat)] = f(args);
  }
  return result;
}

std::vector<double> ToDoubles(const Tensor& t) {
  auto v = ReadDoubles(t);
  return v.ok() ? v.value() : std::vector<double>{};
}

}  // namespace parallax::reference
