// parallax simulate: predict latency and peak memory on P cores (runtime/simulator.h) from
// per-step times measured here on one thread, and with --validate compare the prediction with
// measured latency for every P this machine has.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli_common.h"

namespace parallax::cli {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Runs every session once per round, alternating the order each round so that drifts in machine
// load hit all of them alike; returns per session the median wall time, and for session 0
// (the profiled one) the per-step medians. Each timed run follows an untimed run of the same
// session: the sessions hold separate copies of the weights, and right after another session
// ran, a session's weights are out of cache (Whisper's encoder measured 445 ms at 1 thread
// that way against 320 ms warm, and 2 threads then looked 2.2x faster, not 1.6x).
StatusOr<std::vector<double>> MeasureInterleaved(std::vector<std::unique_ptr<Session>>& sessions,
                                                 const NamedTensors& feeds, int runs, int warmup,
                                                 std::vector<double>* step_ms) {
  std::vector<std::vector<double>> total(sessions.size());
  std::vector<std::vector<double>> per_step;
  for (int i = 0; i < warmup + runs; ++i) {
    for (size_t k = 0; k < sessions.size(); ++k) {
      const size_t j = i % 2 == 0 ? k : sessions.size() - 1 - k;
      if (i >= warmup) {
        auto warm = sessions[j]->Run(feeds);  // brings this session's weights back into cache
        if (!warm.ok()) return warm.status();
      }
      RunStats rs;
      auto t0 = std::chrono::steady_clock::now();
      auto out = sessions[j]->Run(feeds, &rs);
      auto t1 = std::chrono::steady_clock::now();
      if (!out.ok()) return out.status();
      if (i < warmup) continue;
      total[j].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      if (j == 0) {
        per_step.resize(rs.trace.size());
        for (size_t st = 0; st < rs.trace.size(); ++st) {
          per_step[st].push_back(rs.trace[st].end_ms - rs.trace[st].start_ms);
        }
      }
    }
  }
  step_ms->clear();
  for (auto& v : per_step) step_ms->push_back(Median(v));
  std::vector<double> med;
  for (auto& v : total) med.push_back(Median(v));
  return med;
}

}  // namespace

int SimulateCommand(const std::string& model, const std::vector<std::string>& inputs,
                    const SessionOptions& base, const std::vector<int>& cores, int runs, int warmup,
                    bool validate, bool json) {
  auto fail = [](const Status& st) {
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  };
  if (base.mode != ExecutionMode::kParallel) return fail(InvalidArgument("simulate models the parallel mode"));
  SessionOptions one = base;
  one.threads = 1;
  one.profile = true;
  auto session = OpenSession(model, one);
  if (!session.ok()) return fail(session.status());
  auto feeds = PrepareInputs(**session, inputs, base.dims, 0);
  if (!feeds.ok()) return fail(feeds.status());
  const int hw = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // Session 0: one thread, profiled. Then one plain session per core count to validate.
  std::vector<std::unique_ptr<Session>> sessions;
  sessions.push_back(std::move(session).value());
  std::vector<int> measured_index(cores.size(), -1);
  for (size_t i = 0; i < cores.size() && validate; ++i) {
    if (cores[i] > hw) continue;
    SessionOptions o = base;
    o.threads = cores[i];
    auto s = OpenSession(model, o);
    if (!s.ok()) return fail(s.status());
    measured_index[i] = static_cast<int>(sessions.size());
    sessions.push_back(std::move(s).value());
  }
  std::vector<double> step_ms;
  auto medians = MeasureInterleaved(sessions, *feeds, runs, warmup, &step_ms);
  if (!medians.ok()) return fail(medians.status());
  const double* t1 = &(*medians)[0];

  struct Row {
    SimulationReport sim;
    double measured = -1;
  };
  std::vector<Row> rows;
  for (size_t i = 0; i < cores.size(); ++i) {
    auto sim = sessions[0]->Simulate(*feeds, cores[i], step_ms);
    if (!sim.ok()) return fail(sim.status());
    rows.push_back(Row{*sim, measured_index[i] >= 0 ? (*medians)[measured_index[i]] : -1});
  }
  const std::string name = model.empty() ? EmbeddedModelName() : model;
  if (json) {
    std::printf("{\"model\": \"%s\", \"measured_1thread_ms\": %.4f, \"predictions\": [", JsonEscape(name).c_str(), *t1);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      std::printf("%s{\"cores\": %d, \"predicted_ms\": %.4f, \"no_branch_parallelism_ms\": %.4f, "
                  "\"concurrent_layers\": %d, \"peak_bytes\": %zu, \"measured_ms\": %s}",
                  i ? ", " : "", r.sim.cores, r.sim.latency_ms, r.sim.sequential_ms, r.sim.concurrent_layers,
                  r.sim.peak_bytes, r.measured < 0 ? "null" : std::to_string(r.measured).c_str());
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("model %s: one-thread profile over %d runs (interleaved with the measured runs), "
              "median %.2f ms (sum of step medians %.2f ms)\n",
              name.c_str(), runs, *t1, [&] { double s = 0; for (double v : step_ms) s += v; return s; }());
  std::printf("%5s %12s %14s %8s %11s %10s %12s %7s\n", "cores", "predicted", "no-branch-par", "speedup",
              "conc.layers", "peak MiB", "measured", "error");
  for (const auto& r : rows) {
    std::printf("%5d %9.2f ms %11.2f ms %7.2fx %11d %10.2f", r.sim.cores, r.sim.latency_ms, r.sim.sequential_ms,
                rows[0].sim.latency_ms / r.sim.latency_ms, r.sim.concurrent_layers, r.sim.peak_bytes / 1048576.0);
    if (r.measured >= 0) {
      std::printf(" %9.2f ms %+6.1f%%\n", r.measured, 100.0 * (r.sim.latency_ms - r.measured) / r.measured);
    } else {
      std::printf(" %12s %7s\n", validate ? "(> cores)" : "-", "");
    }
  }
  return 0;
}

}  // namespace parallax::cli

