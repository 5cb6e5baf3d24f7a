// RMSNormalization against a naive reference.
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

TEST(ExtraRmsNormTest, RandomAxesMatchReference) {
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> dim(1, 5);
  for (int iter = 0; iter < 40; ++iter) {
    const int rank = 1 + iter % 4;
    Shape s;
    for (int i = 0; i < rank; ++i) s.push_back(dim(rng));
    const int64_t axis = iter % rank;
    Tensor x = RandomFloat(s, rng, -2, 2);
    Shape ss(s.begin() + axis, s.end());
    Tensor scale = RandomFloat(ss, rng);
    Node n = MakeNode("RMSNormalization", 23);
    SetInt(n, "axis", iter % 2 ? axis - rank : axis);  // negative axes too
    const float eps = iter % 3 ? 1e-5f : 0.1f;
    SetFloat(n, "epsilon", eps);
    auto got = RunKernel(n, {x, scale});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose((*got)[0], ref::RmsNormRef(x, scale, axis, eps), 1e-5);
  }
}

TEST(ExtraRmsNormTest, BroadcastScaleEmptyAndErrors) {
  std::mt19937 rng(4);
  Tensor x = RandomFloat({2, 3, 4}, rng);
  // Scale (1, 4) broadcast over the normalised (3, 4) block.
  Tensor s14 = RandomFloat({1, 4}, rng);
  Tensor s34 = Tensor::Allocate(DataType::kFloat32, {3, 4}).value();
  for (int i = 0; i < 12; ++i) s34.data<float>()[i] = s14.data<float>()[i % 4];
  Node n = MakeNode("RMSNormalization", 23);
  SetInt(n, "axis", 1);
  auto got = RunKernel(n, {x, s14});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectClose((*got)[0], ref::RmsNormRef(x, s34, 1, 1e-5), 1e-5);
  // Scale with the full X shape (varies over the leading dims): axis 2, scale (2, 3, 4).
  SetInt(n, "axis", 2);
  Tensor full = RandomFloat({2, 3, 4}, rng);
  auto g2 = RunKernel(n, {x, full});
  ASSERT_TRUE(g2.ok()) << g2.status().message();
  Tensor ones = testing::FloatTensor({4}, {1, 1, 1, 1});
  Tensor plain = ref::RmsNormRef(x, ones, 2, 1e-5);
  for (int i = 0; i < 24; ++i) plain.data<float>()[i] *= full.data<float>()[i];
  ExpectClose((*g2)[0], plain, 1e-5);
  // Empty.
  auto e = RunKernel(n, {RandomFloat({0, 3, 4}, rng), RandomFloat({4}, rng)});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].numel(), 0);
  // Errors: axis out of range, scale not broadcastable, rank 0.
  SetInt(n, "axis", 3);
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({4}, rng)}).ok());
  SetInt(n, "axis", -1);
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({5}, rng)}).ok());
  EXPECT_FALSE(RunKernel(n, {testing::FloatTensor({}, {1}), testing::FloatTensor({}, {1})}).ok());
}

}  // namespace
}  // namespace parallax
