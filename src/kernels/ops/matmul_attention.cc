// parallax::FusedAttention (ir/passes/fuse_attention.cc): O = Softmax(scale ⊙ (Q·Kᵀ) + mask)·V
// over the last axis, with Q [..., M, K], Kᵀ [..., K, N], V [..., N, D] (batch dims broadcast
// as in MatMul) and the optional scale (input 3) and mask (input 4) broadcast to the scores'
// shape [batch..., M, N].
//
// Attribute "heads_interleaved" = [q, k, v, out] (0/1 each; absent: all 0). The fusion pass
// sets it when it absorbs the head transposes PyTorch exports around attention: a 1 means the
// operand is given in the [B, S, H, E] layout of the projections instead of [B, H, S, E]:
//   q [B, M, H, K] is Q = Transpose(q, 0 2 1 3); k [B, N, H, K] is Kᵀ = Transpose(k, 0 2 3 1);
//   v [B, N, H, D] is V = Transpose(v, 0 2 1 3); the output is written as [B, M, H, D].
// The kernel reads and writes those layouts through row strides: no transposed copy is made.
//
// Per batch, Kᵀ and V are packed once (kernels/packed_gemm.h); then each task takes a block of
// kRows rows of Q, computes its scores in a scratch buffer that stays in L2, applies scale and
// mask, takes exp(s - row max) and the row sums, multiplies by V and divides each output row by
// its sum (D divisions per row instead of N). The [.., M, N] scores never reach memory.
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

// An operand as the math sees it (shape, rank >= 2) and where its elements are (strides).
struct View {
  Shape shape;
  std::vector<int64_t> strides;
  int64_t rows() const { return shape[shape.size() - 2]; }
  int64_t cols() const { return shape.back(); }
  int64_t row_stride() const { return strides[strides.size() - 2]; }
  int64_t col_stride() const { return strides.back(); }
};

View Dense(const Shape& shape) { return {shape, Strides(shape)}; }

// physical [B, S, H, E] seen as [B, H, S, E] (transposed_last: as [B, H, E, S], for Kᵀ).
View Interleaved(const Shape& p, bool transposed_last) {
  const int64_t S = p[1], H = p[2], E = p[3];
  if (transposed_last) return {{p[0], H, E, S}, {S * H * E, E, 1, H * E}};
  return {{p[0], H, S, E}, {S * H * E, E, H * E, 1}};
}

// The four "heads_interleaved" flags (q, k, v, out).
Status LayoutFlags(const Node& node, bool flags[4]) {
  const std::vector<int64_t> f = node.GetInts("heads_interleaved");
  if (!f.empty() && f.size() != 4) {
    return InvalidArgument(node.Describe() + "heads_interleaved must have 4 entries, got " + std::to_string(f.size()));
  }
  for (int i = 0; i < 4; ++i) flags[i] = !f.empty() && f[i] != 0;
  return Status::Ok();
}

struct AttentionDims {
  int64_t M = 0, K = 0, N = 0, D = 0;
  View q, kt, v;
  Shape batch;
  Shape scores;     // batch..., M, N
  View out;         // batch..., M, D
  Shape out_shape;  // as stored
};

Status AttentionShapes(const Node& node, const Shape& q, const Shape& kt, const Shape& v, AttentionDims* d) {
  bool il[4];
  PX_RETURN_IF_ERROR(LayoutFlags(node, il));
  const Shape* shapes[3] = {&q, &kt, &v};
  const char* names[3] = {"Q", "K", "V"};
  for (int i = 0; i < 3; ++i) {
    if (shapes[i]->size() < 2 || (il[i] && shapes[i]->size() != 4)) {
      return InvalidArgument(node.Describe() + names[i] + " must have rank " + (il[i] ? "4 ([B, S, H, E])" : ">= 2") +
                             ", got " + ShapeToString(*shapes[i]));
    }
  }
  d->q = il[0] ? Interleaved(q, false) : Dense(q);
  d->kt = il[1] ? Interleaved(kt, true) : Dense(kt);
  d->v = il[2] ? Interleaved(v, false) : Dense(v);
  d->M = d->q.rows();
  d->K = d->q.cols();
  d->N = d->kt.cols();
  d->D = d->v.cols();
  if (d->kt.rows() != d->K || d->v.rows() != d->N) {
    return InvalidArgument(node.Describe() + "inner dimensions differ: Q " + ShapeToString(d->q.shape) + ", Kᵀ " +
                           ShapeToString(d->kt.shape) + ", V " + ShapeToString(d->v.shape));
  }
  const Shape bq(d->q.shape.begin(), d->q.shape.end() - 2), bk(d->kt.shape.begin(), d->kt.shape.end() - 2),
      bv(d->v.shape.begin(), d->v.shape.end() - 2);
  PX_ASSIGN_OR_RETURN(Shape qk, BroadcastShapes(bq, bk));
  PX_ASSIGN_OR_RETURN(d->batch, BroadcastShapes(qk, bv));
  d->scores = d->batch;
  d->scores.push_back(d->M);
  d->scores.push_back(d->N);
  Shape out = d->batch;
  out.push_back(d->M);
  out.push_back(d->D);
  if (!il[3]) {
    d->out = Dense(out);
    d->out_shape = out;
  } else {
    if (out.size() != 4) {
      return InvalidArgument(node.Describe() + "an interleaved output needs batch dims [B, H], got " +
                             ShapeToString(d->batch));
    }
    d->out_shape = {out[0], out[2], out[1], out[3]};
    d->out = Interleaved(d->out_shape, false);
  }
  return Status::Ok();
}