namespace parallax::cli {
int DeviceSimulateCommand(const std::string& model, const std::vector<std::string>& inputs,
                          const SessionOptions& o, const std::string& device_arg,
                          const std::string& ops_arg, bool json) {
  auto fail = [](const Status& st) {
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  };
  auto device = LoadDeviceProfile(ResolveProfile(device_arg, "devices", ".json"));
  if (!device.ok()) return fail(device.status());
  auto ops = LoadCapabilityProfile(ResolveProfile(ops_arg, "accelerators", ".txt"));
  if (!ops.ok()) return fail(ops.status());
  SessionOptions po = o;
  po.mode = ExecutionMode::kParallel;
  auto session = OpenSession(model, po);
  if (!session.ok()) return fail(session.status());
  auto feeds = PrepareInputs(**session, inputs, o.dims, 0);
  if (!feeds.ok()) return fail(feeds.status());
  auto rep = (*session)->PredictHeterogeneous(*feeds, *device, *ops);
  if (!rep.ok()) return fail(rep.status());
  const std::string name = model.empty() ? EmbeddedModelName() : model;
  int offloaded = 0, accel_steps = 0;
  for (const auto& r : rep->regions) offloaded += r.offloaded ? 1 : 0;
  for (bool a : rep->on_accel) accel_steps += a ? 1 : 0;
  const double reduction = 1.0 - rep->accel_parallel_ms / rep->accel_sequential_ms;
  if (json) {
    std::printf("{\"model\": \"%s\", \"device\": \"%s\", \"accelerator_ops\": \"%s\", \"regions\": %zu, "
                "\"regions_offloaded\": %d, \"steps_on_accelerator\": %d, \"fallback_steps\": %d, "
                "\"all_cpu_ms\": %.4f, \"accel_sequential_fallback_ms\": %.4f, "
                "\"accel_parallax_ms\": %.4f, \"reduction_vs_sequential_fallback\": %.4f, "
                "\"energy_estimate_mj\": %.4f}\n",
                JsonEscape(name).c_str(), JsonEscape(rep->device).c_str(), JsonEscape(rep->accelerator_ops).c_str(),
                rep->regions.size(), offloaded, accel_steps, rep->fallback_steps, rep->all_cpu_ms,
                rep->accel_sequential_ms, rep->accel_parallel_ms, reduction, rep->energy_estimate_mj);
    return 0;
  }
  std::printf("model %s on %s, accelerator ops '%s' (cost-model predictions)\n", name.c_str(),
              rep->device.c_str(), rep->accelerator_ops.c_str());
  std::printf("%zu candidate regions, %d offloaded (%d steps); %d steps fall back to the CPU\n",
              rep->regions.size(), offloaded, accel_steps, rep->fallback_steps);
  std::printf("%6s %6s %9s %10s %10s  %s\n", "region", "steps", "GFLOP", "cpu ms", "accel ms", "decision");
  for (size_t i = 0; i < rep->regions.size(); ++i) {
    const auto& r = rep->regions[i];
    if (!r.offloaded && r.steps < 2 && i >= 20) continue;
    std::printf("%6zu %6d %9.3f %10.3f %10.3f  %s (%s .. %s)\n", i, r.steps, r.gflops, r.cpu_ms, r.accel_ms,
                r.reason.c_str(), r.first_node.c_str(), r.last_node.c_str());
  }
  std::printf("all CPU (one op at a time, all cores)         %10.2f ms\n", rep->all_cpu_ms);
  std::printf("accelerator + sequential fallbacks (TFLite)   %10.2f ms\n", rep->accel_sequential_ms);
  std::printf("accelerator + Parallax parallel fallbacks     %10.2f ms  (%.1f%% less)\n", rep->accel_parallel_ms,
              100.0 * reduction);
  if (rep->energy_estimate_mj > 0) {
    std::printf("energy (estimate from the profile's watts)    %10.2f mJ\n", rep->energy_estimate_mj);
  }
  return 0;
}

}  // namespace parallax::cli
