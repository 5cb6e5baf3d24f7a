// parallax::FusedAttention (ir/passes/fuse_attention.cc): O = Softmax(scale ⊙ (Q·Kᵀ) + mask)·V
// over the last axis, with Q [..., M, K], Kᵀ [..., K, N], V [..., N, D] (batch dims broadcast
// as in MatMul) and the optional scale (input 3) and mask (input 4) broadcast to the scores'
// shape [batch..., M, N].
//
// Per batch, Kᵀ and V are packed once (kernels/packed_gemm.h); then each task takes a block of
// kRows rows of Q, computes its scores in a scratch buffer that stays in L2, applies scale,
// mask and softmax row by row, and multiplies by V. The [.., M, N] scores never reach memory.
// Tasks are (batch, row block) pairs: the result does not depend on the thread count.
// float32 only; CPUs without a packed-GEMM kernel use single-threaded Sgemm per block.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_util.h"
#include "kernels/ops/softmax_row.h"
#include "kernels/packed_gemm.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

constexpr int64_t kRows = 72;  // rows of Q per task (a multiple of the 12- and 6-row tiles)

struct AttentionDims {
  int64_t M = 0, K = 0, N = 0, D = 0;
  Shape batch, batch_q, batch_k, batch_v;
  Shape scores;  // batch..., M, N
  Shape out;     // batch..., M, D
};

Status AttentionShapes(const Node& node, const Shape& q, const Shape& kt, const Shape& v, AttentionDims* d) {
  if (q.size() < 2 || kt.size() < 2 || v.size() < 2) {
    return InvalidArgument(node.Describe() + "Q, Kᵀ and V must have rank >= 2, got " + ShapeToString(q) + ", " +
                           ShapeToString(kt) + ", " + ShapeToString(v));
  }
  d->M = q[q.size() - 2];
  d->K = q.back();
  d->N = kt.back();
  d->D = v.back();
  if (kt[kt.size() - 2] != d->K || v[v.size() - 2] != d->N) {
    return InvalidArgument(node.Describe() + "inner dimensions differ: Q " + ShapeToString(q) + ", Kᵀ " +
                           ShapeToString(kt) + ", V " + ShapeToString(v));
  }
  d->batch_q.assign(q.begin(), q.end() - 2);
  d->batch_k.assign(kt.begin(), kt.end() - 2);
  d->batch_v.assign(v.begin(), v.end() - 2);
  PX_ASSIGN_OR_RETURN(Shape qk, BroadcastShapes(d->batch_q, d->batch_k));
  PX_ASSIGN_OR_RETURN(d->batch, BroadcastShapes(qk, d->batch_v));
  d->scores = d->batch;
  d->scores.push_back(d->M);
  d->scores.push_back(d->N);
  d->out = d->batch;
  d->out.push_back(d->M);
  d->out.push_back(d->D);
  return Status::Ok();
}

// Offset of batch b (a flat index over `batch`) in an operand with these broadcast strides
// (the first batch.size() of them are used).
int64_t BatchOffset(const Shape& batch, const std::vector<int64_t>& strides, int64_t b) {
  int64_t off = 0;
  for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
    off += (b % batch[d]) * strides[d];
    b /= batch[d];
  }
  return off;
}

// An optional operand broadcast to the scores: offset of row (b, i) and stride along N.
struct RowOperand {
  const float* data = nullptr;
  std::vector<int64_t> strides;  // over the scores' dims
  int64_t Offset(const Shape& batch, int64_t b, int64_t i) const {
    return BatchOffset(batch, strides, b) + i * strides[strides.size() - 2];
  }
  int64_t step() const { return strides.back(); }
};

Status FusedAttentionInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 3 || !ctx.has(0) || !ctx.has(1) || !ctx.has(2)) {
    return InvalidArgument(ctx.node.Describe() + "expects inputs Q, Kᵀ and V");
  }
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has(i) && ctx.in(i).dtype != DataType::kFloat32) {
      return NotImplemented(ctx.node.Describe() + "supports float32 only, input " + std::to_string(i) + " is " +
                            DataTypeName(ctx.in(i).dtype));
    }
  }
  AttentionDims d;
  PX_RETURN_IF_ERROR(AttentionShapes(ctx.node, ctx.in(0).shape, ctx.in(1).shape, ctx.in(2).shape, &d));
  for (size_t i = 3; i < 5 && i < ctx.num_inputs(); ++i) {
    if (!ctx.has(i)) continue;
    auto b = BroadcastShapes(ctx.in(i).shape, d.scores);
    if (!b.ok() || *b != d.scores) {
      return InvalidArgument(ctx.node.Describe() + (i == 3 ? "scale " : "mask ") + ShapeToString(ctx.in(i).shape) +
                             " does not broadcast to the scores " + ShapeToString(d.scores));
    }
  }
  ctx.SetOutput(0, DataType::kFloat32, d.out);
  return Status::Ok();
}