// Strides of an operand's batch dims over the broadcast `batch` (0 where it is broadcast).
std::vector<int64_t> BatchStrides(const View& v, const Shape& batch) {
  const size_t r = v.shape.size() - 2;
  std::vector<int64_t> s(batch.size(), 0);
  for (size_t i = 0; i < r; ++i) {
    if (v.shape[i] != 1) s[batch.size() - r + i] = v.strides[i];
  }
  return s;
}

// Offset of batch b (a flat index over `batch`) given per-dim strides.
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
  ctx.SetOutput(0, DataType::kFloat32, d.out_shape);
  return Status::Ok();
}

Status FusedAttentionCompute(KernelContext& ctx) {
  AttentionDims d;
  PX_RETURN_IF_ERROR(AttentionShapes(ctx.node, ctx.in(0).shape(), ctx.in(1).shape(), ctx.in(2).shape(), &d));
  const int64_t batches = NumElements(d.batch);
  const int64_t M = d.M, K = d.K, N = d.N, D = d.D;
  float* out = ctx.out(0).data<float>();
  if (batches == 0 || M == 0 || D == 0) return Status::Ok();
  const std::vector<int64_t> sq = BatchStrides(d.q, d.batch), sk = BatchStrides(d.kt, d.batch),
                             sv = BatchStrides(d.v, d.batch), so = BatchStrides(d.out, d.batch);
  auto offset = [&](const std::vector<int64_t>& strides, int64_t b) { return BatchOffset(d.batch, strides, b); };
  const int64_t ldo = d.out.row_stride();
  if (N == 0) {  // softmax over nothing: V has no rows, the product is 0
    for (int64_t b = 0; b < batches; ++b) {
      for (int64_t i = 0; i < M; ++i) std::fill_n(out + offset(so, b) + i * ldo, D, 0.0f);
    }
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
  // Kᵀ is [K, N] with unit column stride (dense), or unit row stride (read from K [N, K]).
  const bool kt_by_rows = d.kt.col_stride() == 1;
  const int64_t ldk = kt_by_rows ? d.kt.row_stride() : d.kt.col_stride();
  const int64_t ldq = d.q.row_stride(), ldv = d.v.row_stride();

  // Kᵀ and V packed once per batch (when K is 0 the scores are 0: no packing).
  std::vector<std::shared_ptr<PackedMatrix>> kp(batches), vp(batches);
  if (K > 0) {
    ctx.pool->ParallelFor(batches, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        kp[b] = PackedMatrix::Pack(K, N, kt + offset(sk, b), kt_by_rows, GemmIsa::kAuto, ldk);
        vp[b] = PackedMatrix::Pack(N, D, v + offset(sv, b), /*b_is_kn=*/true, GemmIsa::kAuto, ldv);
      }
    });
  }
  const int64_t blocks = (M + kRows - 1) / kRows;
  ctx.pool->ParallelFor(batches * blocks, 1, [&](int64_t t0, int64_t t1) {
    const int64_t block_rows = std::min(kRows, M);
    std::vector<float> scores(static_cast<size_t>(block_rows * N)), inv_sum(static_cast<size_t>(block_rows));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / blocks, i0 = (t % blocks) * kRows, rows = std::min(kRows, M - i0);
      const float* qb = q + offset(sq, b) + i0 * ldq;
      float* s = scores.data();
      if (K == 0) {
        std::fill(s, s + rows * N, 0.0f);
      } else if (kp[b]) {
        PackedSgemm(nullptr, rows, qb, ldq, *kp[b], s, N);
      } else {
        Sgemm(nullptr, false, !kt_by_rows, rows, N, K, 1.0f, qb, ldq, kt + offset(sk, b), ldk, 0.0f, s, N);
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
        inv_sum[r] = 1.0f / SoftmaxExpRowF32(row, row, N);
      }
      float* ob = out + offset(so, b) + i0 * ldo;
      auto normalize = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        for (int64_t r = r0; r < r1; ++r) {
          float* o = ob + r * ldo;
          const float f = inv_sum[r];
          for (int64_t c = c0; c < c1; ++c) o[c] *= f;
        }
      };
      if (vp[b]) {
        PackedSgemm(nullptr, rows, s, N, *vp[b], ob, ldo, normalize);
      } else {
        Sgemm(nullptr, false, false, rows, D, N, 1.0f, s, N, v + offset(sv, b), ldv, 0.0f, ob, ldo);
        normalize(0, rows, 0, D);
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
