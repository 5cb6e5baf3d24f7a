// Conv and ConvTranspose against the naive double references in kernels/reference/conv_ref.
#include <cmath>
#include <random>
#include <thread>

#include "kernel_test_util.h"
#include "kernels/ops/conv_xnn.h"
#include "kernels/reference/conv_ref.h"

namespace parallax::testing {
namespace {

struct ConvCase {
  Shape x, w;
  std::vector<int64_t> strides, dilations, pads;  // pads: begin..., end...
  int64_t group = 1;
  bool bias = false;
};

ref::ConvParams Params(const ConvCase& c) {
  const size_t R = c.x.size() - 2;
  ref::ConvParams p;
  p.strides = c.strides.empty() ? std::vector<int64_t>(R, 1) : c.strides;
  p.dilations = c.dilations.empty() ? std::vector<int64_t>(R, 1) : c.dilations;
  p.pad_begin.assign(R, 0);
  p.pad_end.assign(R, 0);
  if (!c.pads.empty()) {
    for (size_t i = 0; i < R; ++i) {
      p.pad_begin[i] = c.pads[i];
      p.pad_end[i] = c.pads[i + R];
    }
  }
  p.group = c.group;
  return p;
}

Node ConvNode(const ConvCase& c) {
  Node n = MakeNode("Conv");
  if (!c.strides.empty()) SetInts(n, "strides", c.strides);
  if (!c.dilations.empty()) SetInts(n, "dilations", c.dilations);
  if (!c.pads.empty()) SetInts(n, "pads", c.pads);
  if (c.group != 1) SetInt(n, "group", c.group);
  return n;
}

// Runs both implementations: the default (XNNPACK for 1-D/2-D) and the internal
// "parallax_impl" = "im2col" fallback (im2col/direct GEMM/depthwise loops on OpenBLAS).
void CheckConv(const ConvCase& c, std::mt19937& rng, ThreadPool* pool = nullptr) {
  Tensor x = RandomFloat(c.x, rng), w = RandomFloat(c.w, rng);
  Tensor b = c.bias ? RandomFloat({c.w[0]}, rng) : Tensor();
  Tensor expect = ref::ConvRef(x, w, c.bias ? &b : nullptr, Params(c));
  for (const char* impl : {"", "im2col"}) {
    Node n = ConvNode(c);
    SetString(n, "parallax_impl", impl);
    auto out = RunKernel(n, {x, w, b}, pool);
    ASSERT_TRUE(out.ok()) << out.status().message();
    SCOPED_TRACE(std::string("impl '") + impl + "'");
    ExpectClose((*out)[0], expect, 1e-5);
  }
}

TEST(Conv, RandomShapes2D) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> dim(1, 9), kd(1, 3), sd(1, 3), dd(1, 2), pd(0, 2), gd(1, 3), bd(0, 1);
  for (int iter = 0; iter < 40; ++iter) {
    ConvCase c;
    const int64_t g = gd(rng);
    const int64_t cg = dim(rng) % 4 + 1, mg = dim(rng) % 4 + 1;
    const int64_t kh = kd(rng), kw = kd(rng);
    c.strides = {sd(rng), sd(rng)};
    c.dilations = {dd(rng), dd(rng)};
    c.pads = {pd(rng), pd(rng), pd(rng), pd(rng)};
    const int64_t h = (kh - 1) * c.dilations[0] + 1 + dim(rng), w = (kw - 1) * c.dilations[1] + 1 + dim(rng);
    c.x = {1 + iter % 2, g * cg, h, w};
    c.w = {g * mg, cg, kh, kw};
    c.group = g;
    c.bias = bd(rng);
    SCOPED_TRACE("iter " + std::to_string(iter));
    CheckConv(c, rng);
  }
}

TEST(Conv, OneDAndThreeD) {
  std::mt19937 rng(7);
  CheckConv({{2, 3, 17}, {4, 3, 3}, {2}, {1}, {1, 2}, 1, true}, rng);
  CheckConv({{1, 4, 12}, {4, 2, 5}, {1}, {2}, {3, 0}, 2, false}, rng);
  CheckConv({{1, 2, 5, 6, 7}, {3, 2, 2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, 1, true}, rng);
  CheckConv({{1, 4, 4, 5, 6}, {4, 1, 3, 3, 3}, {}, {}, {1, 1, 1, 1, 1, 1}, 4, true}, rng);  // depthwise 3-D
}

TEST(Conv, DepthwiseAndPointwise) {
  std::mt19937 rng(11);
  // Depthwise 3x3 stride 1 and 2, channel multiplier 2.
  CheckConv({{2, 8, 13, 11}, {8, 1, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 8, true}, rng);
  CheckConv({{1, 8, 14, 14}, {8, 1, 3, 3}, {2, 2}, {}, {1, 1, 1, 1}, 8, false}, rng);
  CheckConv({{1, 4, 9, 9}, {8, 1, 5, 5}, {1, 1}, {2, 1}, {2, 4, 2, 4}, 4, true}, rng);
  // 1x1 stride 1: direct GEMM path, grouped and not.
  CheckConv({{2, 16, 7, 9}, {24, 16, 1, 1}, {}, {}, {}, 1, true}, rng);
  CheckConv({{1, 16, 7, 9}, {24, 8, 1, 1}, {}, {}, {}, 2, false}, rng);
  // 1x1 with >= 64 output channels: one XNNPACK GEMM on NCHW data.
  CheckConv({{2, 32, 9, 7}, {64, 32, 1, 1}, {}, {}, {}, 1, true}, rng, &TestPool());
  CheckConv({{1, 16, 5, 5}, {128, 8, 1, 1}, {}, {}, {}, 2, false}, rng);
  // 1x1 stride 2 goes through im2col.
  CheckConv({{1, 8, 9, 9}, {4, 8, 1, 1}, {2, 2}, {}, {}, 1, true}, rng);
  // A YOLOv8-like block on the 2-thread pool.
  CheckConv({{1, 16, 40, 40}, {32, 16, 3, 3}, {2, 2}, {}, {1, 1, 1, 1}, 1, true}, rng, &TestPool());
  CheckConv({{1, 32, 20, 20}, {32, 32, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 1, true}, rng, &TestPool());
}

TEST(Conv, AutoPad) {
  std::mt19937 rng(3);
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    for (int64_t s : {1, 2, 3}) {
      Tensor x = RandomFloat({1, 3, 10, 7}, rng), w = RandomFloat({2, 3, 4, 3}, rng);
      Node n = MakeNode("Conv");
      SetString(n, "auto_pad", mode);
      SetInts(n, "strides", {s, s});
      auto out = RunKernel(n, {x, w});
      ASSERT_TRUE(out.ok()) << out.status().message();
      ConvCase c{{1, 3, 10, 7}, {2, 3, 4, 3}, {s, s}, {}, {0, 0, 0, 0}};
      if (std::string(mode) != "VALID") {
        const int64_t in[2] = {10, 7}, k[2] = {4, 3};
        for (int i = 0; i < 2; ++i) {
          const int64_t o = (in[i] + s - 1) / s;
          const int64_t total = std::max<int64_t>(0, (o - 1) * s + k[i] - in[i]);
          const int64_t small = total / 2, big = total - small;
          c.pads[i] = std::string(mode) == "SAME_UPPER" ? small : big;
          c.pads[i + 2] = total - c.pads[i];
        }
        EXPECT_EQ((*out)[0].dim(2), (10 + s - 1) / s);
      }
      ExpectClose((*out)[0], ref::ConvRef(x, w, nullptr, Params(c)), 1e-5);
    }
  }
}

double ActRef(const std::string& a, double v) {
  if (a == "Relu") return std::max(v, 0.0);
  if (a == "Sigmoid") return 1.0 / (1.0 + std::exp(-v));
  if (a == "Silu") return v / (1.0 + std::exp(-v));
  if (a == "LeakyRelu") return v >= 0 ? v : 0.2 * v;
  if (a == "Clip") return std::min(std::max(v, -0.5), 0.75);
  if (a == "HardSwish") return v * std::min(std::max(v / 6 + 0.5, 0.0), 1.0);
  return v;
}

TEST(Conv, FusedActivation) {
  std::mt19937 rng(5);
  for (const char* act : {"Relu", "Sigmoid", "Silu", "LeakyRelu", "Clip", "HardSwish"}) {
    for (int path = 0; path < 8; ++path) {  // 3x3, 1x1, 1x1 wide, depthwise; x2 impls
      const int shape = path % 4;
      ConvCase c = shape == 0   ? ConvCase{{1, 4, 8, 8}, {6, 4, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 1, true}
                   : shape == 1 ? ConvCase{{1, 4, 8, 8}, {6, 4, 1, 1}, {}, {}, {}, 1, true}
                   : shape == 2 ? ConvCase{{1, 4, 5, 5}, {64, 4, 1, 1}, {}, {}, {}, 1, true}
                                : ConvCase{{1, 4, 8, 8}, {4, 1, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 4, true};
      Tensor x = RandomFloat(c.x, rng, -3, 3), w = RandomFloat(c.w, rng), b = RandomFloat({c.w[0]}, rng);
      Node n = ConvNode(c);
      SetString(n, "activation", act);
      SetFloat(n, "activation_alpha", 0.2f);
      SetFloat(n, "activation_min", -0.5f);
      SetFloat(n, "activation_max", 0.75f);
      if (path >= 4) SetString(n, "parallax_impl", "im2col");
      auto out = RunKernel(n, {x, w, b});
      ASSERT_TRUE(out.ok()) << out.status().message();
      Tensor expect = ref::ConvRef(x, w, &b, Params(c));
      for (int64_t i = 0; i < expect.numel(); ++i) expect.data<float>()[i] = ActRef(act, expect.data<float>()[i]);
      SCOPED_TRACE(std::string(act) + " path " + std::to_string(path));
      ExpectClose((*out)[0], expect, 1e-5);
    }
  }
  Node bad = MakeNode("Conv");
  SetString(bad, "activation", "Softplus");
  EXPECT_FALSE(RunKernel(bad, {RandomFloat({1, 1, 3, 3}, rng), RandomFloat({1, 1, 1, 1}, rng)}).ok());
}

// ---- Plan state: constant W/B on a cached XNNPACK convolution operator ---------------------

ops::XnnConv2DOp* CachedConv(KernelState& state) {
  return state.GetOrCreate<ops::XnnConv2DOp>([] { return std::shared_ptr<ops::XnnConv2DOp>(); });
}

constexpr uint64_t kConstW = 0b10, kConstWB = 0b110;

TEST(ConvState, CachedOperatorMatchesReference) {
  std::mt19937 rng(21);
  const std::vector<ConvCase> cases = {
      {{1, 4, 9, 9}, {6, 4, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 1, true},
      {{2, 3, 12, 10}, {8, 3, 3, 3}, {2, 2}, {}, {1, 1, 1, 1}, 1, false},
      {{1, 8, 7, 7}, {6, 4, 3, 3}, {1, 1}, {}, {0, 1, 1, 0}, 2, true},   // grouped, asymmetric pads
      {{1, 6, 8, 8}, {6, 1, 3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, 6, true},  // depthwise, dilated
      {{1, 4, 11}, {5, 4, 3}, {1}, {}, {1, 1}, 1, true},                  // 1-D
  };
  for (const char* act : {"", "Relu", "Clip", "Silu"}) {
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      const ConvCase& c = cases[ci];
      for (uint64_t mask : {uint64_t{0}, kConstW, kConstWB}) {
        SCOPED_TRACE(std::string(act) + " case " + std::to_string(ci) + " mask " + std::to_string(mask));
        Tensor w = RandomFloat(c.w, rng);
        Tensor b = c.bias ? RandomFloat({c.w[0]}, rng) : Tensor();
        Node n = ConvNode(c);
        SetString(n, "activation", act);
        SetFloat(n, "activation_min", -0.5f);
        SetFloat(n, "activation_max", 0.75f);
        KernelState state;
        for (int run = 0; run < 3; ++run) {  // the first run creates the operator
          Tensor x = RandomFloat(c.x, rng, -3, 3);
          auto out = RunKernel(n, {x, w, b}, run == 1 ? nullptr : &TestPool(), &state, mask);
          ASSERT_TRUE(out.ok()) << out.status().message();
          Tensor expect = ref::ConvRef(x, w, c.bias ? &b : nullptr, Params(c));
          for (int64_t i = 0; i < expect.numel(); ++i) {
            expect.data<float>()[i] = ActRef(act, expect.data<float>()[i]);
          }
          ExpectClose((*out)[0], expect, 1e-5);
        }
        // Cached only when W (and B, if any) are plan constants.
        const bool cacheable = mask == kConstWB || (mask == kConstW && !c.bias);
        ASSERT_EQ(CachedConv(state) != nullptr, cacheable);
        if (cacheable) {
          EXPECT_TRUE(CachedConv(state)->ok());
        }
      }
    }
  }
}

TEST(ConvState, OtherInputSizeOnOneState) {
  // One state per plan means one input shape; another size still gives correct results.
  std::mt19937 rng(22);
  ConvCase c{{1, 4, 9, 9}, {6, 4, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 1, true};
  Tensor w = RandomFloat(c.w, rng), b = RandomFloat({6}, rng);
  KernelState state;
  for (const Shape& xs : {Shape{1, 4, 9, 9}, Shape{2, 4, 13, 6}, Shape{1, 4, 9, 9}}) {
    SCOPED_TRACE(ShapeToString(xs));
    c.x = xs;
    Tensor x = RandomFloat(xs, rng);
    auto out = RunKernel(ConvNode(c), {x, w, b}, &TestPool(), &state, kConstWB);
    ASSERT_TRUE(out.ok()) << out.status().message();
    ExpectClose((*out)[0], ref::ConvRef(x, w, &b, Params(c)), 1e-5);
  }
  // auto_pad SAME_UPPER: the pads depend on the input size, so the cached operator (made for
  // 9x9) does not fit 10x10 and the kernel falls back.
  Node n = MakeNode("Conv");
  SetString(n, "auto_pad", "SAME_UPPER");
  SetInts(n, "strides", {2, 2});
  KernelState same;
  for (int64_t hw : {9, 10}) {
    Tensor x = RandomFloat({1, 4, hw, hw}, rng);
    auto out = RunKernel(n, {x, w, b}, &TestPool(), &same, kConstWB);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const int64_t total = std::max<int64_t>(0, ((hw + 1) / 2 - 1) * 2 + 3 - hw);
    ConvCase sc{{1, 4, hw, hw}, {6, 4, 3, 3}, {2, 2}, {}, {total / 2, total / 2, total - total / 2, total - total / 2}, 1, true};
    SCOPED_TRACE("SAME_UPPER " + std::to_string(hw));
    ExpectClose((*out)[0], ref::ConvRef(x, w, &b, Params(sc)), 1e-5);
  }
}

TEST(ConvState, ConcurrentRunsShareOneState) {
  std::mt19937 rng(23);
  ConvCase c{{1, 8, 12, 12}, {16, 8, 3, 3}, {1, 1}, {}, {1, 1, 1, 1}, 1, true};
  Tensor w = RandomFloat(c.w, rng), b = RandomFloat({16}, rng);
  std::vector<Tensor> xs, expects;
  for (int i = 0; i < 4; ++i) {
    xs.push_back(RandomFloat(c.x, rng));
    expects.push_back(ref::ConvRef(xs.back(), w, &b, Params(c)));
  }
  KernelState state;
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int it = 0; it < 30; ++it) {
        auto out = RunKernel(ConvNode(c), {xs[t], w, b}, nullptr, &state, kConstWB);
        if (!out.ok()) {
          ++failures[t];
          continue;
        }
        const Tensor& o = (*out)[0];
        for (int64_t i = 0; i < o.numel(); ++i) {
          if (std::fabs(o.data<float>()[i] - expects[t].data<float>()[i]) > 1e-4f) {
            ++failures[t];
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_NE(CachedConv(state), nullptr);
}

TEST(Conv, EmptyBatchAndErrors) {
  std::mt19937 rng(9);
  auto empty = RunKernel(MakeNode("Conv"), {RandomFloat({0, 3, 5, 5}, rng), RandomFloat({4, 3, 3, 3}, rng)});
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ((*empty)[0].shape(), (Shape{0, 4, 3, 3}));
  // Channel mismatch.
  auto st = RunKernel(MakeNode("Conv"), {RandomFloat({1, 3, 5, 5}, rng), RandomFloat({4, 2, 3, 3}, rng)});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  // Kernel larger than the input, bad pads length, bad auto_pad, bad group, bad bias.
  EXPECT_FALSE(RunKernel(MakeNode("Conv"), {RandomFloat({1, 1, 2, 2}, rng), RandomFloat({1, 1, 3, 3}, rng)}).ok());
  Node p = MakeNode("Conv");
  SetInts(p, "pads", {1, 1});
  EXPECT_FALSE(RunKernel(p, {RandomFloat({1, 1, 4, 4}, rng), RandomFloat({1, 1, 3, 3}, rng)}).ok());
  Node a = MakeNode("Conv");
  SetString(a, "auto_pad", "FULL");
  EXPECT_FALSE(RunKernel(a, {RandomFloat({1, 1, 4, 4}, rng), RandomFloat({1, 1, 3, 3}, rng)}).ok());
  Node g = MakeNode("Conv");
  SetInt(g, "group", 0);
  EXPECT_FALSE(RunKernel(g, {RandomFloat({1, 1, 4, 4}, rng), RandomFloat({1, 1, 3, 3}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Conv"), {RandomFloat({1, 1, 4, 4}, rng), RandomFloat({2, 1, 3, 3}, rng),
                                            RandomFloat({3}, rng)})
                   .ok());
  Node s = MakeNode("Conv");
  SetInts(s, "strides", {0, 1});
  EXPECT_FALSE(RunKernel(s, {RandomFloat({1, 1, 4, 4}, rng), RandomFloat({1, 1, 3, 3}, rng)}).ok());
}

// ---- ConvTranspose ------------------------------------------------------------------------

TEST(ConvTranspose, RandomShapes) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> dim(1, 6), kd(1, 4), sd(1, 3), dd(1, 2), pd(0, 1), gd(1, 2);
  for (int iter = 0; iter < 30; ++iter) {
    const int64_t g = gd(rng), cg = dim(rng) % 3 + 1, mg = dim(rng) % 3 + 1;
    const int64_t kh = kd(rng), kw = kd(rng);
    ref::ConvParams p;
    p.strides = {sd(rng), sd(rng)};
    p.dilations = {dd(rng), dd(rng)};
    p.pad_begin = {pd(rng), pd(rng)};
    p.pad_end = {pd(rng), pd(rng)};
    p.group = g;
    std::vector<int64_t> op = {iter % 2 ? p.strides[0] - 1 : 0, 0};
    Tensor x = RandomFloat({1 + iter % 2, g * cg, dim(rng), dim(rng)}, rng);
    Tensor w = RandomFloat({g * cg, mg, kh, kw}, rng);
    Tensor b = RandomFloat({g * mg}, rng);
    std::vector<int64_t> out(2);
    for (int i = 0; i < 2; ++i) {
      out[i] = p.strides[i] * (x.dim(2 + i) - 1) + op[i] + (w.dim(2 + i) - 1) * p.dilations[i] + 1 -
               p.pad_begin[i] - p.pad_end[i];
    }
    Node n = MakeNode("ConvTranspose");
    SetInts(n, "strides", p.strides);
    SetInts(n, "dilations", p.dilations);
    SetInts(n, "pads", {p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1]});
    SetInts(n, "output_padding", op);
    SetInt(n, "group", g);
    const bool with_bias = iter % 3 != 0;
    auto res = RunKernel(n, {x, w, with_bias ? b : Tensor()});
    SCOPED_TRACE("iter " + std::to_string(iter));
    if (out[0] < 0 || out[1] < 0) {
      EXPECT_FALSE(res.ok());
      continue;
    }
    ASSERT_TRUE(res.ok()) << res.status().message();
    ExpectClose((*res)[0], ref::ConvTransposeRef(x, w, with_bias ? &b : nullptr, p, out), 1e-5);
  }
}

TEST(ConvTranspose, OutputShapeOneDThreeDAndErrors) {
  std::mt19937 rng(22);
  // output_shape: total padding split with the extra at the end for SAME_UPPER.
  Tensor x = RandomFloat({1, 2, 3, 3}, rng), w = RandomFloat({2, 3, 3, 3}, rng);
  Node n = MakeNode("ConvTranspose");
  SetInts(n, "strides", {2, 2});
  SetInts(n, "output_shape", {6, 5});
  SetString(n, "auto_pad", "SAME_UPPER");
  auto res = RunKernel(n, {x, w});
  ASSERT_TRUE(res.ok()) << res.status().message();
  ref::ConvParams p{{2, 2}, {1, 1}, {0, 1}, {1, 1}, 1};  // totals 1 and 2
  ExpectClose((*res)[0], ref::ConvTransposeRef(x, w, nullptr, p, {6, 5}), 1e-5);

  Tensor x1 = RandomFloat({2, 3, 7}, rng), w1 = RandomFloat({3, 2, 4}, rng);
  Node n1 = MakeNode("ConvTranspose");
  SetInts(n1, "strides", {3});
  auto r1 = RunKernel(n1, {x1, w1});
  ASSERT_TRUE(r1.ok());
  ExpectClose((*r1)[0], ref::ConvTransposeRef(x1, w1, nullptr, {{3}, {1}, {0}, {0}, 1}, {22}), 1e-5);

  Tensor x3 = RandomFloat({1, 2, 3, 2, 3}, rng), w3 = RandomFloat({2, 2, 2, 3, 2}, rng);
  Node n3 = MakeNode("ConvTranspose");
  SetInts(n3, "strides", {2, 1, 2});
  SetInts(n3, "pads", {1, 0, 0, 0, 1, 1});
  auto r3 = RunKernel(n3, {x3, w3});
  ASSERT_TRUE(r3.ok()) << r3.status().message();
  ExpectClose((*r3)[0], ref::ConvTransposeRef(x3, w3, nullptr, {{2, 1, 2}, {1, 1, 1}, {1, 0, 0}, {0, 1, 1}, 1}, {5, 3, 5}),
              1e-5);

  EXPECT_FALSE(RunKernel(MakeNode("ConvTranspose"), {RandomFloat({1, 3, 4, 4}, rng), RandomFloat({2, 2, 3, 3}, rng)}).ok());
  Node big = MakeNode("ConvTranspose");
  SetInts(big, "pads", {5, 5, 5, 5});
  EXPECT_FALSE(RunKernel(big, {RandomFloat({1, 1, 2, 2}, rng), RandomFloat({1, 1, 2, 2}, rng)}).ok());
}

}  // namespace
}  // namespace parallax::testing
