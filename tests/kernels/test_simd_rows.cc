// The SIMD row kernels (kernels/simd_rows.h), each ISA this CPU runs, against double-precision
// references: softmax and GELU rows of every length 1..70 (all tail sizes) and longer, plus
// the special values: -inf and NaN in softmax rows, NaN/inf/large |x| in GELU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/simd_rows.h"

namespace parallax::testing {
namespace {

std::vector<const RowKernels*> Available() {
  std::vector<const RowKernels*> out;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f") && simd::Avx512RowKernels()) out.push_back(simd::Avx512RowKernels());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && simd::Avx2RowKernels()) {
    out.push_back(simd::Avx2RowKernels());
  }
#endif
  return out;
}

double GeluRef(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }

TEST(SimdRows, SoftmaxMatchesReferenceForEveryTail) {
  const auto isas = Available();
  if (isas.empty()) GTEST_SKIP() << "no SIMD row kernels on this CPU";
  std::mt19937 rng(41);
  std::normal_distribution<float> d(0, 4);
  for (const RowKernels* k : isas) {
    for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 47, 63, 64, 65, 70, 77, 128, 1500}) {
      SCOPED_TRACE(std::string(k->isa) + " n " + std::to_string(n));
      std::vector<float> x(n), y(n, -1.f);
      for (float& v : x) v = d(rng);
      if (n > 3) x[1] = -INFINITY;  // a masked position
      k->softmax(x.data(), y.data(), n);
      double mx = -INFINITY, sum = 0;
      for (float v : x) mx = std::max(mx, double(v));
      for (float v : x) sum += std::exp(v - mx);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], std::exp(x[i] - mx) / sum, 2e-6) << "i " << i;
      std::vector<float> inplace = x;
      k->softmax(inplace.data(), inplace.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(inplace[i], y[i]) << "in place, i " << i;
    }
  }
}

TEST(SimdRows, SoftmaxSpecialRows) {
  for (const RowKernels* k : Available()) {
    SCOPED_TRACE(k->isa);
    std::vector<float> y(20);
    std::vector<float> all_masked(20, -INFINITY);
    k->softmax(all_masked.data(), y.data(), 20);  // mx = 0, every exp 0: 0/0
    for (float v : y) EXPECT_TRUE(std::isnan(v));
    std::vector<float> with_nan(20, 1.f);
    with_nan[17] = NAN;
    k->softmax(with_nan.data(), y.data(), 20);
    for (float v : y) EXPECT_TRUE(std::isnan(v));  // the NaN reaches the sum
    std::vector<float> huge(20, 0.f);
    huge[3] = 1e30f;
    k->softmax(huge.data(), y.data(), 20);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(y[i], i == 3 ? 1.f : 0.f);
  }
}

TEST(SimdRows, GeluMatchesReference) {
  const auto isas = Available();
  if (isas.empty()) GTEST_SKIP() << "no SIMD row kernels on this CPU";
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> d(-12, 12);
  for (const RowKernels* k : isas) {
    for (int64_t n : {1, 5, 8, 13, 16, 29, 64, 67, 1536}) {
      SCOPED_TRACE(std::string(k->isa) + " n " + std::to_string(n));
      std::vector<float> x(n);
      for (float& v : x) v = d(rng);
      std::vector<float> y = x;
      k->gelu(y.data(), n, 0.25f);
      for (int64_t i = 0; i < n; ++i) {
        const double want = GeluRef(double(x[i]) + 0.25);
        ASSERT_NEAR(y[i], want, 1e-6 * std::max(1.0, std::fabs(want))) << "x " << x[i];
      }
    }
    std::vector<float> special = {NAN, INFINITY, 0.f, -0.f, 40.f, -40.f, 1e-20f, -1e-20f};
    k->gelu(special.data(), special.size(), 0.f);
    EXPECT_TRUE(std::isnan(special[0]));
    EXPECT_EQ(special[1], INFINITY);
    EXPECT_EQ(special[2], 0.f);
    EXPECT_EQ(special[4], 40.f);
    EXPECT_EQ(special[5], 0.f);  // exp underflows to exactly 0, never a subnormal
    EXPECT_NEAR(special[6], 0.5e-20f, 1e-26f);
  }
}

TEST(SimdRows, SiluAndSigmoidMatchReference) {
  const auto isas = Available();
  if (isas.empty()) GTEST_SKIP() << "no SIMD row kernels on this CPU";
  std::mt19937 rng(43);
  std::uniform_real_distribution<float> d(-30, 30);
  for (const RowKernels* k : isas) {
    for (int64_t n : {1, 7, 8, 9, 16, 17, 100, 333}) {
      for (float beta : {1.f, 1.702f}) {
        SCOPED_TRACE(std::string(k->isa) + " n " + std::to_string(n) + " beta " + std::to_string(beta));
        std::vector<float> x(n);
        for (float& v : x) v = d(rng);
        std::vector<float> silu = x, sig = x;
        k->silu(silu.data(), n, -0.5f, beta);
        k->sigmoid(sig.data(), n, -0.5f);
        for (int64_t i = 0; i < n; ++i) {
          const double v = double(x[i]) - 0.5;
          const double s_beta = 1.0 / (1.0 + std::exp(-beta * v)), s = 1.0 / (1.0 + std::exp(-v));
          ASSERT_NEAR(silu[i], v * s_beta, 1e-6 * std::max(1.0, std::fabs(v))) << "x " << x[i];
          ASSERT_NEAR(sig[i], s, 1e-6) << "x " << x[i];
        }
      }
    }
    std::vector<float> special = {NAN, INFINITY, -INFINITY, 200.f, -200.f, 0.f};
    std::vector<float> s = special;
    k->silu(s.data(), s.size(), 0.f, 1.f);
    EXPECT_TRUE(std::isnan(s[0]));
    EXPECT_EQ(s[1], INFINITY);
    EXPECT_NEAR(s[3], 200.f, 2e-4f);
    // -200·sigmoid(-200) is ~1e-85: a tiny normal float or zero, never a subnormal.
    EXPECT_LE(std::fabs(s[4]), 1e-30f);
    EXPECT_TRUE(s[4] == 0.f || std::fpclassify(s[4]) == FP_NORMAL) << s[4];
    EXPECT_EQ(s[5], 0.f);
    std::vector<float> g = special;
    k->sigmoid(g.data(), g.size(), 0.f);
    EXPECT_TRUE(std::isnan(g[0]));
    EXPECT_NEAR(g[1], 1.f, 1e-6f);
    EXPECT_EQ(g[2], 0.f);
    EXPECT_NEAR(g[3], 1.f, 1e-6f);
    EXPECT_EQ(g[4], 0.f);
    EXPECT_NEAR(g[5], 0.5f, 1e-7f);
  }
}

}  // namespace
}  // namespace parallax::testing
