// Every tiny model of the zoo, end to end, against ONNX Runtime's committed outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"
#include "zoo_fixtures.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;
using testing::kModels;
using testing::ModelNames;
using testing::NormalizedError;
using testing::ReadInputs;

class TinyModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyModel, MatchesOnnxRuntime) {
  const fs::path dir = kModels / GetParam();
  for (int threads : {1, 2}) {
    SessionOptions opts;
    opts.threads = threads;
    auto session = Session::Load((dir / "model.onnx").string(), opts);
    ASSERT_TRUE(session.ok()) << session.status().message();
    auto outs = (*session)->Run(ReadInputs(dir));
    ASSERT_TRUE(outs.ok()) << outs.status().message();
    ASSERT_EQ(outs->size(), (*session)->outputs().size());
    for (const auto& [name, got] : *outs) {
      auto want = ReadNpyFile((dir / "outputs" / (name + ".npy")).string());
      ASSERT_TRUE(want.ok()) << want.status().message();
      ASSERT_EQ(got.shape(), want->shape()) << name;
      ASSERT_EQ(got.dtype(), want->dtype()) << name;
      EXPECT_LE(NormalizedError(got, *want), 1e-4) << name << " with " << threads << " threads";
    }
  }
}

TEST_P(TinyModel, PlanIsConsistent) {
  const fs::path dir = kModels / GetParam();
  auto session = Session::Load((dir / "model.onnx").string());
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto stats = (*session)->Plan(ReadInputs(dir));
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_GT(stats->arena_bytes, 0u);
  EXPECT_GT(stats->nodes_executed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Zoo, TinyModel, ::testing::ValuesIn(ModelNames()));

TEST(Zoo, HasTheFiveReferenceModels) {
  auto names = ModelNames();
  for (const char* want : {"yolov8n_tiny", "distilbert_tiny", "whisper_encoder_tiny",
                           "clip_text_tiny", "swinv2_tiny_tiny"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
}

}  // namespace
}  // namespace parallax
