// Tests for the shape-op family: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Expand,
// ConstantOfShape, EyeLike, Range, Constant.
#include <cstring>

#include "kernel_test_util.h"
#include "kernels/reference/tensor_ops_ref.h"

namespace parallax {
namespace {

using namespace parallax::testing;

std::vector<int64_t> Ints(const Tensor& t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numel());
}

// Runs only infer, with contents hidden for inputs whose `known` flag is false.
Status InferOnly(const Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& known) {
  const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
  if (def == nullptr) return NotImplemented("no kernel");
  std::vector<ValueInfo> infos(inputs.size());
  InferContext ctx{node, {}, {}};
  ctx.outputs.resize(node.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    infos[i] = ValueInfo{inputs[i].dtype(), inputs[i].shape(), known[i] ? &inputs[i] : nullptr};
    ctx.inputs.push_back(&infos[i]);
  }
  return def->infer(ctx);
}

Tensor Seq(Shape s) {
  Tensor t = Tensor::Allocate(DataType::kFloat32, std::move(s)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

void ExpectSameData(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.nbytes(), b.nbytes());
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
}

TEST(ShapeOps, ShapeAndSize) {
  Tensor x = Seq({2, 3, 4, 5});
  auto r = RunKernel(MakeNode("Shape", 13), {x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Ints((*r)[0]), (std::vector<int64_t>{2, 3, 4, 5}));
  struct Case { int64_t start, end; std::vector<int64_t> want; };
  for (const Case& c : {Case{1, 3, {3, 4}}, Case{-1, 100, {5}}, Case{-10, -2, {2, 3}}, Case{3, 1, {}},
                        Case{0, -1, {2, 3, 4}}}) {
    Node n = MakeNode("Shape", 15);
    SetInt(n, "start", c.start);
    SetInt(n, "end", c.end);
    auto o = RunKernel(n, {x});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(Ints((*o)[0]), c.want) << c.start << " " << c.end;
  }
  auto s0 = RunKernel(MakeNode("Shape", 15), {FloatTensor({}, {1})});
  ASSERT_TRUE(s0.ok());
  EXPECT_EQ((*s0)[0].shape(), (Shape{0}));
  auto sz = RunKernel(MakeNode("Size", 13), {x});
  ASSERT_TRUE(sz.ok());
  EXPECT_EQ((*sz)[0].shape(), Shape{});
  EXPECT_EQ(Ints((*sz)[0]), (std::vector<int64_t>{120}));
  auto sz0 = RunKernel(MakeNode("Size", 13), {Seq({3, 0})});
  ASSERT_TRUE(sz0.ok());
  EXPECT_EQ(Ints((*sz0)[0]), (std::vector<int64_t>{0}));
}

TEST(ShapeOps, Reshape) {
  Tensor x = Seq({2, 3, 4});
  struct Case { std::vector<int64_t> shape; Shape want; };
  for (const Case& c : {Case{{4, 6}, {4, 6}}, Case{{0, -1}, {2, 12}}, Case{{-1}, {24}},
                        Case{{2, 0, 2, 2}, {2, 3, 2, 2}}, Case{{1, -1, 1, 4}, {1, 6, 1, 4}}}) {
    Node n = MakeNode("Reshape", 14);
    auto r = RunKernel(n, {x, Int64Tensor({(int64_t)c.shape.size()}, c.shape)});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ((*r)[0].shape(), c.want);
    ExpectSameData((*r)[0], x);
  }
  // Scalar output from an empty shape.
  auto sc = RunKernel(MakeNode("Reshape", 13), {Seq({1, 1}), Int64Tensor({0}, {})});
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ((*sc)[0].shape(), Shape{});
  // allowzero: 0 means a real zero dim.
  Node az = MakeNode("Reshape", 14);
  SetInt(az, "allowzero", 1);
  auto z = RunKernel(az, {Seq({0, 3}), Int64Tensor({2}, {3, 0})});
  ASSERT_TRUE(z.ok()) << z.status().message();
  EXPECT_EQ((*z)[0].shape(), (Shape{3, 0}));
  // Without allowzero the 0 copies the dim.
  auto nz = RunKernel(MakeNode("Reshape", 14), {Seq({0, 3}), Int64Tensor({2}, {3, 0})});
  EXPECT_FALSE(nz.ok());
  // Empty input with -1.
  auto e = RunKernel(MakeNode("Reshape", 14), {Seq({0, 3}), Int64Tensor({2}, {-1, 3})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].shape(), (Shape{0, 3}));
  // Errors.
  for (std::vector<int64_t> bad : {std::vector<int64_t>{5, 5}, {-1, -1}, {7, -1}, {-2, 12}, {0, 0, 0, 0, 1}}) {
    auto b = RunKernel(MakeNode("Reshape", 14), {x, Int64Tensor({(int64_t)bad.size()}, bad)});
    EXPECT_FALSE(b.ok()) << ShapeToString(bad);
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  }
  Node both = MakeNode("Reshape", 14);
  SetInt(both, "allowzero", 1);
  EXPECT_FALSE(RunKernel(both, {Seq({0, 3}), Int64Tensor({2}, {0, -1})}).ok());
  // Needs the shape's contents.
  EXPECT_EQ(InferOnly(MakeNode("Reshape", 14), {x, Int64Tensor({2}, {4, 6})}, {true, false}).code(),
            StatusCode::kNeedsValue);
  // Opset < 5: shape attribute; alias flag set.
  Node old = MakeNode("Reshape", 4);
  SetInts(old, "shape", {6, -1});
  auto o = RunKernel(old, {x});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ((*o)[0].shape(), (Shape{6, 4}));
  EXPECT_TRUE(FindKernel("Reshape", "", 14)->alias);
}

TEST(ShapeOps, Flatten) {
  Tensor x = Seq({2, 3, 4, 5});
  struct Case { int64_t axis; Shape want; };
  for (const Case& c : {Case{0, {1, 120}}, Case{1, {2, 60}}, Case{2, {6, 20}}, Case{4, {120, 1}},
                        Case{-1, {24, 5}}, Case{-4, {1, 120}}, Case{-3, {2, 60}}}) {
    Node n = MakeNode("Flatten", 13);
    SetInt(n, "axis", c.axis);
    auto r = RunKernel(n, {x});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].shape(), c.want) << c.axis;
    ExpectSameData((*r)[0], x);
  }
  auto d = RunKernel(MakeNode("Flatten", 13), {Seq({0, 3, 2})});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].shape(), (Shape{0, 6}));
  auto s = RunKernel(MakeNode("Flatten", 13), {Seq({})});
  EXPECT_FALSE(s.ok());  // default axis 1 is out of range for rank 0
  Node s0 = MakeNode("Flatten", 13);
  SetInt(s0, "axis", 0);
  auto sr = RunKernel(s0, {Seq({})});
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ((*sr)[0].shape(), (Shape{1, 1}));
  Node bad = MakeNode("Flatten", 13);
  SetInt(bad, "axis", 5);
  EXPECT_FALSE(RunKernel(bad, {x}).ok());
}

