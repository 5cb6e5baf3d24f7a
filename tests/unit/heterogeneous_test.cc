// Heterogeneous execution end to end: sessions with --accelerator opencl (POCL on this CPU in
// CI) place supported steps on the OpenCL provider; outputs still match ONNX Runtime, parallel
// and sequential modes agree bit for bit, and a missing device falls back to the CPU cleanly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"
#include "onnx_builder.h"
#include "opencl_required.h"
#include "zoo_fixtures.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = fs::path(PARALLAX_SOURCE_DIR);

using testing::NormalizedError;
using testing::ReadInputs;

// Each tiny model through a provider, in both modes: outputs match ORT and the modes agree bit
// for bit. The CPU provider (the CPU kernels as the device) covers the heterogeneous path
// where no OpenCL device exists.
struct ZooCase {
  const char* accelerator;
  const char* model;
};

class HeterogeneousZoo : public ::testing::TestWithParam<ZooCase> {};

TEST_P(HeterogeneousZoo, MatchesOrtAndModesAgree) {
  const fs::path dir = kRoot / "tests/models" / GetParam().model;
  const NamedTensors feeds = ReadInputs(dir);
  std::vector<NamedTensors> results;
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kParallel}) {
    SessionOptions o;
    o.threads = 2;
    o.mode = mode;
    o.all_branches_concurrent = true;
    o.accelerator = GetParam().accelerator;
    auto s = Session::Load((dir / "model.onnx").string(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    if ((*s)->accelerator().empty()) PX_SKIP_WITHOUT_OPENCL((*s)->accelerator_note());
    auto stats = (*s)->Plan(feeds);
    ASSERT_TRUE(stats.ok()) << stats.status().message();
    EXPECT_GT(stats->accelerator_steps, 0u) << "every tiny model has ops the provider runs";
    auto out = (*s)->Run(feeds);
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (const auto& [name, got] : *out) {
      auto want = ReadNpyFile((dir / "outputs" / (name + ".npy")).string()).value();
      ASSERT_EQ(got.shape(), want.shape()) << name;
      EXPECT_LE(NormalizedError(got, want), 1e-4) << name;
    }
    EXPECT_EQ((*s)->accelerator_stats().steps, static_cast<int64_t>(stats->accelerator_steps));
    results.push_back(std::move(out).value());
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    const Tensor& a = results[0][i].second;
    const Tensor& b = results[1][i].second;
    ASSERT_EQ(a.nbytes(), b.nbytes());
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << results[0][i].first;
  }
}

std::string ZooName(const ::testing::TestParamInfo<ZooCase>& info) {
  return std::string(info.param.accelerator) + "_" + info.param.model;
}

INSTANTIATE_TEST_SUITE_P(OpenCl, HeterogeneousZoo,
                         ::testing::Values(ZooCase{"opencl", "yolov8n_tiny"}, ZooCase{"opencl", "distilbert_tiny"},
                                           ZooCase{"opencl", "whisper_encoder_tiny"}, ZooCase{"opencl", "clip_text_tiny"},
                                           ZooCase{"opencl", "swinv2_tiny_tiny"}, ZooCase{"opencl", "yolov8n_nms_tiny"}),
                         ZooName);
INSTANTIATE_TEST_SUITE_P(Cpu, HeterogeneousZoo,
                         ::testing::Values(ZooCase{"cpu", "yolov8n_tiny"}, ZooCase{"cpu", "distilbert_tiny"},
                                           ZooCase{"cpu", "whisper_encoder_tiny"}, ZooCase{"cpu", "clip_text_tiny"},
                                           ZooCase{"cpu", "swinv2_tiny_tiny"}, ZooCase{"cpu", "yolov8n_nms_tiny"}),
                         ZooName);

TEST(HeterogeneousSetup, CapabilityProfileRestrictsPlacement) {
  const fs::path dir = kRoot / "tests/models/distilbert_tiny";
  const NamedTensors feeds = ReadInputs(dir);
  SessionOptions all;
  all.accelerator = "opencl";
  auto a = Session::Load((dir / "model.onnx").string(), all);
  ASSERT_TRUE(a.ok()) << a.status().message();
  if ((*a)->accelerator().empty()) PX_SKIP_WITHOUT_OPENCL((*a)->accelerator_note());
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

// x -> MatMul(W1) -> Softmax -> Reshape (a view) -> MatMul(W2) -> Abs (CPU) -> Tanh -> y.
// The accelerator runs the MatMuls, Softmax and Tanh; Abs stays on the CPU (the provider has
// no Abs). Built by hand so that every host<->device copy can be counted.
std::string ResidencyModel() {
  onnx::ModelProto m = testing::NewModel("residency");
  auto* g = m.mutable_graph();
  testing::SetFloatValueInfo(g->add_input(), "x", {4, 8});
  testing::SetFloatValueInfo(g->add_output(), "y", {8, 8});
  uint32_t seed = 7;
  for (auto [name, dims] : {std::make_pair("W1", std::vector<int64_t>{8, 16}),
                            std::make_pair("W2", std::vector<int64_t>{8, 8})}) {
    std::vector<float> values(static_cast<size_t>(dims[0] * dims[1]));
    for (float& v : values) {
      seed = seed * 1664525u + 1013904223u;
      v = static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
    }
    testing::AddFloatInitializer(g, name, dims, values);
  }
  auto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(2);
  shape->add_int64_data(8);
  shape->add_int64_data(8);
  auto node = [&](const char* op, std::vector<std::string> ins, const char* out) {
    testing::AddNode(g, op, std::string(op) + "_" + out, ins, {out});
  };
  node("MatMul", {"x", "W1"}, "a");
  node("Softmax", {"a"}, "b");
  node("Reshape", {"b", "shape"}, "c");
  node("MatMul", {"c", "W2"}, "d");
  node("Abs", {"d"}, "e");
  node("Tanh", {"e"}, "y");
  return testing::Serialize(m);
}

TEST(HeterogeneousSetup, ValuesStayOnTheDeviceAndConstantsUploadOnce) {
  const std::string bytes = ResidencyModel();
  Tensor x = Tensor::Allocate(DataType::kFloat32, {4, 8}).value();
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.1f * static_cast<float>(i % 11) - 0.4f;
  const NamedTensors feeds = {{"x", x}};
  auto cpu = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  auto want = (*cpu)->Run(feeds);
  ASSERT_TRUE(want.ok()) << want.status().message();
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kParallel}) {
    SessionOptions o;
    o.mode = mode;
    o.accelerator = "opencl";
    auto s = Session::LoadFromBytes(bytes.data(), bytes.size(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    if ((*s)->accelerator().empty()) PX_SKIP_WITHOUT_OPENCL((*s)->accelerator_note());
    auto plan = (*s)->Plan(feeds);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(plan->accelerator_steps, 4u);
    // Per run: x and Abs's output go up, the second MatMul's output (for Abs) and y come back;
    // the first MatMul's and Softmax's outputs (via the Reshape view) stay on the device.
    EXPECT_EQ(plan->accelerator_upload_bytes, (32u + 64u) * 4);
    EXPECT_EQ(plan->accelerator_download_bytes, (64u + 64u) * 4);
    EXPECT_EQ(plan->accelerator_constant_bytes, (128u + 64u) * 4);
    // MatMul x, W1 -> a; Softmax a -> b; MatMul c, W2 -> d; Tanh e -> y.
    EXPECT_EQ(plan->accelerator_per_op_transfer_bytes, (32u + 128 + 64 + 64 + 64 + 64 + 64 + 64 + 64 + 64) * 4);
    for (int run = 1; run <= 2; ++run) {
      auto got = (*s)->Run(feeds);
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_LE(testing::NormalizedError((*got)[0].second, (*want)[0].second), 1e-5);
      const AcceleratorStats st = (*s)->accelerator_stats();
      EXPECT_EQ(st.steps, 4 * run);
      EXPECT_EQ(st.constant_uploads, 2) << "W1 and W2, on the first run only";
      EXPECT_EQ(st.uploads, 2 + 2 * run);
      EXPECT_EQ(st.downloads, 2 * run);
      EXPECT_EQ(st.device_reads, 2 * run);
      EXPECT_EQ(st.download_bytes, 512 * run);
    }
  }
}

// One constant C read by two Gemms with different M: each broadcasts it to its own [M, N] on
// the device (the derived buffer is cached per node, not per value).
TEST(HeterogeneousSetup, SharedConstantDerivedPerNode) {
  onnx::ModelProto m = testing::NewModel("shared_c");
  auto* g = m.mutable_graph();
  testing::SetFloatValueInfo(g->add_input(), "x1", {2, 4});
  testing::SetFloatValueInfo(g->add_input(), "x2", {3, 4});
  testing::SetFloatValueInfo(g->add_output(), "y1", {2, 5});
  testing::SetFloatValueInfo(g->add_output(), "y2", {3, 5});
  std::vector<float> w(20), c(5);
  for (int i = 0; i < 20; ++i) w[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  for (int i = 0; i < 5; ++i) c[i] = static_cast<float>(i) + 1.0f;
  testing::AddFloatInitializer(g, "W", {4, 5}, w);
  testing::AddFloatInitializer(g, "C", {5}, c);
  for (const std::string k : {"1", "2"}) testing::AddNode(g, "Gemm", "gemm" + k, {"x" + k, "W", "C"}, {"y" + k});
  const std::string bytes = testing::Serialize(m);
  NamedTensors feeds;
  for (auto [name, rows] : {std::make_pair("x1", 2), std::make_pair("x2", 3)}) {
    Tensor t = Tensor::Allocate(DataType::kFloat32, {rows, 4}).value();
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.25f * static_cast<float>(i % 5) - 0.5f;
    feeds.emplace_back(name, t);
  }
  auto cpu = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(cpu.ok()) << cpu.status().message();
  auto want = (*cpu)->Run(feeds);
  ASSERT_TRUE(want.ok()) << want.status().message();
  SessionOptions o;
  o.accelerator = "opencl";
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size(), o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  if ((*s)->accelerator().empty()) PX_SKIP_WITHOUT_OPENCL((*s)->accelerator_note());
  for (int run = 0; run < 2; ++run) {  // the second run reads the cached buffers
    auto got = (*s)->Run(feeds);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ((*s)->accelerator_stats().steps, 2 * (run + 1));
    for (size_t i = 0; i < 2; ++i) EXPECT_LE(testing::NormalizedError((*got)[i].second, (*want)[i].second), 1e-6) << i;
  }
}

// Several threads running one heterogeneous session with different inputs: each execution has
// its own device values (ProviderRun) and shares the plan's device constants; every output
// equals the single-threaded run's, bit for bit. "cpu" also runs under TSan in CI.
class HeterogeneousConcurrency : public ::testing::TestWithParam<std::string> {};

TEST_P(HeterogeneousConcurrency, RunsFromSeveralThreadsMatch) {
  const fs::path dir = kRoot / "tests/models/distilbert_tiny";
  SessionOptions o;
  o.threads = 2;
  o.accelerator = GetParam();
  auto s = Session::Load((dir / "model.onnx").string(), o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  if ((*s)->accelerator().empty()) PX_SKIP_WITHOUT_OPENCL((*s)->accelerator_note());
  const NamedTensors base = ReadInputs(dir);
  constexpr int kThreads = 3, kRuns = 4;
  std::vector<NamedTensors> feeds(kThreads);
  std::vector<Tensor> expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [name, tensor] : base) {
      Tensor mine = tensor.Clone().value();
      if (name == "input_ids") {
        for (int64_t i = 0; i < mine.numel(); ++i) mine.data<int64_t>()[i] = (mine.data<int64_t>()[i] + t) % 50;
      }
      feeds[t].emplace_back(name, std::move(mine));
    }
    auto r = (*s)->Run(feeds[t]);
    ASSERT_TRUE(r.ok()) << r.status().message();
    expected[t] = (*r)[0].second;
  }
  const std::vector<int> mismatches = testing::ConcurrentMismatches(**s, feeds, expected, kRuns);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

INSTANTIATE_TEST_SUITE_P(Providers, HeterogeneousConcurrency, ::testing::Values("cpu", "opencl"));

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
