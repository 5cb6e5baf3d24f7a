// Session behaviour: symbolic dims resolved per run with one cached plan per signature, and
// concurrent Run calls on one session giving the single-threaded answer.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "core/npy.h"
#include "onnx_builder.h"
#include "parallax/session.h"
#include "runtime/thread_pool.h"
#include "zoo_fixtures.h"

namespace parallax {
namespace {

// y = Relu(x) with x: float[N, 3], N symbolic.
std::string SymbolicReluModel() {
  auto m = testing::SingleNodeModel("Relu");
  for (auto* vi : {m.mutable_graph()->mutable_input(0), m.mutable_graph()->mutable_output(0)}) {
    auto* dim = vi->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
    dim->clear_dim_value();
    dim->set_dim_param("N");
  }
  return testing::Serialize(m);
}

TEST(Session, SymbolicDimsResolvedPerRun) {
  std::string bytes = SymbolicReluModel();
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*s)->inputs()[0].shape, (Shape{-1, 3}));
  EXPECT_EQ((*s)->inputs()[0].dim_names[0], "N");
  for (int64_t n : {1, 5, 2, 5}) {
    Tensor x = Tensor::Allocate(DataType::kFloat32, {n, 3}).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 4) - 1.5f;
    auto stats = (*s)->Plan({{"x", x}});
    ASSERT_TRUE(stats.ok());
    // The one planned buffer is the output, n*3 floats rounded up to the 64-byte alignment.
    EXPECT_EQ(stats->arena_bytes, static_cast<size_t>((n * 12 + 63) / 64 * 64));
    auto r = (*s)->Run({{"x", x}});
    ASSERT_TRUE(r.ok()) << r.status().message();
    const Tensor& y = (*r)[0].second;
    ASSERT_EQ(y.shape(), (Shape{n, 3}));
    for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data<float>()[i], std::max(0.f, x.data<float>()[i]));
  }
}

TEST(Session, MoreThreadsThanCoresAreCappedWithANote) {
  std::string bytes = SymbolicReluModel();
  const int usable = ThreadPool::UsableCores();
  SessionOptions opts;
  opts.threads = usable + 3;
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size(), opts);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*s)->threads(), usable);
  EXPECT_NE((*s)->threads_note().find(std::to_string(usable + 3) + " threads asked"), std::string::npos)
      << (*s)->threads_note();
  opts.threads = 1;
  s = Session::LoadFromBytes(bytes.data(), bytes.size(), opts);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->threads(), 1);
  EXPECT_TRUE((*s)->threads_note().empty());
  opts.threads = 0;
  s = Session::LoadFromBytes(bytes.data(), bytes.size(), opts);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->threads(), usable);
  EXPECT_TRUE((*s)->threads_note().empty());
}

TEST(Session, ConcurrentRunsMatchSequential) {
  const auto dir = std::filesystem::path(PARALLAX_SOURCE_DIR) / "tests/models/distilbert_tiny";
  SessionOptions opts;
  opts.threads = 2;
  auto s = Session::Load((dir / "model.onnx").string(), opts);
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto ids = ReadNpyFile((dir / "inputs/input_ids.npy").string()).value();
  auto mask = ReadNpyFile((dir / "inputs/attention_mask.npy").string()).value();
  // Different inputs per thread: token ids shifted by the thread index.
  constexpr int kThreads = 4, kRuns = 8;
  std::vector<NamedTensors> feeds(kThreads);
  std::vector<Tensor> expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    Tensor my_ids = ids.Clone().value();
    for (int64_t i = 0; i < my_ids.numel(); ++i) my_ids.data<int64_t>()[i] = (my_ids.data<int64_t>()[i] + t) % 50;
    feeds[t] = {{"input_ids", my_ids}, {"attention_mask", mask}};
    auto r = (*s)->Run(feeds[t]);
    ASSERT_TRUE(r.ok()) << r.status().message();
    expected[t] = (*r)[0].second;
  }
  const std::vector<int> mismatches = testing::ConcurrentMismatches(**s, feeds, expected, kRuns);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// A constant subgraph shaped like SwinV2's continuous position-bias MLP: Relu(C W1) W2 with C
// [225, 2], W1 [2, 512], W2 [512, 12], folded at plan time, then added to the input. OpenBLAS's
// result for a block of rows depends on the block's size, so a fold split over the session's
// threads gave 1 and 2 threads different constants (SwinV2's logits differed by 2.4e-6); the
// fold runs on one thread, and the outputs must be the same bits at any thread count.
TEST(Session, FoldedConstantsDoNotDependOnTheThreadCount) {
  if (ThreadPool::UsableCores() < 2) GTEST_SKIP() << "one usable core: a 2-thread session would run on 1";
  auto m = testing::NewModel("position_bias");
  auto* g = m.mutable_graph();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  auto values = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
  };
  testing::AddFloatInitializer(g, "coords", {225, 2}, values(225 * 2));
  testing::AddFloatInitializer(g, "w1", {2, 512}, values(2 * 512));
  testing::AddFloatInitializer(g, "w2", {512, 12}, values(512 * 12));
  testing::AddNode(g, "MatMul", "fc1", {"coords", "w1"}, {"h"});
  testing::AddNode(g, "Relu", "relu", {"h"}, {"hr"});
  testing::AddNode(g, "MatMul", "fc2", {"hr", "w2"}, {"bias"});
  testing::AddNode(g, "Add", "add", {"x", "bias"}, {"y"});
  testing::SetFloatValueInfo(g->add_input(), "x", {225, 12});
  testing::SetFloatValueInfo(g->add_output(), "y", {225, 12});
  const std::string bytes = testing::Serialize(m);
  Tensor x = Tensor::Allocate(DataType::kFloat32, {225, 12}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.f;
  std::vector<Tensor> outs;
  for (int threads : {1, 2}) {
    SessionOptions opts;
    opts.threads = threads;
    auto s = Session::LoadFromBytes(bytes.data(), bytes.size(), opts);
    ASSERT_TRUE(s.ok()) << s.status().message();
    auto stats = (*s)->Plan({{"x", x}});
    ASSERT_TRUE(stats.ok()) << stats.status().message();
    EXPECT_EQ(stats->nodes_folded, 3u) << "the MLP is folded at plan time";
    auto r = (*s)->Run({{"x", x}});
    ASSERT_TRUE(r.ok()) << r.status().message();
    outs.push_back((*r)[0].second);
  }
  ASSERT_EQ(outs[0].nbytes(), outs[1].nbytes());
  EXPECT_EQ(std::memcmp(outs[0].data<float>(), outs[1].data<float>(), outs[0].nbytes()), 0);
}

}  // namespace
}  // namespace parallax