TEST(ShapeOps, SqueezeUnsqueeze) {
  Tensor x = Seq({1, 3, 1, 4, 1});
  // Opset 11: attribute.
  Node s11 = MakeNode("Squeeze", 11);
  SetInts(s11, "axes", {0, -1});
  auto a = RunKernel(s11, {x});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0].shape(), (Shape{3, 1, 4}));
  // Opset 13: input; no axes squeezes all ones.
  auto b = RunKernel(MakeNode("Squeeze", 13), {x, Int64Tensor({1}, {-3})});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].shape(), (Shape{1, 3, 4, 1}));
  auto c = RunKernel(MakeNode("Squeeze", 13), {x});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].shape(), (Shape{3, 4}));
  ExpectSameData((*c)[0], x);
  EXPECT_FALSE(RunKernel(MakeNode("Squeeze", 13), {x, Int64Tensor({1}, {1})}).ok());   // dim 3
  EXPECT_FALSE(RunKernel(MakeNode("Squeeze", 13), {x, Int64Tensor({1}, {5})}).ok());   // range
  EXPECT_FALSE(RunKernel(MakeNode("Squeeze", 13), {x, Int64Tensor({2}, {0, -5})}).ok()); // dup
  EXPECT_EQ(InferOnly(MakeNode("Squeeze", 13), {x, Int64Tensor({1}, {0})}, {true, false}).code(),
            StatusCode::kNeedsValue);

  Tensor y = Seq({3, 4});
  Node u11 = MakeNode("Unsqueeze", 11);
  SetInts(u11, "axes", {0, 3});
  auto u = RunKernel(u11, {y});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)[0].shape(), (Shape{1, 3, 4, 1}));
  auto v = RunKernel(MakeNode("Unsqueeze", 13), {y, Int64Tensor({3}, {-1, 1, 0})});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].shape(), (Shape{1, 1, 3, 4, 1}));
  ExpectSameData((*v)[0], y);
  auto sc = RunKernel(MakeNode("Unsqueeze", 13), {Seq({}), Int64Tensor({1}, {0})});
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ((*sc)[0].shape(), (Shape{1}));
  EXPECT_FALSE(RunKernel(MakeNode("Unsqueeze", 13), {y, Int64Tensor({1}, {3})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Unsqueeze", 13), {y, Int64Tensor({2}, {0, 0})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Unsqueeze", 13), {y}).ok());
}

