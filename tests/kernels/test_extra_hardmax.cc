// Hardmax (opset 11 coerced-2-D and opset 13 per-axis) against a straightforward reference.
#include "kernel_test_util.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::MakeNode;
using testing::RunKernel;
using testing::SetInt;

// One-hot of the first max over `n` elements strided by `inner`, for each (outer, inner).
Tensor HardmaxRef(const Tensor& x, int64_t outer, int64_t n, int64_t inner) {
  Tensor y = Tensor::Allocate(DataType::kFloat32, x.shape()).value();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < inner; ++k) {
      int64_t best = 0;
      for (int64_t i = 1; i < n; ++i)
        if (x.data<float>()[(o * n + i) * inner + k] > x.data<float>()[(o * n + best) * inner + k]) best = i;
      if (n > 0) y.data<float>()[(o * n + best) * inner + k] = 1.f;
    }
  return y;
}

TEST(ExtraHardmaxTest, RandomWithTiesMatchesReference) {
  std::mt19937 rng(51);
  std::uniform_int_distribution<int> dim(1, 4), val(0, 3);  // few values: many ties
  for (int iter = 0; iter < 40; ++iter) {
    const int rank = 1 + iter % 4;
    Shape s;
    for (int i = 0; i < rank; ++i) s.push_back(dim(rng));
    Tensor x = Tensor::Allocate(DataType::kFloat32, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(val(rng));
    const int64_t axis = iter % rank;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= s[i];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= s[i];
    Node n13 = MakeNode("Hardmax", 13);
    SetInt(n13, "axis", iter % 2 ? axis - rank : axis);
    auto got = RunKernel(n13, {x});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose((*got)[0], HardmaxRef(x, outer, s[axis], inner), 0);
    // Opset 11: rows of the flattened trailing dims.
    Node n11 = MakeNode("Hardmax", 11);
    SetInt(n11, "axis", axis);
    auto g11 = RunKernel(n11, {x});
    ASSERT_TRUE(g11.ok()) << g11.status().message();
    ExpectClose((*g11)[0], HardmaxRef(x, outer, x.numel() / outer, 1), 0);
  }
}

TEST(ExtraHardmaxTest, DefaultsEmptyAndErrors) {
  Tensor x = testing::FloatTensor({2, 3}, {1, 5, 5, 7, 0, 7});
  auto g = RunKernel(MakeNode("Hardmax", 13), {x});
  ASSERT_TRUE(g.ok());
  ExpectClose((*g)[0], testing::FloatTensor({2, 3}, {0, 1, 0, 1, 0, 0}), 0);
  auto e = RunKernel(MakeNode("Hardmax", 13), {testing::FloatTensor({2, 0}, {})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].numel(), 0);
  Node bad = MakeNode("Hardmax", 13);
  SetInt(bad, "axis", 2);
  EXPECT_FALSE(RunKernel(bad, {x}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Hardmax", 13), {testing::Int64Tensor({2}, {1, 2})}).ok());
}

}  // namespace
}  // namespace parallax
