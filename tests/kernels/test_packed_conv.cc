// PackedConvNhwc (kernels/packed_conv.h) against a double-precision NHWC reference, for every
// micro-kernel this CPU runs: random geometries (kernel sizes, strides, dilations, padding on
// every side, batch), channel counts around the panel width and past one K block, results
// independent of the thread count bit for bit, the epilogue called once per element, and the
// tile epilogue applied once, after the last block of taps or pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/packed_conv.h"
#include "runtime/thread_pool.h"

namespace parallax::testing {
namespace {

// y[n, oh, ow, m] = sum over c, kh, kw of x[n, ih, iw, c] * w[m, c, kh, kw], in double.
std::vector<double> Reference(const ConvGeometry& g, int64_t M, const std::vector<float>& x,
                              const std::vector<float>& w) {
  const int64_t C = g.channels, KH = g.kernel_h, KW = g.kernel_w;
  std::vector<double> y(static_cast<size_t>(g.batch * g.out_h * g.out_w * M), 0.0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow)
        for (int64_t m = 0; m < M; ++m) {
          double acc = 0;
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw) {
              const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
              const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
              for (int64_t c = 0; c < C; ++c) {
                acc += double(x[((n * g.in_h + ih) * g.in_w + iw) * C + c]) * double(w[((m * C + c) * KH + kh) * KW + kw]);
              }
            }
          y[((n * g.out_h + oh) * g.out_w + ow) * M + m] = acc;
        }
  return y;
}

// A k x k, stride-1 convolution of an H x W image of C channels, padded to keep its size.
ConvGeometry SamePadded(int64_t H, int64_t W, int64_t C, int64_t k) {
  ConvGeometry g;
  g.in_h = g.out_h = H, g.in_w = g.out_w = W, g.channels = C, g.kernel_h = g.kernel_w = k;
  g.pad_top = g.pad_left = k / 2;
  return g;
}

// act = SiLU with this bias, as the NhwcConv kernel passes it.
TileEpilogue SiluEpilogue(const std::vector<float>& bias) {
  TileEpilogue ep;
  ep.act = TileEpilogue::kSilu;
  ep.bias = bias.data();
  return ep;
}

class PackedConv : public ::testing::TestWithParam<GemmIsa> {
 protected:
  void SetUp() override {
    const float one = 1.0f;
    if (PackedConvWeights::Pack(1, 1, 1, 1, &one, GetParam()) == nullptr) {
      GTEST_SKIP() << "this CPU (or build) has no micro-kernel for this ISA";
    }
  }
};

TEST_P(PackedConv, RandomGeometriesMatchReference) {
  std::mt19937 rng(33);
  const int64_t channels[] = {1, 3, 16, 17, 32, 64, 300};
  const int64_t outputs[] = {1, 16, 17, 32, 48, 80};
  std::uniform_int_distribution<int64_t> kd(1, 4), sd(1, 2), dd(1, 2), pd(0, 2), hw(1, 12);
  ThreadPool one(1), three(3);
  for (int trial = 0; trial < 50; ++trial) {
    ConvGeometry g;
    g.batch = 1 + trial % 2;
    g.channels = channels[trial % 7];
    const int64_t M = outputs[(trial / 2) % 6];
    g.kernel_h = kd(rng), g.kernel_w = kd(rng);
    g.stride_h = sd(rng), g.stride_w = sd(rng), g.dilation_h = dd(rng), g.dilation_w = dd(rng);
    g.pad_top = pd(rng), g.pad_left = pd(rng);
    const int64_t pad_bottom = pd(rng), pad_right = pd(rng);
    // Every few trials an image past one block of rows (240 output pixels).
    g.in_h = (g.kernel_h - 1) * g.dilation_h + 1 + (trial % 9 == 0 ? 20 : hw(rng));
    g.in_w = (g.kernel_w - 1) * g.dilation_w + 1 + (trial % 9 == 0 ? 20 : hw(rng));
    g.out_h = (g.in_h + g.pad_top + pad_bottom - (g.kernel_h - 1) * g.dilation_h - 1) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + pad_right - (g.kernel_w - 1) * g.dilation_w - 1) / g.stride_w + 1;
    SCOPED_TRACE("trial " + std::to_string(trial) + " C " + std::to_string(g.channels) + " M " +
                 std::to_string(M) + " kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) +
                 " in " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w));
    const std::vector<float> x = RandomVector(g.batch * g.in_h * g.in_w * g.channels, rng);
    const std::vector<float> w = RandomVector(M * g.channels * g.kernel_h * g.kernel_w, rng);
    auto packed = PackedConvWeights::Pack(M, g.channels, g.kernel_h, g.kernel_w, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    const std::vector<double> expect = Reference(g, M, x, w);
    std::vector<float> y1(expect.size(), NAN), y3(expect.size(), NAN);
    PackedConvNhwc(&one, g, x.data(), *packed, y1.data());
    PackedConvNhwc(&three, g, x.data(), *packed, y3.data());
    const double tol = 1e-5 * std::sqrt(double(g.channels * g.kernel_h * g.kernel_w));
    for (size_t i = 0; i < expect.size(); ++i) {
      ASSERT_NEAR(y1[i], expect[i], tol * (1 + std::abs(expect[i]))) << "element " << i;
      ASSERT_EQ(y1[i], y3[i]) << "element " << i << ": 1 and 3 threads differ";
    }
  }
}

