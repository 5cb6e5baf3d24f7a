// Graph passes on hand-built graphs: the fused graph has the expected ops and computes the
// same values as the unfused one.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include <cmath>
#include <random>

#include "graph_test_util.h"
#include "ir/passes/passes.h"
#include "runtime/plan.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

using testing::Const;
using testing::Int;
using testing::Ints;
using testing::Random;
using testing::RunGraph;
using testing::Scalar;
using testing::Str;

void Finalize(Graph& g, int opset = 17) {
  g.opsets[""] = opset;
  g.opsets["parallax"] = 1;
  for (Node& n : g.nodes) n.opset = n.domain.empty() ? opset : 1;
  ASSERT_TRUE(g.Link().ok());
}

std::vector<std::string> Ops(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op_type);
  return ops;
}

void ExpectNear(const Tensor& a, const Tensor& b, float tol) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) {
    ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], tol * (1 + std::fabs(b.data<float>()[i]))) << i;
  }
}

// x ─Conv─ c ─┬─ Sigmoid ─ s ─┐
//             └───────────────Mul ─ y
Graph ConvSilu() {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w = Const(g, "w", Random({4, 3, 3, 3}, 1));
  ValueId b = Const(g, "b", Random({4}, 2));
  ValueId c = g.AddValue("c"), s = g.AddValue("s"), y = g.AddValue("y");
  NodeId conv = g.AddNode("Conv", "conv", {x, w, b}, {c});
  g.nodes[conv].attrs["pads"] = Ints({1, 1, 1, 1});
  g.AddNode("Sigmoid", "sig", {c}, {s});
  g.AddNode("Mul", "mul", {c, s}, {y});
  g.outputs = {y};
  Finalize(g);
  return g;
}

TEST(Passes, ConvSigmoidMulBecomesConvWithSilu) {
  Graph plain = ConvSilu(), fused = ConvSilu();
  ASSERT_TRUE(FuseEpilogues(&fused).ok());
  EXPECT_EQ(Ops(fused), (std::vector<std::string>{"Conv"}));
  EXPECT_EQ(fused.nodes[0].GetString("activation", ""), "Silu");
  Tensor x = Random({1, 3, 8, 8}, 3);
  ExpectNear(RunGraph(fused, {x})[0], RunGraph(plain, {x})[0], 1e-5f);
}

TEST(Passes, SiluIsNotFusedWhenTheConvOutputHasAnotherReader) {
  Graph g = ConvSilu();
  ValueId c = g.Find("c");
  ValueId extra = g.AddValue("extra");
  g.AddNode("Relu", "relu", {c}, {extra});
  g.outputs.push_back(extra);
  Finalize(g);
  ASSERT_TRUE(FuseEpilogues(&g).ok());
  EXPECT_EQ(g.nodes.size(), 4u);
}

