// Gemm: Y = alpha * op(A) * op(B) + beta * C, C unidirectionally broadcast to (M, N).
// float32 via parallax::Sgemm, float64 via cblas_dgemm; int32/int64/uint32/uint64 via a loop.
// float32 with a constant B (and plan state, and no transA): PackedSgemm with alpha folded into
// the packed weights and beta * C added per finished block (kernels/packed_gemm.h).
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_util.h"
#include "kernels/packed_gemm.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct GemmDims {
  int64_t M, N, K;
  bool ta, tb;
};

Status GemmShapes(const Node& node, const Shape& a, const Shape& b, const Shape* c, GemmDims* d) {
  if (a.size() != 2 || b.size() != 2) {
    return InvalidArgument("Gemm expects 2-D A and B, got " + ShapeToString(a) + " and " + ShapeToString(b));
  }
  d->ta = node.GetInt("transA", 0) != 0;
  d->tb = node.GetInt("transB", 0) != 0;
  d->M = d->ta ? a[1] : a[0];
  d->K = d->ta ? a[0] : a[1];
  const int64_t kb = d->tb ? b[1] : b[0];
  d->N = d->tb ? b[0] : b[1];
  if (kb != d->K) {
    return InvalidArgument("Gemm inner dimensions differ: A " + ShapeToString(a) + (d->ta ? " (transposed)" : "") +
                           " and B " + ShapeToString(b) + (d->tb ? " (transposed)" : ""));
  }
  if (c != nullptr) {
    const Shape& s = *c;
    bool ok = s.size() <= 2;
    if (ok && s.size() == 2) ok = (s[0] == 1 || s[0] == d->M) && (s[1] == 1 || s[1] == d->N);
    if (ok && s.size() == 1) ok = s[0] == 1 || s[0] == d->N;
    if (!ok) {
      return InvalidArgument("Gemm C has shape " + ShapeToString(s) + ", not broadcastable to [" +
                             std::to_string(d->M) + "," + std::to_string(d->N) + "]");
    }
  }
  if (d->M > INT_MAX || d->N > INT_MAX || d->K > INT_MAX) return NotImplemented("Gemm dims exceed 2^31");
  return Status::Ok();
}

Status GemmInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) return InvalidArgument("Gemm expects inputs A and B");
  const DataType dt = ctx.in(0).dtype;
  if (ctx.in(1).dtype != dt || (ctx.has(2) && ctx.in(2).dtype != dt)) {
    return InvalidArgument("Gemm inputs must share one dtype");
  }
  switch (dt) {
    case DataType::kFloat32: case DataType::kFloat64: case DataType::kInt32: case DataType::kInt64:
    case DataType::kUInt32: case DataType::kUInt64:
      break;
    default:
      return NotImplemented(std::string("Gemm does not support dtype ") + DataTypeName(dt));
  }
  GemmDims d;
  PX_RETURN_IF_ERROR(GemmShapes(ctx.node, ctx.in(0).shape, ctx.in(1).shape,
                                ctx.has(2) ? &ctx.in(2).shape : nullptr, &d));
  ctx.SetOutput(0, dt, {d.M, d.N});
  return Status::Ok();
}

void BlasGemm(const GemmDims& d, float alpha, const float* a, const float* b, float beta, float* y,
              ThreadPool* pool) {
  Sgemm(pool, d.ta, d.tb, d.M, d.N, d.K, alpha, a, d.ta ? d.M : d.K, b, d.tb ? d.K : d.N, beta, y, d.N);
}
void BlasGemm(const GemmDims& d, double alpha, const double* a, const double* b, double beta, double* y,
              ThreadPool*) {
  cblas_dgemm(CblasRowMajor, d.ta ? CblasTrans : CblasNoTrans, d.tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(d.M), static_cast<int>(d.N), static_cast<int>(d.K), alpha, a,
              static_cast<int>(d.ta ? d.M : d.K), b, static_cast<int>(d.tb ? d.K : d.N), beta, y,
              static_cast<int>(d.N));
}

template <typename T>
void RunGemm(const GemmDims& d, const Node& node, const T* a, const T* b, const Tensor* C, T* y,
             ThreadPool* pool) {
  const int64_t M = d.M, N = d.N, K = d.K;
  if (M == 0 || N == 0) return;
  const double alpha_d = node.GetFloat("alpha", 1.0f), beta_d = node.GetFloat("beta", 1.0f);
  const T alpha = static_cast<T>(alpha_d), beta = static_cast<T>(beta_d);
  const bool use_c = C != nullptr && beta_d != 0.0;
  // Y = beta * broadcast(C) (or 0).
  if (use_c) {
    const T* c = C->data<T>();
    const Shape& s = C->shape();
    const int64_t cm = s.size() == 2 ? s[0] : 1;
    const int64_t cn = s.empty() ? 1 : s.back();
    for (int64_t i = 0; i < M; ++i) {
      const T* crow = c + (cm == 1 ? 0 : i) * cn;
      T* yrow = y + i * N;
      if (cn == 1) {
        for (int64_t j = 0; j < N; ++j) yrow[j] = beta * crow[0];
      } else {
        for (int64_t j = 0; j < N; ++j) yrow[j] = beta * crow[j];
      }
    }
  } else {
    for (int64_t i = 0; i < M * N; ++i) y[i] = T(0);
  }
  if (K == 0) return;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    BlasGemm(d, alpha, a, b, T(1), y, pool);
  } else {
    const int64_t lda = d.ta ? M : K, ldb = d.tb ? K : N;
    pool->ParallelFor(M, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, N * K)), [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        T* yrow = y + i * N;
        for (int64_t k = 0; k < K; ++k) {
          const T av = alpha * (d.ta ? a[k * lda + i] : a[i * lda + k]);
          for (int64_t j = 0; j < N; ++j) yrow[j] += av * (d.tb ? b[j * ldb + k] : b[k * ldb + j]);
        }
      }
    });
  }
}