TEST_P(PackedConv, EpilogueSeesEveryElementOnce) {
  std::mt19937 rng(34);
  ConvGeometry g;
  g.batch = 2, g.in_h = 19, g.in_w = 17, g.channels = 40, g.kernel_h = g.kernel_w = 3;
  g.pad_top = g.pad_left = 1, g.out_h = 19, g.out_w = 17;
  const int64_t M = 80;
  const std::vector<float> x = RandomVector(g.batch * g.in_h * g.in_w * g.channels, rng);
  const std::vector<float> w = RandomVector(M * g.channels * 9, rng);
  auto packed = PackedConvWeights::Pack(M, g.channels, 3, 3, w.data(), GetParam());
  ASSERT_NE(packed, nullptr);
  ThreadPool pool(2);
  const int64_t rows = g.batch * g.out_h * g.out_w;
  std::vector<float> y(static_cast<size_t>(rows * M));
  std::vector<int> seen(y.size(), 0);
  std::mutex mu;
  PackedConvNhwc(&pool, g, x.data(), *packed, y.data(), [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    std::lock_guard<std::mutex> lock(mu);
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = c0; c < c1; ++c) ++seen[r * M + c];
  });
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

// Wide rows, so that whole tiles of consecutive pixels with every window inside X read A from
// one pointer per tap (StridedTiles), for each pixel stride (stride_w x C) the kernel is
// compiled for, and one it is not (C 48): against the reference, and bit for bit against the
// result of 3 threads (other row blocks, so other tiles take the strided path).
TEST_P(PackedConv, StridedTilesMatchReference) {
  std::mt19937 rng(36);
  ThreadPool one(1), three(3);
  struct Case {
    int64_t c, stride, m;
  };
  for (const Case& t : std::vector<Case>{{16, 2, 32}, {32, 1, 40}, {32, 2, 32}, {64, 1, 80}, {80, 1, 16}, {64, 2, 33},
                                         {128, 2, 32}, {48, 1, 32}}) {
    ConvGeometry g;
    g.channels = t.c, g.kernel_h = g.kernel_w = 3, g.stride_h = g.stride_w = t.stride, g.pad_top = g.pad_left = 1;
    g.in_h = 9, g.in_w = 61;
    g.out_h = (g.in_h + 2 - 3) / t.stride + 1, g.out_w = (g.in_w + 2 - 3) / t.stride + 1;
    SCOPED_TRACE("C " + std::to_string(t.c) + " stride " + std::to_string(t.stride) + " M " + std::to_string(t.m));
    const std::vector<float> x = RandomVector(g.in_h * g.in_w * g.channels, rng);
    const std::vector<float> w = RandomVector(t.m * g.channels * 9, rng);
    auto packed = PackedConvWeights::Pack(t.m, g.channels, 3, 3, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    const std::vector<double> expect = Reference(g, t.m, x, w);
    std::vector<float> y1(expect.size(), NAN), y3(expect.size(), NAN);
    PackedConvNhwc(&one, g, x.data(), *packed, y1.data());
    PackedConvNhwc(&three, g, x.data(), *packed, y3.data());
    const double tol = 1e-5 * std::sqrt(double(g.channels * 9));
    for (size_t i = 0; i < expect.size(); ++i) {
      ASSERT_NEAR(y1[i], expect[i], tol * (1 + std::abs(expect[i]))) << "element " << i;
      ASSERT_EQ(y1[i], y3[i]) << "element " << i << ": 1 and 3 threads differ";
    }
  }
}

// Y written straight into pieces of its columns (a folded Split): the same values as Y, for a
// 3x3 and a 1x1 convolution and a 1x1 one whose X comes in pieces; pieces that split a panel
// (16 of its 32 columns: computed aside and scattered) and pieces made of whole panels.
TEST_P(PackedConv, OutputPiecesHoldTheColumnsOfY) {
  std::mt19937 rng(37);
  ThreadPool pool(2);
  const int64_t M = 96, H = 9, W = 29, rows = H * W;
  const std::vector<float> bias = RandomVector(M, rng);
  const TileEpilogue ep = SiluEpilogue(bias);
  for (const std::vector<int64_t>& split : std::vector<std::vector<int64_t>>{{16, 80}, {48, 48}, {32, 64}, {8, 8, 80}}) {
    std::vector<std::vector<float>> parts;
    std::vector<OutputPiece> ys;
    for (int64_t c : split) parts.emplace_back(static_cast<size_t>(rows * c), NAN);
    for (size_t i = 0; i < split.size(); ++i) ys.push_back({parts[i].data(), split[i]});
    auto expect_pieces = [&](const std::vector<float>& y) {
      int64_t start = 0;
      for (size_t i = 0; i < split.size(); ++i) {
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < split[i]; ++c) {
            ASSERT_EQ(parts[i][r * split[i] + c], y[r * M + start + c]) << "piece " << i << " row " << r << " column " << c;
          }
        }
        start += split[i];
      }
    };
    SCOPED_TRACE("split " + std::to_string(split[0]) + "/" + std::to_string(split[1]) + "...");
    for (int64_t k : {3, 1}) {
      const ConvGeometry g = SamePadded(H, W, 32, k);
      const std::vector<float> x = RandomVector(rows * g.channels, rng);
      const std::vector<float> w = RandomVector(M * g.channels * k * k, rng);
      auto packed = PackedConvWeights::Pack(M, g.channels, k, k, w.data(), GetParam());
      ASSERT_NE(packed, nullptr);
      std::vector<float> y(static_cast<size_t>(rows * M));
      PackedConvNhwc(&pool, g, x.data(), *packed, y.data(), nullptr, ep);
      PackedConvNhwc(&pool, g, x.data(), *packed, ys, ep);
      expect_pieces(y);
    }
    const std::vector<float> x0 = RandomVector(rows * 32, rng), x1 = RandomVector(rows * 32, rng);
    const std::vector<float> w = RandomVector(M * 64, rng);
    auto packed = PackedConvWeights::Pack(M, 64, 1, 1, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    std::vector<float> y(static_cast<size_t>(rows * M));
    PackedPointwiseConvPieces(&pool, rows, {{x0.data(), 32}, {x1.data(), 32}}, *packed, y.data(), nullptr, ep);
    PackedPointwiseConvPieces(&pool, rows, {{x0.data(), 32}, {x1.data(), 32}}, *packed, ys, ep);
    expect_pieces(y);
  }
}

