// Sgemm on the session's thread pool: the one way Parallax kernels multiply float matrices.
//
//   Sgemm(ctx.pool, /*trans_a=*/false, /*trans_b=*/false, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
//
// Row-major C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C. The product is split into
// blocks of rows (or of columns when M is small) and each block runs single-threaded OpenBLAS
// on a pool worker. OpenBLAS's own threads are never started, so one pool owns the cores:
// two pools spin-waiting against each other on 2 cores cost up to 100x on small models.
#pragma once

#include <cstdint>

#include "parallax/status.h"

namespace parallax {

class ThreadPool;

// Loads OpenBLAS (kernels/blas_loader.cc). Fails — instead of aborting later — when the
// library cannot be loaded, e.g. under a tight address-space limit.
Status LoadBlas();

void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc);

}  // namespace parallax
