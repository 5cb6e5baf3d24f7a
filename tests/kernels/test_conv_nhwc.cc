// parallax::NhwcConv and parallax::NhwcMaxPool against the NCHW double references
// (kernels/reference/conv_ref, pool_ref), with the data transposed around them.
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include <tuple>

#include "kernel_test_util.h"
#include "kernels/reference/conv_ref.h"
#include "kernels/reference/pool_ref.h"

namespace parallax::testing {
namespace {

// (N, A, B, C) -> (N, C, A, B) when to_nchw, else the inverse.
Tensor Permute(const Tensor& t, bool to_nchw) {
  const Shape& s = t.shape();
  Shape out = to_nchw ? Shape{s[0], s[3], s[1], s[2]} : Shape{s[0], s[2], s[3], s[1]};
  Tensor r = Tensor::Allocate(DataType::kFloat32, out).value();
  const int64_t N = s[0];
  for (int64_t n = 0; n < N; ++n) {
    if (to_nchw) {  // in (H, W, C) -> out (C, H, W)
      const int64_t H = s[1], W = s[2], C = s[3];
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w)
          for (int64_t c = 0; c < C; ++c)
            r.data<float>()[((n * C + c) * H + h) * W + w] = t.data<float>()[((n * H + h) * W + w) * C + c];
    } else {  // in (C, H, W) -> out (H, W, C)
      const int64_t C = s[1], H = s[2], W = s[3];
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w)
            r.data<float>()[((n * H + h) * W + w) * C + c] = t.data<float>()[((n * C + c) * H + h) * W + w];
    }
  }
  return r;
}

Node NhwcNode(const char* op) {
  Node n = MakeNode(op, 1);
  n.domain = "parallax";
  return n;
}

TEST(NhwcConv, RandomShapesMatchTheNchwReference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dim(1, 8), kd(1, 3), sd(1, 2), dd(1, 2), pd(0, 2), gd(1, 3), bd(0, 1);
  for (int iter = 0; iter < 40; ++iter) {
    const int64_t g = gd(rng), cg = dim(rng) % 4 + 1, mg = dim(rng) % 4 + 1, kh = kd(rng), kw = kd(rng);
    ref::ConvParams p;
    p.strides = {sd(rng), sd(rng)};
    p.dilations = {dd(rng), dd(rng)};
    p.pad_begin = {pd(rng), pd(rng)};
    p.pad_end = {pd(rng), pd(rng)};
    p.group = g;
    const int64_t h = (kh - 1) * p.dilations[0] + 1 + dim(rng), w = (kw - 1) * p.dilations[1] + 1 + dim(rng);
    Tensor x = RandomFloat({1 + iter % 2, g * cg, h, w}, rng), wt = RandomFloat({g * mg, cg, kh, kw}, rng);
    const bool bias = bd(rng);
    Tensor b = bias ? RandomFloat({g * mg}, rng) : Tensor();
    Node n = NhwcNode("NhwcConv");
    SetInts(n, "strides", p.strides);
    SetInts(n, "dilations", p.dilations);
    SetInts(n, "pads", {p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1]});
    SetInt(n, "group", g);
    if (iter % 3 == 0) SetString(n, "activation", "Relu");
    Tensor expect = ref::ConvRef(x, wt, bias ? &b : nullptr, p);
    if (iter % 3 == 0) {
      for (int64_t i = 0; i < expect.numel(); ++i) expect.data<float>()[i] = std::max(0.f, expect.data<float>()[i]);
    }
    // Twice with plan state (the cached operator) and once without.
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, {Permute(x, false), wt, b}, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      SCOPED_TRACE("iter " + std::to_string(iter) + " run " + std::to_string(run));
      ExpectClose(Permute((*out)[0], true), expect, 1e-5);
    }
  }
}

TEST(NhwcConv, PointwiseWithBiasAndSilu) {
  // 1x1, stride 1, no padding (YOLOv8n's C2f convolutions), with and without plan state,
  // against the NCHW reference with bias and the SiLU epilogue.
  std::mt19937 rng(9);
  for (const auto& [c, m, hw] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{3, 5, 4}, {16, 48, 17}, {64, 40, 20}}) {
    SCOPED_TRACE("C " + std::to_string(c) + " M " + std::to_string(m) + " HxW " + std::to_string(hw));
    Tensor x = RandomFloat({2, c, hw, hw}, rng), wt = RandomFloat({m, c, 1, 1}, rng), b = RandomFloat({m}, rng);
    ref::ConvParams p{{1, 1}, {1, 1}, {0, 0}, {0, 0}, 1};
    Tensor expect = ref::ConvRef(x, wt, &b, p);
    for (int64_t i = 0; i < expect.numel(); ++i) {
      const double v = expect.data<float>()[i];
      expect.data<float>()[i] = static_cast<float>(v / (1.0 + std::exp(-v)));
    }
    Node n = NhwcNode("NhwcConv");
    SetString(n, "activation", "Silu");
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, {Permute(x, false), wt, b}, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ExpectClose(Permute((*out)[0], true), expect, 1e-5);
    }
  }
}

