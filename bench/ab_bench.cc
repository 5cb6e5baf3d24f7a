// In-process A/B of two session configurations of one model: both sessions are loaded once and
// their timed runs interleaved (A B, B A, A B, ...; each after an untimed warm run of the same
// session), so that this machine's drift hits both alike: two processes run one after the
// other cannot resolve a 5% difference here.
//
//   build/bench/ab_bench MODEL THREADS A B [NAME=FILE.npy ...] [--runs N]
//   A, B: default | sequential | no-prepack | no-optimize | env:NAME=VALUE
// env:NAME=VALUE sets that variable while the session loads (for the switches the graph passes
// read at load, e.g. env:PARALLAX_FUSE_CONCAT=off), then restores it.
//
// Prints each side's median, quartiles and the B/A ratio of medians. Every model input must be
// given (a missing one is the session's error).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/npy.h"
#include "parallax/session.h"

using namespace parallax;

namespace {

bool Configure(const std::string& name, SessionOptions* o) {
  if (name == "default" || (name.rfind("env:", 0) == 0 && name.find('=') != std::string::npos)) return true;
  if (name == "sequential") return o->mode = ExecutionMode::kSequential, true;
  if (name == "no-prepack") return o->prepack_weights = false, true;
  if (name == "no-optimize") return o->optimize = false, true;
  return false;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL THREADS A B [NAME=FILE.npy ...] [--runs N]\n", argv[0]);
    return 2;
  }
  const std::string model = argv[1];
  const int threads = std::atoi(argv[2]);
  const std::string names[2] = {argv[3], argv[4]};
  int runs = 40;
  NamedTensors feeds;
  for (int i = 5; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
      continue;
    }
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    auto t = eq == std::string::npos ? StatusOr<Tensor>(InvalidArgument("expected NAME=FILE.npy: " + a))
                                     : ReadNpyFile(a.substr(eq + 1));
    if (!t.ok()) {
      std::fprintf(stderr, "error: %s\n", t.status().message().c_str());
      return 1;
    }
    feeds.emplace_back(a.substr(0, eq), std::move(t).value());
  }
  std::unique_ptr<Session> sessions[2];
  for (int k = 0; k < 2; ++k) {
    SessionOptions o;
    o.threads = threads;
    if (!Configure(names[k], &o)) {
      std::fprintf(stderr, "error: unknown configuration '%s'\n", names[k].c_str());
      return 2;
    }
    std::string env_name, env_old;
    bool had_old = false;
    if (names[k].rfind("env:", 0) == 0) {
      const size_t eq = names[k].find('=');
      env_name = names[k].substr(4, eq - 4);
      const char* old = std::getenv(env_name.c_str());
      had_old = old != nullptr;
      if (had_old) env_old = old;
      setenv(env_name.c_str(), names[k].substr(eq + 1).c_str(), 1);
    }
    auto s = Session::Load(model, o);
    if (!env_name.empty()) {
      if (had_old) setenv(env_name.c_str(), env_old.c_str(), 1);
      else unsetenv(env_name.c_str());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.status().message().c_str());
      return 1;
    }
    sessions[k] = std::move(s).value();
  }
  constexpr int kWarmup = 3;
  std::vector<double> ms[2];
  for (int i = 0; i < kWarmup + runs; ++i) {
    for (int j = 0; j < 2; ++j) {
      const int k = i % 2 == 0 ? j : 1 - j;
      // The sessions hold separate weight copies: an untimed run first brings this one's back
      // into cache, so each timed run is warm, as in `parallax bench`.
      if (!sessions[k]->Run(feeds).ok()) return 1;
      const auto t0 = std::chrono::steady_clock::now();
      auto out = sessions[k]->Run(feeds);
      const auto t1 = std::chrono::steady_clock::now();
      if (!out.ok()) {
        std::fprintf(stderr, "error: %s\n", out.status().message().c_str());
        return 1;
      }
      if (i >= kWarmup) ms[k].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  for (int k = 0; k < 2; ++k) {
    std::printf("%-11s median %8.2f ms  (p25 %.2f, p75 %.2f, %d runs)\n", names[k].c_str(), Quantile(ms[k], 0.5),
                Quantile(ms[k], 0.25), Quantile(ms[k], 0.75), runs);
  }
  std::printf("%s / %s = %.3f\n", names[1].c_str(), names[0].c_str(), Quantile(ms[1], 0.5) / Quantile(ms[0], 0.5));
  return 0;
}
