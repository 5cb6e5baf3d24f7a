// Heterogeneous execution end to end: sessions with --accelerator opencl (POCL on this CPU in
// CI) place supported steps on the OpenCL provider; outputs still match ONNX Runtime, parallel
// and sequential modes agree bit for bit, and a missing device falls back to the CPU cleanly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"
#include "zoo_fixtures.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = fs::path(PARALLAX_SOURCE_DIR);

using testing::NormalizedError;
using testing::ReadInputs;

class Heterogeneous : public ::testing::TestWithParam<std::string> {};

TEST_P(Heterogeneous, MatchesOrtAndModesAgree) {
  const fs::path dir = kRoot / "tests/models" / GetParam();
  const NamedTensors feeds = ReadInputs(dir);
  std::vector<NamedTensors> results;
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kParallel}) {
    SessionOptions o;
    o.threads = 2;
    o.mode = mode;
    o.all_branches_concurrent = true;
    o.accelerator = "opencl";
    auto s = Session::Load((dir / "model.onnx").string(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    if ((*s)->accelerator().empty()) GTEST_SKIP() << (*s)->accelerator_note();
    auto stats = (*s)->Plan(feeds);
    ASSERT_TRUE(stats.ok());
    EXPECT_GT(stats->accelerator_steps, 0u) << "every tiny model has ops the provider runs";
    auto out = (*s)->Run(feeds);
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (const auto& [name, got] : *out) {
      auto want = ReadNpyFile((dir / "outputs" / (name + ".npy")).string()).value();
      ASSERT_EQ(got.shape(), want.shape()) << name;
      EXPECT_LE(NormalizedError(got, want), 1e-4) << name;
    }
    results.push_back(std::move(out).value());
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    const Tensor& a = results[0][i].second;
    const Tensor& b = results[1][i].second;
    ASSERT_EQ(a.nbytes(), b.nbytes());
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << results[0][i].first;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, Heterogeneous,
                         ::testing::Values("distilbert_tiny", "whisper_encoder_tiny", "clip_text_tiny",
                                           "swinv2_tiny_tiny"));

TEST(HeterogeneousSetup, CapabilityProfileRestrictsPlacement) {
  const fs::path dir = kRoot / "tests/models/distilbert_tiny";
  const NamedTensors feeds = ReadInputs(dir);
  SessionOptions all;
  all.accelerator = "opencl";
  auto a = Session::Load((dir / "model.onnx").string(), all);
  ASSERT_TRUE(a.ok()) << a.status().message();
  if ((*a)->accelerator().empty()) GTEST_SKIP() << (*a)->accelerator_note();
  SessionOptions gpu = all;
  gpu.accelerator_ops = (kRoot / "profiles/accelerators/mobile-gpu.txt").string();
  gpu.device_profile = (kRoot / "profiles/devices/snapdragon-8gen1.json").string();
  auto b = Session::Load((dir / "model.onnx").string(), gpu);
  ASSERT_TRUE(b.ok()) << b.status().message();
  const size_t n_all = (*a)->Plan(feeds)->accelerator_steps, n_gpu = (*b)->Plan(feeds)->accelerator_steps;
  // The tiny model's regions are far below the profile's 1 GFLOP threshold: nothing is offloaded.
  EXPECT_GT(n_all, 0u);
  EXPECT_EQ(n_gpu, 0u);
  auto out = (*b)->Run(feeds);
  ASSERT_TRUE(out.ok()) << out.status().message();
}

TEST(HeterogeneousSetup, MissingDeviceRunsOnTheCpuAndBadNamesAreErrors) {
  const fs::path model = kRoot / "tests/models/yolov8n_tiny/model.onnx";
  SessionOptions o;
  o.accelerator = "opencl:9999";
  auto s = Session::Load(model.string(), o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE((*s)->accelerator().empty());
  EXPECT_NE((*s)->accelerator_note().find("CPU only"), std::string::npos) << (*s)->accelerator_note();
  auto out = (*s)->Run(ReadInputs(model.parent_path()));
  EXPECT_TRUE(out.ok()) << out.status().message();
  for (const char* bad : {"cuda", "opencl:", "opencl:x", "openclx"}) {
    o.accelerator = bad;
    auto r = Session::Load(model.string(), o);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  o.accelerator = "";
  o.accelerator_ops = "/nonexistent/ops.txt";
  EXPECT_FALSE(Session::Load(model.string(), o).ok());
}

}  // namespace
}  // namespace parallax
