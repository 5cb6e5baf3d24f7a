// PrepackConstantWeights (runtime/prepack.h): which weights are packed and released, and that
// plans over the prepacked graph compute what the original graph computes — static steps,
// dynamic steps and several readers of one weight.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "graph_test_util.h"
#include "kernels/packed_gemm.h"
#include "runtime/plan.h"
#include "runtime/prepack.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

using testing::Const;
using testing::Ints;
using testing::Random;
using testing::RunGraph;
using testing::Str;

void SetAttr(Node& n, const std::string& key, float f, int64_t i, bool is_float) {
  Attribute a;
  a.kind = is_float ? Attribute::Kind::kFloat : Attribute::Kind::kInt;
  a.f = f;
  a.i = i;
  n.attrs[key] = a;
}

// x ─MatMul(x, w1)─ a ─Gemm(a, w2ᵀ, alpha 0.5)─ y1; y2 = MatMul(x, w1) again (w1 read twice);
// y3 = MatMul(MatMul(x, w3), Transpose(w3))  (w3 also read by Transpose: not prepackable);
// y4 = MatMul(Relu(c), w4) with c constant (folded at plan time: not prepackable).
Graph Model() {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w1 = Const(g, "w1", Random({6, 6}, 1)), w2 = Const(g, "w2", Random({5, 6}, 2));
  ValueId w3 = Const(g, "w3", Random({6, 6}, 3)), w4 = Const(g, "w4", Random({6, 4}, 4));
  ValueId c = Const(g, "c", Random({3, 6}, 5));
  ValueId a = g.AddValue("a"), y1 = g.AddValue("y1"), y2 = g.AddValue("y2"), s = g.AddValue("s"),
          m = g.AddValue("m"), y3 = g.AddValue("y3"), y4 = g.AddValue("y4");
  g.AddNode("MatMul", "mm1", {x, w1}, {a});
  NodeId gemm = g.AddNode("Gemm", "gemm", {a, w2}, {y1});
  SetAttr(g.nodes[gemm], "transB", 0, 1, false);
  SetAttr(g.nodes[gemm], "alpha", 0.5f, 0, true);
  g.AddNode("MatMul", "mm1_again", {x, w1}, {y2});
  g.AddNode("MatMul", "mm3", {x, w3}, {m});
  g.AddNode("Transpose", "transpose_w3", {w3}, {s});  // folded at plan time: reads w3's data
  g.AddNode("MatMul", "mm3_t", {m, s}, {y3});
  ValueId rc = g.AddValue("rc");
  g.AddNode("Relu", "relu_c", {c}, {rc});
  g.AddNode("MatMul", "mm_const", {rc, w4}, {y4});
  g.outputs = {y1, y2, y3, y4};
  g.opsets[""] = 17;
  for (Node& n : g.nodes) n.opset = 17;
  EXPECT_TRUE(g.Link().ok());
  return g;
}

TEST(Prepack, PacksOnlyWeightsEveryReaderPacksAndKeepsResults) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed-GEMM kernel on this CPU";
  Graph plain = Model(), packed = Model();
  PrepackStats stats;
  ASSERT_TRUE(PrepackConstantWeights(&packed, &stats).ok());
  auto id = [&](const char* name) { return packed.Find(name); };
  EXPECT_EQ(stats.weights, 2);  // w1 (two MatMul readers) and w2 (Gemm)
  EXPECT_EQ(stats.original_bytes, (36u + 30u) * sizeof(float));
  EXPECT_TRUE(packed.prepacked.count(id("w1")));
  EXPECT_TRUE(packed.prepacked.count(id("w2")));
  EXPECT_FALSE(packed.prepacked.count(id("w3")));  // also read by Transpose
  EXPECT_FALSE(packed.prepacked.count(id("w4")));  // its reader's A is computed from constants
  EXPECT_EQ(packed.initializers.at(id("w1")).raw(), nullptr);  // the original is gone
  EXPECT_EQ(packed.initializers.at(id("w1")).shape(), (Shape{6, 6}));
  EXPECT_NE(packed.initializers.at(id("w3")).raw(), nullptr);
  const Tensor x = Random({3, 6}, 9);
  const std::vector<Tensor> want = RunGraph(plain, {x}), got = RunGraph(packed, {x});
  ASSERT_EQ(want.size(), 4u);
  ASSERT_EQ(got.size(), 4u);
  for (size_t o = 0; o < want.size(); ++o) {
    ASSERT_EQ(got[o].shape(), want[o].shape());
    for (int64_t i = 0; i < want[o].numel(); ++i) {
      EXPECT_NEAR(got[o].data<float>()[i], want[o].data<float>()[i], 1e-5f) << "output " << o << " element " << i;
    }
  }
  // A second plan (another input shape) finds the packed weights too.
  const Tensor x5 = Random({5, 6}, 10);
  const std::vector<Tensor> want5 = RunGraph(plain, {x5}), got5 = RunGraph(packed, {x5});
  ASSERT_EQ(got5.size(), 4u);
  for (int64_t i = 0; i < want5[0].numel(); ++i) EXPECT_NEAR(got5[0].data<float>()[i], want5[0].data<float>()[i], 1e-5f);
}

