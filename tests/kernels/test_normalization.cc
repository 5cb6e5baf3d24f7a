// Tests for Softmax/LogSoftmax, LayerNormalization, BatchNormalization, InstanceNormalization,
// GroupNormalization, LpNormalization and MeanVarianceNormalization.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "kernels/kernel_util.h"
#include "kernels/reference/normalization_ref.h"

namespace parallax::testing {
namespace {

std::vector<double> D(const Tensor& t) { return ReadDoubles(t).value(); }

void ExpectVecNear(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << "at " << i;
  }
}

Shape RandomShape(std::mt19937& rng, int min_rank, int max_rank, int64_t max_dim) {
  std::uniform_int_distribution<int> rd(min_rank, max_rank);
  std::uniform_int_distribution<int64_t> dd(1, max_dim);
  Shape s(rd(rng));
  for (auto& d : s) d = dd(rng);
  return s;
}

TEST(SoftmaxTest, Opset13AlongOneAxis) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    const Shape s = RandomShape(rng, 1, 4, 7);
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = static_cast<int64_t>(rng() % rank) - (trial % 2 ? rank : 0);
    const int64_t ax = axis < 0 ? axis + rank : axis;
    const bool log = trial % 3 == 0;
    Node n = MakeNode(log ? "LogSoftmax" : "Softmax", 13);
    SetInt(n, "axis", axis);
    Tensor x = RandomFloat(s, rng, -5.f, 5.f);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << out.status().message();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < ax; ++d) outer *= s[d];
    for (int64_t d = ax + 1; d < rank; ++d) inner *= s[d];
    ExpectVecNear(D((*out)[0]), reference::Softmax(D(x), outer, s[ax], inner, log), 1e-5);
  }
}

TEST(SoftmaxTest, Opset11CoercesTo2D) {
  std::mt19937 rng(6);
  Tensor x = RandomFloat({2, 3, 4}, rng, -3.f, 3.f);
  for (bool log : {false, true}) {
    Node n = MakeNode(log ? "LogSoftmax" : "Softmax", 11);  // default axis 1: rows of 12
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok());
    ExpectVecNear(D((*out)[0]), reference::Softmax(D(x), 2, 12, 1, log), 1e-5);
  }
}

TEST(SoftmaxTest, LargeValuesAreStableAndRowsParallel) {
  std::mt19937 rng(8);
  Tensor x = RandomFloat({64, 1000}, rng, 1000.f, 1010.f);
  Node n = MakeNode("Softmax", 13);
  auto out = RunKernel(n, {x});
  ASSERT_TRUE(out.ok());
  ExpectVecNear(D((*out)[0]), reference::Softmax(D(x), 64, 1000, 1, false), 1e-5);
  Node l = MakeNode("LogSoftmax", 13);
  auto lo = RunKernel(l, {x});
  ASSERT_TRUE(lo.ok());
  ExpectVecNear(D((*lo)[0]), reference::Softmax(D(x), 64, 1000, 1, true), 1e-5);
}

TEST(SoftmaxTest, MiddleAxisOfOneLargeBlockSplitsItsColumns) {
  // YOLOv8n's DFL softmax: axis 1 of [1, 16, 4, 8400] is one [16, 33600] block whose columns
  // are split into chunks across threads; here 2 blocks of 2500 columns (3 chunks each).
  std::mt19937 rng(9);
  Tensor x = RandomFloat({2, 7, 2500}, rng, -20.f, 20.f);
  for (bool log : {false, true}) {
    Node n = MakeNode(log ? "LogSoftmax" : "Softmax", 13);
    SetInt(n, "axis", 1);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << out.status().message();
    ExpectVecNear(D((*out)[0]), reference::Softmax(D(x), 2, 7, 2500, log), 1e-5);
  }
}

