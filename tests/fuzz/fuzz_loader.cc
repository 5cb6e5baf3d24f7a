// Fuzz target: model bytes -> Session::LoadFromBytes; when the model loads, inputs are made
// from the declared shapes (symbolic dims = 2, element counts capped) and the model is planned
// and run. Every failure must be a Status; sanitizers and libFuzzer catch the rest.
//
//   scripts/fuzz.sh fuzz_loader 60
//   FUZZ_LOAD_ONLY=1 scripts/fuzz.sh fuzz_loader 60   # loading only: more runs on loader code
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_util.h"
#include "parallax/session.h"

namespace {

constexpr int64_t kMaxInputElements = 1 << 16;    // per input and in total
constexpr size_t kMaxArenaBytes = 64u << 20;       // skip Run above this planned arena

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parallax;
  SessionOptions opts;
  opts.threads = 1;
  auto session = Session::LoadFromBytes(data, size, opts, "");
  static const bool load_only = std::getenv("FUZZ_LOAD_ONLY") != nullptr;
  if (!session.ok() || load_only) return 0;
  NamedTensors feeds;
  int64_t total = 0;
  uint32_t seed = static_cast<uint32_t>(size);
  for (const IoInfo& io : (*session)->inputs()) {
    Shape shape = io.shape;
    for (int64_t& d : shape) {
      if (d < 0) d = 2;
    }
    const int64_t n = NumElements(shape);
    if (n < 0 || n > kMaxInputElements || (total += n) > kMaxInputElements) return 0;
    const DataType dtype = io.dtype == DataType::kUndefined ? DataType::kFloat32 : io.dtype;
    auto t = Tensor::Allocate(dtype, shape);
    if (!t.ok()) return 0;  // e.g. string inputs
    fuzz::FillSmall(&t.value(), seed++);
    feeds.emplace_back(io.name, std::move(t).value());
  }
  auto stats = (*session)->Plan(feeds);
  if (!stats.ok() || stats->arena_bytes > kMaxArenaBytes) return 0;
  auto outs = (*session)->Run(feeds);
  if (outs.ok() && outs->size() != (*session)->outputs().size()) __builtin_trap();
  return 0;
}