// A weight read by two Gemms packs once only when they would pack it alike: with different
// transB (or alpha) it stays unpacked, and both products stay right.
TEST(Prepack, ReadersWithDifferentAttributesDoNotSharePacking) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed-GEMM kernel on this CPU";
  for (bool same : {true, false}) {
    Graph g;
    ValueId x = g.AddValue("x");
    g.inputs = {x};
    ValueId w = Const(g, "w", Random({6, 6}, 11));
    ValueId y1 = g.AddValue("y1"), y2 = g.AddValue("y2");
    NodeId a = g.AddNode("Gemm", "gemm_a", {x, w}, {y1});
    NodeId b = g.AddNode("Gemm", "gemm_b", {x, w}, {y2});
    SetAttr(g.nodes[a], "transB", 0, 1, false);
    SetAttr(g.nodes[b], "transB", 0, same ? 1 : 0, false);
    g.outputs = {y1, y2};
    g.opsets[""] = 17;
    for (Node& n : g.nodes) n.opset = 17;
    ASSERT_TRUE(g.Link().ok());
    Graph plain = g;
    PrepackStats stats;
    ASSERT_TRUE(PrepackConstantWeights(&g, &stats).ok());
    EXPECT_EQ(stats.weights, same ? 1 : 0) << (same ? "same attributes" : "transB differs");
    const Tensor in = Random({3, 6}, 12);
    const std::vector<Tensor> want = RunGraph(plain, {in}), got = RunGraph(g, {in});
    ASSERT_EQ(got.size(), 2u);
    for (size_t o = 0; o < 2; ++o) {
      for (int64_t i = 0; i < want[o].numel(); ++i) EXPECT_NEAR(got[o].data<float>()[i], want[o].data<float>()[i], 1e-5f);
    }
  }
}

// MatMul's packing reads no attribute: a MatMul and a FusedMatMul with an activation share one
// packed weight.
TEST(Prepack, MatMulAndFusedMatMulShareAWeight) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed-GEMM kernel on this CPU";
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w = Const(g, "w", Random({6, 5}, 13));
  ValueId y1 = g.AddValue("y1"), y2 = g.AddValue("y2");
  g.AddNode("MatMul", "mm", {x, w}, {y1});
  NodeId f = g.AddNode("FusedMatMul", "fmm", {x, w}, {y2});
  g.nodes[f].domain = "parallax";
  g.nodes[f].attrs["activation"] = Str("Relu");
  g.outputs = {y1, y2};
  g.opsets[""] = 17;
  g.opsets["parallax"] = 1;
  for (Node& n : g.nodes) n.opset = n.domain.empty() ? 17 : 1;
  ASSERT_TRUE(g.Link().ok());
  Graph plain = g;
  PrepackStats stats;
  ASSERT_TRUE(PrepackConstantWeights(&g, &stats).ok());
  EXPECT_EQ(stats.weights, 1);
  const Tensor in = Random({4, 6}, 14);
  const std::vector<Tensor> want = RunGraph(plain, {in}), got = RunGraph(g, {in});
  ASSERT_EQ(got.size(), 2u);
  for (size_t o = 0; o < 2; ++o) {
    for (int64_t i = 0; i < want[o].numel(); ++i) EXPECT_NEAR(got[o].data<float>()[i], want[o].data<float>()[i], 1e-5f);
  }
}

