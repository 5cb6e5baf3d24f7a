// MatMul (numpy semantics: 1-D promotion, batch broadcasting) and the internal FusedMatMul
// (domain "parallax": MatMul + optional 1-D bias over the last dim + activation epilogue).
//
// float32 goes to parallax::Sgemm (OpenBLAS blocks split over the pool), float64 to
// cblas_dgemm: when B has no batch and A's batch is not broadcast, A's batch dims fold into M
// for one big GEMM; otherwise one GEMM per broadcast batch, spread over the pool (each GEMM
// single-threaded) when each is small. Integer types use a plain loop.
//
// float32 with a constant 2-D B and plan state (KernelContext::state): PackedSgemm, B packed
// once per node, FusedMatMul's bias and activation applied per block (kernels/packed_gemm.h).
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "kernels/gemm.h"
#include "kernels/kernel_util.h"
#include "kernels/packed_gemm.h"
#include "kernels/ops/conv_activation.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct MatMulDims {
  bool a1d = false, b1d = false;
  int64_t M = 0, K = 0, N = 0;
  Shape batch, batch_a, batch_b;
  Shape out;
};

Status MatMulShapes(const Shape& a, const Shape& b, MatMulDims* d) {
  if (a.empty() || b.empty()) {
    return InvalidArgument("MatMul operands must have rank >= 1, got " + ShapeToString(a) + " and " +
                           ShapeToString(b));
  }
  Shape sa = a, sb = b;
  d->a1d = sa.size() == 1;
  d->b1d = sb.size() == 1;
  if (d->a1d) sa.insert(sa.begin(), 1);
  if (d->b1d) sb.push_back(1);
  d->M = sa[sa.size() - 2];
  d->K = sa[sa.size() - 1];
  d->N = sb[sb.size() - 1];
  if (sb[sb.size() - 2] != d->K) {
    return InvalidArgument("MatMul inner dimensions differ: A " + ShapeToString(a) + " and B " +
                           ShapeToString(b));
  }
  d->batch_a.assign(sa.begin(), sa.end() - 2);
  d->batch_b.assign(sb.begin(), sb.end() - 2);
  PX_ASSIGN_OR_RETURN(d->batch, BroadcastShapes(d->batch_a, d->batch_b));
  d->out = d->batch;
  if (!d->a1d) d->out.push_back(d->M);
  if (!d->b1d) d->out.push_back(d->N);
  if (d->M > INT_MAX || d->K > INT_MAX || d->N > INT_MAX) return NotImplemented("MatMul dims exceed 2^31");
  return Status::Ok();
}

// `tp`: the pool that may split this GEMM (null inside ParallelFor bodies).
void Gemm(const float* a, const float* b, float* c, int64_t M, int64_t N, int64_t K, ThreadPool* tp) {
  Sgemm(tp, false, false, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
}
void Gemm(const double* a, const double* b, double* c, int64_t M, int64_t N, int64_t K, ThreadPool*) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), 1.0, a, static_cast<int>(K), b, static_cast<int>(N), 0.0, c,
              static_cast<int>(N));
}
template <typename T>
void Gemm(const T* a, const T* b, T* c, int64_t M, int64_t N, int64_t K, ThreadPool*) {
  for (int64_t i = 0; i < M; ++i) {
    T* crow = c + i * N;
    for (int64_t j = 0; j < N; ++j) crow[j] = T(0);
    for (int64_t k = 0; k < K; ++k) {
      const T av = a[i * K + k];
      const T* brow = b + k * N;
      for (int64_t j = 0; j < N; ++j) crow[j] += av * brow[j];
    }
  }
}