TEST(NhwcConv, WideLayersOnThePackedKernelWithBiasAndSilu) {
  // C and M >= 32 take kernels/packed_conv.h where the CPU has its micro-kernels (YOLOv8n's
  // body): 1x1 read in place, 3x3 through row pointers, stride 2, an output count that ends in
  // a partial panel (80 = 2.5 x 32), with bias and SiLU in the epilogue.
  std::mt19937 rng(10);
  struct Case {
    int64_t c, m, k, stride, pad, hw;
  };
  for (const Case& t : std::vector<Case>{{32, 32, 1, 1, 0, 9}, {64, 80, 3, 1, 1, 11}, {48, 40, 3, 2, 1, 13},
                                         {40, 100, 3, 1, 0, 7}, {300, 33, 1, 1, 0, 5}}) {
    SCOPED_TRACE("C " + std::to_string(t.c) + " M " + std::to_string(t.m) + " k " + std::to_string(t.k));
    Tensor x = RandomFloat({2, t.c, t.hw, t.hw}, rng), wt = RandomFloat({t.m, t.c, t.k, t.k}, rng);
    Tensor b = RandomFloat({t.m}, rng);
    ref::ConvParams p{{t.stride, t.stride}, {1, 1}, {t.pad, t.pad}, {t.pad, t.pad}, 1};
    Tensor expect = ref::ConvRef(x, wt, &b, p);
    for (int64_t i = 0; i < expect.numel(); ++i) {
      const double v = expect.data<float>()[i];
      expect.data<float>()[i] = static_cast<float>(v / (1.0 + std::exp(-v)));
    }
    Node n = NhwcNode("NhwcConv");
    SetInts(n, "strides", {t.stride, t.stride});
    SetInts(n, "pads", {t.pad, t.pad, t.pad, t.pad});
    SetString(n, "activation", "Silu");
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, {Permute(x, false), wt, b}, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ExpectClose(Permute((*out)[0], true), expect, 1e-4);
    }
  }
}

TEST(NhwcConv, ImageInNchwMatchesTheReference) {
  // input_layout NCHW (a region's first convolution): X stays NCHW, Y is NHWC. With plan state
  // and at most kImageConvMaxChannels channels in group 1 the image kernel runs (with the
  // activations the tile epilogue has, and LeakyRelu after it); without state, with more
  // channels or groups, X is transposed first.
  std::mt19937 rng(12);
  struct Case {
    int64_t c, m, k, stride, pad, h, w, group;
    const char* act;
  };
  for (const Case& t : std::vector<Case>{{3, 16, 3, 2, 1, 20, 41, 1, "Silu"},
                                         {1, 8, 5, 1, 2, 9, 30, 1, "Relu"},
                                         {4, 20, 2, 1, 0, 7, 27, 1, "LeakyRelu"},
                                         {3, 32, 7, 2, 3, 15, 33, 1, ""},
                                         {6, 16, 3, 1, 1, 8, 26, 1, "Silu"},
                                         {4, 8, 3, 1, 1, 6, 25, 2, "Silu"}}) {
    SCOPED_TRACE("C " + std::to_string(t.c) + " M " + std::to_string(t.m) + " k " + std::to_string(t.k) +
                 " act " + t.act);
    Tensor x = RandomFloat({2, t.c, t.h, t.w}, rng), wt = RandomFloat({t.m, t.c / t.group, t.k, t.k}, rng);
    Tensor b = RandomFloat({t.m}, rng);
    ref::ConvParams p{{t.stride, t.stride}, {1, 1}, {t.pad, t.pad}, {t.pad, t.pad}, t.group};
    Tensor expect = ref::ConvRef(x, wt, &b, p);
    const std::string act = t.act;
    for (int64_t i = 0; i < expect.numel(); ++i) {
      const double v = expect.data<float>()[i];
      const double y = act == "Silu" ? v / (1.0 + std::exp(-v)) : act == "Relu" ? std::max(v, 0.0)
                       : act == "LeakyRelu" ? (v >= 0 ? v : 0.01 * v) : v;
      expect.data<float>()[i] = static_cast<float>(y);
    }
    Node n = NhwcNode("NhwcConv");
    SetInts(n, "strides", {t.stride, t.stride});
    SetInts(n, "pads", {t.pad, t.pad, t.pad, t.pad});
    SetInt(n, "group", t.group);
    SetString(n, "input_layout", "NCHW");
    if (!act.empty()) SetString(n, "activation", t.act);
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, {x, wt, b}, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      SCOPED_TRACE("run " + std::to_string(run));
      ExpectClose(Permute((*out)[0], true), expect, 1e-5);
    }
  }
}

