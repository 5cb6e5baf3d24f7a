#include "kernels/reference/matmul_ref.h"

#include <algorithm>

namespace parallax::ref {

Tensor MatMulRef(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  const bool a1 = sa.size() == 1, b1 = sb.size() == 1;
  if (a1) sa.insert(sa.begin(), 1);
  if (b1) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const size_t R = std::max(ba.size(), bb.size());
  while (ba.size() < R) ba.insert(ba.begin(), 1);
  while (bb.size() < R) bb.insert(bb.begin(), 1);
  Shape batch(R);
  for (size_t i = 0; i < R; ++i) batch[i] = ba[i] == 1 ? bb[i] : ba[i];
  Shape out = batch;
  if (!a1) out.push_back(M);
  if (!b1) out.push_back(N);
  Tensor y = Tensor::Allocate(DataType::kFloat32, out).value();
  int64_t total = 1;
  for (int64_t d : batch) total *= d;
  std::vector<int64_t> idx(R, 0);
  for (int64_t t = 0; t < total; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t i = 0; i < R; ++i) {
      oa = oa * ba[i] + (ba[i] == 1 ? 0 : idx[i]);
      ob = ob * bb[i] + (bb[i] == 1 ? 0 : idx[i]);
    }
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) {
          acc += static_cast<double>(a.data<float>()[oa * M * K + i * K + k]) *
                 static_cast<double>(b.data<float>()[ob * K * N + k * N + j]);
        }
        y.data<float>()[(t * M + i) * N + j] = static_cast<float>(acc);
      }
    }
    for (size_t d = R; d-- > 0;) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

}  // namespace parallax::ref