TEST(ShapeOps, ExpandRandom) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dim(1, 4), coin(0, 2);
  for (int it = 0; it < 60; ++it) {
    const int r = 1 + it % 4;
    Shape out(r), in;
    for (int d = 0; d < r; ++d) out[d] = dim(rng);
    const int in_rank = 1 + rng() % r;
    for (int d = r - in_rank; d < r; ++d) in.push_back(coin(rng) == 0 ? 1 : out[d]);
    // The shape input may itself use 1 where the input is bigger (bidirectional).
    std::vector<int64_t> req = out;
    for (int d = 0; d < in_rank; ++d)
      if (coin(rng) == 0) req[r - in_rank + d] = 1;
    Shape want(r);
    for (int d = 0; d < r; ++d) {
      int64_t id = d >= r - in_rank ? in[d - (r - in_rank)] : 1;
      want[d] = std::max(id, req[d]);
    }
    Tensor x = RandomFloat(in, rng);
    auto got = RunKernel(MakeNode("Expand", 13), {x, Int64Tensor({r}, req)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose((*got)[0], reference::RefExpand(x, want), 0);
  }
  // Large one (parallel path), scalar input, empty.
  Tensor x = RandomFloat({1, 300}, rng);
  auto big = RunKernel(MakeNode("Expand", 13), {x, Int64Tensor({3}, {4, 200, 1})});
  ASSERT_TRUE(big.ok());
  ExpectClose((*big)[0], reference::RefExpand(x, {4, 200, 300}), 0);
  auto sc = RunKernel(MakeNode("Expand", 13), {FloatTensor({}, {2.5f}), Int64Tensor({2}, {2, 2})});
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ((*sc)[0].data<float>()[3], 2.5f);
  auto em = RunKernel(MakeNode("Expand", 13), {Seq({1, 3}), Int64Tensor({2}, {0, 3})});
  ASSERT_TRUE(em.ok());
  EXPECT_EQ((*em)[0].shape(), (Shape{0, 3}));
  EXPECT_FALSE(RunKernel(MakeNode("Expand", 13), {Seq({2, 3}), Int64Tensor({2}, {4, 3})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("Expand", 13), {Seq({2}), Int64Tensor({1}, {2})}, {true, false}).code(),
            StatusCode::kNeedsValue);
}

TEST(ShapeOps, ConstantOfShapeEyeLike) {
  auto d = RunKernel(MakeNode("ConstantOfShape", 20), {Int64Tensor({2}, {2, 3})});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].dtype(), DataType::kFloat32);
  EXPECT_EQ((*d)[0].shape(), (Shape{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*d)[0].data<float>()[i], 0.f);
  Node n = MakeNode("ConstantOfShape", 20);
  Attribute a;
  a.kind = Attribute::Kind::kTensor;
  a.t = MakeTensor<int32_t>({1}, {7}, DataType::kInt32);
  n.attrs["value"] = a;
  auto v = RunKernel(n, {Int64Tensor({3}, {2, 1, 2})});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].dtype(), DataType::kInt32);
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*v)[0].data<int32_t>()[i], 7);
  auto sc = RunKernel(n, {Int64Tensor({0}, {})});
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ((*sc)[0].shape(), Shape{});
  EXPECT_EQ((*sc)[0].data<int32_t>()[0], 7);
  auto zero = RunKernel(n, {Int64Tensor({2}, {0, 5})});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ((*zero)[0].numel(), 0);
  EXPECT_FALSE(RunKernel(n, {Int64Tensor({2}, {-1, 5})}).ok());
  EXPECT_EQ(InferOnly(n, {Int64Tensor({1}, {2})}, {false}).code(), StatusCode::kNeedsValue);

  for (int64_t k : {-2, 0, 1, 5}) {
    Node e = MakeNode("EyeLike", 9);
    SetInt(e, "k", k);
    auto r = RunKernel(e, {Seq({3, 4})});
    ASSERT_TRUE(r.ok());
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j)
        EXPECT_EQ((*r)[0].data<float>()[i * 4 + j], j - i == k ? 1.f : 0.f);
  }
  Node e = MakeNode("EyeLike", 9);
  SetInt(e, "dtype", static_cast<int64_t>(DataType::kInt64));
  auto ri = RunKernel(e, {Seq({2, 2})});
  ASSERT_TRUE(ri.ok());
  EXPECT_EQ(Ints((*ri)[0]), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_FALSE(RunKernel(MakeNode("EyeLike", 9), {Seq({2, 2, 2})}).ok());
}

