#include "kernels/ops/matmul_xnn.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels/ops/conv_xnn.h"  // XnnReady
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

std::atomic<bool>& FcEnabled() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("PARALLAX_XNN_FC");
    return v != nullptr && std::strcmp(v, "0") != 0;
  }()};
  return on;
}

}  // namespace

bool XnnFullyConnectedEnabled() { return FcEnabled().load(std::memory_order_relaxed); }
void SetXnnFullyConnectedEnabled(bool on) { FcEnabled().store(on, std::memory_order_relaxed); }

std::shared_ptr<XnnFullyConnected> XnnFullyConnected::Create(int64_t K, int64_t N, const float* w,
                                                             bool w_is_kn, const float* bias, float lo,
                                                             float hi) {
  std::shared_ptr<XnnFullyConnected> fc(new XnnFullyConnected());
  fc->k_ = K;
  fc->n_ = N;
  if (!XnnReady() || K <= 0 || N <= 0 || !(lo < hi)) return fc;
  constexpr int64_t kBlockBytes = 512 << 10;
  const int64_t block = std::min(N, std::max<int64_t>(32, kBlockBytes / (4 * K) / 16 * 16));
  fc->block_ = block;
  std::vector<float> slice;
  for (int64_t n0 = 0; n0 < N; n0 += block) {
    const int64_t nb = std::min(block, N - n0);
    const float* wb = w + n0 * K;  // [N, K]: the block's rows are contiguous
    if (w_is_kn) {
      if (nb == N) {
        wb = w;
      } else {
        slice.resize(static_cast<size_t>(K * nb));
        for (int64_t k = 0; k < K; ++k) std::copy(w + k * N + n0, w + k * N + n0 + nb, slice.data() + k * nb);
        wb = slice.data();
      }
    }
    xnn_operator_t op = nullptr;
    if (xnn_create_fully_connected_nc_f32(static_cast<size_t>(K), static_cast<size_t>(nb), static_cast<size_t>(K),
                                          static_cast<size_t>(N), wb, bias ? bias + n0 : nullptr, lo, hi,
                                          w_is_kn ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0, &op) != xnn_status_success) {
      if (op != nullptr) xnn_delete_operator(op);
      for (xnn_operator_t o : fc->ops_) xnn_delete_operator(o);
      fc->ops_.clear();
      return fc;
    }
    fc->ops_.push_back(op);
  }
  return fc;
}

XnnFullyConnected::~XnnFullyConnected() {
  for (xnn_operator_t op : ops_) xnn_delete_operator(op);
}

bool XnnFullyConnected::TryRun(int64_t rows, int64_t K, int64_t N, const float* x, float* y, ThreadPool* pool) {
  if (ops_.empty() || K != k_ || N != n_ || rows <= 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (xnn_setup_fully_connected_nc_f32(ops_[i], static_cast<size_t>(rows), x, y + i * block_, pool->handle()) !=
            xnn_status_success ||
        xnn_run_operator(ops_[i], pool->handle()) != xnn_status_success) {
      return false;
    }
  }
  return true;
}

}  // namespace parallax::ops