// (N, C, W) <-> (N, W, C): the 1-D layouts.
Tensor Permute1d(const Tensor& t) {
  const Shape& s = t.shape();
  Tensor r = Tensor::Allocate(DataType::kFloat32, {s[0], s[2], s[1]}).value();
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t a = 0; a < s[1]; ++a)
      for (int64_t b = 0; b < s[2]; ++b)
        r.data<float>()[(n * s[2] + b) * s[1] + a] = t.data<float>()[(n * s[1] + a) * s[2] + b];
  return r;
}

TEST(NhwcConv, OneDimensionalAsNwc) {
  // Whisper's encoder front: 1-D convolutions (X (N, W, C), W (M, C, KW)) on the packed kernel
  // (C, M >= 32) and on XNNPACK (narrow, grouped), against the NCHW reference as 2-D with H = 1.
  std::mt19937 rng(12);
  struct Case {
    int64_t c, m, k, stride, pad, w, group;
  };
  for (const Case& t : std::vector<Case>{{80, 64, 3, 1, 1, 40, 1}, {64, 48, 3, 2, 1, 33, 1}, {8, 6, 3, 1, 0, 12, 1},
                                         {6, 6, 5, 2, 2, 17, 3}, {40, 36, 1, 1, 0, 9, 1}}) {
    SCOPED_TRACE("C " + std::to_string(t.c) + " M " + std::to_string(t.m) + " k " + std::to_string(t.k) +
                 " stride " + std::to_string(t.stride) + " group " + std::to_string(t.group));
    Tensor x = RandomFloat({2, t.c, t.w}, rng), wt = RandomFloat({t.m, t.c / t.group, t.k}, rng);
    Tensor b = RandomFloat({t.m}, rng);
    const Tensor x4 = x.Reshaped({2, t.c, 1, t.w}), w4 = wt.Reshaped({t.m, t.c / t.group, 1, t.k});
    ref::ConvParams p{{1, t.stride}, {1, 1}, {0, t.pad}, {0, t.pad}, t.group};
    Tensor expect4 = ref::ConvRef(x4, w4, &b, p);
    const Tensor expect = expect4.Reshaped({2, t.m, expect4.dim(3)});
    Node n = NhwcNode("NhwcConv");
    SetInts(n, "strides", {t.stride});
    SetInts(n, "pads", {t.pad, t.pad});
    SetInt(n, "group", t.group);
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, {Permute1d(x), wt, b}, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ExpectClose(Permute1d((*out)[0]), expect, 1e-4);
    }
  }
}

// Channel concatenation of NHWC tensors.
Tensor ConcatChannels(const std::vector<Tensor>& parts) {
  Shape s = parts[0].shape();
  s.back() = 0;
  for (const Tensor& p : parts) s.back() += p.shape().back();
  Tensor r = Tensor::Allocate(DataType::kFloat32, s).value();
  const int64_t rows = r.numel() / s.back();
  int64_t c0 = 0;
  for (const Tensor& p : parts) {
    const int64_t c = p.shape().back();
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < c; ++j) r.data<float>()[i * s.back() + c0 + j] = p.data<float>()[i * c + j];
    }
    c0 += c;
  }
  return r;
}