// x ─┬─ Conv3x3+Silu ─ a ─┐
//    └─ Conv1x1 ───── b ─ Concat(axis 1) ─ MaxPool 3x3 ─ Resize x2 ─ Split(axis 1) ─ y0, y1
// plus Add(a, 0.5) ─ z read by a graph output directly.
Graph ConvRegion() {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w3 = Const(g, "w3", Random({4, 3, 3, 3}, 11)), b3 = Const(g, "b3", Random({4}, 12));
  ValueId w1 = Const(g, "w1", Random({2, 3, 1, 1}, 13));
  ValueId a = g.AddValue("a"), b = g.AddValue("b"), cat = g.AddValue("cat"), mp = g.AddValue("mp");
  ValueId up = g.AddValue("up"), y0 = g.AddValue("y0"), y1 = g.AddValue("y1"), z = g.AddValue("z");
  NodeId c3 = g.AddNode("Conv", "c3", {x, w3, b3}, {a});
  g.nodes[c3].attrs["pads"] = Ints({1, 1, 1, 1});
  g.nodes[c3].attrs["activation"] = Str("Silu");
  g.AddNode("Conv", "c1", {x, w1}, {b});
  g.nodes[g.AddNode("Concat", "cat", {a, b}, {cat})].attrs["axis"] = Int(1);
  NodeId pool = g.AddNode("MaxPool", "pool", {cat}, {mp});
  g.nodes[pool].attrs["kernel_shape"] = Ints({3, 3});
  g.nodes[pool].attrs["pads"] = Ints({1, 1, 1, 1});
  Tensor sc = Tensor::Allocate(DataType::kFloat32, {4}).value();
  const float scales[4] = {1, 1, 2, 2};
  std::copy(scales, scales + 4, sc.data<float>());
  ValueId scv = Const(g, "scales", sc);
  NodeId rs = g.AddNode("Resize", "resize", {mp, kNoValue, scv}, {up});
  g.nodes[rs].attrs["mode"] = Str("nearest");
  g.nodes[g.AddNode("Split", "split", {up}, {y0, y1})].attrs["axis"] = Int(1);
  Tensor half = Tensor::Allocate(DataType::kFloat32, {1}).value();
  half.data<float>()[0] = 0.5f;
  g.AddNode("Add", "add", {a, Const(g, "half", half)}, {z});
  g.outputs = {y0, y1, z};
  Finalize(g);
  return g;
}

TEST(Passes, ConvRegionsRunNhwcWithTransposesOnlyAtTheBorders) {
  Graph plain = ConvRegion(), nhwc = ConvRegion();
  ASSERT_TRUE(ConvertConvRegionsToNhwc(&nhwc).ok());
  std::map<std::string, int> ops;
  for (const Node& n : nhwc.nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["NhwcConv"], 2);
  EXPECT_EQ(ops["NhwcMaxPool"], 1);
  EXPECT_EQ(ops["Conv"], 0);
  // No transpose into the region: both convs read the 3-channel image x in place (the image
  // kernel); one out per graph output.
  EXPECT_EQ(ops["Transpose"], 3);
  for (const Node& n : nhwc.nodes) {
    if (n.op_type == "NhwcConv") EXPECT_EQ(n.GetString("input_layout", ""), "NCHW") << n.name;
  }
  for (const Node& n : nhwc.nodes) {
    if (n.op_type == "Concat" || n.op_type == "Split") {
      EXPECT_EQ(n.GetInt("axis", 0), 3) << n.name;
    }
  }
  Tensor x = Random({1, 3, 6, 6}, 14);
  auto want = RunGraph(plain, {x}), got = RunGraph(nhwc, {x});
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) ExpectNear(got[i], want[i], 1e-5f);
}

// x (16 channels) ─ Conv3x3 ─ act ─ Split(axis 1, [split]) ─ y0, y1, with `extra` also reading
// the convolution's output (then the Split must stay).
Graph ConvSplit(const std::string& act, std::vector<int64_t> split, bool extra) {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w = Const(g, "w", Random({48, 16, 3, 3}, 31)), b = Const(g, "b", Random({48}, 32));
  ValueId a = g.AddValue("a"), y0 = g.AddValue("y0"), y1 = g.AddValue("y1"), z = g.AddValue("z");
  NodeId c = g.AddNode("Conv", "conv", {x, w, b}, {a});
  g.nodes[c].attrs["pads"] = Ints({1, 1, 1, 1});
  if (!act.empty()) g.nodes[c].attrs["activation"] = Str(act);
  Tensor sizes = Tensor::Allocate(DataType::kInt64, {2}).value();
  sizes.data<int64_t>()[0] = split[0];
  sizes.data<int64_t>()[1] = split[1];
  g.nodes[g.AddNode("Split", "split", {a, Const(g, "sizes", sizes)}, {y0, y1})].attrs["axis"] = Int(1);
  g.outputs = {y0, y1};
  if (extra) {
    g.AddNode("Relu", "extra", {a}, {z});
    g.outputs.push_back(z);
  }
  Finalize(g);
  return g;
}

