// Attention against a naive double-precision reference (src/kernels/reference/extra_ref.cc).
#include <limits>

#include "kernel_test_util.h"
#include "kernels/reference/extra_ref.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::FloatTensor;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetFloat;
using testing::SetInt;

// (B, S, H*d) -> (B, H, S, d).
Tensor To4D(const Tensor& t, int64_t H) {
  const int64_t B = t.dim(0), S = t.dim(1), d = t.dim(2) / H;
  Tensor o = Tensor::Allocate(DataType::kFloat32, {B, H, S, d}).value();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t c = 0; c < d; ++c)
          o.data<float>()[((b * H + h) * S + s) * d + c] = t.data<float>()[(b * S + s) * H * d + h * d + c];
  return o;
}

// Concatenates a and b along axis 2 of 4-D tensors.
Tensor Concat2(const Tensor& a, const Tensor& b) {
  const int64_t B = a.dim(0), H = a.dim(1), P = a.dim(2), S = b.dim(2), d = a.dim(3);
  Tensor o = Tensor::Allocate(DataType::kFloat32, {B, H, P + S, d}).value();
  for (int64_t bh = 0; bh < B * H; ++bh) {
    std::copy(a.data<float>() + bh * P * d, a.data<float>() + (bh + 1) * P * d, o.data<float>() + bh * (P + S) * d);
    std::copy(b.data<float>() + bh * S * d, b.data<float>() + (bh + 1) * S * d,
              o.data<float>() + bh * (P + S) * d + P * d);
  }
  return o;
}

TEST(ExtraAttentionTest, Random4DMatchesReference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dim(1, 5);
  for (int iter = 0; iter < 40; ++iter) {
    const int64_t B = dim(rng), Hkv = dim(rng) % 3 + 1, group = dim(rng) % 3 + 1, Hq = Hkv * group;
    const int64_t Sq = dim(rng), T = Sq + dim(rng) - 1, D = dim(rng) + 2, Dv = dim(rng) + 1;
    Tensor q = RandomFloat({B, Hq, Sq, D}, rng, -2, 2);
    Tensor k = RandomFloat({B, Hkv, T, D}, rng, -2, 2);
    Tensor v = RandomFloat({B, Hkv, T, Dv}, rng);
    const bool use_mask = iter % 2 == 0, causal = iter % 3 == 0;
    ref::AttentionRefParams p;
    p.causal = causal;
    p.softcap = iter % 4 == 1 ? 1.5 : 0;
    p.scale = iter % 5 == 2 ? 0.3 : 0;
    Node n = MakeNode("Attention", 23, 4);
    if (causal) SetInt(n, "is_causal", 1);
    if (p.softcap > 0) SetFloat(n, "softcap", static_cast<float>(p.softcap));
    if (p.scale > 0) SetFloat(n, "scale", static_cast<float>(p.scale));
    SetInt(n, "qk_matmul_output_mode", 3);
    // A 2-D mask (Sq, T) broadcast over batch and heads.
    Tensor mask2 = RandomFloat({Sq, T}, rng, -1, 1);
    Tensor mask4 = Tensor::Allocate(DataType::kFloat32, {B, Hq, Sq, T}).value();
    for (int64_t i = 0; i < mask4.numel(); ++i) mask4.data<float>()[i] = mask2.data<float>()[i % (Sq * T)];
    Tensor probs;
    Tensor want = ref::AttentionRef(q, k, v, use_mask ? &mask4 : nullptr, p, &probs);
    auto got = RunKernel(n, {q, k, v, use_mask ? mask2 : Tensor()});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose((*got)[0], want, 1e-4);
    ExpectClose((*got)[3], probs, 1e-4);
    // present_key/value are K/V themselves without a cache.
    ExpectClose((*got)[1], k, 0);
    ExpectClose((*got)[2], v, 0);
  }
}

TEST(ExtraAttentionTest, ThreeDWithPastMatchesReference) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 12; ++iter) {
    const int64_t B = 2, Hq = 4, Hkv = iter % 2 ? 2 : 4, D = 3 + iter % 3, Dv = 2 + iter % 2;
    const int64_t Sq = 1 + iter % 3, P = iter % 4, Skv = Sq;
    Tensor q = RandomFloat({B, Sq, Hq * D}, rng);
    Tensor k = RandomFloat({B, Skv, Hkv * D}, rng);
    Tensor v = RandomFloat({B, Skv, Hkv * Dv}, rng);
    Tensor pk = RandomFloat({B, Hkv, P, D}, rng);
    Tensor pv = RandomFloat({B, Hkv, P, Dv}, rng);
    Node n = MakeNode("Attention", 23, 3);
    SetInt(n, "q_num_heads", Hq);
    SetInt(n, "kv_num_heads", Hkv);
    SetInt(n, "is_causal", iter % 3 == 0);
    auto got = RunKernel(n, {q, k, v, Tensor(), pk, pv});
    ASSERT_TRUE(got.ok()) << got.status().message();
    const Tensor k4 = Concat2(pk, To4D(k, Hkv)), v4 = Concat2(pv, To4D(v, Hkv));
    ref::AttentionRefParams p;
    p.causal = iter % 3 == 0;
    p.causal_offset = P;
    Tensor want4 = ref::AttentionRef(To4D(q, Hq), k4, v4, nullptr, p, nullptr);
    ExpectClose(To4D((*got)[0], Hq), want4, 1e-4);
    ExpectClose((*got)[1], k4, 0);
    ExpectClose((*got)[2], v4, 0);
  }
}

