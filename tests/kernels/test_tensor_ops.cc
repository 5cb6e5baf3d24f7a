// Tests for the tensor-op family against index-loop references (tensor_ops_ref.h).
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "kernel_test_util.h"
#include "kernels/reference/tensor_ops_ref.h"
#include "kernels/transpose_tile.h"

namespace parallax {
namespace {

using namespace parallax::testing;
using reference::Ravel;
using reference::Unravel;

Tensor Seq(Shape s) {
  Tensor t = Tensor::Allocate(DataType::kFloat32, std::move(s)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

std::vector<float> Floats(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

Shape RandomShape(std::mt19937& rng, int rank, int lo = 1, int hi = 5) {
  std::uniform_int_distribution<int> d(lo, hi);
  Shape s(rank);
  for (int64_t& x : s) x = d(rng);
  return s;
}

void ExpectEqual(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
}

Status InferOnly(const Node& node, const std::vector<Tensor>& inputs, const std::vector<bool>& known) {
  const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
  if (def == nullptr) return NotImplemented("no kernel");
  std::vector<ValueInfo> infos(inputs.size());
  InferContext ctx{node, {}, {}};
  ctx.outputs.resize(node.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) { ctx.inputs.push_back(nullptr); continue; }
    infos[i] = ValueInfo{inputs[i].dtype(), inputs[i].shape(), known[i] ? &inputs[i] : nullptr};
    ctx.inputs.push_back(&infos[i]);
  }
  return def->infer(ctx);
}

Tensor I64(std::vector<int64_t> v) { return Int64Tensor({static_cast<int64_t>(v.size())}, v); }

// ---- Concat / Split ----------------------------------------------------------------------

TEST(TensorOps, ConcatRandom) {
  std::mt19937 rng(1);
  for (int it = 0; it < 40; ++it) {
    const int r = 1 + it % 4;
    Shape base = RandomShape(rng, r);
    const int axis = static_cast<int>(rng() % r);
    const int n = 1 + rng() % 3;
    std::vector<Tensor> ins;
    for (int k = 0; k < n; ++k) {
      Shape s = base;
      s[axis] = rng() % 4;  // may be 0
      ins.push_back(RandomFloat(s, rng));
    }
    Node node = MakeNode("Concat", 13);
    SetInt(node, "axis", (it % 2) ? axis - r : axis);
    auto got = RunKernel(node, ins);
    ASSERT_TRUE(got.ok()) << got.status().message();
    const Tensor& o = (*got)[0];
    // Reference: walk the output, find the input along the axis.
    for (int64_t i = 0; i < o.numel(); ++i) {
      std::vector<int64_t> idx = Unravel(i, o.shape());
      int64_t a = idx[axis];
      int k = 0;
      while (a >= ins[k].shape()[axis]) a -= ins[k++].shape()[axis];
      idx[axis] = a;
      ASSERT_EQ(o.data<float>()[i], ins[k].data<float>()[Ravel(idx, ins[k].shape())]);
    }
  }
  Node node = MakeNode("Concat", 13);
  SetInt(node, "axis", 0);
  EXPECT_FALSE(RunKernel(node, {Seq({2, 3}), Seq({2, 4})}).ok());
  EXPECT_FALSE(RunKernel(node, {Seq({2, 3}), Seq({3})}).ok());
  SetInt(node, "axis", 2);
  EXPECT_FALSE(RunKernel(node, {Seq({2, 3}), Seq({2, 3})}).ok());
}

TEST(TensorOps, Split) {
  Tensor x = Seq({2, 6});
  // opset 11 attribute.
  Node a = MakeNode("Split", 11, 3);
  SetInt(a, "axis", -1);
  SetInts(a, "split", {1, 2, 3});
  auto r = RunKernel(a, {x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Floats((*r)[2]), (std::vector<float>{3, 4, 5, 9, 10, 11}));
  EXPECT_EQ(Floats((*r)[0]), (std::vector<float>{0, 6}));
  // opset 13 input, zero-size part.
  Node b = MakeNode("Split", 13, 3);
  SetInt(b, "axis", 1);
  auto r2 = RunKernel(b, {x, I64({4, 0, 2})});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)[1].shape(), (Shape{2, 0}));
  EXPECT_EQ(Floats((*r2)[2]), (std::vector<float>{4, 5, 10, 11}));
  // Equal split by output count.
  auto r3 = RunKernel(MakeNode("Split", 13, 2), {x});
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(Floats((*r3)[1]), (std::vector<float>{6, 7, 8, 9, 10, 11}));
  // opset 18 num_outputs, uneven.
  Node c = MakeNode("Split", 18, 4);
  SetInt(c, "axis", 1);
  SetInt(c, "num_outputs", 4);
  auto r4 = RunKernel(c, {x});
  ASSERT_TRUE(r4.ok()) << r4.status().message();
  EXPECT_EQ((*r4)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ((*r4)[3].shape(), (Shape{2, 0}));
  EXPECT_EQ(Floats((*r4)[2]), (std::vector<float>{4, 5, 10, 11}));
  // Errors.
  EXPECT_FALSE(RunKernel(MakeNode("Split", 13, 4), {x}).ok());       // 2 not divisible by 4
  EXPECT_FALSE(RunKernel(b, {x, I64({4, 1, 2})}).ok());             // sum
  EXPECT_FALSE(RunKernel(b, {x, I64({4, 2})}).ok());                // count
  EXPECT_EQ(InferOnly(b, {x, I64({2, 2, 2})}, {true, false}).code(), StatusCode::kNeedsValue);
}

// ---- Slice ---------------------------------------------------------------------------------

TEST(TensorOps, SliceRandom) {
  std::mt19937 rng(2);
  const int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  std::uniform_int_distribution<int64_t> pos(-8, 8);
  for (int it = 0; it < 300; ++it) {
    const int r = 1 + it % 4;
    Shape s = RandomShape(rng, r, 0, 6);
    Tensor x = RandomFloat(s, rng);
    std::vector<int64_t> axes(r);
    std::iota(axes.begin(), axes.end(), 0);
    std::shuffle(axes.begin(), axes.end(), rng);
    axes.resize(1 + rng() % r);
    std::vector<int64_t> starts, ends, steps;
    for (size_t k = 0; k < axes.size(); ++k) {
      if (rng() % 2) axes[k] -= r;
      int64_t st = pos(rng), en = pos(rng), sp = pos(rng) % 4;
      if (sp == 0) sp = (rng() % 2) ? 1 : -1;
      if (rng() % 10 == 0) en = sp > 0 ? kMax : kMin;
      if (rng() % 10 == 0) st = sp > 0 ? kMin : kMax;
      if (rng() % 20 == 0) sp = sp > 0 ? kMax : kMin;
      starts.push_back(st), ends.push_back(en), steps.push_back(sp);
    }
    auto got = RunKernel(MakeNode("Slice", 13), {x, I64(starts), I64(ends), I64(axes), I64(steps)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    Tensor want = reference::RefSlice(x, starts, ends, axes, steps);
    ExpectEqual((*got)[0], want);
  }
  // Large (parallel path).
  Tensor big = RandomFloat({64, 300, 3}, rng);
  auto g = RunKernel(MakeNode("Slice", 13), {big, I64({-1, 5}), I64({kMin, 290}), I64({0, 1}), I64({-2, 3})});
  ASSERT_TRUE(g.ok());
  ExpectEqual((*g)[0], reference::RefSlice(big, {-1, 5}, {kMin, 290}, {0, 1}, {-2, 3}));
  // Default axes and steps; int32 starts.
  Tensor x = Seq({3, 4});
  auto d = RunKernel(MakeNode("Slice", 13), {x, MakeTensor<int32_t>({1}, {1}, DataType::kInt32),
                                              MakeTensor<int32_t>({1}, {3}, DataType::kInt32)});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Floats((*d)[0]), (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11}));
  // Opset 9 attributes.
  Node n9 = MakeNode("Slice", 9);
  SetInts(n9, "starts", {1});
  SetInts(n9, "ends", {100});
  SetInts(n9, "axes", {-1});
  auto o9 = RunKernel(n9, {x});
  ASSERT_TRUE(o9.ok());
  EXPECT_EQ((*o9)[0].shape(), (Shape{3, 3}));
  // Errors: zero step, duplicate axes, bad axis, mismatched lengths.
  EXPECT_FALSE(RunKernel(MakeNode("Slice", 13), {x, I64({0}), I64({2}), I64({0}), I64({0})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Slice", 13), {x, I64({0, 0}), I64({2, 2}), I64({1, -1})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Slice", 13), {x, I64({0}), I64({2}), I64({2})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Slice", 13), {x, I64({0}), I64({2, 3})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("Slice", 13), {x, I64({0}), I64({2})}, {true, true, false}).code(),
            StatusCode::kNeedsValue);
}

// ---- Gather family -------------------------------------------------------------------------

TEST(TensorOps, GatherRandom) {
  std::mt19937 rng(3);
  for (int it = 0; it < 60; ++it) {
    const int r = 1 + it % 4;
    Shape s = RandomShape(rng, r);
    const int axis = static_cast<int>(rng() % r);
    Shape is = RandomShape(rng, it % 3, 0, 3);
    std::vector<int64_t> idx(NumElements(is));
    for (int64_t& v : idx) v = static_cast<int64_t>(rng() % (2 * s[axis])) - s[axis];
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("Gather", 13);
    SetInt(n, "axis", it % 2 ? axis - r : axis);
    auto got = RunKernel(n, {x, Int64Tensor(is, idx)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectEqual((*got)[0], reference::RefGather(x, idx, is, axis));
    // int32 indices and an int8 tensor.
    std::vector<int32_t> idx32(idx.begin(), idx.end());
    Tensor x8 = Tensor::Allocate(DataType::kInt8, s).value();
    for (int64_t i = 0; i < x8.numel(); ++i) x8.data<int8_t>()[i] = static_cast<int8_t>(i * 7);
    auto g8 = RunKernel(n, {x8, MakeTensor<int32_t>(is, idx32, DataType::kInt32)});
    ASSERT_TRUE(g8.ok());
    Tensor want = reference::RefGather(x, idx, is, axis);
    for (int64_t i = 0; i < want.numel(); ++i) {
      // Map the float reference back to the flat index it came from.
      const float* xb = x.data<float>();
      int64_t src = std::find(xb, xb + x.numel(), want.data<float>()[i]) - xb;
      ASSERT_EQ((*g8)[0].data<int8_t>()[i], static_cast<int8_t>(src * 7));
    }
  }
  Node n = MakeNode("Gather", 13);
  SetInt(n, "axis", 1);
  EXPECT_EQ(RunKernel(n, {Seq({2, 3}), I64({3})}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunKernel(n, {Seq({2, 3}), I64({-4})}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(n, {Seq({2, 3}), FloatTensor({1}, {0})}).ok());
  SetInt(n, "axis", 2);
  EXPECT_FALSE(RunKernel(n, {Seq({2, 3}), I64({0})}).ok());
  // Large gather of rows (parallel path).
  Tensor emb = Seq({1000, 64});
  std::vector<int64_t> ids(500);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = (i * 37) % 1000;
  SetInt(n, "axis", 0);
  auto big = RunKernel(n, {emb, I64(ids)});
  ASSERT_TRUE(big.ok());
  ExpectEqual((*big)[0], reference::RefGather(emb, ids, {500}, 0));
}

TEST(TensorOps, GatherElementsRandom) {
  std::mt19937 rng(4);
  for (int it = 0; it < 60; ++it) {
    const int r = 1 + it % 4;
    Shape s = RandomShape(rng, r);
    const int axis = static_cast<int>(rng() % r);
    Shape is = s;
    for (int d = 0; d < r; ++d) is[d] = d == axis ? rng() % 5 : 1 + rng() % s[d];
    std::vector<int64_t> idx(NumElements(is));
    for (int64_t& v : idx) v = static_cast<int64_t>(rng() % (2 * s[axis])) - s[axis];
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("GatherElements", 13);
    SetInt(n, "axis", it % 2 ? axis - r : axis);
    auto got = RunKernel(n, {x, Int64Tensor(is, idx)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    Tensor want = reference::RefMap(x, is, [&](const std::vector<int64_t>& o) {
      std::vector<int64_t> ii = o;
      int64_t v = idx[Ravel(o, is)];
      ii[axis] = v < 0 ? v + s[axis] : v;
      return Ravel(ii, s);
    });
    ExpectEqual((*got)[0], want);
  }
  Node n = MakeNode("GatherElements", 13);
  EXPECT_EQ(RunKernel(n, {Seq({2, 2}), Int64Tensor({1, 2}, {0, 2})}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(n, {Seq({2, 2}), Int64Tensor({1, 3}, {0, 0, 0})}).ok());
  EXPECT_FALSE(RunKernel(n, {Seq({2, 2}), Int64Tensor({2}, {0, 0})}).ok());
}

TEST(TensorOps, GatherND) {
  // Spec examples.
  auto a = RunKernel(MakeNode("GatherND", 13), {Seq({2, 2}), Int64Tensor({2, 2}, {0, 0, 1, 1})});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Floats((*a)[0]), (std::vector<float>{0, 3}));
  auto b = RunKernel(MakeNode("GatherND", 13), {Seq({2, 2, 2}), Int64Tensor({2, 1, 1}, {1, 0})});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].shape(), (Shape{2, 1, 2, 2}));
  EXPECT_EQ(Floats((*b)[0]), (std::vector<float>{4, 5, 6, 7, 0, 1, 2, 3}));
  Node bd = MakeNode("GatherND", 13);
  SetInt(bd, "batch_dims", 1);
  auto c = RunKernel(bd, {Seq({2, 2, 2}), Int64Tensor({2, 1}, {1, -2})});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Floats((*c)[0]), (std::vector<float>{2, 3, 4, 5}));
  // Random against a loop reference (batch_dims 0..1).
  std::mt19937 rng(5);
  for (int it = 0; it < 40; ++it) {
    const int r = 2 + it % 3;
    const int64_t bdims = it % 2;
    Shape s = RandomShape(rng, r);
    const int64_t k = 1 + rng() % (r - bdims);
    Shape is;
    for (int64_t d = 0; d < bdims; ++d) is.push_back(s[d]);
    is.push_back(1 + rng() % 3);
    is.push_back(k);
    std::vector<int64_t> idx(NumElements(is));
    for (size_t i = 0; i < idx.size(); ++i) {
      const int64_t dim = s[bdims + i % k];
      idx[i] = static_cast<int64_t>(rng() % dim);
    }
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("GatherND", 13);
    SetInt(n, "batch_dims", bdims);
    auto got = RunKernel(n, {x, Int64Tensor(is, idx)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    const Tensor& o = (*got)[0];
    const int64_t q = static_cast<int64_t>(is.size());
    for (int64_t i = 0; i < o.numel(); ++i) {
      std::vector<int64_t> oi = Unravel(i, o.shape());
      std::vector<int64_t> ti(oi.begin(), oi.begin() + (q - 1));
      ti.push_back(0);
      std::vector<int64_t> di;
      for (int64_t d = 0; d < bdims; ++d) di.push_back(oi[d]);
      for (int64_t j = 0; j < k; ++j) {
        ti[q - 1] = j;
        di.push_back(idx[Ravel(ti, is)]);
      }
      for (size_t d = q - 1; d < oi.size(); ++d) di.push_back(oi[d]);
      ASSERT_EQ(o.data<float>()[i], x.data<float>()[Ravel(di, s)]);
    }
  }
  EXPECT_EQ(RunKernel(MakeNode("GatherND", 13), {Seq({2, 2}), Int64Tensor({1, 2}, {0, 2})}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(MakeNode("GatherND", 13), {Seq({2, 2}), Int64Tensor({1, 3}, {0, 0, 0})}).ok());
}

// ---- Scatter family ------------------------------------------------------------------------

TEST(TensorOps, ScatterND) {
  Tensor data = Seq({4, 2});
  for (std::string red : {"none", "add", "mul", "max", "min"}) {
    Node n = MakeNode("ScatterND", 18);
    SetString(n, "reduction", red);
    Tensor upd = FloatTensor({3, 2}, {10, 11, 0.5f, 2, -1, 100});
    auto got = RunKernel(n, {data, Int64Tensor({3, 1}, {1, -1, 1}), upd});
    ASSERT_TRUE(got.ok()) << red << got.status().message();
    // Loop reference.
    std::vector<float> want = Floats(data);
    const int64_t rows[3] = {1, 3, 1};
    for (int u = 0; u < 3; ++u)
      for (int j = 0; j < 2; ++j) {
        float& w = want[rows[u] * 2 + j];
        float v = upd.data<float>()[u * 2 + j];
        if (red == "none") w = v;
        if (red == "add") w += v;
        if (red == "mul") w *= v;
        if (red == "max") w = std::max(w, v);
        if (red == "min") w = std::min(w, v);
      }
    EXPECT_EQ(Floats((*got)[0]), want) << red;
  }
  // Element indices (k == rank).
  auto e = RunKernel(MakeNode("ScatterND", 13), {Seq({2, 2}), Int64Tensor({1, 2}, {1, 0}), FloatTensor({1}, {9})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Floats((*e)[0]), (std::vector<float>{0, 1, 9, 3}));
  EXPECT_EQ(RunKernel(MakeNode("ScatterND", 13), {Seq({2, 2}), Int64Tensor({1, 2}, {2, 0}), FloatTensor({1}, {9})})
                .status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(MakeNode("ScatterND", 13), {Seq({2, 2}), Int64Tensor({1, 1}, {0}), FloatTensor({1}, {9})}).ok());
  Node old = MakeNode("ScatterND", 13);
  SetString(old, "reduction", "add");
  EXPECT_FALSE(RunKernel(old, {Seq({2}), Int64Tensor({1, 1}, {0}), FloatTensor({1}, {9})}).ok());
}

TEST(TensorOps, ScatterElementsRandom) {
  std::mt19937 rng(6);
  for (int it = 0; it < 50; ++it) {
    const int r = 1 + it % 3;
    Shape s = RandomShape(rng, r);
    const int axis = static_cast<int>(rng() % r);
    Shape is = s;
    for (int d = 0; d < r; ++d) is[d] = d == axis ? rng() % 5 : 1 + rng() % s[d];
    std::vector<int64_t> idx(NumElements(is));
    for (int64_t& v : idx) v = static_cast<int64_t>(rng() % (2 * s[axis])) - s[axis];
    Tensor x = RandomFloat(s, rng), upd = RandomFloat(is, rng);
    const char* reds[] = {"none", "add", "mul", "max", "min"};
    std::string red = reds[it % 5];
    Node n = MakeNode("ScatterElements", 18);
    SetInt(n, "axis", it % 2 ? axis - r : axis);
    SetString(n, "reduction", red);
    auto got = RunKernel(n, {x, Int64Tensor(is, idx), upd});
    ASSERT_TRUE(got.ok()) << got.status().message();
    std::vector<float> want = Floats(x);
    for (int64_t i = 0; i < upd.numel(); ++i) {
      std::vector<int64_t> ii = Unravel(i, is);
      ii[axis] = idx[i] < 0 ? idx[i] + s[axis] : idx[i];
      float& w = want[Ravel(ii, s)];
      float v = upd.data<float>()[i];
      if (red == "none") w = v;
      if (red == "add") w += v;
      if (red == "mul") w *= v;
      if (red == "max") w = std::max(w, v);
      if (red == "min") w = std::min(w, v);
    }
    EXPECT_EQ(Floats((*got)[0]), want) << red;
  }
  Node n = MakeNode("ScatterElements", 13);
  EXPECT_EQ(RunKernel(n, {Seq({2, 2}), Int64Tensor({1, 1}, {2}), FloatTensor({1, 1}, {1})}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(n, {Seq({2, 2}), Int64Tensor({1, 1}, {0}), FloatTensor({1, 2}, {1, 1})}).ok());
  // Deprecated Scatter (opset 9).
  auto sc = RunKernel(MakeNode("Scatter", 10), {Seq({3}), I64({2}), FloatTensor({1}, {7})});
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ(Floats((*sc)[0]), (std::vector<float>{0, 1, 7}));
}

// ---- Transpose / Tile / DepthToSpace -------------------------------------------------------

TEST(TensorOps, TransposeRandom) {
  std::mt19937 rng(8);
  for (int it = 0; it < 80; ++it) {
    const int r = it % 6;
    Shape s = RandomShape(rng, r, 1, 6);
    if (it % 10 == 0 && r > 0) s[0] = 0;
    std::vector<int64_t> perm(r);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("Transpose", 13);
    SetInts(n, "perm", perm);
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectEqual((*got)[0], reference::RefTranspose(x, perm));
  }
  // Big ones: 2-D tiled path, keep-last-dim path, 4-D NCHW->NHWC (also of 2, 3 and 4 planes:
  // the interleave path); int8 and int64 dtypes.
  struct Case { Shape s; std::vector<int64_t> perm; };
  for (const Case& c : {Case{{301, 517}, {1, 0}}, Case{{8, 64, 130}, {1, 0, 2}}, Case{{2, 32, 40, 41}, {0, 2, 3, 1}},
                        Case{{3, 50, 7, 60}, {3, 1, 0, 2}}, Case{{1, 3, 37, 41}, {0, 2, 3, 1}},
                        Case{{1, 2, 9, 70}, {0, 2, 3, 1}}, Case{{1, 4, 65, 3}, {0, 2, 3, 1}}}) {
    Tensor x = RandomFloat(c.s, rng);
    Node n = MakeNode("Transpose", 13);
    SetInts(n, "perm", c.perm);
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok());
    Tensor want = reference::RefTranspose(x, c.perm);
    ExpectEqual((*got)[0], want);
    Tensor x8 = Tensor::Allocate(DataType::kInt8, c.s).value();
    Tensor x64 = Tensor::Allocate(DataType::kInt64, c.s).value();
    for (int64_t i = 0; i < x8.numel(); ++i) x8.data<int8_t>()[i] = static_cast<int8_t>(i), x64.data<int64_t>()[i] = i;
    auto g8 = RunKernel(n, {x8});
    auto g64 = RunKernel(n, {x64});
    ASSERT_TRUE(g8.ok() && g64.ok());
    Tensor ref_idx = reference::RefTranspose(Seq(c.s), c.perm);
    for (int64_t i = 0; i < ref_idx.numel(); ++i) {
      const int64_t src = static_cast<int64_t>(ref_idx.data<float>()[i]);
      ASSERT_EQ((*g64)[0].data<int64_t>()[i], src);
      ASSERT_EQ((*g8)[0].data<int8_t>()[i], static_cast<int8_t>(src));
    }
  }
  // The 8 x 8 register blocks of TransposeTile32 (kernels/transpose_tile.h): any tile size
  // against the scalar loop, elements moved as bits (a NaN payload survives).
  for (int it = 0; it < 60; ++it) {
    std::uniform_int_distribution<int64_t> dim(1, 40);
    const int64_t nl = dim(rng), nj = dim(rng), ls = nj + it % 5, ld = nl + it % 3;
    std::vector<uint32_t> src(nl * ls), want(nj * ld, 7u), got(nj * ld, 7u);
    for (uint32_t& v : src) v = static_cast<uint32_t>(rng());
    src[0] = 0x7fc00123u;
    TransposeTile32(src.data(), ls, got.data(), ld, nl, nj);
    transpose_detail::TransposeScalar(src.data(), ls, want.data(), ld, nl, nj);
    ASSERT_EQ(got, want) << nl << "x" << nj;
  }
  {  // YOLOv8n's head border, NHWC -> NCHW, and int32 through the same path.
    Tensor x = RandomFloat({1, 20, 20, 144}, rng);
    Node n = MakeNode("Transpose", 13);
    SetInts(n, "perm", {0, 3, 1, 2});
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok());
    ExpectEqual((*got)[0], reference::RefTranspose(x, {0, 3, 1, 2}));
    Tensor x32 = Tensor::Allocate(DataType::kInt32, {37, 29}).value();
    for (int64_t i = 0; i < x32.numel(); ++i) x32.data<int32_t>()[i] = static_cast<int32_t>(i);
    SetInts(n, "perm", {1, 0});
    auto g32 = RunKernel(n, {x32});
    ASSERT_TRUE(g32.ok());
    for (int64_t r = 0; r < 29; ++r) {
      for (int64_t c = 0; c < 37; ++c) ASSERT_EQ((*g32)[0].data<int32_t>()[r * 37 + c], c * 29 + r);
    }
  }
  // Default perm reverses.
  auto d = RunKernel(MakeNode("Transpose", 13), {Seq({2, 3, 4})});
  ASSERT_TRUE(d.ok());
  ExpectEqual((*d)[0], reference::RefTranspose(Seq({2, 3, 4}), {2, 1, 0}));
  Node bad = MakeNode("Transpose", 13);
  SetInts(bad, "perm", {0, 0});
  EXPECT_FALSE(RunKernel(bad, {Seq({2, 2})}).ok());
  SetInts(bad, "perm", {0, 2});
  EXPECT_FALSE(RunKernel(bad, {Seq({2, 2})}).ok());
  SetInts(bad, "perm", {0});
  EXPECT_FALSE(RunKernel(bad, {Seq({2, 2})}).ok());
}

TEST(TensorOps, TileRandom) {
  std::mt19937 rng(9);
  for (int it = 0; it < 40; ++it) {
    const int r = 1 + it % 4;
    Shape s = RandomShape(rng, r, 0, 4);
    std::vector<int64_t> rep(r);
    for (int64_t& v : rep) v = rng() % 4;
    Tensor x = RandomFloat(s, rng);
    auto got = RunKernel(MakeNode("Tile", 13), {x, I64(rep)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectEqual((*got)[0], reference::RefTile(x, rep));
  }
  EXPECT_FALSE(RunKernel(MakeNode("Tile", 13), {Seq({2, 2}), I64({2})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Tile", 13), {Seq({2, 2}), I64({2, -1})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Tile", 13), {Seq({2, 2}), I64({2, std::numeric_limits<int64_t>::max()})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("Tile", 13), {Seq({2}), I64({2})}, {true, false}).code(), StatusCode::kNeedsValue);
}

TEST(TensorOps, DepthSpace) {
  std::mt19937 rng(10);
  for (int it = 0; it < 20; ++it) {
    const int64_t b = 1 + it % 3;
    Shape s = {1 + (int64_t)(rng() % 2), b * b * (1 + (int64_t)(rng() % 3)), 1 + (int64_t)(rng() % 4),
               1 + (int64_t)(rng() % 4)};
    Tensor x = RandomFloat(s, rng);
    for (bool crd : {false, true}) {
      Node n = MakeNode("DepthToSpace", 13);
      SetInt(n, "blocksize", b);
      SetString(n, "mode", crd ? "CRD" : "DCR");
      auto got = RunKernel(n, {x});
      ASSERT_TRUE(got.ok());
      ExpectEqual((*got)[0], reference::RefDepthToSpace(x, b, crd));
      if (!crd) {  // SpaceToDepth inverts DCR DepthToSpace.
        Node m = MakeNode("SpaceToDepth", 13);
        SetInt(m, "blocksize", b);
        auto back = RunKernel(m, {(*got)[0]});
        ASSERT_TRUE(back.ok());
        ExpectEqual((*back)[0], x);
      }
    }
  }
  Node n = MakeNode("DepthToSpace", 13);
  SetInt(n, "blocksize", 2);
  EXPECT_FALSE(RunKernel(n, {Seq({1, 6, 2, 2})}).ok());
  EXPECT_FALSE(RunKernel(n, {Seq({4, 2, 2})}).ok());
  Node m = MakeNode("SpaceToDepth", 13);
  SetInt(m, "blocksize", 2);
  EXPECT_FALSE(RunKernel(m, {Seq({1, 1, 3, 4})}).ok());
}

// ---- Pad -----------------------------------------------------------------------------------

TEST(TensorOps, PadRandom) {
  std::mt19937 rng(11);
  const char* modes[] = {"constant", "reflect", "edge", "wrap"};
  for (int it = 0; it < 120; ++it) {
    const int r = 1 + it % 4;
    Shape s = RandomShape(rng, r, 1, 5);
    std::string mode = modes[it % 4];
    std::vector<int64_t> pads(2 * r);
    for (int d = 0; d < r; ++d) {
      // Reflect needs pads < dim; negative pads crop (keep at least one element).
      int64_t lim = mode == "reflect" ? s[d] - 1 : 4;
      pads[d] = rng() % (lim + 1);
      pads[d + r] = rng() % (lim + 1);
      if (mode == "constant" && rng() % 3 == 0) pads[d] = -static_cast<int64_t>(rng() % s[d]);
    }
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("Pad", 19);
    SetString(n, "mode", mode);
    auto got = RunKernel(n, {x, I64(pads), FloatTensor({}, {2.5f})});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectEqual((*got)[0], reference::RefPad(x, pads, mode, 2.5f));
  }
  // Opset 2 attributes.
  Node n2 = MakeNode("Pad", 2);
  SetInts(n2, "pads", {1, 0, 0, 2});
  SetFloat(n2, "value", -1.f);
  auto o2 = RunKernel(n2, {Seq({2, 2})});
  ASSERT_TRUE(o2.ok());
  ExpectEqual((*o2)[0], reference::RefPad(Seq({2, 2}), {1, 0, 0, 2}, "constant", -1.f));
  // Opset 18 axes (negative) and an omitted constant_value.
  auto o18 = RunKernel(MakeNode("Pad", 18), {Seq({2, 3}), I64({1, 2}), Tensor(), I64({-1})});
  ASSERT_TRUE(o18.ok()) << o18.status().message();
  ExpectEqual((*o18)[0], reference::RefPad(Seq({2, 3}), {0, 1, 0, 2}, "constant", 0.f));
  // int64 data with constant value.
  auto oi = RunKernel(MakeNode("Pad", 13), {Int64Tensor({2}, {5, 6}), I64({1, 1}), Int64Tensor({}, {-9})});
  ASSERT_TRUE(oi.ok());
  EXPECT_EQ(std::vector<int64_t>((*oi)[0].data<int64_t>(), (*oi)[0].data<int64_t>() + 4),
            (std::vector<int64_t>{-9, 5, 6, -9}));
  // Large (parallel path).
  Tensor big = RandomFloat({3, 64, 100}, rng);
  Node nb = MakeNode("Pad", 13);
  SetString(nb, "mode", "reflect");
  auto ob = RunKernel(nb, {big, I64({0, 3, 2, 0, 4, 5})});
  ASSERT_TRUE(ob.ok());
  ExpectEqual((*ob)[0], reference::RefPad(big, {0, 3, 2, 0, 4, 5}, "reflect", 0));
  // Errors.
  EXPECT_FALSE(RunKernel(MakeNode("Pad", 13), {Seq({2, 2}), I64({1, 1})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Pad", 13), {Seq({2, 2}), I64({-3, 0, 0, 0})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Pad", 13), {Seq({2, 2}), I64({std::numeric_limits<int64_t>::max(), 0, 0, 0})}).ok());
  Node nm = MakeNode("Pad", 13);
  SetString(nm, "mode", "bogus");
  EXPECT_FALSE(RunKernel(nm, {Seq({2, 2}), I64({0, 0, 0, 0})}).ok());
  SetString(nm, "mode", "edge");
  EXPECT_FALSE(RunKernel(nm, {Seq({0, 2}), I64({1, 0, 0, 0})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("Pad", 13), {Seq({2}), I64({1, 1})}, {true, false}).code(), StatusCode::kNeedsValue);
}

// ---- Trilu / OneHot / Compress / ReverseSequence -------------------------------------------

TEST(TensorOps, Trilu) {
  std::mt19937 rng(12);
  for (int it = 0; it < 40; ++it) {
    Shape s = RandomShape(rng, 2 + it % 2, 0, 6);
    const int64_t k = static_cast<int64_t>(rng() % 13) - 6;
    const bool upper = it % 2;
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("Trilu", 14);
    SetInt(n, "upper", upper);
    auto got = RunKernel(n, {x, Int64Tensor({}, {k})});
    ASSERT_TRUE(got.ok());
    const int64_t N = s[s.size() - 2], M = s.back();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t row = (i / M) % N, col = i % M;
      const bool keep = upper ? col - row >= k : col - row <= k;
      ASSERT_EQ((*got)[0].data<float>()[i], keep ? x.data<float>()[i] : 0.f);
    }
  }
  auto big = RunKernel(MakeNode("Trilu", 14), {Seq({3, 3}), Int64Tensor({}, {std::numeric_limits<int64_t>::min()})});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Floats((*big)[0]), Floats(Seq({3, 3})));
  EXPECT_FALSE(RunKernel(MakeNode("Trilu", 14), {Seq({3})}).ok());
}

TEST(TensorOps, OneHot) {
  Tensor vals = FloatTensor({2}, {-1, 5});
  auto a = RunKernel(MakeNode("OneHot", 11), {Int64Tensor({3}, {0, -1, 7}), FloatTensor({}, {3}), vals});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ((*a)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(Floats((*a)[0]), (std::vector<float>{5, -1, -1, -1, -1, 5, -1, -1, -1}));
  Node n = MakeNode("OneHot", 11);
  SetInt(n, "axis", 0);
  auto b = RunKernel(n, {FloatTensor({2}, {1, 2}), Int64Tensor({}, {3}), vals});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(Floats((*b)[0]), (std::vector<float>{-1, -1, 5, -1, -1, 5}));
  SetInt(n, "axis", -2);
  auto c = RunKernel(n, {Int64Tensor({2, 1}, {1, 0}), Int64Tensor({1}, {2}), vals});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(Floats((*c)[0]), (std::vector<float>{-1, 5, 5, -1}));
  EXPECT_FALSE(RunKernel(MakeNode("OneHot", 11), {I64({0}), Int64Tensor({}, {0}), vals}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("OneHot", 11), {I64({0}), Int64Tensor({}, {2}), FloatTensor({3}, {0, 1, 2})}).ok());
  EXPECT_EQ(InferOnly(MakeNode("OneHot", 11), {I64({0}), Int64Tensor({}, {2}), vals}, {true, false, true}).code(),
            StatusCode::kNeedsValue);
}

TEST(TensorOps, CompressReverseSequence) {
  auto cond = [](std::vector<bool> v) {
    Tensor t = Tensor::Allocate(DataType::kBool, {static_cast<int64_t>(v.size())}).value();
    for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
    return t;
  };
  Tensor x = Seq({3, 2});
  Node n = MakeNode("Compress", 11);
  SetInt(n, "axis", 0);
  auto a = RunKernel(n, {x, cond({false, true})});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Floats((*a)[0]), (std::vector<float>{2, 3}));
  SetInt(n, "axis", -1);
  auto b = RunKernel(n, {x, cond({false, true})});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Floats((*b)[0]), (std::vector<float>{1, 3, 5}));
  auto c = RunKernel(MakeNode("Compress", 11), {x, cond({false, true, true, false, false, true})});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Floats((*c)[0]), (std::vector<float>{1, 2, 5}));
  auto e = RunKernel(n, {x, cond({})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].shape(), (Shape{3, 0}));
  EXPECT_FALSE(RunKernel(n, {x, cond({false, false, true})}).ok());
  EXPECT_EQ(InferOnly(n, {x, cond({true})}, {true, false}).code(), StatusCode::kNeedsValue);

  // ReverseSequence against a loop reference, both layouts.
  std::mt19937 rng(13);
  for (int it = 0; it < 20; ++it) {
    const int64_t ta = it % 2, ba = 1 - ta;
    Shape s = RandomShape(rng, 2 + it % 3, 1, 5);
    std::vector<int64_t> lens(s[ba]);
    for (int64_t& l : lens) l = rng() % (s[ta] + 1);
    Tensor in = RandomFloat(s, rng);
    Node r = MakeNode("ReverseSequence", 10);
    SetInt(r, "time_axis", ta);
    SetInt(r, "batch_axis", ba);
    auto got = RunKernel(r, {in, I64(lens)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    Tensor want = reference::RefMap(in, s, [&](const std::vector<int64_t>& o) {
      std::vector<int64_t> ii = o;
      const int64_t L = lens[o[ba]];
      if (o[ta] < L) ii[ta] = L - 1 - o[ta];
      return Ravel(ii, s);
    });
    ExpectEqual((*got)[0], want);
  }
  EXPECT_FALSE(RunKernel(MakeNode("ReverseSequence", 10), {Seq({2, 2}), I64({3, 1})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("ReverseSequence", 10), {Seq({2, 2}), I64({1})}).ok());
}

}  // namespace
}  // namespace parallax
