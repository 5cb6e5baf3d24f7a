// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against naive references.
#include "kernel_test_util.h"
#include "kernels/reference/extra_ref.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetInt;
using testing::SetString;

TEST(ExtraLossTest, RandomMatchesReference) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> dim(1, 4);
  const char* reds[] = {"none", "sum", "mean"};
  for (int iter = 0; iter < 60; ++iter) {
    const int64_t N = dim(rng), C = dim(rng) + 1;
    Shape xs{N, C}, ts{N};
    for (int r = 0, extra = iter % 4; r < extra; ++r) {
      const int64_t d = dim(rng);
      xs.push_back(d);
      ts.push_back(d);
    }
    Tensor x = RandomFloat(xs, rng, -3, 3);
    const bool has_ii = iter % 3 != 0;
    const int64_t ii = iter % 2 ? 1 : -7;
    Tensor t = Tensor::Allocate(DataType::kInt64, ts).value();
    std::uniform_int_distribution<int64_t> cls(0, C - 1);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = (has_ii && i % 3 == 1) ? ii : cls(rng);
    const bool use_w = iter % 2 == 0;
    Tensor w = RandomFloat({C}, rng, 0.5, 2);
    const std::string red = reds[iter % 3];
    for (bool sce : {false, true}) {
      Node n = MakeNode(sce ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss", 13, sce ? 2 : 1);
      SetString(n, "reduction", red);
      if (has_ii) SetInt(n, "ignore_index", ii);
      auto got = RunKernel(n, {x, t, use_w ? w : Tensor()});
      ASSERT_TRUE(got.ok()) << got.status().message();
      Tensor lp = sce ? ref::LogSoftmaxAxis1Ref(x) : x;
      Tensor want = ref::NllLossRef(lp, t, use_w ? &w : nullptr, red, has_ii, ii);
      ASSERT_EQ((*got)[0].shape(), want.shape());
      // "mean" over only ignored entries is 0/0 in both.
      if (want.numel() == 1 && std::isnan(want.data<float>()[0])) {
        EXPECT_TRUE(std::isnan((*got)[0].data<float>()[0]));
      } else {
        ExpectClose((*got)[0], want, 1e-5);
      }
      if (sce) ExpectClose((*got)[1], lp, 1e-5);
    }
  }
}

TEST(ExtraLossTest, Errors) {
  std::mt19937 rng(2);
  Tensor x = RandomFloat({2, 3}, rng);
  Node n = MakeNode("NegativeLogLikelihoodLoss", 13);
  // Target out of range (and not ignore_index).
  EXPECT_FALSE(RunKernel(n, {x, testing::Int64Tensor({2}, {0, 3})}).ok());
  EXPECT_FALSE(RunKernel(n, {x, testing::Int64Tensor({2}, {-1, 0})}).ok());
  // ...but fine when it is the ignore_index.
  SetInt(n, "ignore_index", -1);
  EXPECT_TRUE(RunKernel(n, {x, testing::Int64Tensor({2}, {-1, 0})}).ok());
  // Target shape mismatch.
  EXPECT_FALSE(RunKernel(n, {x, testing::Int64Tensor({3}, {0, 0, 0})}).ok());
  // Bad weight shape, bad reduction, rank-1 input.
  EXPECT_FALSE(RunKernel(n, {x, testing::Int64Tensor({2}, {0, 1}), RandomFloat({2}, rng)}).ok());
  SetString(n, "reduction", "max");
  EXPECT_FALSE(RunKernel(n, {x, testing::Int64Tensor({2}, {0, 1})}).ok());
  Node n2 = MakeNode("SoftmaxCrossEntropyLoss", 13);
  EXPECT_FALSE(RunKernel(n2, {RandomFloat({3}, rng), testing::Int64Tensor({}, {0})}).ok());
  // Empty batch: "sum" gives 0.
  SetString(n2, "reduction", "sum");
  auto e = RunKernel(n2, {RandomFloat({0, 3}, rng), testing::Int64Tensor({0}, {})});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)[0].data<float>()[0], 0.f);
}

}  // namespace
}  // namespace parallax
