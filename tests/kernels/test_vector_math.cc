// The vectorisable math in kernels/vector_math.h against libm, including the edges that bit
// us: NaN (the float->int cast is UB), overflow, and subnormal results (which slowed GEMMs).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/vector_math.h"

namespace parallax {
namespace {

TEST(VectorMath, ExpMatchesLibmToFewUlp) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-87.f, 88.f);
  for (int i = 0; i < 100000; ++i) {
    float x = d(rng);
    double want = std::exp(static_cast<double>(x));
    EXPECT_NEAR(FastExp(x), want, 4e-7 * want) << x;
  }
}

TEST(VectorMath, ExpEdgesNeverSubnormal) {
  EXPECT_EQ(FastExp(-88.f), 0.f);
  EXPECT_EQ(FastExp(-3.4e38f), 0.f);
  EXPECT_EQ(FastExp(-std::numeric_limits<float>::infinity()), 0.f);
  EXPECT_TRUE(std::isinf(FastExp(89.f)));
  EXPECT_TRUE(std::isnan(FastExp(std::numeric_limits<float>::quiet_NaN())));
  for (float x = -87.3f; x < -80.f; x += 0.01f) {
    EXPECT_NE(std::fpclassify(FastExp(x)), FP_SUBNORMAL) << x;
  }
}

TEST(VectorMath, ErfGeluTanhMatchLibm) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> d(-9.f, 9.f);
  for (int i = 0; i < 100000; ++i) {
    float x = d(rng);
    double erf = std::erf(static_cast<double>(x));
    EXPECT_NEAR(FastErf(x), erf, 2e-6 * std::fabs(erf) + 1e-7) << x;
    double gelu = 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    // Relative error grows to ~4e-6 deep in the negative tail (float rounding of x*x inside
    // exp), where GELU itself is below 1e-8.
    EXPECT_NEAR(FastGelu(x), gelu, 1e-5 * std::fabs(gelu) + 1e-30) << x;
    double tanh = std::tanh(static_cast<double>(x));
    EXPECT_NEAR(FastTanh(x), tanh, 4e-7 * std::fabs(tanh) + 1e-30) << x;
  }
  EXPECT_TRUE(std::isnan(FastErf(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(FastTanh(100.f), 1.f);
  EXPECT_EQ(FastSigmoid(-200.f), 0.f);
}

}  // namespace
}  // namespace parallax
