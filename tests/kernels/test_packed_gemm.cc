// PackedSgemm (kernels/packed_gemm.h) against a double-precision reference, for every
// micro-kernel this CPU runs: random shapes with row/column/K tails, B as [K, N] and as [N, K],
// results independent of the thread count bit for bit, the epilogue called once per element, and
// the tile epilogue (bias + activation in registers) applied once, after the last block of K.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/packed_gemm.h"

namespace parallax::testing {
namespace {

// C = A * B in double; B is [K, N] or, when !b_is_kn, [N, K].
std::vector<double> Reference(int64_t M, int64_t N, int64_t K, const std::vector<float>& a, int64_t lda,
                              const std::vector<float>& b, bool b_is_kn) {
  std::vector<double> c(static_cast<size_t>(M * N), 0.0);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += double(a[i * lda + k]) * double(b_is_kn ? b[k * N + j] : b[j * K + k]);
      c[i * N + j] = acc;
    }
  }
  return c;
}

class PackedGemm : public ::testing::TestWithParam<GemmIsa> {
 protected:
  void SetUp() override {
    const float one = 1.0f;
    if (PackedMatrix::Pack(1, 1, &one, true, GetParam()) == nullptr) {
      GTEST_SKIP() << "this CPU (or build) has no micro-kernel for this ISA";
    }
  }
};

TEST_P(PackedGemm, RandomShapesMatchReference) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int64_t> small(1, 70), k_dist(1, 600), long_k(513, 2200);
  ThreadPool pool(3);
  for (int trial = 0; trial < 60; ++trial) {
    // Every few trials a shape past one cache block of rows (240) or of K (256; GemmKBlock's
    // longer blocks past K = 512, split unevenly past 1024).
    const int64_t M = trial % 7 == 0 ? 250 + small(rng) : small(rng);
    const int64_t N = trial % 5 == 0 ? 100 + small(rng) : small(rng);
    const int64_t K = trial % 4 == 3 ? long_k(rng) : k_dist(rng);
    const bool b_is_kn = trial % 2 == 0;
    const int64_t lda = K + trial % 3;  // A may be a view with a wider row
    SCOPED_TRACE("M " + std::to_string(M) + " N " + std::to_string(N) + " K " + std::to_string(K) +
                 (b_is_kn ? " B[K,N]" : " B[N,K]") + " lda " + std::to_string(lda));
    std::vector<float> a = RandomVector(M * lda, rng), b = RandomVector(K * N, rng);
    auto packed = PackedMatrix::Pack(K, N, b.data(), b_is_kn, GetParam());
    ASSERT_NE(packed, nullptr);
    EXPECT_EQ(packed->isa(), GetParam());
    std::vector<float> c(static_cast<size_t>(M * N), NAN);
    PackedSgemm(trial % 2 ? &pool : nullptr, M, a.data(), lda, *packed, c.data(), N);
    const std::vector<double> expect = Reference(M, N, K, a, lda, b, b_is_kn);
    for (int64_t i = 0; i < M * N; ++i) {
      // float accumulation over K terms of magnitude <= 1
      ASSERT_NEAR(c[i], expect[i], 1e-6 * K + 1e-5) << "element " << i;
    }
  }
}

TEST_P(PackedGemm, ThreadCountDoesNotChangeBits) {
  std::mt19937 rng(22);
  for (const auto& [M, N, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {128, 768, 300}, {77, 100, 512}, {500, 33, 40}, {1, 3000, 64}, {300, 300, 300}, {128, 200, 2100},
           {260, 64, 1500}}) {
    std::vector<float> a = RandomVector(M * K, rng), b = RandomVector(K * N, rng);
    auto packed = PackedMatrix::Pack(K, N, b.data(), true, GetParam());
    ASSERT_NE(packed, nullptr);
    std::vector<float> one(static_cast<size_t>(M * N)), two(one.size()), three(one.size());
    PackedSgemm(nullptr, M, a.data(), K, *packed, one.data(), N);
    ThreadPool p2(2), p3(3);
    PackedSgemm(&p2, M, a.data(), K, *packed, two.data(), N);
    PackedSgemm(&p3, M, a.data(), K, *packed, three.data(), N);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0) << M << "x" << N << "x" << K;
    EXPECT_EQ(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)), 0) << M << "x" << N << "x" << K;
  }
}

TEST_P(PackedGemm, EpilogueCoversEachElementOnceAfterItsProduct) {
  std::mt19937 rng(23);
  const int64_t M = 260, N = 70, K = 300;
  std::vector<float> a = RandomVector(M * K, rng), b = RandomVector(K * N, rng);
  auto packed = PackedMatrix::Pack(K, N, b.data(), true, GetParam());
  ASSERT_NE(packed, nullptr);
  std::vector<float> c(static_cast<size_t>(M * N)), plain(c.size());
  PackedSgemm(nullptr, M, a.data(), K, *packed, plain.data(), N);
  std::vector<int> calls(c.size(), 0);
  std::mutex mu;
  ThreadPool pool(2);
  PackedSgemm(&pool, M, a.data(), K, *packed, c.data(), N, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    std::lock_guard<std::mutex> lock(mu);
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = c0; j < c1; ++j) {
        ++calls[i * N + j];
        c[i * N + j] += 1.0f;  // sees the finished product
      }
    }
  });
  for (int64_t i = 0; i < M * N; ++i) {
    ASSERT_EQ(calls[i], 1) << "element " << i;
    ASSERT_EQ(c[i], plain[i] + 1.0f) << "element " << i;
  }
}

