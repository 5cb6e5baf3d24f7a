// A greedy decode loop through the API with dynamic shapes: the Whisper decoder step model
// (tools/models/export.py) gets a key/value cache that grows by one token per step, starting
// empty; each step is planned for its own shape signature. The tokens must be the torch
// reference's, on the CPU in both modes and with the OpenCL provider where there is a device.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> Decode(Session& s, const Tensor& encoder_out, const Shape& empty_past, size_t steps) {
  Tensor keys = Tensor::Allocate(DataType::kFloat32, empty_past).value();
  Tensor values = Tensor::Allocate(DataType::kFloat32, empty_past).value();
  Tensor token = Tensor::Allocate(DataType::kInt64, {1, 1}).value();
  token.data<int64_t>()[0] = 1;
  std::vector<int64_t> out;
  for (size_t step = 0; step < steps; ++step) {
    auto r = s.Run({{"tokens", token}, {"past_keys", keys}, {"past_values", values}, {"encoder_out", encoder_out}});
    EXPECT_TRUE(r.ok()) << "step " << step << ": " << r.status().message();
    if (!r.ok()) return out;
    const Tensor& logits = (*r)[0].second;
    EXPECT_EQ((*r)[1].second.shape()[3], static_cast<int64_t>(step + 1)) << "the cache grows by one";
    int64_t best = 0;
    for (int64_t i = 1; i < logits.numel(); ++i) {
      if (logits.data<float>()[i] > logits.data<float>()[best]) best = i;
    }
    out.push_back(best);
    token.data<int64_t>()[0] = best;
    keys = (*r)[1].second;
    values = (*r)[2].second;
  }
  return out;
}

TEST(WhisperDecode, GreedyLoopMatchesTheReference) {
  const fs::path dir = fs::path(PARALLAX_SOURCE_DIR) / "tests/models/whisper_decoder_tiny";
  auto want = ReadNpyFile((dir / "greedy_tokens.npy").string());
  ASSERT_TRUE(want.ok()) << want.status().message();
  const std::vector<int64_t> expected(want->data<int64_t>(), want->data<int64_t>() + want->numel());
  auto enc = ReadNpyFile((dir / "inputs/encoder_out.npy").string());
  auto past = ReadNpyFile((dir / "inputs/past_keys.npy").string());  // for layers/heads/head dim
  ASSERT_TRUE(enc.ok() && past.ok());
  Shape empty = past->shape();
  empty[3] = 0;
  struct Config {
    ExecutionMode mode;
    const char* accelerator;
  };
  for (Config c : {Config{ExecutionMode::kSequential, ""}, Config{ExecutionMode::kParallel, ""},
                   Config{ExecutionMode::kParallel, "opencl"}}) {
    SessionOptions o;
    o.threads = 2;
    o.mode = c.mode;
    o.all_branches_concurrent = true;
    o.accelerator = c.accelerator;
    auto s = Session::Load((dir / "model.onnx").string(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    if (c.accelerator[0] != '\0' && (*s)->accelerator().empty()) continue;  // no device here
    SCOPED_TRACE(std::string(c.mode == ExecutionMode::kParallel ? "parallel" : "sequential") + " " +
                 c.accelerator);
    EXPECT_EQ(Decode(**s, *enc, empty, expected.size()), expected);
  }
}

}  // namespace
}  // namespace parallax