// y = silu(conv + bias) on the tiles equals silu applied to the plain result plus bias: for a 3x3
// kernel whose taps take three blocks of K (120 channels: 3 taps per block, TapsPerBlock), a 1x1
// one read in place, and 1x1 ones whose X comes in pieces of one width (the taps path: one
// block, and three of one piece each) and of two widths.
TEST_P(PackedConv, TileEpilogueAppliesOnceAfterTheLastBlock) {
  std::mt19937 rng(35);
  ThreadPool pool(2);
  const int64_t M = 80, H = 9, W = 11, rows = H * W;
  const std::vector<float> bias = RandomVector(M, rng);
  const TileEpilogue ep = SiluEpilogue(bias);
  auto check = [&](const std::vector<float>& plain, const std::vector<float>& fused) {
    ASSERT_EQ(plain.size(), fused.size());
    for (size_t i = 0; i < plain.size(); ++i) {
      const double v = double(plain[i]) + bias[i % M], expect = v / (1 + std::exp(-v));
      ASSERT_NEAR(fused[i], expect, 2e-6 * (1 + std::abs(expect))) << "element " << i;
    }
  };
  for (int64_t k : {3, 1}) {
    SCOPED_TRACE("kernel " + std::to_string(k));
    const ConvGeometry g = SamePadded(H, W, 120, k);
    const std::vector<float> x = RandomVector(rows * g.channels, rng);
    const std::vector<float> w = RandomVector(M * g.channels * k * k, rng);
    auto packed = PackedConvWeights::Pack(M, g.channels, k, k, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    std::vector<float> plain(static_cast<size_t>(rows * M)), fused(plain.size(), NAN);
    PackedConvNhwc(&pool, g, x.data(), *packed, plain.data());
    PackedConvNhwc(&pool, g, x.data(), *packed, fused.data(), nullptr, ep);
    check(plain, fused);
  }
  for (const std::vector<int64_t>& widths : std::vector<std::vector<int64_t>>{{20, 20, 20, 20, 20}, {400, 400, 400}, {300, 17}}) {
    int64_t C = 0;
    std::vector<std::vector<float>> xs;
    std::vector<ChannelPiece> pieces;
    for (int64_t c : widths) xs.push_back(RandomVector(rows * c, rng)), C += c;
    for (size_t i = 0; i < widths.size(); ++i) pieces.push_back({xs[i].data(), widths[i]});
    SCOPED_TRACE("pieces of " + std::to_string(widths[0]) + " channels, " + std::to_string(C) + " in all");
    const std::vector<float> w = RandomVector(M * C, rng);
    auto packed = PackedConvWeights::Pack(M, C, 1, 1, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    std::vector<float> plain(static_cast<size_t>(rows * M)), fused(plain.size(), NAN);
    PackedPointwiseConvPieces(&pool, rows, pieces, *packed, plain.data());
    PackedPointwiseConvPieces(&pool, rows, pieces, *packed, fused.data(), nullptr, ep);
    check(plain, fused);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, PackedConv, ::testing::Values(GemmIsa::kAvx512, GemmIsa::kAvx2),
                         [](const auto& info) { return info.param == GemmIsa::kAvx512 ? "Avx512" : "Avx2"; });

}  // namespace
}  // namespace parallax::testing
