#include "kernels/reference/pool_ref.h"

#include <cmath>
#include <limits>

namespace parallax::ref {

Tensor PoolRef(const Tensor& x, PoolRefKind kind, const PoolParams& p, Tensor* indices) {
  const size_t R = x.rank() - 2;
  const int64_t planes = x.dim(0) * x.dim(1);
  std::vector<int64_t> in(R);
  int64_t IS = 1, OS = 1, KS = 1;
  for (size_t d = 0; d < R; ++d) {
    in[d] = x.dim(2 + d);
    IS *= in[d];
    OS *= p.out[d];
    KS *= p.kernel[d];
  }
  Shape ys = {x.dim(0), x.dim(1)};
  for (int64_t o : p.out) ys.push_back(o);
  Tensor y = Tensor::Allocate(DataType::kFloat32, ys).value();
  if (indices) *indices = Tensor::Allocate(DataType::kInt64, ys).value();
  for (int64_t pl = 0; pl < planes; ++pl) {
    std::vector<int64_t> oi(R, 0);
    for (int64_t o = 0; o < OS; ++o) {
      double best = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t best_i = -1, count = 0, padded_count = 0;
      std::vector<int64_t> ki(R, 0);
      for (int64_t kk = 0; kk < KS; ++kk) {
        int64_t off = 0;
        bool ok = true, in_padded = true;
        for (size_t d = 0; d < R; ++d) {
          const int64_t pos = oi[d] * p.strides[d] - p.pad_begin[d] + ki[d] * p.dilations[d];
          if (pos < 0 || pos >= in[d]) ok = false;
          if (pos < -p.pad_begin[d] || pos >= in[d] + p.pad_end[d]) in_padded = false;
          off = off * in[d] + pos;
        }
        if (in_padded) ++padded_count;
        if (ok) {
          const double v = x.data<float>()[pl * IS + off];
          ++count;
          sum += kind == PoolRefKind::kLp ? std::pow(std::fabs(v), p.p) : v;
          if (v > best) {
            best = v;
            best_i = off;
          }
        }
        for (size_t d = R; d-- > 0;) {
          if (++ki[d] < p.kernel[d]) break;
          ki[d] = 0;
        }
      }
      double r;
      if (kind == PoolRefKind::kMax) {
        r = best;
      } else if (kind == PoolRefKind::kAvg) {
        const int64_t div = p.count_include_pad ? padded_count : count;
        r = div > 0 ? sum / div : 0.0;
      } else {
        r = std::pow(sum, 1.0 / p.p);
      }
      y.data<float>()[pl * OS + o] = static_cast<float>(r);
      if (indices) indices->data<int64_t>()[pl * OS + o] = best_i < 0 ? -1 : pl * IS + best_i;
      for (size_t d = R; d-- > 0;) {
        if (++oi[d] < p.out[d]) break;
        oi[d] = 0;
      }
    }
  }
  return y;
}

}  // namespace parallax::ref