TEST(SoftmaxTest, Float64ScalarEmptyAndErrors) {
  Tensor xd = MakeTensor<double>({2, 2}, {1, 2, 3, 4}, DataType::kFloat64);
  Node n = MakeNode("Softmax", 13);
  auto out = RunKernel(n, {xd});
  ASSERT_TRUE(out.ok());
  EXPECT_NEAR((*out)[0].data<double>()[1], 1 / (1 + std::exp(-1.0)), 1e-12);
  auto sc = RunKernel(MakeNode("Softmax", 11), {FloatTensor({}, {3.f})});
  ASSERT_TRUE(sc.ok());
  EXPECT_FLOAT_EQ((*sc)[0].data<float>()[0], 1.f);
  auto em = RunKernel(n, {FloatTensor({0, 3}, {})});
  ASSERT_TRUE(em.ok());
  EXPECT_EQ((*em)[0].shape(), (Shape{0, 3}));
  Node bad = MakeNode("Softmax", 13);
  SetInt(bad, "axis", 2);
  EXPECT_FALSE(RunKernel(bad, {FloatTensor({2, 2}, {1, 2, 3, 4})}).ok());
  EXPECT_FALSE(RunKernel(n, {Int64Tensor({2}, {1, 2})}).ok());
}

TEST(LayerNormTest, RandomShapesAxesAndOutputs) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 24; ++trial) {
    const Shape s = RandomShape(rng, 1, 4, 6);
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t ax = static_cast<int64_t>(rng() % rank);
    const int64_t axis = trial % 2 ? ax - rank : ax;
    const Shape norm(s.begin() + ax, s.end());
    const bool bias = trial % 3 != 0;
    Node n = MakeNode("LayerNormalization", 17, 3);
    if (trial % 4 == 0) n.domain = "parallax", n.opset = 1;
    if (trial % 5 != 0) SetInt(n, "axis", axis);
    else if (ax != rank - 1) continue;  // default axis is -1
    SetFloat(n, "epsilon", 1e-3f);
    Tensor x = RandomFloat(s, rng, -3.f, 3.f);
    Tensor sc = RandomFloat(norm, rng, 0.5f, 1.5f);
    Tensor b = RandomFloat(norm, rng);
    std::vector<Tensor> ins{x, sc};
    if (bias) ins.push_back(b);
    auto out = RunKernel(n, ins);
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::vector<double> mean, inv;
    auto want = reference::LayerNorm(D(x), NumElements(norm), D(sc), bias ? D(b) : std::vector<double>{},
                                     1e-3, &mean, &inv);
    ExpectVecNear(D((*out)[0]), want, 1e-4);
    Shape stat(s.begin(), s.begin() + ax);
    stat.resize(rank, 1);
    EXPECT_EQ((*out)[1].shape(), stat);
    ExpectVecNear(D((*out)[1]), mean, 1e-5);
    ExpectVecNear(D((*out)[2]), inv, 1e-4);
  }
}

TEST(LayerNormTest, TransformerSizedRowsAndBroadcastScale) {
  std::mt19937 rng(12);
  Tensor x = RandomFloat({4, 50, 768}, rng, -2.f, 2.f);
  Tensor sc = RandomFloat({768}, rng);
  Tensor b = RandomFloat({768}, rng);
  Node n = MakeNode("LayerNormalization", 17);
  auto out = RunKernel(n, {x, sc, b});
  ASSERT_TRUE(out.ok());
  std::vector<double> m, v;
  ExpectVecNear(D((*out)[0]), reference::LayerNorm(D(x), 768, D(sc), D(b), 1e-5, &m, &v), 1e-4);
  // Scale [1, 3] broadcast over the normalized shape [2, 3].
  Tensor x2 = RandomFloat({3, 2, 3}, rng);
  Tensor s2 = FloatTensor({1, 3}, {1.f, 2.f, 3.f});
  Node n2 = MakeNode("LayerNormalization", 17);
  SetInt(n2, "axis", 1);
  auto o2 = RunKernel(n2, {x2, s2});
  ASSERT_TRUE(o2.ok()) << o2.status().message();
  std::vector<double> full = {1, 2, 3, 1, 2, 3};
  ExpectVecNear(D((*o2)[0]), reference::LayerNorm(D(x2), 6, full, {}, 1e-5, &m, &v), 1e-4);
}

