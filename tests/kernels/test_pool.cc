// MaxPool, AveragePool, LpPool and the Global pools against kernels/reference/pool_ref.
#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "kernels/reference/pool_ref.h"

namespace parallax::testing {
namespace {

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool ceil = false;
  bool count_include_pad = false;
};

// Expected geometry computed independently of the kernel's code: explicit pads only.
ref::PoolParams Params(const PoolCase& c) {
  const size_t R = c.x.size() - 2;
  ref::PoolParams p;
  p.kernel = c.kernel;
  p.strides = c.strides.empty() ? std::vector<int64_t>(R, 1) : c.strides;
  p.dilations = c.dilations.empty() ? std::vector<int64_t>(R, 1) : c.dilations;
  p.pad_begin.assign(R, 0);
  p.pad_end.assign(R, 0);
  for (size_t i = 0; i < R && !c.pads.empty(); ++i) {
    p.pad_begin[i] = c.pads[i];
    p.pad_end[i] = c.pads[i + R];
  }
  for (size_t i = 0; i < R; ++i) {
    const double span = c.x[2 + i] + p.pad_begin[i] + p.pad_end[i] - ((c.kernel[i] - 1) * p.dilations[i] + 1);
    int64_t o = static_cast<int64_t>(c.ceil ? std::ceil(span / p.strides[i]) : std::floor(span / p.strides[i])) + 1;
    if (c.ceil && (o - 1) * p.strides[i] >= c.x[2 + i] + p.pad_begin[i]) --o;
    p.out.push_back(o);
  }
  p.count_include_pad = c.count_include_pad;
  return p;
}

Node PoolNode(const char* op, const PoolCase& c) {
  Node n = MakeNode(op, 19, 1);
  SetInts(n, "kernel_shape", c.kernel);
  if (!c.strides.empty()) SetInts(n, "strides", c.strides);
  if (!c.dilations.empty()) SetInts(n, "dilations", c.dilations);
  if (!c.pads.empty()) SetInts(n, "pads", c.pads);
  if (c.ceil) SetInt(n, "ceil_mode", 1);
  if (c.count_include_pad) SetInt(n, "count_include_pad", 1);
  return n;
}

void CheckPool(const char* op, ref::PoolRefKind kind, const PoolCase& c, std::mt19937& rng) {
  Tensor x = RandomFloat(c.x, rng);
  auto out = RunKernel(PoolNode(op, c), {x}, &TestPool());
  ASSERT_TRUE(out.ok()) << out.status().message();
  ExpectClose((*out)[0], ref::PoolRef(x, kind, Params(c)), 1e-5);
}

PoolCase RandomCase(std::mt19937& rng, size_t R) {
  std::uniform_int_distribution<int> kd(1, 4), sd(1, 3), dd(1, 2), extra(0, 6), bd(0, 1);
  PoolCase c;
  c.x = {1 + bd(rng), 1 + extra(rng) % 3};
  for (size_t i = 0; i < R; ++i) {
    c.kernel.push_back(kd(rng));
    c.strides.push_back(sd(rng));
    c.dilations.push_back(dd(rng));
  }
  for (size_t i = 0; i < 2 * R; ++i) {
    const int64_t k = c.kernel[i % R];
    c.pads.push_back(std::uniform_int_distribution<int64_t>(0, k - 1)(rng));
  }
  for (size_t i = 0; i < R; ++i) c.x.push_back((c.kernel[i] - 1) * c.dilations[i] + 1 + extra(rng));
  c.ceil = bd(rng);
  c.count_include_pad = bd(rng);
  return c;
}

TEST(MaxPool, RandomShapes) {
  std::mt19937 rng(10);
  for (int iter = 0; iter < 40; ++iter) {
    SCOPED_TRACE("iter " + std::to_string(iter));
    CheckPool("MaxPool", ref::PoolRefKind::kMax, RandomCase(rng, 1 + iter % 3), rng);
  }
}

TEST(AveragePool, RandomShapes) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 40; ++iter) {
    SCOPED_TRACE("iter " + std::to_string(iter));
    CheckPool("AveragePool", ref::PoolRefKind::kAvg, RandomCase(rng, 1 + iter % 3), rng);
  }
}

TEST(LpPool, RandomShapes) {
  std::mt19937 rng(12);
  for (int iter = 0; iter < 20; ++iter) {
    PoolCase c = RandomCase(rng, 1 + iter % 2);
    c.ceil = false;
    Tensor x = RandomFloat(c.x, rng);
    Node n = PoolNode("LpPool", c);
    SetInt(n, "p", 1 + iter % 3);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << out.status().message();
    ref::PoolParams p = Params(c);
    p.p = 1 + iter % 3;
    SCOPED_TRACE("iter " + std::to_string(iter));
    ExpectClose((*out)[0], ref::PoolRef(x, ref::PoolRefKind::kLp, p), 1e-5);
  }
}

TEST(MaxPool, SppfShapeAndIndices) {
  std::mt19937 rng(13);
  // YOLOv8 SPPF: 5x5, stride 1, pad 2.
  CheckPool("MaxPool", ref::PoolRefKind::kMax, {{1, 16, 20, 20}, {5, 5}, {1, 1}, {}, {2, 2, 2, 2}}, rng);
  // Indices, both storage orders.
  for (int so = 0; so < 2; ++so) {
    PoolCase c{{2, 3, 7, 6}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 1, 1}};
    Tensor x = RandomFloat(c.x, rng);
    Node n = PoolNode("MaxPool", c);
    n.outputs.assign(2, 0);
    SetInt(n, "storage_order", so);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << out.status().message();
    Tensor idx;
    Tensor expect = ref::PoolRef(x, ref::PoolRefKind::kMax, Params(c), &idx);
    ExpectClose((*out)[0], expect, 0);
    const Tensor& got = (*out)[1];
    ASSERT_EQ(got.shape(), idx.shape());
    for (int64_t i = 0; i < idx.numel(); ++i) {
      int64_t e = idx.data<int64_t>()[i];
      if (so == 1) {  // (plane, h, w) -> plane*HW + w*H + h
        const int64_t plane = e / 42, h = (e % 42) / 6, w = e % 6;
        e = plane * 42 + w * 7 + h;
      }
      EXPECT_EQ(got.data<int64_t>()[i], e) << i;
    }
  }
}

