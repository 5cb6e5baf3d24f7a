// Swish against x * sigmoid(alpha * x) in double.
#include "kernel_test_util.h"

namespace parallax {
namespace {

using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetFloat;

TEST(ExtraSwishTest, RandomMatchesReference) {
  std::mt19937 rng(71);
  for (float alpha : {1.f, 0.5f, -2.f}) {
    Tensor x = RandomFloat({3, 7, 1000}, rng, -30, 30);
    Node n = MakeNode("Swish", 24);
    SetFloat(n, "alpha", alpha);
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double v = x.data<float>()[i];
      const double want = v / (1.0 + std::exp(-alpha * v));
      ASSERT_NEAR((*got)[0].data<float>()[i], want, 1e-5 * std::fabs(want) + 1e-6) << v;
    }
  }
  // Rank 0 and empty.
  auto s = RunKernel(MakeNode("Swish", 24), {testing::FloatTensor({}, {2.f})});
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR((*s)[0].data<float>()[0], 2.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_TRUE(RunKernel(MakeNode("Swish", 24), {testing::FloatTensor({0}, {})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Swish", 24), {testing::Int64Tensor({1}, {1})}).ok());
}

}  // namespace
}  // namespace parallax