TEST(Passes, SplitOfAConvolutionBecomesItsOutputs) {
  Tensor x = Random({1, 16, 7, 9}, 33);
  for (const auto& [act, split, extra, folded] : std::vector<std::tuple<std::string, std::vector<int64_t>, bool, bool>>{
           {"Silu", {16, 32}, false, true},        // a piece inside a panel of 32 and one past it
           {"", {24, 24}, false, true},            // no activation
           {"LeakyRelu", {16, 32}, false, false},  // an activation the tiles do not apply
           {"Silu", {16, 32}, true, false}}) {     // Y read by another node too
    SCOPED_TRACE(act + (extra ? " extra reader" : ""));
    Graph plain = ConvSplit(act, split, extra), fused = ConvSplit(act, split, extra);
    ASSERT_TRUE(OptimizeGraph(&fused).ok());
    std::map<std::string, int> ops;
    for (const Node& n : fused.nodes) ++ops[n.op_type];
    EXPECT_EQ(ops["Split"], folded ? 0 : 1);
    for (const Node& n : fused.nodes) {
      if (n.op_type == "NhwcConv") EXPECT_EQ(n.GetInts("split"), folded ? split : std::vector<int64_t>{});
    }
    auto want = RunGraph(plain, {x}), got = RunGraph(fused, {x});
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ExpectNear(got[i], want[i], 1e-5f);
  }
}

// Whisper's front: x (N, C, W) ─ Conv1d(k3)+Gelu ─ Conv1d(k3, s2) ─ Transpose(0 2 1) ─ Add ─ y.
// The model's own transpose to (N, W, C) reads the NWC value: one transpose is left, at entry.
TEST(Passes, OneDimensionalConvRegionsRunNwc) {
  Graph plain, nwc;
  for (Graph* g : {&plain, &nwc}) {
    ValueId x = g->AddValue("x");
    g->inputs = {x};
    ValueId w1 = Const(*g, "w1", Random({6, 4, 3}, 21)), w2 = Const(*g, "w2", Random({6, 6, 3}, 22));
    ValueId a = g->AddValue("a"), c = g->AddValue("c"), t = g->AddValue("t"), y = g->AddValue("y");
    NodeId c1 = g->AddNode("Conv", "c1", {x, w1}, {a});
    g->nodes[c1].attrs["pads"] = Ints({1, 1});
    NodeId c2 = g->AddNode("Conv", "c2", {a, w2}, {c});
    g->nodes[c2].attrs["pads"] = Ints({1, 1});
    g->nodes[c2].attrs["strides"] = Ints({2});
    g->nodes[g->AddNode("Transpose", "t", {c}, {t})].attrs["perm"] = Ints({0, 2, 1});
    g->AddNode("Add", "add", {t, Const(*g, "pos", Random({5, 6}, 23))}, {y});
    g->outputs = {y};
    Finalize(*g);
  }
  ASSERT_TRUE(ConvertConvRegionsToNhwc(&nwc).ok());
  EXPECT_EQ(Ops(nwc), (std::vector<std::string>{"NhwcConv", "NhwcConv", "Add", "Transpose"}));  // node order
  EXPECT_EQ(nwc.nodes.back().GetInts("perm"), (std::vector<int64_t>{0, 2, 1}));
  Tensor x = Random({1, 4, 10}, 24);
  ExpectNear(RunGraph(nwc, {x})[0], RunGraph(plain, {x})[0], 1e-5f);
}