// act(v) in double for the tile epilogue's activations.
double Activate(TileEpilogue::Act act, double v, double beta) {
  switch (act) {
    case TileEpilogue::kNone: return v;
    case TileEpilogue::kRelu: return v > 0 ? v : 0;
    case TileEpilogue::kSilu: return v / (1 + std::exp(-beta * v));
    case TileEpilogue::kSigmoid: return 1 / (1 + std::exp(-v));
    case TileEpilogue::kGelu: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
  }
  return NAN;
}

TEST_P(PackedGemm, TileEpilogueIsActivationOfProductPlusBias) {
  std::mt19937 rng(24);
  ThreadPool pool(3);
  const TileEpilogue::Act acts[] = {TileEpilogue::kNone, TileEpilogue::kRelu, TileEpilogue::kSilu,
                                    TileEpilogue::kSigmoid, TileEpilogue::kGelu};
  // N: inside one vector, one vector exactly, a right-edge panel past one vector, several panels;
  // K past one block (256) so that only the last block may apply it.
  for (const auto& [M, N, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {13, 5, 40}, {30, 16, 300}, {250, 70, 600}, {7, 40, 257}, {64, 96, 64}, {250, 70, 1100}}) {
    const std::vector<float> a = RandomVector(M * K, rng), b = RandomVector(K * N, rng), bias = RandomVector(N, rng);
    auto packed = PackedMatrix::Pack(K, N, b.data(), true, GetParam());
    ASSERT_NE(packed, nullptr);
    std::vector<float> plain(static_cast<size_t>(M * N));
    PackedSgemm(nullptr, M, a.data(), K, *packed, plain.data(), N);
    for (TileEpilogue::Act act : acts) {
      for (bool with_bias : {false, true}) {
        TileEpilogue ep;
        ep.act = act;
        ep.bias = with_bias ? bias.data() : nullptr;
        ep.beta = act == TileEpilogue::kSilu && with_bias ? 1.702f : 1.0f;
        SCOPED_TRACE(std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K) + " act " +
                     std::to_string(act) + (with_bias ? " bias" : ""));
        std::vector<float> c(plain.size(), NAN), c3(plain.size(), NAN);
        PackedSgemm(nullptr, M, a.data(), K, *packed, c.data(), N, nullptr, ep);
        PackedSgemm(&pool, M, a.data(), K, *packed, c3.data(), N, nullptr, ep);
        for (int64_t i = 0; i < M * N; ++i) {
          const double v = double(plain[i]) + (with_bias ? bias[i % N] : 0.0);
          const double expect = Activate(act, v, ep.beta);
          ASSERT_NEAR(c[i], expect, 2e-6 * (1 + std::abs(expect))) << "element " << i;
          ASSERT_EQ(c[i], c3[i]) << "element " << i << ": 1 and 3 threads differ";
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, PackedGemm, ::testing::Values(GemmIsa::kAvx512, GemmIsa::kAvx2),
                         [](const auto& info) { return info.param == GemmIsa::kAvx512 ? "Avx512" : "Avx2"; });

TEST(PackedGemmPack, EmptyOperandsGiveNoMatrix) {
  const float x = 0;
  EXPECT_EQ(PackedMatrix::Pack(0, 4, &x, true), nullptr);
  EXPECT_EQ(PackedMatrix::Pack(4, 0, &x, true), nullptr);
}

// A matrix of at least one huge page (2 MiB) starts on a huge-page boundary; with
// PARALLAX_HUGEPAGES=off it does not need to. The product is the same bit for bit, and the
// zero padding of the last panel is there either way (N = 1000 is not a multiple of NR).
TEST(PackedGemmPack, LargeMatrixOnHugePagesGivesSameBits) {
  if (!PackedGemmAvailable()) GTEST_SKIP() << "no packed micro-kernel on this CPU";
  std::mt19937 rng(23);
  const int64_t M = 37, K = 600, N = 1000;  // 600 x 1024 x 4 bytes: 2.3 MiB packed
  std::vector<float> a = RandomVector(M * K, rng), b = RandomVector(K * N, rng);
  auto huge = PackedMatrix::Pack(K, N, b.data(), true);
  ASSERT_NE(huge, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(huge->panel(0)) % (uintptr_t{2} << 20), 0u);
  setenv("PARALLAX_HUGEPAGES", "off", 1);
  auto small = PackedMatrix::Pack(K, N, b.data(), true);
  unsetenv("PARALLAX_HUGEPAGES");
  ASSERT_NE(small, nullptr);
  std::vector<float> c1(static_cast<size_t>(M * N)), c2(c1.size());
  PackedSgemm(nullptr, M, a.data(), K, *huge, c1.data(), N);
  PackedSgemm(nullptr, M, a.data(), K, *small, c2.data(), N);
  EXPECT_EQ(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)), 0);
  const std::vector<double> expect = Reference(M, N, K, a, K, b, true);
  for (int64_t i = 0; i < M * N; ++i) ASSERT_NEAR(c1[i], expect[i], 1e-6 * K + 1e-5) << "element " << i;
}

}  // namespace
}  // namespace parallax::testing