template <typename T>
void RunMatMul(const MatMulDims& d, const T* a, const T* b, T* c, ThreadPool* pool) {
  const int64_t M = d.M, N = d.N, K = d.K;
  const int64_t batches = NumElements(d.batch);
  if (batches == 0 || M == 0 || N == 0) return;
  if (K == 0) {
    std::memset(c, 0, sizeof(T) * batches * M * N);
    return;
  }
  constexpr bool kBlas = std::is_same_v<T, float> || std::is_same_v<T, double>;
  const int64_t ba = NumElements(d.batch_a), bb = NumElements(d.batch_b);
  if (bb == 1 && ba == batches) {
    // B is one matrix: fold A's batch into M.
    if (kBlas && batches * M <= INT_MAX) {
      Gemm(a, b, c, batches * M, N, K, pool);
    } else {
      const int64_t rows = batches * M;
      pool->ParallelFor(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, N * K)),
                        [&](int64_t r0, int64_t r1) { Gemm(a + r0 * K, b, c + r0 * N, r1 - r0, N, K, nullptr); });
    }
    return;
  }
  const std::vector<int64_t> sa = BroadcastStrides(d.batch_a, d.batch);
  const std::vector<int64_t> sb = BroadcastStrides(d.batch_b, d.batch);
  const std::vector<int64_t> so = Strides(d.batch);
  auto one = [&](int64_t bi, ThreadPool* tp) {
    int64_t oa = 0, ob = 0, rem = bi;
    for (size_t i = 0; i < d.batch.size(); ++i) {
      const int64_t idx = rem / so[i];
      rem %= so[i];
      oa += idx * sa[i];
      ob += idx * sb[i];
    }
    Gemm(a + oa * M * K, b + ob * K * N, c + bi * M * N, M, N, K, tp);
  };
  const bool small = M * N * K <= 262144;
  if (!kBlas || small) {
    // Small GEMMs: one per task, each on its worker's thread.
    const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, M * N * K));
    pool->ParallelFor(batches, grain, [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi) one(bi, nullptr);
    });
  } else {
    for (int64_t bi = 0; bi < batches; ++bi) one(bi, pool);
  }
}

// float32 C = act(A * B + bias) with B packed once per node (kernels/packed_gemm.h), when B is a
// 2-D constant of the plan: A's batch folds into M, and bias and activation are applied to each
// tile of C in L1 (to each finished block for activations the tiles lack). False when that does
// not apply: the caller computes C.
bool TryPackedMatMul(KernelContext& ctx, const MatMulDims& d, const float* bias, const Activation& act) {
  if (ctx.state == nullptr || !ctx.is_constant(1) || ctx.in(1).shape().size() != 2) return false;
  const int64_t rows = NumElements(d.batch) * d.M;
  if (rows <= 0 || d.K <= 0 || d.N <= 0) return false;
  const float* b = ctx.in(1).data<float>();
  const PackedMatrix* packed = ctx.state->GetOrCreate<PackedMatrix>(
      [&] { return PackedMatrix::Pack(d.K, d.N, b, /*b_is_kn=*/true); });
  if (packed == nullptr || packed->K() != d.K || packed->N() != d.N) return false;
  float* c = ctx.out(0).data<float>();
  const int64_t N = d.N;
  const std::optional<TileEpilogue> tile = AsTileEpilogue(act, bias);
  GemmEpilogue epilogue;
  if (!tile) {
    epilogue = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      ApplyRowBiasActivation(act, c + r0 * N + c0, r1 - r0, c1 - c0, bias ? bias + c0 : nullptr, N);
    };
  }
  PackedSgemm(ctx.pool, rows, ctx.in(0).data<float>(), d.K, *packed, c, N, epilogue, tile.value_or(TileEpilogue{}));
  return true;
}

// KernelDef::prepack for MatMul and FusedMatMul: the packing TryPackedMatMul would make.
std::shared_ptr<void> PrepackMatMulWeight(const Node&, const Tensor& w) {
  if (w.dtype() != DataType::kFloat32 || w.rank() != 2) return nullptr;
  return PackedMatrix::Pack(w.shape()[0], w.shape()[1], w.data<float>(), /*b_is_kn=*/true);
}

Status MatMulInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) return InvalidArgument("MatMul expects inputs A and B");
  const DataType dt = ctx.in(0).dtype;
  if (ctx.in(1).dtype != dt) {
    return InvalidArgument(std::string("MatMul operands have different dtypes ") + DataTypeName(dt) +
                           " and " + DataTypeName(ctx.in(1).dtype));
  }
  switch (dt) {
    case DataType::kFloat32: case DataType::kFloat64: case DataType::kInt32: case DataType::kInt64:
    case DataType::kUInt32: case DataType::kUInt64:
      break;
    default:
      return NotImplemented(std::string("MatMul does not support dtype ") + DataTypeName(dt));
  }
  MatMulDims d;
  PX_RETURN_IF_ERROR(MatMulShapes(ctx.in(0).shape, ctx.in(1).shape, &d));
  ctx.SetOutput(0, dt, d.out);
  return Status::Ok();
}