TEST(Prepack, DynamicStepsReadTheirPackedWeight) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed-GEMM kernel on this CPU";
  // x ─NonZero─Transpose─Cast─ rows [n, 2] (data-dependent n) ─MatMul(·, w)─ y: a dynamic step.
  auto build = [] {
    Graph g;
    ValueId x = g.AddValue("x");
    g.inputs = {x};
    ValueId w = Const(g, "w", Random({2, 7}, 11));
    ValueId nz = g.AddValue("nz"), t = g.AddValue("t"), f = g.AddValue("f"), y = g.AddValue("y");
    g.AddNode("NonZero", "nonzero", {x}, {nz});
    NodeId tr = g.AddNode("Transpose", "transpose", {nz}, {t});
    g.nodes[tr].attrs["perm"] = Ints({1, 0});
    NodeId cast = g.AddNode("Cast", "cast", {t}, {f});
    SetAttr(g.nodes[cast], "to", 0, 1, false);  // FLOAT
    g.AddNode("MatMul", "mm", {f, w}, {y});
    g.outputs = {y};
    g.opsets[""] = 17;
    for (Node& n : g.nodes) n.opset = 17;
    EXPECT_TRUE(g.Link().ok());
    return g;
  };
  Graph plain = build(), packed = build();
  ASSERT_TRUE(PrepackConstantWeights(&packed).ok());
  ASSERT_TRUE(packed.prepacked.count(packed.Find("w")));
  Tensor x = Tensor::Allocate(DataType::kFloat32, {4, 5}).value();
  for (int i : {1, 7, 12, 19}) x.data<float>()[i] = 1.f;
  const auto want = RunGraph(plain, {x}), got = RunGraph(packed, {x});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), (Shape{4, 7}));
  for (int64_t i = 0; i < want[0].numel(); ++i) EXPECT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], 1e-5f);
}

TEST(Prepack, WideNhwcConvolutionsPackAtLoadNarrowOnesKeepTheirWeights) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed-GEMM kernel on this CPU";
  // x (NHWC, 32 channels) ─NhwcConv 3x3 pad 1, 40 outputs, bias, SiLU─ a ─NhwcConv 1x1, 16
  // outputs─ y. The first runs on the packed kernel (prepacked, original released); the second
  // has fewer than 32 outputs, runs on XNNPACK and keeps its weight.
  auto build = [] {
    Graph g;
    ValueId x = g.AddValue("x");
    g.inputs = {x};
    ValueId w1 = Const(g, "w1", Random({40, 32, 3, 3}, 21, -0.2f, 0.2f)), b1 = Const(g, "b1", Random({40}, 22));
    ValueId w2 = Const(g, "w2", Random({16, 40, 1, 1}, 23, -0.2f, 0.2f));
    ValueId a = g.AddValue("a"), y = g.AddValue("y");
    NodeId c1 = g.AddNode("NhwcConv", "wide", {x, w1, b1}, {a});
    g.nodes[c1].attrs["pads"] = Ints({1, 1, 1, 1});
    g.nodes[c1].attrs["activation"] = Str("Silu");
    g.AddNode("NhwcConv", "narrow", {a, w2}, {y});
    g.outputs = {y};
    g.opsets[""] = 17;
    g.opsets["parallax"] = 1;
    for (Node& n : g.nodes) {
      n.domain = "parallax";
      n.opset = 1;
    }
    EXPECT_TRUE(g.Link().ok());
    return g;
  };
  Graph plain = build(), packed = build();
  PrepackStats stats;
  ASSERT_TRUE(PrepackConstantWeights(&packed, &stats).ok());
  const ValueId w1 = packed.Find("w1"), w2 = packed.Find("w2");
  EXPECT_EQ(stats.weights, 1);
  EXPECT_EQ(stats.original_bytes, 40u * 32 * 9 * sizeof(float));
  EXPECT_TRUE(packed.prepacked.count(w1));
  EXPECT_EQ(packed.initializers.at(w1).raw(), nullptr);
  EXPECT_FALSE(packed.prepacked.count(w2));
  EXPECT_NE(packed.initializers.at(w2).raw(), nullptr);
  const Tensor x = Random({2, 9, 7, 32}, 24);
  const auto want = RunGraph(plain, {x}), got = RunGraph(packed, {x});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), (Shape{2, 9, 7, 16}));
  for (int64_t i = 0; i < want[0].numel(); ++i) {
    ASSERT_EQ(got[0].data<float>()[i], want[0].data<float>()[i]) << "element " << i;  // same kernel, same bits
  }
}

}  // namespace
}  // namespace parallax