Status FusedAttentionCompute(KernelContext& ctx) {
  AttentionDims d;
  PX_RETURN_IF_ERROR(AttentionShapes(ctx.node, ctx.in(0).shape(), ctx.in(1).shape(), ctx.in(2).shape(), &d));
  const int64_t batches = NumElements(d.batch);
  const int64_t M = d.M, K = d.K, N = d.N, D = d.D;
  float* out = ctx.out(0).data<float>();
  if (batches == 0 || M == 0 || D == 0) return Status::Ok();
  if (N == 0) {  // softmax over nothing: V has no rows, the product is 0
    std::fill(out, out + batches * M * D, 0.0f);
    return Status::Ok();
  }
  const float* q = ctx.in(0).data<float>();
  const float* kt = ctx.in(1).data<float>();
  const float* v = ctx.in(2).data<float>();
  RowOperand ops[2];  // scale, mask
  for (int i = 0; i < 2; ++i) {
    if (ctx.has(3 + i)) {
      ops[i].data = ctx.in(3 + i).data<float>();
      ops[i].strides = BroadcastStrides(ctx.in(3 + i).shape(), d.scores);
    }
  }
  const std::vector<int64_t> sq = BroadcastStrides(d.batch_q, d.batch);
  const std::vector<int64_t> sk = BroadcastStrides(d.batch_k, d.batch);
  const std::vector<int64_t> sv = BroadcastStrides(d.batch_v, d.batch);
  auto batch_offset = [&](const std::vector<int64_t>& strides, int64_t b) { return BatchOffset(d.batch, strides, b); };

  // Kᵀ and V packed once per batch (when K or N is 0 the product is 0: no packing).
  std::vector<std::shared_ptr<PackedMatrix>> kp(batches), vp(batches);
  if (K > 0) {
    ctx.pool->ParallelFor(batches, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        kp[b] = PackedMatrix::Pack(K, N, kt + batch_offset(sk, b) * K * N, /*b_is_kn=*/true);
        vp[b] = PackedMatrix::Pack(N, D, v + batch_offset(sv, b) * N * D, /*b_is_kn=*/true);
      }
    });
  }
  const int64_t blocks = (M + kRows - 1) / kRows;
  ctx.pool->ParallelFor(batches * blocks, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> scores(static_cast<size_t>(std::min(kRows, M) * N));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / blocks, i0 = (t % blocks) * kRows, rows = std::min(kRows, M - i0);
      const float* qb = q + batch_offset(sq, b) * M * K + i0 * K;
      float* s = scores.data();
      if (K == 0) {
        std::fill(s, s + rows * N, 0.0f);
      } else if (kp[b]) {
        PackedSgemm(nullptr, rows, qb, K, *kp[b], s, N);
      } else {
        Sgemm(nullptr, false, false, rows, N, K, 1.0f, qb, K, kt + batch_offset(sk, b) * K * N, N, 0.0f, s, N);
      }
      for (int64_t r = 0; r < rows; ++r) {
        float* row = s + r * N;
        if (ops[0].data != nullptr) {
          const float* sc = ops[0].data + ops[0].Offset(d.batch, b, i0 + r);
          const int64_t st = ops[0].step();
          for (int64_t j = 0; j < N; ++j) row[j] *= sc[j * st];
        }
        if (ops[1].data != nullptr) {
          const float* mk = ops[1].data + ops[1].Offset(d.batch, b, i0 + r);
          const int64_t st = ops[1].step();
          for (int64_t j = 0; j < N; ++j) row[j] += mk[j * st];
        }
        SoftmaxRowF32(row, row, N);
      }
      float* ob = out + (b * M + i0) * D;
      if (vp[b]) {
        PackedSgemm(nullptr, rows, s, N, *vp[b], ob, D);
      } else {
        Sgemm(nullptr, false, false, rows, D, N, 1.0f, s, N, v + batch_offset(sv, b) * N * D, D, 0.0f, ob, D);
      }
    }
  });
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> AttentionRows() {
  return {{"FusedAttention", "parallax", 1, 0, FusedAttentionInfer, FusedAttentionCompute}};
}

}  // namespace parallax::ops
