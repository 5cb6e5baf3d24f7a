// MatMul, FusedMatMul and Gemm against naive references (kernels/reference/matmul_ref).
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "kernel_test_util.h"
#include "kernels/packed_gemm.h"
#include "kernels/reference/matmul_ref.h"

namespace parallax::testing {
namespace {

void CheckMatMul(const Shape& a, const Shape& b, std::mt19937& rng, ThreadPool* pool = nullptr) {
  Tensor ta = RandomFloat(a, rng), tb = RandomFloat(b, rng);
  auto out = RunKernel(MakeNode("MatMul", 13), {ta, tb}, pool);
  ASSERT_TRUE(out.ok()) << out.status().message();
  SCOPED_TRACE(ShapeToString(a) + " x " + ShapeToString(b));
  ExpectClose((*out)[0], ref::MatMulRef(ta, tb), 1e-5);
}

TEST(MatMul, ShapesAndBroadcast) {
  std::mt19937 rng(1);
  CheckMatMul({3, 4}, {4, 5}, rng);
  CheckMatMul({4}, {4}, rng);             // 1-D x 1-D -> scalar
  CheckMatMul({4}, {2, 4, 3}, rng);       // 1-D A
  CheckMatMul({2, 3, 4}, {4}, rng);       // 1-D B
  CheckMatMul({2, 5, 3, 4}, {4, 6}, rng); // fold batch into M
  CheckMatMul({3, 4}, {2, 4, 6}, rng);    // A broadcast over B's batch
  CheckMatMul({2, 1, 3, 4}, {1, 3, 4, 2}, rng);  // two-sided broadcast
  CheckMatMul({1, 3, 4}, {5, 4, 2}, rng);
  CheckMatMul({2, 3, 0}, {0, 4}, rng);    // K = 0 -> zeros
  CheckMatMul({0, 3, 4}, {4, 2}, rng);    // empty batch
  CheckMatMul({2, 0, 4}, {2, 4, 3}, rng); // M = 0
  // Attention-like: batched activation x activation, large enough for the sequential path.
  CheckMatMul({2, 4, 64, 32}, {2, 4, 32, 64}, rng, &TestPool());
  CheckMatMul({1, 2, 130, 70}, {1, 2, 70, 90}, rng, &TestPool());
  CheckMatMul({3, 200, 96}, {96, 128}, rng, &TestPool());
}

TEST(MatMul, RandomBroadcast) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> d(1, 5), r(0, 2), one(0, 2);
  for (int iter = 0; iter < 30; ++iter) {
    const int64_t M = d(rng), K = d(rng), N = d(rng);
    Shape batch;
    for (int i = 0, n = r(rng) + 1; i < n; ++i) batch.push_back(d(rng));
    Shape a = batch, b = batch;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (one(rng) == 0) a[i] = 1;
      if (one(rng) == 0) b[i] = 1;
    }
    if (one(rng) == 0) a.erase(a.begin());
    a.push_back(M);
    a.push_back(K);
    b.push_back(K);
    b.push_back(N);
    CheckMatMul(a, b, rng, iter % 2 ? &TestPool() : nullptr);
  }
}

TEST(MatMul, IntegerAndDouble) {
  Tensor a = MakeTensor<int64_t>({2, 2, 3}, {1, 2, 3, 4, 5, 6, -1, 0, 2, 3, 1, -2}, DataType::kInt64);
  Tensor b = MakeTensor<int64_t>({3, 2}, {1, 0, 0, 1, 2, -1}, DataType::kInt64);
  auto out = RunKernel(MakeNode("MatMul"), {a, b});
  ASSERT_TRUE(out.ok());
  const std::vector<int64_t> expect = {7, -1, 16, -1, 3, -2, -1, 3};
  for (size_t i = 0; i < expect.size(); ++i) EXPECT_EQ((*out)[0].data<int64_t>()[i], expect[i]);

  Tensor ai = MakeTensor<int32_t>({3}, {1, 2, 3}, DataType::kInt32);
  Tensor bi = MakeTensor<int32_t>({3}, {4, 5, 6}, DataType::kInt32);
  auto oi = RunKernel(MakeNode("MatMul"), {ai, bi});
  ASSERT_TRUE(oi.ok());
  EXPECT_EQ((*oi)[0].rank(), 0);
  EXPECT_EQ((*oi)[0].data<int32_t>()[0], 32);

  Tensor ad = MakeTensor<double>({1, 2}, {0.5, 0.25}, DataType::kFloat64);
  Tensor bd = MakeTensor<double>({2, 2}, {2, 4, 8, 16}, DataType::kFloat64);
  auto od = RunKernel(MakeNode("MatMul"), {ad, bd});
  ASSERT_TRUE(od.ok());
  EXPECT_DOUBLE_EQ((*od)[0].data<double>()[0], 3.0);
  EXPECT_DOUBLE_EQ((*od)[0].data<double>()[1], 6.0);
}

