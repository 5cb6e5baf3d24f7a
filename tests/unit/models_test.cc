// Every tiny model of the zoo, end to end, against ONNX Runtime's committed outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;

const fs::path kModels = fs::path(PARALLAX_SOURCE_DIR) / "tests" / "models";

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  if (!fs::is_directory(kModels)) return names;
  for (const auto& e : fs::directory_iterator(kModels)) {
    if (fs::exists(e.path() / "model.onnx")) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

NamedTensors ReadInputs(const fs::path& dir) {
  NamedTensors feeds;
  for (const auto& e : fs::directory_iterator(dir / "inputs")) {
    auto t = ReadNpyFile(e.path().string());
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (t.ok()) feeds.emplace_back(e.path().stem().string(), std::move(t).value());
  }
  return feeds;
}

// max |got - want| / max |want|, the acceptance metric.
double NormalizedError(const Tensor& got, const Tensor& want) {
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double a, b;
    if (want.dtype() == DataType::kFloat32) {
      a = got.data<float>()[i];
      b = want.data<float>()[i];
    } else if (want.dtype() == DataType::kInt64) {
      a = static_cast<double>(got.data<int64_t>()[i]);
      b = static_cast<double>(want.data<int64_t>()[i]);
    } else {
      ADD_FAILURE() << "unexpected dtype " << DataTypeName(want.dtype());
      return 1;
    }
    diff = std::max(diff, std::fabs(a - b));
    ref = std::max(ref, std::fabs(b));
  }
  return diff / std::max(ref, 1e-12);
}

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
