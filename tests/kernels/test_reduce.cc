// Tests for the Reduce* and ArgMax/ArgMin kernels against double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "kernels/kernel_util.h"
#include "kernels/reference/reduce_ref.h"

namespace parallax::testing {
namespace {

const char* kOps[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                      "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};

std::vector<double> ToDoubles(const Tensor& t) { return ReadDoubles(t).value(); }

Shape RandomShape(std::mt19937& rng, int max_rank, int64_t max_dim) {
  std::uniform_int_distribution<int> rd(1, max_rank);
  std::uniform_int_distribution<int64_t> dd(1, max_dim);
  Shape s(rd(rng));
  for (auto& d : s) d = dd(rng);
  return s;
}

Tensor InputFor(const std::string& op, const Shape& s, std::mt19937& rng) {
  if (op == "ReduceProd") return RandomFloat(s, rng, 0.7f, 1.3f);
  if (op == "ReduceLogSum") return RandomFloat(s, rng, 0.1f, 2.f);
  return RandomFloat(s, rng, -2.f, 2.f);
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << "at " << i;
    }
  }
}

// Every op, random shapes and axes (including negative), keepdims both ways, axes given as an
// attribute (old opsets) and as an input (new opsets).
TEST(ReduceTest, RandomShapesAndAxesMatchReference) {
  std::mt19937 rng(123);
  for (const char* op : kOps) {
    for (int trial = 0; trial < 24; ++trial) {
      const Shape s = RandomShape(rng, 4, 6);
      const int64_t rank = static_cast<int64_t>(s.size());
      std::vector<int64_t> axes;
      std::vector<bool> red(rank, false);
      for (int64_t d = 0; d < rank; ++d) {
        if (rng() % 2) {
          axes.push_back(rng() % 2 ? d : d - rank);
          red[d] = true;
        }
      }
      if (axes.empty()) red.assign(rank, true);  // empty axes = reduce everything
      const bool keep = trial % 2;
      const bool as_input = trial % 3 != 0;
      const int opset = as_input ? 18 : (std::string(op) == "ReduceSum" ? 11 : 13);
      Node n = MakeNode(op, opset);
      SetInt(n, "keepdims", keep);
      Tensor x = InputFor(op, s, rng);
      std::vector<Tensor> ins{x};
      if (as_input) ins.push_back(Int64Tensor({static_cast<int64_t>(axes.size())}, axes));
      else if (!axes.empty()) SetInts(n, "axes", axes);
      auto out = RunKernel(n, ins);
      ASSERT_TRUE(out.ok()) << op << ": " << out.status().message();
      Shape want_shape;
      for (int64_t d = 0; d < rank; ++d) {
        if (!red[d]) want_shape.push_back(s[d]);
        else if (keep) want_shape.push_back(1);
      }
      EXPECT_EQ((*out)[0].shape(), want_shape) << op;
      ExpectNear(ToDoubles((*out)[0]), reference::Reduce(op, ToDoubles(x), s, red), 2e-5);
    }
  }
}

// Large tensors exercise the parallel row path (last axis) and the kept-inner path (axis 0).
TEST(ReduceTest, LargeRowAndColumnReductions) {
  std::mt19937 rng(7);
  Tensor x = RandomFloat({96, 771}, rng, -1.f, 1.f);
  for (int64_t axis : {-1, 0}) {
    for (const char* op : {"ReduceMean", "ReduceMax", "ReduceLogSumExp", "ReduceSumSquare"}) {
      Node n = MakeNode(op, 18);
      auto out = RunKernel(n, {x, Int64Tensor({1}, {axis})});
      ASSERT_TRUE(out.ok()) << out.status().message();
      std::vector<bool> red = {axis == 0, axis == -1};
      ExpectNear(ToDoubles((*out)[0]), reference::Reduce(op, ToDoubles(x), x.shape(), red), 1e-5);
    }
  }
}

TEST(ReduceTest, EmptyAxesReduceAllOrNoop) {
  std::mt19937 rng(1);
  Tensor x = RandomFloat({3, 4}, rng);
  Node n = MakeNode("ReduceSum", 13);
  SetInt(n, "keepdims", 0);
  auto all = RunKernel(n, {x, Int64Tensor({0}, {})});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].shape(), Shape{});
  ExpectNear(ToDoubles((*all)[0]), reference::Reduce("ReduceSum", ToDoubles(x), {3, 4}, {true, true}), 1e-5);
  auto omitted = RunKernel(n, {x});
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ((*omitted)[0].shape(), Shape{});
  SetInt(n, "noop_with_empty_axes", 1);
  auto noop = RunKernel(n, {x, Int64Tensor({0}, {})});
  ASSERT_TRUE(noop.ok());
  ExpectClose((*noop)[0], x, 0);
}