TEST(MatMul, Errors) {
  std::mt19937 rng(3);
  EXPECT_FALSE(RunKernel(MakeNode("MatMul"), {RandomFloat({2, 3}, rng), RandomFloat({4, 2}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("MatMul"), {RandomFloat({2, 2, 3}, rng), RandomFloat({3, 3, 2}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("MatMul"), {RandomFloat({}, rng), RandomFloat({3}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("MatMul"), {RandomFloat({2, 3}, rng), Int64Tensor({3, 2}, {})}).ok());
}

double Act(const std::string& a, double v) {
  if (a == "Relu") return std::max(v, 0.0);
  if (a == "Sigmoid") return 1.0 / (1.0 + std::exp(-v));
  if (a == "Silu") return v / (1.0 + std::exp(-v));
  if (a == "Gelu") return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  return v;
}

TEST(FusedMatMul, BiasAndActivation) {
  std::mt19937 rng(4);
  for (const char* act : {"", "Relu", "Gelu", "Silu", "Sigmoid"}) {
    for (bool bias : {false, true}) {
      Tensor a = RandomFloat({2, 5, 8}, rng, -2, 2), b = RandomFloat({8, 7}, rng, -2, 2);
      Tensor c = RandomFloat({7}, rng);
      Node n = MakeNode("FusedMatMul", 1);
      n.domain = "parallax";
      SetString(n, "activation", act);
      auto out = RunKernel(n, {a, b, bias ? c : Tensor()}, &TestPool());
      ASSERT_TRUE(out.ok()) << out.status().message();
      Tensor expect = ref::MatMulRef(a, b);
      for (int64_t i = 0; i < expect.numel(); ++i) {
        double v = expect.data<float>()[i] + (bias ? c.data<float>()[i % 7] : 0.0);
        expect.data<float>()[i] = static_cast<float>(Act(act, v));
      }
      SCOPED_TRACE(std::string(act) + (bias ? " bias" : ""));
      ExpectClose((*out)[0], expect, 1e-5);
    }
  }
  Node n = MakeNode("FusedMatMul", 1);
  n.domain = "parallax";
  EXPECT_FALSE(RunKernel(n, {RandomFloat({2, 3}, rng), RandomFloat({3, 4}, rng), RandomFloat({3}, rng)}).ok());
  SetString(n, "activation", "Mish");
  EXPECT_FALSE(RunKernel(n, {RandomFloat({2, 3}, rng), RandomFloat({3, 4}, rng)}).ok());
}

// ---- Gemm -----------------------------------------------------------------------------------

TEST(Gemm, AttributesAndBroadcastC) {
  std::mt19937 rng(5);
  const int64_t M = 5, K = 7, N = 4;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (const Shape& cs : {Shape{}, Shape{N}, Shape{M, 1}, Shape{1, N}, Shape{M, N}, Shape{1}}) {
        for (bool with_c : {false, true}) {
          Tensor a = RandomFloat(ta ? Shape{K, M} : Shape{M, K}, rng);
          Tensor b = RandomFloat(tb ? Shape{N, K} : Shape{K, N}, rng);
          Tensor c = RandomFloat(cs, rng);
          Node n = MakeNode("Gemm", 13);
          SetInt(n, "transA", ta);
          SetInt(n, "transB", tb);
          SetFloat(n, "alpha", 0.5f);
          SetFloat(n, "beta", 2.0f);
          auto out = RunKernel(n, {a, b, with_c ? c : Tensor()});
          ASSERT_TRUE(out.ok()) << out.status().message();
          Tensor expect = Tensor::Allocate(DataType::kFloat32, {M, N}).value();
          for (int64_t i = 0; i < M; ++i) {
            for (int64_t j = 0; j < N; ++j) {
              double acc = 0;
              for (int64_t k = 0; k < K; ++k) {
                acc += double(ta ? a.data<float>()[k * M + i] : a.data<float>()[i * K + k]) *
                       double(tb ? b.data<float>()[j * K + k] : b.data<float>()[k * N + j]);
              }
              double cv = 0;
              if (with_c) {
                const int64_t ci = cs.size() == 2 ? (cs[0] == 1 ? 0 : i) * cs[1] + (cs[1] == 1 ? 0 : j)
                                   : cs.size() == 1 ? (cs[0] == 1 ? 0 : j) : 0;
                cv = c.data<float>()[ci];
              }
              expect.data<float>()[i * N + j] = static_cast<float>(0.5 * acc + 2.0 * cv);
            }
          }
          ExpectClose((*out)[0], expect, 1e-5);
        }
      }
    }
  }
}

TEST(Gemm, LargeTransB) {
  std::mt19937 rng(7);
  Tensor a = RandomFloat({67, 130}, rng), b = RandomFloat({90, 130}, rng), c = RandomFloat({90}, rng);
  Node n = MakeNode("Gemm", 13);
  SetInt(n, "transB", 1);
  auto out = RunKernel(n, {a, b, c}, &TestPool());
  ASSERT_TRUE(out.ok());
  Tensor bt = Tensor::Allocate(DataType::kFloat32, {130, 90}).value();
  for (int64_t i = 0; i < 130; ++i) {
    for (int64_t j = 0; j < 90; ++j) bt.data<float>()[i * 90 + j] = b.data<float>()[j * 130 + i];
  }
  Tensor expect = ref::MatMulRef(a, bt);
  for (int64_t i = 0; i < expect.numel(); ++i) expect.data<float>()[i] += c.data<float>()[i % 90];
  ExpectClose((*out)[0], expect, 1e-5);
}

TEST(Gemm, IntegerEmptyAndErrors) {
  std::mt19937 rng(6);
  Tensor a = MakeTensor<int32_t>({2, 2}, {1, 2, 3, 4}, DataType::kInt32);
  Tensor b = MakeTensor<int32_t>({2, 2}, {1, 1, 0, 1}, DataType::kInt32);
  Tensor c = MakeTensor<int32_t>({2}, {10, 20}, DataType::kInt32);
  auto out = RunKernel(MakeNode("Gemm"), {a, b, c});
  ASSERT_TRUE(out.ok());
  const std::vector<int32_t> expect = {11, 23, 13, 27};
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*out)[0].data<int32_t>()[i], expect[i]);

  auto empty = RunKernel(MakeNode("Gemm"), {RandomFloat({0, 3}, rng), RandomFloat({3, 2}, rng)});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].shape(), (Shape{0, 2}));
  auto k0 = RunKernel(MakeNode("Gemm"), {RandomFloat({2, 0}, rng), RandomFloat({0, 2}, rng), FloatTensor({1}, {1.5f})});
  ASSERT_TRUE(k0.ok());
  EXPECT_FLOAT_EQ((*k0)[0].data<float>()[3], 1.5f);

  EXPECT_FALSE(RunKernel(MakeNode("Gemm"), {RandomFloat({2, 3}, rng), RandomFloat({2, 3}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Gemm"), {RandomFloat({2, 3, 1}, rng), RandomFloat({3, 2}, rng)}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Gemm"), {RandomFloat({2, 3}, rng), RandomFloat({3, 2}, rng), RandomFloat({3}, rng)}).ok());
}

// ---- Plan state: constant B packed once per node (kernels/packed_gemm.h) -------------------

// The packed B the kernel cached in `state`, or null when it took the Sgemm path.
const PackedMatrix* CachedPacked(KernelState& state) {
  return state.GetOrCreate<PackedMatrix>([] { return std::shared_ptr<PackedMatrix>(); });
}

constexpr uint64_t kConstB = 0b10, kConstBC = 0b110;

TEST(MatMulState, ConstantBUsesCachedOperator) {
  std::mt19937 rng(11);
  for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{
           {{3, 4}, {4, 5}}, {{2, 5, 3, 8}, {8, 6}}, {{8}, {8, 7}}, {{3, 200, 96}, {96, 128}}, {{77, 512}, {512, 300}}, {{20, 2048}, {2048, 200}}}) {
    SCOPED_TRACE(ShapeToString(a) + " x " + ShapeToString(b));
    KernelState state;
    Tensor tb = RandomFloat(b, rng);
    for (int run = 0; run < 3; ++run) {  // first run creates the operator, the others reuse it
      Tensor ta = RandomFloat(a, rng);
      auto out = RunKernel(MakeNode("MatMul", 13), {ta, tb}, run == 1 ? nullptr : &TestPool(), &state, kConstB);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ExpectClose((*out)[0], ref::MatMulRef(ta, tb), 1e-5);
    }
    EXPECT_EQ(CachedPacked(state) != nullptr, PackedGemmAvailable());
  }
}