// alpha * B packed for PackedSgemm (B is [K, N], or [N, K] with transB); null when transA is
// set or B is not a 2-D float32 matrix. Also Gemm's KernelDef::prepack.
std::shared_ptr<PackedMatrix> PackGemmWeight(const Node& node, const Tensor& b) {
  if (node.GetInt("transA", 0) != 0 || b.dtype() != DataType::kFloat32 || b.rank() != 2) return nullptr;
  const bool tb = node.GetInt("transB", 0) != 0;
  const int64_t K = tb ? b.shape()[1] : b.shape()[0], N = tb ? b.shape()[0] : b.shape()[1];
  const float alpha = node.GetFloat("alpha", 1.0f);
  const float* w = b.data<float>();
  std::vector<float> scaled;
  if (alpha != 1.0f) {
    scaled.assign(w, w + N * K);
    for (float& v : scaled) v *= alpha;
    w = scaled.data();
  }
  return PackedMatrix::Pack(K, N, w, /*b_is_kn=*/!tb);
}

std::shared_ptr<void> PrepackGemmWeight(const Node& node, const Tensor& b) { return PackGemmWeight(node, b); }
const char* const kGemmPackingAttrs[] = {"transA", "transB", "alpha", nullptr};

// float32 with a constant B and no transA: PackedSgemm, alpha * B packed once per node, and
// beta * C (any broadcast) added per block of Y as soon as it is done. False when that does
// not apply: the caller computes Y.
bool TryPackedGemm(KernelContext& ctx, const GemmDims& d, const Tensor* C, float* y) {
  if (ctx.state == nullptr || !ctx.is_constant(1) || d.ta || d.M <= 0 || d.N <= 0 || d.K <= 0) return false;
  const float beta = ctx.node.GetFloat("beta", 1.0f);
  const int64_t N = d.N, K = d.K;
  const PackedMatrix* packed =
      ctx.state->GetOrCreate<PackedMatrix>([&] { return PackGemmWeight(ctx.node, ctx.in(1)); });
  if (packed == nullptr || packed->K() != K || packed->N() != N) return false;
  GemmEpilogue epilogue;
  if (C != nullptr && beta != 0.0f) {
    // C broadcasts to (M, N): [], [1], [N], [1, N], [M, 1], [M, N].
    const Shape& cs = C->shape();
    const int64_t cn = cs.empty() ? 1 : cs.back();
    const int64_t cm = cs.size() == 2 ? cs[0] : 1;
    const float* c = C->data<float>();
    epilogue = [=](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      for (int64_t i = r0; i < r1; ++i) {
        const float* crow = c + (cm == 1 ? 0 : i) * cn;
        float* yrow = y + i * N;
        for (int64_t j = c0; j < c1; ++j) yrow[j] += beta * crow[cn == 1 ? 0 : j];
      }
    };
  }
  PackedSgemm(ctx.pool, d.M, ctx.in(0).data<float>(), K, *packed, y, N, epilogue);
  return true;
}

Status GemmCompute(KernelContext& ctx) {
  const Tensor* C = ctx.has(2) ? &ctx.in(2) : nullptr;
  GemmDims d;
  PX_RETURN_IF_ERROR(GemmShapes(ctx.node, ctx.in(0).shape(), ctx.in(1).shape(), C ? &C->shape() : nullptr, &d));
  Tensor& Y = ctx.out(0);
  if (Y.dtype() == DataType::kFloat32 && TryPackedGemm(ctx, d, C, Y.data<float>())) return Status::Ok();
  switch (Y.dtype()) {
#define PX_GEMM_CASE(DT, T)                                                                     \
  case DT:                                                                                      \
    RunGemm<T>(d, ctx.node, ctx.in(0).data<T>(), ctx.in(1).data<T>(), C, Y.data<T>(), ctx.pool); \
    break;
    PX_GEMM_CASE(DataType::kFloat32, float)
    PX_GEMM_CASE(DataType::kFloat64, double)
    PX_GEMM_CASE(DataType::kInt32, int32_t)
    PX_GEMM_CASE(DataType::kInt64, int64_t)
    PX_GEMM_CASE(DataType::kUInt32, uint32_t)
    PX_GEMM_CASE(DataType::kUInt64, uint64_t)
#undef PX_GEMM_CASE
    default:
      return NotImplemented(std::string("Gemm does not support dtype ") + DataTypeName(Y.dtype()));
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> GemmRows() {
  return {
      {"Gemm", "", 1, 0, GemmInfer, GemmCompute, -1, false, false, PrepackGemmWeight, kGemmPackingAttrs},
  };
}

}  // namespace parallax::ops
