// parallax::FusedAttention against a double-precision reference of the unfused ops
// (MatMul → Mul(scale) → Add(mask) → Softmax(-1) → MatMul) on random shapes, with broadcast
// batch dims, scale and mask, row counts that are not multiples of the kernel's row block, and
// bitwise equality across thread counts.
#include <array>
#include <cmath>
#include <cstring>
#include <random>

#include "kernel_test_util.h"

namespace parallax::testing {
namespace {

// Offset into a tensor of shape `in` broadcast to `out`, for out's flat index `flat`.
int64_t BroadcastOffset(const Shape& in, const Shape& out, int64_t flat) {
  int64_t off = 0, stride = 1;
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    const int64_t idx = flat % out[d];
    flat /= out[d];
    const int64_t id = d - (static_cast<int64_t>(out.size()) - static_cast<int64_t>(in.size()));
    if (id >= 0) {
      if (in[id] != 1) off += idx * stride;
      stride *= in[id];
    }
  }
  return off;
}

Shape Concat(Shape a, std::initializer_list<int64_t> tail) {
  a.insert(a.end(), tail);
  return a;
}

Tensor Reference(const Tensor& q, const Tensor& kt, const Tensor& v, const Tensor* scale, const Tensor* mask,
                 const Shape& batch) {
  const int64_t M = q.shape()[q.rank() - 2], K = q.shape().back(), N = kt.shape().back(), D = v.shape().back();
  const Shape bq(q.shape().begin(), q.shape().end() - 2), bk(kt.shape().begin(), kt.shape().end() - 2),
      bv(v.shape().begin(), v.shape().end() - 2);
  const Shape scores = Concat(batch, {M, N});
  Tensor out = Tensor::Allocate(DataType::kFloat32, Concat(batch, {M, D})).value();
  int64_t batches = 1;
  for (int64_t d : batch) batches *= d;
  std::vector<double> row(N);
  for (int64_t b = 0; b < batches; ++b) {
    const float* qb = q.data<float>() + BroadcastOffset(bq, batch, b) * M * K;
    const float* kb = kt.data<float>() + BroadcastOffset(bk, batch, b) * K * N;
    const float* vb = v.data<float>() + BroadcastOffset(bv, batch, b) * N * D;
    for (int64_t i = 0; i < M; ++i) {
      double mx = -INFINITY;
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += double(qb[i * K + k]) * kb[k * N + j];
        const int64_t flat = (b * M + i) * N + j;
        if (scale) s *= scale->data<float>()[BroadcastOffset(scale->shape(), scores, flat)];
        if (mask) s += mask->data<float>()[BroadcastOffset(mask->shape(), scores, flat)];
        row[j] = s;
        mx = std::max(mx, s);
      }
      double sum = 0;
      for (int64_t j = 0; j < N; ++j) sum += (row[j] = std::exp(row[j] - mx));
      for (int64_t d = 0; d < D; ++d) {
        double o = 0;
        for (int64_t j = 0; j < N; ++j) o += row[j] / sum * vb[j * D + d];
        out.data<float>()[(b * M + i) * D + d] = static_cast<float>(o);
      }
    }
  }
  return out;
}

Node AttentionNode() {
  Node n = MakeNode("FusedAttention", 1);
  n.domain = "parallax";
  return n;
}

struct Case {
  Shape bq, bk, bv;  // batch dims of Q, Kᵀ, V
  int64_t M, K, N, D;
  Shape scale, mask;  // empty: input omitted
};

TEST(FusedAttention, MatchesUnfusedReference) {
  std::mt19937 rng(31);
  const std::vector<Case> cases = {
      {{2, 3}, {2, 3}, {2, 3}, 5, 4, 9, 3, {}, {}},
      {{1, 2}, {1, 2}, {1, 2}, 150, 16, 77, 8, {1, 2, 1, 1}, {1, 1, 1, 77}},  // rows past one block
      {{4}, {4}, {4}, 73, 8, 200, 5, {}, {73, 200}},                           // a mask per (row, col)
      {{3}, {1}, {3}, 7, 5, 13, 11, {3, 1, 1}, {}},                            // Kᵀ shared by the batch
      {{}, {}, {}, 144, 64, 150, 64, {}, {1, 150}},                            // no batch dims
      {{2}, {2}, {2}, 1, 3, 1, 2, {}, {}},                                     // one row, one column
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("M " + std::to_string(c.M) + " K " + std::to_string(c.K) + " N " + std::to_string(c.N) + " D " +
                 std::to_string(c.D) + " scale " + ShapeToString(c.scale) + " mask " + ShapeToString(c.mask));
    Tensor q = RandomFloat(Concat(c.bq, {c.M, c.K}), rng, -2, 2);
    Tensor kt = RandomFloat(Concat(c.bk, {c.K, c.N}), rng, -2, 2);
    Tensor v = RandomFloat(Concat(c.bv, {c.N, c.D}), rng);
    Tensor scale = c.scale.empty() ? Tensor() : RandomFloat(c.scale, rng, 0.1f, 1.f);
    Tensor mask = c.mask.empty() ? Tensor() : RandomFloat(c.mask, rng, -5, 0);
    std::vector<Tensor> inputs = {q, kt, v};
    if (!c.scale.empty() || !c.mask.empty()) inputs.push_back(scale);
    if (!c.mask.empty()) inputs.push_back(mask);
    Shape batch = c.bq.size() >= c.bk.size() ? c.bq : c.bk;
    for (size_t i = 0; i < batch.size(); ++i) batch[i] = std::max(batch[i], c.bv.empty() ? 1 : c.bv[i]);
    const Tensor expect = Reference(q, kt, v, c.scale.empty() ? nullptr : &scale, c.mask.empty() ? nullptr : &mask, batch);
    auto out = RunKernel(AttentionNode(), inputs);
    ASSERT_TRUE(out.ok()) << out.status().message();
    ExpectClose((*out)[0], expect, 2e-5);
  }
}