TEST(LayerNormTest, Errors) {
  std::mt19937 rng(13);
  Tensor x = RandomFloat({2, 4}, rng);
  Node n = MakeNode("LayerNormalization", 17);
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({3}, rng)}).ok());  // scale does not match
  SetInt(n, "axis", 2);
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({4}, rng)}).ok());  // axis out of range
  EXPECT_EQ(FindKernel("LayerNormalization", "", 16), nullptr);
}

TEST(BatchNormTest, InferenceAndTrainingMode) {
  std::mt19937 rng(21);
  const int64_t N = 2, C = 3, HW = 20;
  Tensor x = RandomFloat({N, C, 4, 5}, rng, -2.f, 2.f);
  Tensor sc = RandomFloat({C}, rng, 0.5f, 1.5f), b = RandomFloat({C}, rng);
  Tensor mean = RandomFloat({C}, rng), var = RandomFloat({C}, rng, 0.5f, 2.f);
  Node n = MakeNode("BatchNormalization", 15);
  SetFloat(n, "epsilon", 1e-2f);
  auto out = RunKernel(n, {x, sc, b, mean, var});
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto xd = D(x), s = D(sc), bb = D(b), m = D(mean), v = D(var);
  std::vector<double> want(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    const int64_t c = (i / HW) % C;
    want[i] = (xd[i] - m[c]) / std::sqrt(v[c] + 1e-2) * s[c] + bb[c];
  }
  ExpectVecNear(D((*out)[0]), want, 1e-5);

  Node t = MakeNode("BatchNormalization", 15, 3);
  SetInt(t, "training_mode", 1);
  SetFloat(t, "momentum", 0.8f);
  auto tr = RunKernel(t, {x, sc, b, mean, var});
  ASSERT_TRUE(tr.ok()) << tr.status().message();
  std::vector<double> bm(C, 0), bv(C, 0);
  for (size_t i = 0; i < xd.size(); ++i) bm[(i / HW) % C] += xd[i] / (N * HW);
  for (size_t i = 0; i < xd.size(); ++i) {
    const int64_t c = (i / HW) % C;
    bv[c] += (xd[i] - bm[c]) * (xd[i] - bm[c]) / (N * HW);
  }
  for (size_t i = 0; i < xd.size(); ++i) {
    const int64_t c = (i / HW) % C;
    want[i] = (xd[i] - bm[c]) / std::sqrt(bv[c] + 1e-5) * s[c] + bb[c];
  }
  ExpectVecNear(D((*tr)[0]), want, 1e-4);
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_NEAR((*tr)[1].data<float>()[c], m[c] * 0.8 + bm[c] * 0.2, 1e-5);
    EXPECT_NEAR((*tr)[2].data<float>()[c], v[c] * 0.8 + bv[c] * 0.2, 1e-5);
  }
  EXPECT_FALSE(RunKernel(n, {x, RandomFloat({4}, rng), b, mean, var}).ok());  // wrong C
  EXPECT_FALSE(RunKernel(n, {RandomFloat({3}, rng), sc, b, mean, var}).ok());  // rank 1
}