TEST(ReduceTest, EmptySetGivesIdentity) {
  Tensor x = FloatTensor({2, 0, 3}, {});
  struct Case { const char* op; float want; };
  const Case cases[] = {{"ReduceSum", 0.f}, {"ReduceProd", 1.f}, {"ReduceMax", -INFINITY},
                        {"ReduceMin", INFINITY}, {"ReduceL2", 0.f}, {"ReduceLogSumExp", -INFINITY},
                        {"ReduceLogSum", -INFINITY}};
  for (const Case& c : cases) {
    Node n = MakeNode(c.op, 18);
    auto out = RunKernel(n, {x, Int64Tensor({1}, {1})});
    ASSERT_TRUE(out.ok()) << c.op << out.status().message();
    ASSERT_EQ((*out)[0].shape(), (Shape{2, 1, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[0].data<float>()[i], c.want) << c.op;
  }
  // Non-reduced zero dim: empty output.
  Node n = MakeNode("ReduceSum", 13);
  auto out = RunKernel(n, {x, Int64Tensor({1}, {2})});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 0, 1}));
}

TEST(ReduceTest, ScalarAndIntegerInputs) {
  Node n = MakeNode("ReduceSum", 13);
  auto s = RunKernel(n, {FloatTensor({}, {2.5f})});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].shape(), Shape{});
  EXPECT_EQ((*s)[0].data<float>()[0], 2.5f);

  Tensor xi = MakeTensor<int32_t>({2, 3}, {1, -2, 3, 4, 5, -6}, DataType::kInt32);
  auto sum = RunKernel(n, {xi, Int64Tensor({1}, {1})});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ((*sum)[0].dtype(), DataType::kInt32);
  EXPECT_EQ((*sum)[0].data<int32_t>()[0], 2);
  EXPECT_EQ((*sum)[0].data<int32_t>()[1], 3);
  Node mx = MakeNode("ReduceMax", 18);
  Tensor xl = Int64Tensor({2, 3}, {1, -2, 3, 4, 5, -6});
  auto m = RunKernel(mx, {xl, Int64Tensor({1}, {0})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].data<int64_t>()[0], 4);
  EXPECT_EQ((*m)[0].data<int64_t>()[2], 3);
  Node mn = MakeNode("ReduceMin", 20);
  auto b = RunKernel(mn, {MakeTensor<bool>({2, 2}, {true, false, true, true}, DataType::kBool),
                          Int64Tensor({1}, {1})});
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_FALSE((*b)[0].data<bool>()[0]);
  EXPECT_TRUE((*b)[0].data<bool>()[1]);
}

TEST(ReduceTest, Errors) {
  Tensor x = FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Node n = MakeNode("ReduceMean", 18);
  EXPECT_FALSE(RunKernel(n, {x, Int64Tensor({1}, {2})}).ok());      // axis out of range
  EXPECT_FALSE(RunKernel(n, {x, Int64Tensor({2}, {1, -1})}).ok());  // repeated axis
  Node old = MakeNode("ReduceMean", 13);
  SetInts(old, "axes", {-3});
  EXPECT_FALSE(RunKernel(old, {x}).ok());
  Node sum = MakeNode("ReduceSum", 13);
  EXPECT_FALSE(RunKernel(sum, {MakeTensor<bool>({2}, {true, false}, DataType::kBool)}).ok());
  // Axes input with unknown contents at plan time: NeedsValue.
  const KernelDef* def = FindKernel("ReduceSum", "", 13);
  ASSERT_NE(def, nullptr);
  ValueInfo xi{DataType::kFloat32, {2, 3}, nullptr}, ai{DataType::kInt64, {1}, nullptr};
  InferContext ictx{sum, {&xi, &ai}, {}};
  ictx.outputs.resize(1);
  EXPECT_EQ(def->infer(ictx).code(), StatusCode::kNeedsValue);
}

TEST(ArgReduceTest, RandomWithTiesMatchesReference) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> vd(0, 3);  // few distinct values: many ties
  for (int trial = 0; trial < 40; ++trial) {
    const Shape s = RandomShape(rng, 4, 5);
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = static_cast<int64_t>(rng() % rank) - (trial % 2 ? rank : 0);
    const bool is_max = trial % 4 < 2;
    const bool last = trial % 3 == 0;
    const bool keep = trial % 5 != 0;
    Tensor x = Tensor::Allocate(DataType::kFloat32, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(vd(rng));
    Node n = MakeNode(is_max ? "ArgMax" : "ArgMin", 13);
    SetInt(n, "axis", axis);
    SetInt(n, "keepdims", keep);
    SetInt(n, "select_last_index", last);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << out.status().message();
    const int64_t ax = axis < 0 ? axis + rank : axis;
    Shape ws = s;
    if (keep) ws[ax] = 1; else ws.erase(ws.begin() + ax);
    EXPECT_EQ((*out)[0].shape(), ws);
    EXPECT_EQ((*out)[0].dtype(), DataType::kInt64);
    auto want = reference::ArgReduce(is_max, ToDoubles(x), s, ax, last);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*out)[0].data<int64_t>()[i], want[i]) << i;
  }
}

TEST(ArgReduceTest, Errors) {
  Node n = MakeNode("ArgMax", 13);
  SetInt(n, "axis", 2);
  EXPECT_FALSE(RunKernel(n, {FloatTensor({2, 3}, {1, 2, 3, 4, 5, 6})}).ok());
  Node s = MakeNode("ArgMin", 13);
  EXPECT_FALSE(RunKernel(s, {FloatTensor({}, {1})}).ok());  // rank 0 has no axis
}

}  // namespace
}  // namespace parallax::testing