// out[i0, i1, i2, i3] = in[...] with out dim j = in dim perm[j] (rank 4).
Tensor Permute4(const Tensor& in, std::array<int, 4> perm) {
  const Shape& s = in.shape();
  const Shape os = {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
  Tensor out = Tensor::Allocate(DataType::kFloat32, os).value();
  const int64_t st[4] = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
  int64_t o = 0;
  for (int64_t a = 0; a < os[0]; ++a)
    for (int64_t b = 0; b < os[1]; ++b)
      for (int64_t c = 0; c < os[2]; ++c)
        for (int64_t d = 0; d < os[3]; ++d) {
          const int64_t idx[4] = {a, b, c, d};
          int64_t off = 0;
          for (int j = 0; j < 4; ++j) off += idx[j] * st[perm[j]];
          out.data<float>()[o++] = in.data<float>()[off];
        }
  return out;
}

// The layouts the fusion pass absorbs: each operand (and the output) in [B, S, H, E] instead of
// [B, H, S, E] (Kᵀ: K in [B, N, H, K]), every one of the 16 combinations, against the kernel
// on the dense operands.
TEST(FusedAttention, InterleavedHeadsMatchTransposedOperands) {
  std::mt19937 rng(34);
  const int64_t B = 2, H = 3, M = 80, K = 8, N = 45, D = 5;  // M crosses a 72-row block
  Tensor q = RandomFloat({B, H, M, K}, rng, -2, 2), kt = RandomFloat({B, H, K, N}, rng, -2, 2);
  Tensor v = RandomFloat({B, H, N, D}, rng), mask = RandomFloat({1, 1, 1, N}, rng, -3, 0);
  const Tensor qi = Permute4(q, {0, 2, 1, 3}), ki = Permute4(kt, {0, 3, 1, 2}), vi = Permute4(v, {0, 2, 1, 3});
  auto dense = RunKernel(AttentionNode(), {q, kt, v, Tensor(), mask});
  ASSERT_TRUE(dense.ok()) << dense.status().message();
  const Tensor dense_out = (*dense)[0], dense_out_i = Permute4(dense_out, {0, 2, 1, 3});
  ExpectClose(dense_out, Reference(q, kt, v, nullptr, &mask, {B, H}), 2e-5);
  for (int flags = 1; flags < 16; ++flags) {
    SCOPED_TRACE("flags " + std::to_string(flags));
    Node n = AttentionNode();
    Attribute a;
    a.kind = Attribute::Kind::kInts;
    for (int i = 0; i < 4; ++i) a.ints.push_back((flags >> i) & 1);
    n.attrs["heads_interleaved"] = a;
    auto out = RunKernel(n, {flags & 1 ? qi : q, flags & 2 ? ki : kt, flags & 4 ? vi : v, Tensor(), mask});
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& want = flags & 8 ? dense_out_i : dense_out;
    ASSERT_EQ((*out)[0].shape(), want.shape());
    EXPECT_EQ(std::memcmp((*out)[0].raw(), want.raw(), want.nbytes()), 0);
  }
  Node bad = AttentionNode();
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = {1, 0, 0, 0};
  bad.attrs["heads_interleaved"] = a;
  auto rank = RunKernel(bad, {RandomFloat({M, K}, rng), kt, v});
  ASSERT_FALSE(rank.ok());
  EXPECT_NE(rank.status().message().find("rank 4"), std::string::npos) << rank.status().message();
}

TEST(FusedAttention, ThreadCountDoesNotChangeBits) {
  std::mt19937 rng(32);
  Tensor q = RandomFloat({3, 200, 32}, rng), kt = RandomFloat({3, 32, 300}, rng), v = RandomFloat({3, 300, 16}, rng);
  Tensor mask = RandomFloat({1, 300}, rng, -3, 0);
  ThreadPool one(1), three(3);
  auto a = RunKernel(AttentionNode(), {q, kt, v, Tensor(), mask}, &one);
  auto b = RunKernel(AttentionNode(), {q, kt, v, Tensor(), mask}, &three);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(std::memcmp((*a)[0].raw(), (*b)[0].raw(), (*a)[0].nbytes()), 0);
}

TEST(FusedAttention, BadShapesAreErrorsNamingTheNode) {
  std::mt19937 rng(33);
  Tensor q = RandomFloat({2, 4, 8}, rng), kt = RandomFloat({2, 8, 6}, rng), v = RandomFloat({2, 6, 3}, rng);
  auto inner = RunKernel(AttentionNode(), {q, RandomFloat({2, 7, 6}, rng), v});
  ASSERT_FALSE(inner.ok());
  EXPECT_NE(inner.status().message().find("inner dimensions"), std::string::npos) << inner.status().message();
  auto mask = RunKernel(AttentionNode(), {q, kt, v, Tensor(), RandomFloat({5, 6}, rng)});
  ASSERT_FALSE(mask.ok());
  EXPECT_NE(mask.status().message().find("does not broadcast"), std::string::npos) << mask.status().message();
  auto dtype = RunKernel(AttentionNode(), {q, kt, Int64Tensor({2, 6, 3}, {})});
  ASSERT_FALSE(dtype.ok());
  EXPECT_NE(dtype.status().message().find("float32"), std::string::npos) << dtype.status().message();
}

}  // namespace
}  // namespace parallax::testing
