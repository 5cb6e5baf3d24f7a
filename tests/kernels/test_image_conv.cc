// ImageConvNchw (kernels/image_conv.h) against a double-precision reference, for every
// micro-kernel this CPU runs: NCHW images of 1-4 channels in, NHWC out; random kernel sizes,
// strides, dilations, padding on every side, batch and output channel counts around the vector
// width; wide rows so that whole tiles and the one-pixel edges both run; bias and activation;
// results independent of the thread count bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/image_conv.h"
#include "runtime/thread_pool.h"

namespace parallax::testing {
namespace {

// y[n, oh, ow, m] = act(bias[m] + sum over c, kh, kw of x[n, c, ih, iw] * w[m, c, kh, kw]).
std::vector<double> Reference(const ConvGeometry& g, int64_t M, const std::vector<float>& x,
                              const std::vector<float>& w, const std::vector<float>& bias, bool silu) {
  const int64_t C = g.channels, KH = g.kernel_h, KW = g.kernel_w;
  std::vector<double> y(static_cast<size_t>(g.batch * g.out_h * g.out_w * M));
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow)
        for (int64_t m = 0; m < M; ++m) {
          double acc = bias.empty() ? 0.0 : bias[m];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
                const int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
                if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                acc += double(x[((n * C + c) * g.in_h + ih) * g.in_w + iw]) * double(w[((m * C + c) * KH + kh) * KW + kw]);
              }
          y[((n * g.out_h + oh) * g.out_w + ow) * M + m] = silu ? acc / (1 + std::exp(-acc)) : acc;
        }
  return y;
}

class ImageConv : public ::testing::TestWithParam<GemmIsa> {
 protected:
  void SetUp() override {
    const float one = 1.0f;
    if (ImageConvWeights::Pack(1, 1, 1, 1, &one, GetParam()) == nullptr) {
      GTEST_SKIP() << "this CPU (or build) has no micro-kernel for this ISA";
    }
  }
};

TEST_P(ImageConv, RandomGeometriesMatchReference) {
  std::mt19937 rng(41);
  const int64_t outputs[] = {1, 5, 8, 16, 17, 32, 40};
  std::uniform_int_distribution<int64_t> cd(1, kImageConvMaxChannels), kd(1, 5), sd(1, 3), dd(1, 2), pd(0, 2),
      hd(1, 9), wd(1, 60);
  ThreadPool one(1), three(3);
  for (int trial = 0; trial < 60; ++trial) {
    ConvGeometry g;
    g.batch = 1 + trial % 2;
    g.channels = cd(rng);
    const int64_t M = outputs[trial % 7];
    g.kernel_h = kd(rng), g.kernel_w = kd(rng);
    g.stride_h = sd(rng), g.stride_w = trial % 3 == 0 ? 3 : 1 + trial % 2;  // the 1, 2 and any-stride kernels
    g.dilation_h = dd(rng), g.dilation_w = dd(rng);
    g.pad_top = pd(rng), g.pad_left = pd(rng);
    const int64_t pad_bottom = pd(rng), pad_right = pd(rng);
    g.in_h = (g.kernel_h - 1) * g.dilation_h + hd(rng);
    g.in_w = (g.kernel_w - 1) * g.dilation_w + wd(rng);
    g.out_h = (g.in_h + g.pad_top + pad_bottom - (g.kernel_h - 1) * g.dilation_h - 1) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + pad_right - (g.kernel_w - 1) * g.dilation_w - 1) / g.stride_w + 1;
    if (g.out_h <= 0 || g.out_w <= 0) continue;
    const bool silu = trial % 2 == 1, with_bias = trial % 4 < 2;
    SCOPED_TRACE("trial " + std::to_string(trial) + " C " + std::to_string(g.channels) + " M " + std::to_string(M) +
                 " kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + " stride " +
                 std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) + " in " + std::to_string(g.in_h) +
                 "x" + std::to_string(g.in_w) + " out " + std::to_string(g.out_h) + "x" + std::to_string(g.out_w));
    const std::vector<float> x = RandomVector(g.batch * g.channels * g.in_h * g.in_w, rng);
    const std::vector<float> w = RandomVector(M * g.channels * g.kernel_h * g.kernel_w, rng);
    const std::vector<float> bias = with_bias ? RandomVector(M, rng) : std::vector<float>{};
    auto packed = ImageConvWeights::Pack(M, g.channels, g.kernel_h, g.kernel_w, w.data(), GetParam());
    ASSERT_NE(packed, nullptr);
    TileEpilogue ep;
    ep.bias = with_bias ? bias.data() : nullptr;
    ep.act = silu ? TileEpilogue::kSilu : TileEpilogue::kNone;
    const std::vector<double> expect = Reference(g, M, x, w, bias, silu);
    std::vector<float> y1(expect.size(), NAN), y3(expect.size(), NAN);
    ImageConvNchw(&one, g, x.data(), *packed, y1.data(), ep);
    ImageConvNchw(&three, g, x.data(), *packed, y3.data(), ep);
    for (size_t i = 0; i < expect.size(); ++i) {
      ASSERT_NEAR(y1[i], expect[i], 1e-5 * (1 + std::abs(expect[i]))) << "element " << i;
      ASSERT_EQ(y1[i], y3[i]) << "element " << i << ": 1 and 3 threads differ";
    }
  }
}

TEST(ImageConvPack, RefusesWhatItDoesNotRun) {
  const std::vector<float> w(5 * 3 * 10 * 10, 1.0f);
  EXPECT_EQ(ImageConvWeights::Pack(5, 3, 10, 10, w.data()), nullptr);  // window of 300 > kImageConvMaxK
  EXPECT_EQ(ImageConvWeights::Pack(0, 3, 3, 3, w.data()), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Isa, ImageConv, ::testing::Values(GemmIsa::kAvx512, GemmIsa::kAvx2),
                         [](const auto& info) { return info.param == GemmIsa::kAvx512 ? "Avx512" : "Avx2"; });

}  // namespace
}  // namespace parallax::testing