// x ─ Conv3x3 (32) ─ a ─┬─ Concat(axis 1) ─ Conv1x1 (48→32) ─ y
//   └ Conv3x3 (16) ─ b ─┘      (read_b: b is also a graph output)
Graph ConcatThenPointwise(bool read_b, int64_t pointwise_k) {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId wa = Const(g, "wa", Random({32, 3, 3, 3}, 31)), wb = Const(g, "wb", Random({16, 3, 3, 3}, 32));
  ValueId wy = Const(g, "wy", Random({32, 48, pointwise_k, pointwise_k}, 33)), by = Const(g, "by", Random({32}, 34));
  ValueId a = g.AddValue("a"), b = g.AddValue("b"), cat = g.AddValue("cat"), y = g.AddValue("y");
  g.nodes[g.AddNode("Conv", "ca", {x, wa}, {a})].attrs["pads"] = Ints({1, 1, 1, 1});
  g.nodes[g.AddNode("Conv", "cb", {x, wb}, {b})].attrs["pads"] = Ints({1, 1, 1, 1});
  g.nodes[g.AddNode("Concat", "cat", {a, b}, {cat})].attrs["axis"] = Int(1);
  NodeId cy = g.AddNode("Conv", "cy", {cat, wy, by}, {y});
  const int64_t pad = pointwise_k / 2;
  g.nodes[cy].attrs["pads"] = Ints({pad, pad, pad, pad});
  g.outputs = {y};
  if (read_b) g.outputs.push_back(b);
  Finalize(g);
  return g;
}

TEST(Passes, AConcatReadOnlyByAPointwiseConvBecomesItsPieces) {
  Tensor x = Random({1, 3, 6, 5}, 35);
  for (const auto& [read_b, k, fused] : std::vector<std::tuple<bool, int64_t, bool>>{
           {false, 1, true}, {true, 1, true}, {false, 3, false}}) {
    SCOPED_TRACE(std::string("b read elsewhere ") + (read_b ? "1" : "0") + " kernel " + std::to_string(k));
    Graph plain = ConcatThenPointwise(read_b, k), g = ConcatThenPointwise(read_b, k);
    ASSERT_TRUE(OptimizeGraph(&g).ok());
    const std::vector<std::string> ops = Ops(g);
    EXPECT_EQ(std::count(ops.begin(), ops.end(), "Concat"), fused ? 0 : 1);
    for (const Node& n : g.nodes) {
      if (n.name == "cy") {
        EXPECT_EQ(n.inputs.size(), fused ? 4u : 3u);
      }
    }
    const auto want = RunGraph(plain, {x}), got = RunGraph(g, {x});
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ExpectNear(got[i], want[i], 1e-4f);
  }
  PassOptions o;
  setenv("PARALLAX_FUSE_CONCAT", "off", 1);
  Graph off = ConcatThenPointwise(false, 1);
  ASSERT_TRUE(OptimizeGraph(&off, o).ok());
  unsetenv("PARALLAX_FUSE_CONCAT");
  const std::vector<std::string> ops = Ops(off);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Concat"), 1);
}

TEST(Passes, ALonePointwiseConvStaysNchw) {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w = Const(g, "w", Random({2, 3, 1, 1}, 15)), y = g.AddValue("y");
  g.AddNode("Conv", "c1", {x, w}, {y});
  g.outputs = {y};
  Finalize(g);
  ASSERT_TRUE(ConvertConvRegionsToNhwc(&g).ok());
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"Conv"}));
}

// x ─Div(√2)─Erf─Add(1)─┐
// └─────────────────────Mul─Mul(0.5)─ y   and   MatMul(x, W)+bias ─ that GELU
Graph MatMulBiasGelu() {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId w = Const(g, "w", Random({8, 5}, 4));
  ValueId bias = Const(g, "bias", Random({5}, 5));
  ValueId m = g.AddValue("m"), a = g.AddValue("a");
  g.AddNode("MatMul", "mm", {x, w}, {m});
  g.AddNode("Add", "add_bias", {m, bias}, {a});
  ValueId d = g.AddValue("d"), e = g.AddValue("e"), p = g.AddValue("p"), q = g.AddValue("q"),
          y = g.AddValue("y");
  g.AddNode("Div", "div", {a, Const(g, "sqrt2", Scalar(1.4142135f))}, {d});
  g.AddNode("Erf", "erf", {d}, {e});
  g.AddNode("Add", "add1", {e, Const(g, "one", Scalar(1.f))}, {p});
  g.AddNode("Mul", "mul_x", {a, p}, {q});
  g.AddNode("Mul", "mul_half", {q, Const(g, "half", Scalar(0.5f))}, {y});
  g.outputs = {y};
  Finalize(g);
  return g;
}

