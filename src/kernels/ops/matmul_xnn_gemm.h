// Row-major float32 GEMM C (M x N) = A (M x K) * B (K x N) on XNNPACK's fully-connected
// operator (B packed per call as transposed weights), falling back to cblas_sgemm when
// XNNPACK is unavailable. OpenBLAS 0.3.21's DYNAMIC_ARCH does not recognise this machine's
// CPU (it reports core "Prescott", 12-30 GFLOP/s); XNNPACK detects AVX-512 (~110 GFLOP/s).
//
// Shared by MatMul/FusedMatMul/Gemm and Conv (the NCHW conv GEMM is W (M x K) * col (K x OS)).
#pragma once

#include <cstdint>

struct pthreadpool;

namespace parallax::ops {

// lda/ldc are row strides (>= K, >= N); B is dense: K x N, or N x K when b_trans.
// `threadpool` may be null (runs on the caller's thread; required inside ParallelFor bodies).
void XnnSgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              bool b_trans, float* C, int64_t ldc, pthreadpool* threadpool);

}  // namespace parallax::ops
