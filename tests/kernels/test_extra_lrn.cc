// LRN against a naive reference.
#include "kernel_test_util.h"
#include "kernels/reference/extra_ref.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetFloat;
using testing::SetInt;

TEST(ExtraLrnTest, RandomMatchesReference) {
  std::mt19937 rng(81);
  std::uniform_int_distribution<int> dim(1, 6);
  for (int iter = 0; iter < 30; ++iter) {
    Shape s{dim(rng), dim(rng)};
    for (int r = 0; r < iter % 3; ++r) s.push_back(dim(rng));
    Tensor x = RandomFloat(s, rng, -3, 3);
    const int64_t size = 1 + iter % 5;
    const float alpha = iter % 2 ? 1e-4f : 0.5f, beta = iter % 3 ? 0.75f : 1.5f, bias = iter % 2 ? 1.f : 2.f;
    Node n = MakeNode("LRN", 13);
    SetInt(n, "size", size);
    SetFloat(n, "alpha", alpha);
    SetFloat(n, "beta", beta);
    SetFloat(n, "bias", bias);
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose((*got)[0], ref::LrnRef(x, size, alpha, beta, bias), 1e-5);
  }
}

TEST(ExtraLrnTest, Errors) {
  std::mt19937 rng(1);
  Node n = MakeNode("LRN", 13);
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 3, 2}, rng)}).ok());  // size missing
  SetInt(n, "size", 0);
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 3, 2}, rng)}).ok());
  SetInt(n, "size", 3);
  EXPECT_FALSE(RunKernel(n, {RandomFloat({3}, rng)}).ok());  // rank 1
  EXPECT_TRUE(RunKernel(n, {RandomFloat({0, 3}, rng)}).ok());
}

}  // namespace
}  // namespace parallax