TEST(ExtraAttentionTest, BoolMaskShortMaskAndFullyMaskedRow) {
  std::mt19937 rng(3);
  const int64_t B = 1, H = 2, Sq = 3, T = 4, D = 4;
  Tensor q = RandomFloat({B, H, Sq, D}, rng), k = RandomFloat({B, H, T, D}, rng), v = RandomFloat({B, H, T, D}, rng);
  // Bool mask (Sq, 3): shorter than T, so key 3 is masked; row 1 fully masked.
  Tensor bm = Tensor::Allocate(DataType::kBool, {Sq, 3}).value();
  const bool vals[] = {true, false, true, false, false, false, true, true, true};
  for (int i = 0; i < 9; ++i) bm.data<bool>()[i] = vals[i];
  Tensor fm = Tensor::Allocate(DataType::kFloat32, {B, H, Sq, T}).value();
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < Sq; ++i)
      for (int64_t j = 0; j < T; ++j) fm.data<float>()[(h * Sq + i) * T + j] = j < 3 && vals[i * 3 + j] ? 0.f : ninf;
  Node n = MakeNode("Attention", 23);
  auto got = RunKernel(n, {q, k, v, bm});
  ASSERT_TRUE(got.ok()) << got.status().message();
  Tensor want = ref::AttentionRef(q, k, v, &fm, {}, nullptr);
  ExpectClose((*got)[0], want, 1e-4);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t c = 0; c < D; ++c) EXPECT_EQ((*got)[0].data<float>()[(h * Sq + 1) * D + c], 0.f);
}

TEST(ExtraAttentionTest, NonpadKvSeqlenOpset24) {
  std::mt19937 rng(5);
  const int64_t B = 2, H = 1, Sq = 2, T = 5, D = 3;
  Tensor q = RandomFloat({B, H, Sq, D}, rng), k = RandomFloat({B, H, T, D}, rng), v = RandomFloat({B, H, T, D}, rng);
  Tensor np = testing::Int64Tensor({B}, {3, 5});
  Node n = MakeNode("Attention", 24);
  SetInt(n, "is_causal", 1);
  auto got = RunKernel(n, {q, k, v, Tensor(), Tensor(), Tensor(), np});
  ASSERT_TRUE(got.ok()) << got.status().message();
  // Batch b: key j allowed iff j <= i + nonpad[b] - Sq (and j < nonpad[b]).
  Tensor fm = Tensor::Allocate(DataType::kFloat32, {B, H, Sq, T}).value();
  const int64_t lens[] = {3, 5};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < Sq; ++i)
      for (int64_t j = 0; j < T; ++j)
        fm.data<float>()[(b * Sq + i) * T + j] =
            (j <= i + lens[b] - Sq && j < lens[b]) ? 0.f : -std::numeric_limits<float>::infinity();
  ExpectClose((*got)[0], ref::AttentionRef(q, k, v, &fm, {}, nullptr), 1e-4);
  // Not available before opset 24.
  Node n23 = MakeNode("Attention", 23);
  EXPECT_FALSE(RunKernel(n23, {q, k, v, Tensor(), Tensor(), Tensor(), np}).ok());
}

TEST(ExtraAttentionTest, EmptyAndErrors) {
  std::mt19937 rng(1);
  Node n = MakeNode("Attention", 23);
  // Sq = 0.
  auto e = RunKernel(n, {RandomFloat({1, 2, 0, 4}, rng), RandomFloat({1, 2, 3, 4}, rng), RandomFloat({1, 2, 3, 4}, rng)});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)[0].shape(), (Shape{1, 2, 0, 4}));
  // Hq not a multiple of Hkv.
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 3, 2, 4}, rng), RandomFloat({1, 2, 3, 4}, rng),
                             RandomFloat({1, 2, 3, 4}, rng)}).ok());
  // Head size mismatch.
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 2, 4}, rng), RandomFloat({1, 2, 3, 5}, rng),
                             RandomFloat({1, 2, 3, 4}, rng)}).ok());
  // 3-D without num_heads.
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 8}, rng), RandomFloat({1, 3, 8}, rng), RandomFloat({1, 3, 8}, rng)}).ok());
  // Mask that does not broadcast.
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 2, 4}, rng), RandomFloat({1, 2, 3, 4}, rng),
                             RandomFloat({1, 2, 3, 4}, rng), RandomFloat({3, 3}, rng)}).ok());
  // Integer inputs are not supported.
  EXPECT_FALSE(RunKernel(n, {testing::Int64Tensor({1, 1, 1, 1}, {1}), testing::Int64Tensor({1, 1, 1, 1}, {1}),
                             testing::Int64Tensor({1, 1, 1, 1}, {1})}).ok());
}

}  // namespace
}  // namespace parallax
