// RotaryEmbedding against a naive reference.
#include "kernel_test_util.h"
#include "kernels/reference/extra_ref.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetInt;

TEST(ExtraRotaryTest, RandomMatchesReference) {
  std::mt19937 rng(41);
  for (int iter = 0; iter < 24; ++iter) {
    const int64_t B = 1 + iter % 2, H = 1 + iter % 3, S = 1 + iter % 4, hd = 2 * (2 + iter % 3);
    const int64_t rd = iter % 3 == 0 ? hd - 2 : hd;
    const bool inter = iter % 2 == 1, use_pos = iter % 4 < 2, three_d = iter % 5 == 0;
    const int64_t P = 10;
    Tensor x = RandomFloat({B, H, S, hd}, rng);
    std::vector<int64_t> pos(B * S);
    std::uniform_int_distribution<int64_t> pd(0, P - 1);
    for (auto& p : pos) p = pd(rng);
    Tensor cosc = RandomFloat({P, rd / 2}, rng), sinc = RandomFloat({P, rd / 2}, rng);
    Node n = MakeNode("RotaryEmbedding", 23);
    if (inter) SetInt(n, "interleaved", 1);
    if (rd != hd) SetInt(n, "rotary_embedding_dim", rd);
    Tensor want = ref::RotaryRef(x, cosc, sinc, pos, rd, inter);
    // Without position ids the caches are (B, S, rd/2): gather them here.
    Tensor cg = Tensor::Allocate(DataType::kFloat32, {B, S, rd / 2}).value();
    Tensor sg = Tensor::Allocate(DataType::kFloat32, {B, S, rd / 2}).value();
    for (int64_t i = 0; i < B * S; ++i)
      for (int64_t k = 0; k < rd / 2; ++k) {
        cg.data<float>()[i * rd / 2 + k] = cosc.data<float>()[pos[i] * rd / 2 + k];
        sg.data<float>()[i * rd / 2 + k] = sinc.data<float>()[pos[i] * rd / 2 + k];
      }
    Tensor xin = x;
    if (three_d) {
      // (B, H, S, hd) -> (B, S, H*hd).
      xin = Tensor::Allocate(DataType::kFloat32, {B, S, H * hd}).value();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t s = 0; s < S; ++s)
            for (int64_t c = 0; c < hd; ++c)
              xin.data<float>()[(b * S + s) * H * hd + h * hd + c] = x.data<float>()[((b * H + h) * S + s) * hd + c];
      SetInt(n, "num_heads", H);
    }
    auto got = use_pos ? RunKernel(n, {xin, cosc, sinc, testing::Int64Tensor({B, S}, pos)})
                       : RunKernel(n, {xin, cg, sg});
    ASSERT_TRUE(got.ok()) << got.status().message();
    Tensor g = (*got)[0];
    if (three_d) {
      Tensor g4 = Tensor::Allocate(DataType::kFloat32, {B, H, S, hd}).value();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t s = 0; s < S; ++s)
            for (int64_t c = 0; c < hd; ++c)
              g4.data<float>()[((b * H + h) * S + s) * hd + c] = g.data<float>()[(b * S + s) * H * hd + h * hd + c];
      g = g4;
    }
    ExpectClose(g, want, 1e-5);
  }
}

TEST(ExtraRotaryTest, Errors) {
  std::mt19937 rng(2);
  Tensor x = RandomFloat({1, 2, 3, 4}, rng);
  Tensor c = RandomFloat({5, 2}, rng);
  Node n = MakeNode("RotaryEmbedding", 23);
  EXPECT_TRUE(RunKernel(n, {x, c, c, testing::Int64Tensor({1, 3}, {0, 1, 4})}).ok());
  // Position id out of range.
  EXPECT_FALSE(RunKernel(n, {x, c, c, testing::Int64Tensor({1, 3}, {0, 1, 5})}).ok());
  // Cache width not rd/2.
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({5, 3}, rng), RandomFloat({5, 3}, rng),
                             testing::Int64Tensor({1, 3}, {0, 1, 2})}).ok());
  // Odd rotary dim; 3-D without num_heads.
  SetInt(n, "rotary_embedding_dim", 3);
  EXPECT_FALSE(RunKernel(n, {x, c, c, testing::Int64Tensor({1, 3}, {0, 1, 2})}).ok());
  Node n3 = MakeNode("RotaryEmbedding", 23);
  EXPECT_FALSE(RunKernel(n3, {RandomFloat({1, 3, 8}, rng), c, c, testing::Int64Tensor({1, 3}, {0, 1, 2})}).ok());
}

}  // namespace
}  // namespace parallax