TEST(MatMulState, NonConstantOrUnsupportedBKeepsSgemm) {
  std::mt19937 rng(12);
  // B not a plan constant; B 1-D; B batched; K = 0: no operator, results still right.
  struct Case { Shape a, b; uint64_t mask; };
  for (const Case& c : std::vector<Case>{{{3, 4}, {4, 5}, 0}, {{2, 3, 4}, {4}, kConstB},
                                          {{2, 3, 4}, {2, 4, 5}, kConstB}, {{2, 3, 0}, {0, 4}, kConstB}}) {
    SCOPED_TRACE(ShapeToString(c.a) + " x " + ShapeToString(c.b));
    KernelState state;
    Tensor ta = RandomFloat(c.a, rng), tb = RandomFloat(c.b, rng);
    for (int run = 0; run < 2; ++run) {
      auto out = RunKernel(MakeNode("MatMul", 13), {ta, tb}, &TestPool(), &state, c.mask);
      ASSERT_TRUE(out.ok()) << out.status().message();
      ExpectClose((*out)[0], ref::MatMulRef(ta, tb), 1e-5);
    }
    EXPECT_EQ(CachedPacked(state), nullptr);
  }
}

TEST(MatMulState, FusedBiasAndActivation) {
  std::mt19937 rng(13);
  for (const char* act : {"", "Relu", "Clip", "Gelu", "Silu"}) {
    for (bool bias : {false, true}) {
      for (uint64_t mask : {kConstB, kConstBC}) {  // bias constant (fused) or not (no operator)
        SCOPED_TRACE(std::string(act) + (bias ? " bias" : "") + " mask " + std::to_string(mask));
        Tensor b = RandomFloat({8, 7}, rng, -2, 2), c = RandomFloat({7}, rng);
        Node n = MakeNode("FusedMatMul", 1);
        n.domain = "parallax";
        SetString(n, "activation", act);
        SetFloat(n, "activation_min", -0.5f);
        SetFloat(n, "activation_max", 0.75f);
        KernelState state;
        for (int run = 0; run < 2; ++run) {
          Tensor a = RandomFloat({2, 5, 8}, rng, -2, 2);
          auto out = RunKernel(n, {a, b, bias ? c : Tensor()}, &TestPool(), &state, mask);
          ASSERT_TRUE(out.ok()) << out.status().message();
          Tensor expect = ref::MatMulRef(a, b);
          for (int64_t i = 0; i < expect.numel(); ++i) {
            double v = expect.data<float>()[i] + (bias ? c.data<float>()[i % 7] : 0.0);
            v = std::string(act) == "Clip" ? std::min(std::max(v, -0.5), 0.75) : Act(act, v);
            expect.data<float>()[i] = static_cast<float>(v);
          }
          ExpectClose((*out)[0], expect, 1e-5);
        }
        EXPECT_EQ(CachedPacked(state) != nullptr, PackedGemmAvailable());  // a run-time bias is fine
      }
    }
  }
}

