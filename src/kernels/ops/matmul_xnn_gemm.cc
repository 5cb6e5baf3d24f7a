#include "kernels/ops/matmul_xnn_gemm.h"

#include <cblas.h>
#include <xnnpack.h>

#include <algorithm>
#include <climits>
#include <cmath>

namespace parallax::ops {
namespace {

bool XnnReady() {
  static const bool ready = xnn_initialize(nullptr) == xnn_status_success;  // thread-safe init
  return ready;
}

}  // namespace

void XnnSgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              bool b_trans, float* C, int64_t ldc, pthreadpool* threadpool) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    return;
  }
  if (XnnReady()) {
    xnn_operator_t op = nullptr;
    // output[m][n] = sum_k input[m][k] * kernel[n][k]; [K][N] is the "transposed" layout.
    if (xnn_create_fully_connected_nc_f32(static_cast<size_t>(K), static_cast<size_t>(N),
                                          static_cast<size_t>(lda), static_cast<size_t>(ldc), B,
                                          nullptr, -INFINITY, INFINITY, b_trans ? 0 : XNN_FLAG_TRANSPOSE_WEIGHTS,
                                          &op) == xnn_status_success) {
      bool ok = xnn_setup_fully_connected_nc_f32(op, static_cast<size_t>(M), A, C, threadpool) ==
                    xnn_status_success &&
                xnn_run_operator(op, threadpool) == xnn_status_success;
      xnn_delete_operator(op);
      if (ok) return;
    } else if (op != nullptr) {
      xnn_delete_operator(op);
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_trans ? CblasTrans : CblasNoTrans, static_cast<int>(M),
              static_cast<int>(N), static_cast<int>(K), 1.0f, A, static_cast<int>(lda), B,
              static_cast<int>(b_trans ? K : N), 0.0f, C, static_cast<int>(ldc));
}

}  // namespace parallax::ops