TEST(Passes, MatMulBiasGeluBecomesOneFusedMatMul) {
  Graph plain = MatMulBiasGelu(), fused = MatMulBiasGelu();
  ASSERT_TRUE(OptimizeGraph(&fused).ok());
  EXPECT_EQ(Ops(fused), (std::vector<std::string>{"FusedMatMul"}));
  EXPECT_EQ(fused.nodes[0].GetString("activation", ""), "Gelu");
  Tensor x = Random({2, 3, 8}, 6);
  ExpectNear(RunGraph(fused, {x})[0], RunGraph(plain, {x})[0], 1e-5f);
}

// q ─MatMul(q, kt)─Mul(scale)─Add(mask)─Softmax(-1)─MatMul(·, v)─ y, the options dropping
// steps; `extra_reader` gives the scores a second consumer (then nothing may fuse).
struct AttentionGraphOptions {
  bool scale = true, mask = true, mask_first = false, extra_reader = false;
  int64_t axis = -1;
};
Graph AttentionGraph(const AttentionGraphOptions& o) {
  Graph g;
  ValueId q = g.AddValue("q"), kt = g.AddValue("kt"), v = g.AddValue("v");
  g.inputs = {q, kt, v};
  ValueId s = g.AddValue("s");
  g.AddNode("MatMul", "qk", {q, kt}, {s});
  if (o.scale) {
    ValueId t = g.AddValue("scaled");
    g.AddNode("Mul", "scale", {s, Const(g, "per_head", Random({2, 1, 1}, 7))}, {t});
    s = t;
  }
  if (o.mask) {
    ValueId t = g.AddValue("masked"), m = Const(g, "mask", Random({1, 1, 9}, 8));
    g.AddNode("Add", "mask", o.mask_first ? std::vector<ValueId>{m, s} : std::vector<ValueId>{s, m}, {t});
    s = t;
  }
  ValueId p = g.AddValue("p"), y = g.AddValue("y");
  g.AddNode("Softmax", "softmax", {s}, {p});
  Attribute axis;
  axis.i = o.axis;
  g.nodes.back().attrs["axis"] = axis;
  g.AddNode("MatMul", "pv", {p, v}, {y});
  g.outputs = {y};
  if (o.extra_reader) {
    ValueId z = g.AddValue("z");
    g.AddNode("Relu", "reader", {s}, {z});
    g.outputs.push_back(z);
  }
  Finalize(g);
  return g;
}

TEST(Passes, AttentionBecomesOneFusedAttention) {
  Tensor q = Random({2, 5, 4}, 9), kt = Random({2, 4, 9}, 10), v = Random({2, 9, 3}, 11);
  for (const AttentionGraphOptions& o :
       {AttentionGraphOptions{}, AttentionGraphOptions{false, true}, AttentionGraphOptions{true, false},
        AttentionGraphOptions{false, false}, AttentionGraphOptions{true, true, true}}) {
    SCOPED_TRACE(std::string("scale ") + (o.scale ? "1" : "0") + " mask " + (o.mask ? "1" : "0") +
                 (o.mask_first ? " (first operand)" : ""));
    Graph plain = AttentionGraph(o), fused = AttentionGraph(o);
    ASSERT_TRUE(OptimizeGraph(&fused).ok());
    ASSERT_EQ(Ops(fused), (std::vector<std::string>{"FusedAttention"}));
    EXPECT_EQ(fused.nodes[0].inputs.size(), o.mask ? 5u : o.scale ? 4u : 3u);
    ExpectNear(RunGraph(fused, {q, kt, v})[0], RunGraph(plain, {q, kt, v})[0], 1e-5f);
  }
}