TEST(MatMulState, ColumnBlocksWithBiasAndRelu) {
  // K = 2048 (eight K blocks) and N = 150 (a narrow last panel), each block with its bias slice.
  std::mt19937 rng(16);
  Tensor b = RandomFloat({2048, 150}, rng), c = RandomFloat({150}, rng, -5, 5);
  Node n = MakeNode("FusedMatMul", 1);
  n.domain = "parallax";
  SetString(n, "activation", "Relu");
  KernelState state;
  for (int run = 0; run < 2; ++run) {
    Tensor a = RandomFloat({9, 2048}, rng);
    auto out = RunKernel(n, {a, b, c}, &TestPool(), &state, kConstBC);
    ASSERT_TRUE(out.ok()) << out.status().message();
    Tensor expect = ref::MatMulRef(a, b);
    for (int64_t i = 0; i < expect.numel(); ++i) {
      expect.data<float>()[i] = std::max(0.0f, expect.data<float>()[i] + c.data<float>()[i % 150]);
    }
    ExpectClose((*out)[0], expect, 1e-5);
  }
  EXPECT_EQ(CachedPacked(state) != nullptr, PackedGemmAvailable());
}

TEST(MatMulState, ConcurrentRunsShareOneState) {
  // Runs racing to pack B share one packed matrix: results equal the sequential ones bit for bit.
  std::mt19937 rng(14);
  Tensor b = RandomFloat({64, 48}, rng);
  KernelState state;
  std::vector<Tensor> as, expects;
  for (int i = 0; i < 4; ++i) {
    as.push_back(RandomFloat({33, 64}, rng));
    auto seq = RunKernel(MakeNode("MatMul", 13), {as.back(), b}, nullptr, &state, kConstB);
    ASSERT_TRUE(seq.ok());
    ExpectClose((*seq)[0], ref::MatMulRef(as.back(), b), 1e-5);
    expects.push_back((*seq)[0]);
  }
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int it = 0; it < 50; ++it) {
        auto out = RunKernel(MakeNode("MatMul", 13), {as[t], b}, nullptr, &state, kConstB);
        if (!out.ok()) {
          ++failures[t];
          continue;
        }
        if (std::memcmp((*out)[0].raw(), expects[t].raw(), expects[t].nbytes()) != 0) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(CachedPacked(state) != nullptr, PackedGemmAvailable());
}