TEST(NhwcConv, XInPiecesMatchesTheConcatenatedX) {
  // A Concat folded into its 1x1 convolution (ir/passes/fuse_concat_conv.cc): X = inputs 0, 3,
  // 4, ... along channels. Pieces of one width (C2f) go through the indirect kernel, of mixed
  // widths piece by piece; narrow ones and runs without plan state join the pieces first.
  std::mt19937 rng(13);
  for (const std::vector<int64_t>& widths : std::vector<std::vector<int64_t>>{
           {16, 16, 16}, {32, 32, 32, 32}, {300, 300}, {64, 32}, {40, 8, 24}, {4, 6}}) {
    std::string name;
    for (int64_t w : widths) name += std::to_string(w) + " ";
    SCOPED_TRACE("pieces " + name);
    int64_t C = 0;
    std::vector<Tensor> parts;
    for (int64_t w : widths) {
      parts.push_back(RandomFloat({2, 5, 7, w}, rng));
      C += w;
    }
    const int64_t M = C >= 32 ? 40 : 8;
    Tensor wt = RandomFloat({M, C, 1, 1}, rng), b = RandomFloat({M}, rng);
    Node n = NhwcNode("NhwcConv");
    SetString(n, "activation", "Relu");
    auto whole = RunKernel(n, {ConcatChannels(parts), wt, b});
    ASSERT_TRUE(whole.ok()) << whole.status().message();
    std::vector<Tensor> inputs = {parts[0], wt, b};
    inputs.insert(inputs.end(), parts.begin() + 1, parts.end());
    KernelState state;
    for (int run = 0; run < 3; ++run) {
      auto out = RunKernel(n, inputs, nullptr, run < 2 ? &state : nullptr, 0b110);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ASSERT_EQ((*out)[0].shape(), (*whole)[0].shape());
      ExpectClose((*out)[0], (*whole)[0], 1e-5);
    }
    ThreadPool three(3);
    KernelState s1, s3;
    auto one = RunKernel(n, inputs, nullptr, &s1, 0b110), many = RunKernel(n, inputs, &three, &s3, 0b110);
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(std::memcmp((*one)[0].raw(), (*many)[0].raw(), (*one)[0].nbytes()), 0);
  }
  Node n = NhwcNode("NhwcConv");
  auto bad = RunKernel(n, {RandomFloat({1, 4, 4, 8}, rng), RandomFloat({8, 16, 1, 1}, rng), Tensor(),
                           RandomFloat({1, 4, 5, 8}, rng)});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("piece"), std::string::npos) << bad.status().message();
}

TEST(NhwcConv, SiluEpilogueAndErrors) {
  std::mt19937 rng(8);
  Tensor x = RandomFloat({1, 4, 6, 6}, rng), wt = RandomFloat({5, 4, 3, 3}, rng);
  ref::ConvParams p{{1, 1}, {1, 1}, {1, 1}, {1, 1}, 1};
  Tensor expect = ref::ConvRef(x, wt, nullptr, p);
  for (int64_t i = 0; i < expect.numel(); ++i) {
    const float v = expect.data<float>()[i];
    expect.data<float>()[i] = v / (1.f + std::exp(-v));
  }
  Node n = NhwcNode("NhwcConv");
  SetInts(n, "pads", {1, 1, 1, 1});
  SetString(n, "activation", "Silu");
  auto out = RunKernel(n, {Permute(x, false), wt});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ExpectClose(Permute((*out)[0], true), expect, 1e-5);
  // Channels of X (last axis) must match W.
  EXPECT_FALSE(RunKernel(NhwcNode("NhwcConv"), {RandomFloat({1, 6, 6, 3}, rng), wt}).ok());
  EXPECT_FALSE(RunKernel(NhwcNode("NhwcConv"), {RandomFloat({6, 6, 4}, rng), wt}).ok());
}

TEST(NhwcMaxPool, RandomShapesMatchTheNchwReference) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> dim(1, 9), kd(1, 4), sd(1, 3), cd(0, 1);
  for (int iter = 0; iter < 40; ++iter) {
    ref::PoolParams p;
    p.kernel = {kd(rng), kd(rng)};
    p.strides = {sd(rng), sd(rng)};
    p.dilations = {1, 1};
    p.pad_begin = {std::min<int64_t>(p.kernel[0] - 1, dim(rng) % 2), std::min<int64_t>(p.kernel[1] - 1, dim(rng) % 2)};
    p.pad_end = p.pad_begin;
    const int64_t h = p.kernel[0] + dim(rng), w = p.kernel[1] + dim(rng);
    const bool ceil = cd(rng);
    for (int d = 0; d < 2; ++d) {
      const int64_t in = d == 0 ? h : w;
      const int64_t span = in + p.pad_begin[d] + p.pad_end[d] - p.kernel[d];
      p.out.push_back((ceil ? (span + p.strides[d] - 1) / p.strides[d] : span / p.strides[d]) + 1);
      // ONNX: the last window must start inside the input or its left padding.
      if (ceil && (p.out[d] - 1) * p.strides[d] >= in + p.pad_begin[d]) --p.out[d];
    }
    Tensor x = RandomFloat({1 + iter % 2, dim(rng), h, w}, rng);
    Node n = NhwcNode("NhwcMaxPool");
    SetInts(n, "kernel_shape", p.kernel);
    SetInts(n, "strides", p.strides);
    SetInts(n, "pads", {p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1]});
    SetInt(n, "ceil_mode", ceil);
    auto out = RunKernel(n, {Permute(x, false)});
    ASSERT_TRUE(out.ok()) << out.status().message();
    SCOPED_TRACE("iter " + std::to_string(iter));
    ExpectClose(Permute((*out)[0], true), ref::PoolRef(x, ref::PoolRefKind::kMax, p), 0);
  }
}

}  // namespace
}  // namespace parallax::testing