// Heads as PyTorch exports them: q, k, v [B, S, H, E] → Transpose → attention → Transpose back.
Graph HeadsGraph(bool extra_reader) {
  Graph g;
  ValueId q = g.AddValue("q"), k = g.AddValue("k"), v = g.AddValue("v");
  g.inputs = {q, k, v};
  auto transpose = [&](ValueId x, std::vector<int64_t> perm, const std::string& name) {
    ValueId y = g.AddValue(name);
    g.AddNode("Transpose", name, {x}, {y});
    g.nodes.back().attrs["perm"] = Ints(std::move(perm));
    return y;
  };
  ValueId qt = transpose(q, {0, 2, 1, 3}, "qt"), kt = transpose(k, {0, 2, 3, 1}, "kt");
  ValueId vt = transpose(v, {0, 2, 1, 3}, "vt");
  ValueId s = g.AddValue("s"), p = g.AddValue("p"), o = g.AddValue("o");
  g.AddNode("MatMul", "qk", {qt, kt}, {s});
  g.AddNode("Softmax", "softmax", {s}, {p});
  g.AddNode("MatMul", "pv", {p, vt}, {o});
  g.outputs = {transpose(o, {0, 2, 1, 3}, "y")};
  if (extra_reader) g.outputs.push_back(vt);  // a second reader of V's transpose keeps it
  Finalize(g);
  return g;
}

TEST(Passes, AttentionAbsorbsTheHeadTransposes) {
  Tensor q = Random({2, 7, 3, 4}, 12), k = Random({2, 9, 3, 4}, 13), v = Random({2, 9, 3, 5}, 14);
  Graph plain = HeadsGraph(false), fused = HeadsGraph(false);
  ASSERT_TRUE(OptimizeGraph(&fused).ok());
  ASSERT_EQ(Ops(fused), (std::vector<std::string>{"FusedAttention"}));
  EXPECT_EQ(fused.nodes[0].GetInts("heads_interleaved"), (std::vector<int64_t>{1, 1, 1, 1}));
  ExpectNear(RunGraph(fused, {q, k, v})[0], RunGraph(plain, {q, k, v})[0], 1e-5f);

  Graph shared = HeadsGraph(true), shared_plain = HeadsGraph(true);
  ASSERT_TRUE(OptimizeGraph(&shared).ok());
  EXPECT_EQ(Ops(shared), (std::vector<std::string>{"Transpose", "FusedAttention"}));
  const Node& att = shared.nodes.back();
  EXPECT_EQ(att.GetInts("heads_interleaved"), (std::vector<int64_t>{1, 1, 0, 1}));
  const auto want = RunGraph(shared_plain, {q, k, v}), got = RunGraph(shared, {q, k, v});
  ExpectNear(got[0], want[0], 1e-5f);
  ExpectNear(got[1], want[1], 0.f);
}

TEST(Passes, AttentionIsNotFusedWhenScoresAreReadElsewhereOrAxisIsNotLast) {
  AttentionGraphOptions shared;
  shared.extra_reader = true;
  Graph g = AttentionGraph(shared);
  ASSERT_TRUE(OptimizeGraph(&g).ok());
  auto fused_count = [](const Graph& graph) {
    const std::vector<std::string> ops = Ops(graph);
    return std::count(ops.begin(), ops.end(), "FusedAttention");
  };
  EXPECT_EQ(fused_count(g), 0);
  AttentionGraphOptions axis;
  axis.axis = 1;
  Graph h = AttentionGraph(axis);
  ASSERT_TRUE(OptimizeGraph(&h).ok());
  EXPECT_EQ(fused_count(h), 0);
  PassOptions off;
  off.fuse_attention = false;
  Graph k = AttentionGraph({});
  ASSERT_TRUE(OptimizeGraph(&k, off).ok());
  EXPECT_EQ(fused_count(k), 0);
}