TEST(GemmState, ConstantBAndC) {
  std::mt19937 rng(15);
  const int64_t M = 5, K = 7, N = 4;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (const Shape& cs : {Shape{}, Shape{N}, Shape{M, 1}, Shape{1, N}, Shape{M, N}, Shape{1}}) {
        for (bool with_c : {false, true}) {
          for (uint64_t mask : {kConstB, kConstBC}) {
            for (float alpha : {1.0f, 0.5f}) {
              SCOPED_TRACE("ta " + std::to_string(ta) + " tb " + std::to_string(tb) + " C " + ShapeToString(cs) +
                           (with_c ? "" : " (unused)") + " mask " + std::to_string(mask) + " alpha " +
                           std::to_string(alpha));
              Tensor b = RandomFloat(tb ? Shape{N, K} : Shape{K, N}, rng);
              Tensor c = RandomFloat(cs, rng);
              Node n = MakeNode("Gemm", 13);
              SetInt(n, "transA", ta);
              SetInt(n, "transB", tb);
              SetFloat(n, "alpha", alpha);
              SetFloat(n, "beta", 2.0f);
              KernelState state;
              for (int run = 0; run < 2; ++run) {
                Tensor a = RandomFloat(ta ? Shape{K, M} : Shape{M, K}, rng);
                auto out = RunKernel(n, {a, b, with_c ? c : Tensor()}, &TestPool(), &state, mask);
                ASSERT_TRUE(out.ok()) << out.status().message();
                Tensor expect = Tensor::Allocate(DataType::kFloat32, {M, N}).value();
                for (int64_t i = 0; i < M; ++i) {
                  for (int64_t j = 0; j < N; ++j) {
                    double acc = 0;
                    for (int64_t k = 0; k < K; ++k) {
                      acc += double(ta ? a.data<float>()[k * M + i] : a.data<float>()[i * K + k]) *
                             double(tb ? b.data<float>()[j * K + k] : b.data<float>()[k * N + j]);
                    }
                    double cv = 0;
                    if (with_c) {
                      const int64_t ci = cs.size() == 2 ? (cs[0] == 1 ? 0 : i) * cs[1] + (cs[1] == 1 ? 0 : j)
                                         : cs.size() == 1 ? (cs[0] == 1 ? 0 : j) : 0;
                      cv = c.data<float>()[ci];
                    }
                    expect.data<float>()[i * N + j] = static_cast<float>(alpha * acc + 2.0 * cv);
                  }
                }
                ExpectClose((*out)[0], expect, 1e-5);
              }
              EXPECT_EQ(CachedPacked(state) != nullptr, ta == 0 && PackedGemmAvailable());  // transA: Sgemm
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace parallax::testing
