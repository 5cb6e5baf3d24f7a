// parallax profile: profiled runs; the median run's steps as a Chrome trace (chrome://tracing,
// Perfetto), one row per lane, and the time per op type over the timed runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <string>

#include "cli_common.h"

namespace parallax::cli {
namespace {

// Microseconds with three decimals from integer nanoseconds, so that ts + dur of one step never
// passes the ts of the next step on its lane through rounding.
std::string Micros(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ns / 1000),
                static_cast<long long>(ns % 1000));
  return buf;
}

bool WriteTrace(const std::string& path, const std::string& name, const PlanReport& r,
                const std::vector<StepTrace>& trace) {
  std::ofstream f(path);
  if (!f) return false;
  int32_t lanes = 1;
  for (const StepTrace& t : trace) lanes = std::max(lanes, t.lane + 1);
  f << "{\"traceEvents\": [\n";
  f << "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": \"parallax "
    << JsonEscape(name) << "\"}}";
  for (int32_t l = 0; l < lanes; ++l) {
    const std::string lane = l == 0 ? "lane 0 (caller)" : "lane " + std::to_string(l);
    f << ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": " << l
      << ", \"args\": {\"name\": \"" << lane << "\"}}";
    f << ",\n{\"name\": \"thread_sort_index\", \"ph\": \"M\", \"pid\": 1, \"tid\": " << l
      << ", \"args\": {\"sort_index\": " << l << "}}";
  }
  char est[32];
  for (size_t s = 0; s < trace.size(); ++s) {
    const StepReport& st = r.steps[s];
    const int64_t start = std::max<int64_t>(0, std::llround(trace[s].start_ms * 1e6));
    const int64_t end = std::max(start, static_cast<int64_t>(std::llround(trace[s].end_ms * 1e6)));
    std::snprintf(est, sizeof est, "%.6g", std::isfinite(st.est_ms) ? st.est_ms : 0.0);
    f << ",\n{\"name\": \"" << JsonEscape(st.op)
      << "\", \"cat\": \"step\", \"ph\": \"X\", \"ts\": " << Micros(start)
      << ", \"dur\": " << Micros(end - start) << ", \"pid\": 1, \"tid\": " << trace[s].lane
      << ", \"args\": {\"step\": " << s << ", \"node\": \"" << JsonEscape(st.node)
      << "\", \"branch\": " << st.branch << ", \"layer\": " << st.layer
      << ", \"bytes\": " << st.bytes << ", \"est_ms\": " << est << "}}";
  }
  f << "\n], \"displayTimeUnit\": \"ms\"}\n";
  return static_cast<bool>(f.flush());
}

// Time per op type, summed over the timed runs' traces, slowest first.
void PrintOpTable(const PlanReport& r, const std::vector<std::vector<StepTrace>>& traces) {
  struct Row {
    int64_t nodes = 0;
    double ms = 0;
  };
  std::map<std::string, Row> by_op;
  double total = 0;
  for (size_t s = 0; s < r.steps.size(); ++s) {
    Row& row = by_op[r.steps[s].op];
    ++row.nodes;
    for (const auto& t : traces) {
      row.ms += t[s].end_ms - t[s].start_ms;
      total += t[s].end_ms - t[s].start_ms;
    }
  }
  std::vector<std::pair<std::string, Row>> rows(by_op.begin(), by_op.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  const double n = static_cast<double>(std::max<size_t>(1, traces.size()));
  std::printf("\n%-28s %6s %12s %7s\n", "op", "nodes", "ms/run", "share");
  for (const auto& [op, row] : rows) {
    std::printf("%-28s %6lld %12.3f %6.1f%%\n", op.c_str(), static_cast<long long>(row.nodes),
                row.ms / n, total > 0 ? 100.0 * row.ms / total : 0.0);
  }
  std::printf("%-28s %6zu %12.3f %6.1f%%  (summed over lanes)\n", "total", r.steps.size(),
              total / n, 100.0);
}

}  // namespace

int ProfileCommand(const std::string& model, const std::vector<std::string>& inputs,
                   const SessionOptions& o, uint32_t seed, const std::string& trace_path, int runs,
                   int warmup, bool verbose) {
  SessionOptions po = o;
  po.profile = true;
  // Branches, layers and cost-model estimates come from the parallel plan. Its steps are the
  // sequential plan's steps in the same order, so in sequential mode a parallel session gives
  // the report and is dropped before the profiled one is loaded.
  SessionOptions ro = po;
  ro.mode = ExecutionMode::kParallel;
  auto loaded = OpenWithInputs(model, inputs, ro, seed);
  if (!loaded.ok()) return PrintError(loaded.status());
  std::unique_ptr<Session> session = std::move(loaded->session);
  const NamedTensors feeds = std::move(loaded->feeds);
  auto report = session->Report(feeds);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  if (o.mode != ExecutionMode::kParallel) {
    session.reset();
    auto sequential = OpenSession(model, po);
    if (!sequential.ok()) return PrintError(sequential.status());
    session = std::move(sequential).value();
  }
  auto plan = session->Plan(feeds);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 1;
  }
  std::vector<double> ms;
  std::vector<std::vector<StepTrace>> traces;
  std::vector<RunStats> run_stats;
  for (int i = 0; i < warmup + runs; ++i) {
    RunStats rs;
    auto t0 = std::chrono::steady_clock::now();
    auto outs = session->Run(feeds, &rs);
    auto t1 = std::chrono::steady_clock::now();
    if (!outs.ok()) {
      std::cerr << "error: " << outs.status().message() << "\n";
      return 1;
    }
    if (rs.trace.size() != report->steps.size()) {
      std::cerr << "error: the run traced " << rs.trace.size() << " steps, the plan has "
                << report->steps.size() << "\n";
      return 1;
    }
    if (i < warmup) continue;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    traces.push_back(std::move(rs.trace));
    rs.trace.clear();
    run_stats.push_back(std::move(rs));
  }
  std::vector<size_t> order(ms.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ms[a] < ms[b]; });
  const size_t median = order[(order.size() - 1) / 2];
  const std::string name = model.empty() ? EmbeddedModelName() : model;
  if (!WriteTrace(trace_path, name, *report, traces[median])) {
    std::cerr << "error: cannot write " << trace_path << "\n";
    return 1;
  }
  const RunStats& rs = run_stats[median];
  if (verbose) PrintPlanAndRun(*plan, rs);
  int32_t lanes = 1;
  for (const StepTrace& t : traces[median]) lanes = std::max(lanes, t.lane + 1);
  std::printf("model          %s\n", name.c_str());
  std::printf("threads        %d\n", session->threads());
  std::printf("mode           %s (executor used: %s)\n",
              o.mode == ExecutionMode::kParallel ? "parallel" : "sequential",
              rs.mode == ExecutionMode::kParallel ? "parallel" : "sequential");
  std::printf("runs           %d (+%d warmup)\n", runs, warmup);
  std::printf("latency ms     median %.3f  min %.3f  max %.3f\n", ms[median], ms[order.front()],
              ms[order.back()]);
  std::printf("trace          %s: median run (%zu of %d), %zu steps on %d lane%s\n",
              trace_path.c_str(), median + 1, runs, report->steps.size(), lanes,
              lanes == 1 ? "" : "s");
  PrintOpTable(*report, traces);
  return 0;
}

}  // namespace parallax::cli