TEST(ShapeOps, Range) {
  auto i = RunKernel(MakeNode("Range", 11), {Int64Tensor({}, {10}), Int64Tensor({}, {-3}), Int64Tensor({}, {-4})});
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(Ints((*i)[0]), (std::vector<int64_t>{10, 6, 2, -2}));
  auto i32 = RunKernel(MakeNode("Range", 11), {MakeTensor<int32_t>({}, {1}, DataType::kInt32),
                                               MakeTensor<int32_t>({}, {7}, DataType::kInt32),
                                               MakeTensor<int32_t>({}, {3}, DataType::kInt32)});
  ASSERT_TRUE(i32.ok());
  ASSERT_EQ((*i32)[0].shape(), (Shape{2}));
  EXPECT_EQ((*i32)[0].data<int32_t>()[1], 4);
  auto f = RunKernel(MakeNode("Range", 11), {FloatTensor({}, {1.f}), FloatTensor({}, {2.f}), FloatTensor({}, {0.3f})});
  ASSERT_TRUE(f.ok());
  ASSERT_EQ((*f)[0].shape(), (Shape{4}));
  EXPECT_NEAR((*f)[0].data<float>()[3], 1.9f, 1e-6);
  auto empty = RunKernel(MakeNode("Range", 11), {Int64Tensor({}, {5}), Int64Tensor({}, {1}), Int64Tensor({}, {2})});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].shape(), (Shape{0}));
  EXPECT_FALSE(RunKernel(MakeNode("Range", 11), {Int64Tensor({}, {0}), Int64Tensor({}, {5}), Int64Tensor({}, {0})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Range", 11), {Int64Tensor({}, {0}), FloatTensor({}, {5}), Int64Tensor({}, {1})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("Range", 11), {Int64Tensor({}, {0}), Int64Tensor({}, {5}), Int64Tensor({}, {1})},
                      {true, false, true}).code(),
            StatusCode::kNeedsValue);
}

TEST(ShapeOps, Constant) {
  Node n = MakeNode("Constant", 13);
  SetInts(n, "value_ints", {4, 5, 6});
  auto r = RunKernel(n, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Ints((*r)[0]), (std::vector<int64_t>{4, 5, 6}));
  Node f = MakeNode("Constant", 13);
  SetFloat(f, "value_float", 1.5f);
  auto rf = RunKernel(f, {});
  ASSERT_TRUE(rf.ok());
  EXPECT_EQ((*rf)[0].shape(), Shape{});
  EXPECT_EQ((*rf)[0].data<float>()[0], 1.5f);
  Node t = MakeNode("Constant", 13);
  Attribute a;
  a.kind = Attribute::Kind::kTensor;
  a.t = Seq({2, 2});
  t.attrs["value"] = a;
  auto rt = RunKernel(t, {});
  ASSERT_TRUE(rt.ok());
  ExpectSameData((*rt)[0], a.t);
  EXPECT_FALSE(RunKernel(MakeNode("Constant", 13), {}).ok());
}

}  // namespace
}  // namespace parallax
