// XNNPACK fully-connected operator for products with a constant weight matrix (MatMul,
// FusedMatMul, Gemm): the weights are packed once per node and kept in the plan's KernelState,
// where OpenBLAS would repack them on every call (matmul_xnn.cc).
//
// OFF by default (XnnFullyConnectedEnabled; PARALLAX_XNN_FC=1 turns it on). With Debian 12's
// XNNPACK (0.0~git20220216) it lost to OpenBLAS's SkylakeX sgemm at 1 thread, packing included,
// CPU ms per inference (parallax bench --threads 1 --runs 10, loaded 2-core VM, +-5%):
//   DistilBERT (M=128, 768<->3072): OpenBLAS ~129, XNNPACK one operator ~200, column blocks ~145
//   CLIP text  (M=77,  512<->2048): OpenBLAS ~130, XNNPACK one operator ~150, column blocks ~128
// That XNNPACK streams all of an operator's packed weights for every 7-row tile (no K or N
// cache blocking): hence the column blocks below, which still only tie OpenBLAS.
//
//   auto* fc = ctx.state->GetOrCreate<XnnFullyConnected>([&] {
//     return XnnFullyConnected::Create(K, N, b, /*b_is_kn=*/true, bias, lo, hi); });
//   if (!fc->TryRun(rows, K, N, a, y, ctx.pool)) { /* Sgemm path */ }
#pragma once

#include <xnnpack.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace parallax {
class ThreadPool;
}

namespace parallax::ops {

bool XnnFullyConnectedEnabled();
void SetXnnFullyConnectedEnabled(bool on);  // tests and benchmarks

class XnnFullyConnected {
 public:
  // y[rows, N] = clamp(x[rows, K] * W + bias, lo, hi). `w` is [K, N] row-major when w_is_kn
  // (MatMul's B), else [N, K] (Gemm's transB). bias [N] may be null; both are copied (packed).
  // Never returns null: a failed creation gives an operator whose TryRun returns false, so the
  // caller does not retry on every run.
  static std::shared_ptr<XnnFullyConnected> Create(int64_t K, int64_t N, const float* w, bool w_is_kn,
                                                   const float* bias, float lo, float hi);
  ~XnnFullyConnected();
  XnnFullyConnected(const XnnFullyConnected&) = delete;
  XnnFullyConnected& operator=(const XnnFullyConnected&) = delete;

  bool ok() const { return !ops_.empty(); }
  // False (y untouched, or partly written when XNNPACK fails) when the operator failed to create
  // or was made for another K/N: the caller then computes the product itself. Concurrent runs
  // wait for each other (XNNPACK keeps the pointers between setup and run): falling back to
  // OpenBLAS instead would change the rounding, and results must not depend on contention.
  bool TryRun(int64_t rows, int64_t K, int64_t N, const float* x, float* y, ThreadPool* pool);

 private:
  XnnFullyConnected() = default;
  std::mutex mu_;
  // One operator per block of output columns (XNNPACK streams all of an operator's packed
  // weights for every few rows; a block of ~512 KiB stays in L2 across all the rows).
  std::vector<xnn_operator_t> ops_;
  int64_t k_ = 0, n_ = 0, block_ = 0;
};

}  // namespace parallax::ops
