#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli_common.h"

namespace parallax::cli {
namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

size_t PeakRssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

// Package energy in microjoules from Linux powercap (Intel RAPL); -1 where the machine does not
// expose it (VMs, most ARM boards).
double RaplMicrojoules() {
  std::ifstream f("/sys/class/powercap/intel-rapl:0/energy_uj");
  double uj = -1;
  if (!(f >> uj)) return -1;
  return uj;
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int BenchCommand(const std::string& model, const std::vector<std::string>& inputs,
                 const SessionOptions& o, int runs, int warmup, bool json, bool verbose, bool lockstep) {
  auto loaded = OpenWithInputs(model, inputs, o, 0);
  if (!loaded.ok()) return PrintError(loaded.status());
  std::unique_ptr<Session> session = std::move(loaded->session);
  const NamedTensors feeds = std::move(loaded->feeds);
  auto stats = session->Plan(feeds);
  if (!stats.ok()) {
    std::cerr << "error: " << stats.status().message() << "\n";
    return 1;
  }
  const std::string name = model.empty() ? EmbeddedModelName() : model;
  std::vector<double> ms;
  double cpu_total = 0;
  std::vector<OpProfile> warm_profile;
  int64_t warm_runs = 0;
  auto progress_time = std::chrono::steady_clock::now();
  RunStats rs;
  double energy_uj = 0;
  bool rapl = RaplMicrojoules() >= 0;
  // Whether run i happens: the warmup, then --runs timed runs, or with --lockstep one timed run
  // per request line on stdin (after printing 'ready'), until EOF or 'quit'.
  auto another = [&](int i) {
    if (i < warmup) return true;
    if (!lockstep) return i < warmup + runs;
    if (i == warmup) std::printf("ready\n"), std::fflush(stdout);
    std::string request;
    return std::getline(std::cin, request) && request != "quit";
  };
  for (int i = 0; another(i); ++i) {
    double cpu0 = CpuSeconds();
    const double e0 = rapl && i >= warmup ? RaplMicrojoules() : 0;
    auto t0 = std::chrono::steady_clock::now();
    auto outs = session->Run(feeds, &rs);
    auto t1 = std::chrono::steady_clock::now();
    if (rapl && i >= warmup) {
      const double e1 = RaplMicrojoules();
      if (e1 >= e0) energy_uj += e1 - e0;  // (a counter wrap drops one sample)
    }
    if (!outs.ok()) {
      std::cerr << "error: " << outs.status().message() << "\n";
      return 1;
    }
    if (i + 1 == warmup && o.profile) {
      // Drop the warmup runs from the profile: rebuild the session's counters by reloading
      // is costly, so instead remember them and subtract below.
      warm_profile = session->Profile(&warm_runs);
    }
    if (i >= warmup) {
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      cpu_total += CpuSeconds() - cpu0;
      if (lockstep) std::printf("%.4f\n", ms.back()), std::fflush(stdout);
    }
    if (!json && !lockstep && t1 - progress_time > std::chrono::seconds(5)) {
      std::fprintf(stderr, "  ... %d/%d runs\n", i + 1, warmup + runs);
      progress_time = t1;
    }
  }
  if (lockstep) runs = static_cast<int>(ms.size());
  if (ms.empty()) {
    std::cerr << "error: no timed runs (--lockstep got no request line)\n";
    return 1;
  }
  if (verbose) PrintPlanAndRun(*stats, rs);
  // Energy per run: measured (RAPL) where the machine exposes it, else an estimate from the
  // device profile's watts per busy core times the CPU time, labelled as such.
  double energy_mj = -1;
  const char* energy_kind = "none";
  if (rapl) {
    energy_mj = energy_uj / 1000.0 / runs;
    energy_kind = "measured (RAPL package)";
  } else if (!o.device_profile.empty()) {
    auto dev = LoadDeviceProfile(o.device_profile);
    if (dev.ok() && dev->cpu_watts_per_core > 0) {
      energy_mj = dev->cpu_watts_per_core * 1000.0 * cpu_total / runs;
      energy_kind = "estimate (device profile watts x CPU time)";
    }
  }
  const double median = Percentile(ms, 0.5), p90 = Percentile(ms, 0.9);
  const double min = *std::min_element(ms.begin(), ms.end());
  const double cpu_ms = 1000.0 * cpu_total / runs;
  const size_t rss = PeakRssBytes();
  if (json) {
    std::printf(
        "{\"model\": \"%s\", \"threads\": %d, \"runs\": %d, \"min_ms\": %.4f, \"median_ms\": %.4f, "
        "\"p90_ms\": %.4f, \"cpu_ms_per_run\": %.4f, \"planned_arena_bytes\": %zu, "
        "\"constant_bytes\": %zu, \"peak_rss_bytes\": %zu, \"mode\": \"%s\", "
        "\"run_arena_bytes\": %zu, \"sequential_arena_bytes\": %zu, \"parallel_arena_bytes\": %zu, "
        "\"concurrent_layers\": %zu, \"concurrent_waves\": %d, \"branches_held_back\": %d, "
        "\"energy_mj_per_run\": %s, \"energy_kind\": \"%s\"}\n",
        JsonEscape(name).c_str(), session->threads(), runs, min, median, p90, cpu_ms, stats->arena_bytes,
        stats->constant_bytes, rss, rs.mode == ExecutionMode::kParallel ? "parallel" : "sequential",
        rs.arena_bytes, stats->sequential_arena_bytes, stats->parallel_arena_bytes,
        stats->concurrent_layers, rs.concurrent_waves, rs.branches_held_back,
        energy_mj < 0 ? "null" : std::to_string(energy_mj).c_str(), energy_kind);
  } else {
    std::printf("model          %s\n", name.c_str());
    std::printf("threads        %d\n", session->threads());
    std::printf("runs           %d (+%d warmup)\n", runs, warmup);
    std::printf("latency ms     min %.3f  median %.3f  p90 %.3f\n", min, median, p90);
    std::printf("cpu ms / run   %.3f\n", cpu_ms);
    if (energy_mj >= 0) {
      std::printf("energy / run   %.2f mJ, %s\n", energy_mj, energy_kind);
    } else {
      std::printf("energy / run   not measurable here (no RAPL; --device PROFILE gives an estimate)\n");
    }
    std::printf("planned arena  %.2f MiB (activations)\n", stats->arena_bytes / 1048576.0);
    std::printf("constants      %.2f MiB\n", stats->constant_bytes / 1048576.0);
    std::printf("peak RSS       %.2f MiB\n", rss / 1048576.0);
    std::printf("nodes          %zu run, %zu folded at plan time\n", stats->nodes_executed, stats->nodes_folded);
  }
  if (o.profile && !json) {
    int64_t total_runs = 0;
    auto prof = session->Profile(&total_runs);
    const double n = static_cast<double>(std::max<int64_t>(1, total_runs - warm_runs));
    double sum = 0;
    for (auto& p : prof) {
      for (const auto& w : warm_profile) {
        if (w.op_type == p.op_type) p.total_ms -= w.total_ms;
      }
      sum += p.total_ms;
    }
    std::sort(prof.begin(), prof.end(), [](const OpProfile& a, const OpProfile& b) { return a.total_ms > b.total_ms; });
    std::printf("\n%-28s %6s %12s %7s\n", "op", "nodes", "ms/run", "share");
    for (const auto& p : prof) {
      std::printf("%-28s %6lld %12.3f %6.1f%%\n", p.op_type.c_str(), static_cast<long long>(p.nodes),
                  p.total_ms / n, sum > 0 ? 100.0 * p.total_ms / sum : 0.0);
    }
  }
  return 0;
}

}  // namespace parallax::cli