TEST(InstanceGroupNormTest, MatchReference) {
  std::mt19937 rng(31);
  const int64_t N = 2, C = 6, HW = 12;
  Tensor x = RandomFloat({N, C, 3, 4}, rng, -2.f, 2.f);
  Tensor sc = RandomFloat({C}, rng, 0.5f, 1.5f), b = RandomFloat({C}, rng);
  Node in = MakeNode("InstanceNormalization", 6);
  auto io = RunKernel(in, {x, sc, b});
  ASSERT_TRUE(io.ok()) << io.status().message();
  ExpectVecNear(D((*io)[0]), reference::GroupNorm(D(x), N, C, HW, C, D(sc), D(b), 1e-5), 1e-4);

  Node g = MakeNode("GroupNormalization", 21);
  SetInt(g, "num_groups", 3);
  auto go = RunKernel(g, {x, sc, b});
  ASSERT_TRUE(go.ok()) << go.status().message();
  ExpectVecNear(D((*go)[0]), reference::GroupNorm(D(x), N, C, HW, 3, D(sc), D(b), 1e-5), 1e-4);

  // Opset 18: scale/bias per group, expanded per channel for the reference.
  Tensor gs = FloatTensor({3}, {0.5f, 1.f, 2.f}), gb = FloatTensor({3}, {0.f, 1.f, -1.f});
  Node g18 = MakeNode("GroupNormalization", 18);
  SetInt(g18, "num_groups", 3);
  auto g18o = RunKernel(g18, {x, gs, gb});
  ASSERT_TRUE(g18o.ok()) << g18o.status().message();
  std::vector<double> cs = {0.5, 0.5, 1, 1, 2, 2}, cb = {0, 0, 1, 1, -1, -1};
  ExpectVecNear(D((*g18o)[0]), reference::GroupNorm(D(x), N, C, HW, 3, cs, cb, 1e-5), 1e-4);

  SetInt(g, "num_groups", 4);  // does not divide 6
  EXPECT_FALSE(RunKernel(g, {x, sc, b}).ok());
}

TEST(LpMvnTest, MatchReference) {
  std::mt19937 rng(41);
  Tensor x = RandomFloat({3, 4, 5}, rng, -2.f, 2.f);
  auto xd = D(x);
  for (int64_t p : {1, 2}) {
    Node n = MakeNode("LpNormalization", 1);
    SetInt(n, "axis", 1);
    SetInt(n, "p", p);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok());
    std::vector<double> want(xd.size());
    for (int64_t o = 0; o < 3; ++o) {
      for (int64_t k = 0; k < 5; ++k) {
        double s = 0;
        for (int64_t i = 0; i < 4; ++i) s += p == 1 ? std::fabs(xd[(o * 4 + i) * 5 + k]) : xd[(o * 4 + i) * 5 + k] * xd[(o * 4 + i) * 5 + k];
        if (p == 2) s = std::sqrt(s);
        for (int64_t i = 0; i < 4; ++i) want[(o * 4 + i) * 5 + k] = xd[(o * 4 + i) * 5 + k] / s;
      }
    }
    ExpectVecNear(D((*out)[0]), want, 1e-5);
  }
  Node bad = MakeNode("LpNormalization", 1);
  SetInt(bad, "p", 3);
  EXPECT_FALSE(RunKernel(bad, {x}).ok());

  // MVN over axes {0, 2} of [3, 4, 5]: statistics per index of dim 1.
  Node m = MakeNode("MeanVarianceNormalization", 13);
  SetInts(m, "axes", {0, -1});
  auto mo = RunKernel(m, {x});
  ASSERT_TRUE(mo.ok()) << mo.status().message();
  std::vector<double> want(xd.size());
  for (int64_t c = 0; c < 4; ++c) {
    double mean = 0, var = 0;
    for (int64_t o = 0; o < 3; ++o) for (int64_t k = 0; k < 5; ++k) mean += xd[(o * 4 + c) * 5 + k] / 15;
    for (int64_t o = 0; o < 3; ++o) for (int64_t k = 0; k < 5; ++k) {
      const double dlt = xd[(o * 4 + c) * 5 + k] - mean;
      var += dlt * dlt / 15;
    }
    for (int64_t o = 0; o < 3; ++o) for (int64_t k = 0; k < 5; ++k) {
      want[(o * 4 + c) * 5 + k] = (xd[(o * 4 + c) * 5 + k] - mean) / (std::sqrt(var) + 1e-9);
    }
  }
  ExpectVecNear(D((*mo)[0]), want, 1e-5);
}

}  // namespace
}  // namespace parallax::testing
