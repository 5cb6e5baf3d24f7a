// CumProd against a straightforward reference.
#include "kernel_test_util.h"

namespace parallax {
namespace {

using testing::MakeNode;
using testing::RunKernel;
using testing::SetInt;

TEST(ExtraCumProdTest, RandomMatchesReference) {
  std::mt19937 rng(61);
  std::uniform_int_distribution<int> dim(1, 4);
  std::uniform_int_distribution<int64_t> val(-3, 3);
  for (int iter = 0; iter < 48; ++iter) {
    const int rank = 1 + iter % 3;
    Shape s;
    for (int i = 0; i < rank; ++i) s.push_back(dim(rng));
    Tensor x = Tensor::Allocate(DataType::kInt64, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<int64_t>()[i] = val(rng);
    const int64_t axis = iter % rank;
    const bool excl = iter % 2, rev = (iter / 2) % 2;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= s[i];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= s[i];
    const int64_t n = s[axis];
    std::vector<int64_t> want(x.numel());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k)
        for (int64_t i = 0; i < n; ++i) {
          int64_t p = 1;
          for (int64_t j = 0; j < n; ++j) {
            const bool take = rev ? (excl ? j > i : j >= i) : (excl ? j < i : j <= i);
            if (take) p *= x.data<int64_t>()[(o * n + j) * inner + k];
          }
          want[(o * n + i) * inner + k] = p;
        }
    Node node = MakeNode("CumProd", 26);
    SetInt(node, "exclusive", excl);
    SetInt(node, "reverse", rev);
    auto got = RunKernel(node, {x, testing::Int64Tensor({}, {iter % 2 ? axis - rank : axis})});
    ASSERT_TRUE(got.ok()) << got.status().message();
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ((*got)[0].data<int64_t>()[i], want[i]) << i;
    // float32 agrees with the integer result.
    Tensor xf = Tensor::Allocate(DataType::kFloat32, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) xf.data<float>()[i] = static_cast<float>(x.data<int64_t>()[i]);
    auto gf = RunKernel(node, {xf, testing::Int64Tensor({1}, {axis})});
    ASSERT_TRUE(gf.ok());
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ((*gf)[0].data<float>()[i], static_cast<float>(want[i]));
  }
}

TEST(ExtraCumProdTest, EmptyAndErrors) {
  Node n = MakeNode("CumProd", 26);
  auto e = RunKernel(n, {testing::FloatTensor({0, 2}, {}), testing::Int64Tensor({}, {1})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].numel(), 0);
  EXPECT_FALSE(RunKernel(n, {testing::FloatTensor({2}, {1, 2}), testing::Int64Tensor({}, {1})}).ok());
  EXPECT_FALSE(RunKernel(n, {testing::FloatTensor({2}, {1, 2}), testing::Int64Tensor({2}, {0, 0})}).ok());
  EXPECT_FALSE(RunKernel(n, {testing::FloatTensor({2}, {1, 2}), testing::FloatTensor({}, {0})}).ok());
}

}  // namespace
}  // namespace parallax