// MatMul(x, W) + bias ─┬─ Mul(1.702) ─ Sigmoid ─┐
//                     └──────────────────────Mul ─ y      (CLIP's QuickGELU)
Graph MatMulQuickGelu() {
  Graph g;
  ValueId x = g.AddValue("x");
  g.inputs = {x};
  ValueId m = g.AddValue("m"), a = g.AddValue("a"), s = g.AddValue("s"), sg = g.AddValue("sg"), y = g.AddValue("y");
  g.AddNode("MatMul", "mm", {x, Const(g, "w", Random({8, 6}, 12))}, {m});
  g.AddNode("Add", "bias", {m, Const(g, "b", Random({6}, 13))}, {a});
  g.AddNode("Mul", "scale", {a, Const(g, "beta", Scalar(1.702f))}, {s});
  g.AddNode("Sigmoid", "sigmoid", {s}, {sg});
  g.AddNode("Mul", "gate", {sg, a}, {y});
  g.outputs = {y};
  Finalize(g);
  return g;
}

TEST(Passes, QuickGeluBecomesFusedMatMulWithScaledSilu) {
  Graph plain = MatMulQuickGelu(), fused = MatMulQuickGelu();
  ASSERT_TRUE(OptimizeGraph(&fused).ok());
  ASSERT_EQ(Ops(fused), (std::vector<std::string>{"FusedMatMul"}));
  EXPECT_EQ(fused.nodes[0].GetString("activation", ""), "Silu");
  EXPECT_FLOAT_EQ(fused.nodes[0].GetFloat("activation_beta", 1.f), 1.702f);
  Tensor x = Random({3, 8}, 14);
  ExpectNear(RunGraph(fused, {x})[0], RunGraph(plain, {x})[0], 1e-5f);
}

TEST(Passes, DeadNodesAreRemoved) {
  Graph g;
  ValueId x = g.AddValue("x"), y = g.AddValue("y"), dead = g.AddValue("dead");
  g.inputs = {x};
  g.AddNode("Relu", "live", {x}, {y});
  g.AddNode("Neg", "unused", {x}, {dead});
  g.outputs = {y};
  Finalize(g);
  ASSERT_TRUE(RemoveDeadNodes(&g).ok());
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"Relu"}));
}

TEST(Passes, PlanTimeFoldingEvaluatesShapeChains) {
  // Reshape(x, Concat(Shape(x)[0:1], [-1])) — the chain PyTorch emits — folds at plan time.
  Graph g;
  ValueId x = g.AddValue("x"), shp = g.AddValue("shp"), first = g.AddValue("first"),
          target = g.AddValue("target"), y = g.AddValue("y");
  g.inputs = {x};
  g.AddNode("Shape", "shape", {x}, {shp});
  Tensor starts = Tensor::Allocate(DataType::kInt64, {1}).value(), ends = starts.Clone().value(),
         minus1 = starts.Clone().value();
  *starts.data<int64_t>() = 0;
  *ends.data<int64_t>() = 1;
  *minus1.data<int64_t>() = -1;
  g.AddNode("Slice", "slice", {shp, Const(g, "s", starts), Const(g, "e", ends)}, {first});
  NodeId concat = g.AddNode("Concat", "concat", {first, Const(g, "m1", minus1)}, {target});
  Attribute axis;
  axis.i = 0;
  g.nodes[concat].attrs["axis"] = axis;
  g.AddNode("Reshape", "reshape", {x, target}, {y});
  g.outputs = {y};
  Finalize(g);
  ThreadPool pool(1);
  auto plan = BuildPlan(g, {{DataType::kFloat32, {2, 3, 4}, nullptr}});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ((*plan)->stats.nodes_folded, 3u);
  EXPECT_EQ((*plan)->steps.size(), 1u);
  EXPECT_TRUE((*plan)->steps[0].aliased) << "Reshape of an input is a view, not a copy";
  Tensor xin = Random({2, 3, 4}, 7);
  auto out = RunGraph(g, {xin});
  ASSERT_EQ(out[0].shape(), (Shape{2, 12}));
  EXPECT_EQ(out[0].data<float>()[13], xin.data<float>()[13]);
}

}  // namespace
}  // namespace parallax