TEST(MaxPool, Uint8AndAutoPad) {
  Tensor x = MakeTensor<uint8_t>({1, 1, 3, 3}, {1, 9, 2, 3, 4, 250, 5, 6, 7}, DataType::kUInt8);
  Node n = MakeNode("MaxPool", 12);
  SetInts(n, "kernel_shape", {2, 2});
  SetString(n, "auto_pad", "SAME_UPPER");
  auto out = RunKernel(n, {x});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const std::vector<uint8_t> expect = {9, 250, 250, 6, 250, 250, 6, 7, 7};
  ASSERT_EQ((*out)[0].shape(), (Shape{1, 1, 3, 3}));
  for (int i = 0; i < 9; ++i) EXPECT_EQ((*out)[0].data<uint8_t>()[i], expect[i]) << i;

  std::mt19937 rng(14);
  Tensor xf = RandomFloat({1, 2, 6, 5}, rng);
  Node s = MakeNode("AveragePool", 19);
  SetInts(s, "kernel_shape", {3, 2});
  SetInts(s, "strides", {2, 2});
  SetString(s, "auto_pad", "SAME_LOWER");
  auto so = RunKernel(s, {xf});
  ASSERT_TRUE(so.ok());
  // out = ceil(in/s) = (3, 3); total pads = (1, 1), SAME_LOWER puts the extra at the start.
  PoolCase c{{1, 2, 6, 5}, {3, 2}, {2, 2}, {}, {1, 1, 0, 0}};
  ExpectClose((*so)[0], ref::PoolRef(xf, ref::PoolRefKind::kAvg, Params(c)), 1e-6);
}

TEST(Pool, EmptyAndErrors) {
  std::mt19937 rng(15);
  Node n = MakeNode("MaxPool", 19);
  SetInts(n, "kernel_shape", {2, 2});
  auto empty = RunKernel(n, {RandomFloat({0, 3, 4, 4}, rng)});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].shape(), (Shape{0, 3, 3, 3}));
  EXPECT_FALSE(RunKernel(MakeNode("MaxPool", 19), {RandomFloat({1, 1, 4, 4}, rng)}).ok());  // no kernel_shape
  EXPECT_FALSE(RunKernel(n, {RandomFloat({4, 4}, rng)}).ok());                             // rank 2
  Node big = MakeNode("AveragePool", 19);
  SetInts(big, "kernel_shape", {5, 5});
  EXPECT_FALSE(RunKernel(big, {RandomFloat({1, 1, 4, 4}, rng)}).ok());
  Node pads = MakeNode("MaxPool", 19);
  SetInts(pads, "kernel_shape", {2, 2});
  SetInts(pads, "pads", {2, 0, 0, 0});  // pad >= kernel
  EXPECT_FALSE(RunKernel(pads, {RandomFloat({1, 1, 4, 4}, rng)}).ok());
  Node strides = MakeNode("MaxPool", 19);
  SetInts(strides, "kernel_shape", {2, 2});
  SetInts(strides, "strides", {1});
  EXPECT_FALSE(RunKernel(strides, {RandomFloat({1, 1, 4, 4}, rng)}).ok());
  Node avg_int = MakeNode("AveragePool", 19);
  SetInts(avg_int, "kernel_shape", {2});
  EXPECT_FALSE(RunKernel(avg_int, {Int64Tensor({1, 1, 4}, {1, 2, 3, 4})}).ok());
}

TEST(GlobalPool, AverageMaxLp) {
  std::mt19937 rng(16);
  for (const Shape& s : {Shape{2, 3, 5, 7}, Shape{1, 4, 9}, Shape{1, 2, 3, 4, 5}, Shape{0, 3, 2, 2}, Shape{2, 3}}) {
    Tensor x = RandomFloat(s, rng);
    for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) {
      auto out = RunKernel(MakeNode(op), {x}, &TestPool());
      ASSERT_TRUE(out.ok()) << op << " " << out.status().message();
      Shape os = s;
      for (size_t i = 2; i < os.size(); ++i) os[i] = 1;
      ASSERT_EQ((*out)[0].shape(), os);
      const int64_t planes = s[0] * s[1];
      const int64_t IS = planes ? x.numel() / planes : 0;
      Tensor expect = Tensor::Allocate(DataType::kFloat32, os).value();
      for (int64_t p = 0; p < planes; ++p) {
        double sum = 0, mx = -INFINITY, sq = 0;
        for (int64_t i = 0; i < IS; ++i) {
          const double v = x.data<float>()[p * IS + i];
          sum += v;
          mx = std::max(mx, v);
          sq += v * v;
        }
        const std::string o = op;
        expect.data<float>()[p] = o == "GlobalAveragePool" ? sum / IS : o == "GlobalMaxPool" ? mx : std::sqrt(sq);
      }
      ExpectClose((*out)[0], expect, 1e-6);
    }
  }
  EXPECT_FALSE(RunKernel(MakeNode("GlobalAveragePool"), {RandomFloat({3}, rng)}).ok());
}

}  // namespace
}  // namespace parallax::testing
