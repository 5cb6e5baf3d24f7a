#include "kernels/gemm.h"

#include <cblas.h>

#include <algorithm>

#include "runtime/thread_pool.h"

namespace parallax {

void Sgemm(ThreadPool* pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
           float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  auto run = [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const float* a_blk = trans_a ? a + m0 : a + m0 * lda;
    const float* b_blk = trans_b ? b + n0 * ldb : b + n0;
    cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m1 - m0), static_cast<blasint>(n1 - n0),
                static_cast<blasint>(k), alpha, a_blk, static_cast<blasint>(lda), b_blk,
                static_cast<blasint>(ldb), beta, c + m0 * ldc + n0, static_cast<blasint>(ldc));
  };
  const int threads = pool ? pool->threads() : 1;
  // Below ~2 MFLOP a split costs more in synchronisation than it saves.
  if (threads <= 1 || m * n * k < (int64_t{1} << 20)) {
    run(0, m, 0, n);
    return;
  }
  // The blocks depend on the thread count, and OpenBLAS's sum for an element can depend on its
  // block's size (its small-matrix kernels): a split product may differ in the last bits from
  // the 1-thread one (225x12x512: 2418 of 2700 elements). Plan-time folding therefore runs on
  // one thread (BuildPlan); the weight products (PackedSgemm) do not depend on the split.
  // Split the longer side into blocks; keep blocks a multiple of 16 for the micro-kernels.
  // Each block packs its own share of the split operand and all of the other one, so the
  // longer side is split: with small M (DistilBERT M = 128 < N = 768..3072) a split of M made
  // every thread pack the whole weight matrix.
  const int64_t blocks = threads;
  if (m >= n) {
    const int64_t step = std::max<int64_t>(16, ((m + blocks - 1) / blocks + 15) / 16 * 16);
    pool->ParallelFor((m + step - 1) / step, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) run(i * step, std::min(m, (i + 1) * step), 0, n);
    });
  } else {
    const int64_t step = std::max<int64_t>(16, ((n + blocks - 1) / blocks + 15) / 16 * 16);
    pool->ParallelFor((n + step - 1) / step, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) run(0, m, i * step, std::min(n, (i + 1) * step));
    });
  }
}

}  // namespace parallax