Status MatMulCompute(KernelContext& ctx) {
  MatMulDims d;
  PX_RETURN_IF_ERROR(MatMulShapes(ctx.in(0).shape(), ctx.in(1).shape(), &d));
  const Tensor& A = ctx.in(0);
  const Tensor& B = ctx.in(1);
  Tensor& C = ctx.out(0);
  if (A.dtype() == DataType::kFloat32 && TryPackedMatMul(ctx, d, nullptr, Activation{})) return Status::Ok();
  switch (A.dtype()) {
    case DataType::kFloat32: RunMatMul(d, A.data<float>(), B.data<float>(), C.data<float>(), ctx.pool); break;
    case DataType::kFloat64: RunMatMul(d, A.data<double>(), B.data<double>(), C.data<double>(), ctx.pool); break;
    case DataType::kInt32: RunMatMul(d, A.data<int32_t>(), B.data<int32_t>(), C.data<int32_t>(), ctx.pool); break;
    case DataType::kInt64: RunMatMul(d, A.data<int64_t>(), B.data<int64_t>(), C.data<int64_t>(), ctx.pool); break;
    case DataType::kUInt32: RunMatMul(d, A.data<uint32_t>(), B.data<uint32_t>(), C.data<uint32_t>(), ctx.pool); break;
    case DataType::kUInt64: RunMatMul(d, A.data<uint64_t>(), B.data<uint64_t>(), C.data<uint64_t>(), ctx.pool); break;
    default: return NotImplemented(std::string("MatMul does not support dtype ") + DataTypeName(A.dtype()));
  }
  return Status::Ok();
}

// FusedMatMul: A, B, optional bias [N]; attribute "activation".
Status FusedMatMulInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 2 || !ctx.has(0) || !ctx.has(1)) {
    return InvalidArgument("FusedMatMul expects inputs A and B");
  }
  if (ctx.in(0).dtype != DataType::kFloat32 || ctx.in(1).dtype != DataType::kFloat32 ||
      (ctx.has(2) && ctx.in(2).dtype != DataType::kFloat32)) {
    return NotImplemented("FusedMatMul supports float32 inputs only");
  }
  PX_RETURN_IF_ERROR(ParseActivation(ctx.node).status());
  MatMulDims d;
  PX_RETURN_IF_ERROR(MatMulShapes(ctx.in(0).shape, ctx.in(1).shape, &d));
  if (ctx.has(2)) {
    const Shape& bs = ctx.in(2).shape;
    if (bs.size() != 1 || bs[0] != d.N) {
      return InvalidArgument("FusedMatMul bias has shape " + ShapeToString(bs) + ", expected [" +
                             std::to_string(d.N) + "]");
    }
  }
  ctx.SetOutput(0, DataType::kFloat32, d.out);
  return Status::Ok();
}

Status FusedMatMulCompute(KernelContext& ctx) {
  MatMulDims d;
  PX_RETURN_IF_ERROR(MatMulShapes(ctx.in(0).shape(), ctx.in(1).shape(), &d));
  PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(ctx.node));
  Tensor& C = ctx.out(0);
  float* c = C.data<float>();
  const float* bias = ctx.has(2) ? ctx.in(2).data<float>() : nullptr;
  if (TryPackedMatMul(ctx, d, bias, act)) return Status::Ok();
  RunMatMul(d, ctx.in(0).data<float>(), ctx.in(1).data<float>(), c, ctx.pool);
  if ((bias == nullptr && act.kind == Activation::kNone) || C.numel() == 0) return Status::Ok();
  const int64_t rows = C.numel() / d.N;
  ctx.pool->ParallelFor(rows, std::max<int64_t>(1, 16384 / d.N), [&](int64_t r0, int64_t r1) {
    ApplyRowBiasActivation(act, c + r0 * d.N, r1 - r0, d.N, bias);
  });
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> MatMulRows() {
  return {
      {"MatMul", "", 1, 0, MatMulInfer, MatMulCompute, -1, false, false, PrepackMatMulWeight},
      {"FusedMatMul", "parallax", 1, 0, FusedMatMulInfer, FusedMatMulCompute, -1, false, false, PrepackMatMulWeight},
  };
}

}  // namespace parallax::ops
