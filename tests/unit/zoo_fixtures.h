// The model zoo's tiny models as test data (tests/models/<name>/{model.onnx,inputs,outputs}),
// shared by the end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/npy.h"
#include "parallax/session.h"

namespace parallax::testing {

namespace fs = std::filesystem;

inline const fs::path kModels = fs::path(PARALLAX_SOURCE_DIR) / "tests" / "models";

inline std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  if (!fs::is_directory(kModels)) return names;
  for (const auto& e : fs::directory_iterator(kModels)) {
    if (fs::exists(e.path() / "model.onnx")) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline NamedTensors ReadInputs(const fs::path& dir) {
  NamedTensors feeds;
  for (const auto& e : fs::directory_iterator(dir / "inputs")) {
    auto t = ReadNpyFile(e.path().string());
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (t.ok()) feeds.emplace_back(e.path().stem().string(), std::move(t).value());
  }
  return feeds;
}

// max |got - want| / max |want|, the acceptance metric.
inline double NormalizedError(const Tensor& got, const Tensor& want) {
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

// Runs `session` from feeds.size() threads at once, `runs` times each, thread t on feeds[t];
// per thread, the runs that failed or whose first output is not expected[t] bit for bit.
inline std::vector<int> ConcurrentMismatches(Session& session, const std::vector<NamedTensors>& feeds,
                                             const std::vector<Tensor>& expected, int runs) {
  std::vector<int> mismatches(feeds.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < feeds.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < runs; ++i) {
        auto r = session.Run(feeds[t]);
        if (!r.ok() || (*r)[0].second.nbytes() != expected[t].nbytes() ||
            std::memcmp((*r)[0].second.raw(), expected[t].raw(), expected[t].nbytes()) != 0) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  return mismatches;
}

}  // namespace parallax::testing
