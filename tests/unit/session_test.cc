// Session behaviour: symbolic dims resolved per run with one cached plan per signature, and
// concurrent Run calls on one session giving the single-threaded answer.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace parallax
