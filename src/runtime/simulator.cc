#include "runtime/simulator.h"

#include <algorithm>
#include <set>

namespace parallax {

SimulationReport Simulate(const ExecutionPlan& plan, const StepCosts& costs, int cores,
                          BranchPolicy policy, size_t budget, const CostParams& params) {
  const ParallelPlan& pp = *plan.parallel;
  const PartitionResult& part = pp.partition;
  SimulationReport r;
  r.cores = cores;
  std::vector<LayerDecision> layers;
  const BranchMemoryPlan memory =
      DecideLayers(part, costs, pp.buffers, plan.arena_bytes, cores, policy, params, &layers);
  std::vector<bool> concurrent(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    concurrent[l] = layers[l].lanes > 1;
    r.concurrent_layers += concurrent[l] ? 1 : 0;
  }
  const size_t shared = (memory.shared_bytes + 63) / 64 * 64;
  size_t largest = 0;
  for (size_t b : memory.branch_bytes) largest = std::max(largest, b);
  // As Session::Run: the parallel plan when it has concurrency and fits, else sequential.
  const bool parallel = r.concurrent_layers > 0 && shared + largest <= budget;
  const size_t capacity = parallel ? std::min(memory.slab_bytes, budget - shared) : 0;
  size_t peak_slab = 0;
  double clock = 0;
  for (size_t l = 0; l < part.layers.size(); ++l) {
    double seq = 0;
    for (int32_t b : part.layers[l]) seq += BranchMs(part, costs, b, cores, params);
    r.sequential_ms += seq;
    if (!parallel || !concurrent[l]) {  // (the order of sequential steps does not change time)
      clock += seq;
      continue;
    }
    std::vector<int32_t> remaining = part.layers[l];
    while (!remaining.empty()) {
      std::vector<int32_t> wave = PickBranches(remaining, memory.branch_bytes, capacity);
      if (wave.empty()) wave = {remaining[0]};  // cannot happen when the plan fits; be safe
      size_t bump = 0;
      for (int32_t b : wave) bump += memory.branch_bytes[b];
      peak_slab = std::max(peak_slab, bump);
      const int lanes = std::min<int>(layers[l].lanes, static_cast<int>(wave.size()));
      if (lanes <= 1) {
        for (int32_t b : wave) clock += BranchMs(part, costs, b, cores, params);
      } else {
        double makespan = 0;
        AssignLanes(part, costs, wave, LaneThreads(cores, lanes), params, &makespan);
        clock += makespan + kWaveOverheadMs;
      }
      std::vector<int32_t> rest;
      for (int32_t b : remaining) {
        if (std::find(wave.begin(), wave.end(), b) == wave.end()) rest.push_back(b);
      }
      remaining = std::move(rest);
    }
  }
  r.latency_ms = clock;
  r.peak_bytes = parallel ? shared + peak_slab : plan.arena_bytes;
  return r;
}

}  // namespace parallax

namespace parallax {

void SimulateHeterogeneous(const PlacementInput& in, const PlacementResult& pl,
                           const DeviceProfile& d, HeteroReport* rep) {
  const int32_t n = static_cast<int32_t>(in.op.size());
  const int cores = std::max(1, d.cpu_cores);
  rep->all_cpu_ms = 0;
  for (int32_t s = 0; s < n; ++s) rep->all_cpu_ms += CpuStepMs(in, s, cores, d);

  // Tasks: one per offloaded region (on the accelerator), one per CPU step.
  std::vector<int32_t> task_of(n);
  std::vector<int32_t> region_task(pl.regions.size(), -1);
  struct Task {
    bool accel = false;
    int32_t step = -1;      // CPU tasks
    double work = 0;        // accel: ms; CPU: one-thread ms
    std::vector<int32_t> succs;
    int32_t waiting = 0;
  };
  std::vector<Task> tasks;
  for (int32_t s = 0; s < n; ++s) {
    const int32_t reg = pl.region_of[s];
    if (reg >= 0) {
      if (region_task[reg] < 0) {
        region_task[reg] = static_cast<int32_t>(tasks.size());
        tasks.push_back(Task{true, -1, pl.regions[reg].accel_ms, {}, 0});
      }
      task_of[s] = region_task[reg];
    } else {
      task_of[s] = static_cast<int32_t>(tasks.size());
      tasks.push_back(Task{false, s, CpuStepMs(in, s, 1, d), {}, 0});
    }
  }
  std::set<std::pair<int32_t, int32_t>> edges;
  for (int32_t s = 0; s < n; ++s) {
    for (int32_t p : in.graph.preds[s]) {
      if (task_of[p] != task_of[s] && edges.insert({task_of[p], task_of[s]}).second) {
        tasks[task_of[p]].succs.push_back(task_of[s]);
        ++tasks[task_of[s]].waiting;
      }
    }
  }
  // Sequential fallbacks: tasks in order, one at a time, CPU steps with all cores.
  rep->accel_sequential_ms = 0;
  double accel_busy = 0;
  for (const Task& t : tasks) {
    rep->accel_sequential_ms += t.accel ? t.work : CpuStepMs(in, t.step, cores, d);
    if (t.accel) accel_busy += t.work;
  }
  rep->fallback_steps = 0;
  for (const Task& t : tasks) rep->fallback_steps += t.accel ? 0 : 1;

  // Parallax: event simulation.
  CostParams cp;
  cp.parallel_efficiency = d.cpu_parallel_efficiency;
  std::vector<double> remaining(tasks.size());
  for (size_t t = 0; t < tasks.size(); ++t) remaining[t] = tasks[t].work;
  std::vector<int32_t> ready_cpu, ready_accel, running_cpu;
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].waiting == 0) (tasks[t].accel ? ready_accel : ready_cpu).push_back(static_cast<int32_t>(t));
  }
  int32_t accel_task = -1;
  double clock = 0, accel_end = 0, cpu_busy_core_ms = 0;
  size_t done = 0;
  auto finish = [&](int32_t t) {
    ++done;
    for (int32_t u : tasks[t].succs) {
      if (--tasks[u].waiting == 0) (tasks[u].accel ? ready_accel : ready_cpu).push_back(u);
    }
  };
  while (done < tasks.size()) {
    if (accel_task < 0 && !ready_accel.empty()) {
      auto it = std::min_element(ready_accel.begin(), ready_accel.end());
      accel_task = *it;
      ready_accel.erase(it);
      accel_end = clock + tasks[accel_task].work;
    }
    std::sort(ready_cpu.begin(), ready_cpu.end());
    while (static_cast<int>(running_cpu.size()) < cores && !ready_cpu.empty()) {
      running_cpu.push_back(ready_cpu.front());
      ready_cpu.erase(ready_cpu.begin());
    }
    if (accel_task < 0 && running_cpu.empty()) break;  // nothing can run: a malformed graph
    const std::vector<int> threads = LaneThreads(cores, std::max<int>(1, static_cast<int>(running_cpu.size())));
    double step = accel_task >= 0 ? accel_end - clock : 1e300;
    std::vector<double> rate(running_cpu.size());
    for (size_t i = 0; i < running_cpu.size(); ++i) {
      rate[i] = IntraOpSpeedup(in.cost[tasks[running_cpu[i]].step], threads[i], cp);
      step = std::min(step, remaining[running_cpu[i]] / rate[i]);
    }
    clock += step;
    std::vector<int32_t> still;
    for (size_t i = 0; i < running_cpu.size(); ++i) {
      remaining[running_cpu[i]] -= step * rate[i];
      cpu_busy_core_ms += step * threads[i];
      if (remaining[running_cpu[i]] <= 1e-12) {
        finish(running_cpu[i]);
      } else {
        still.push_back(running_cpu[i]);
      }
    }
    running_cpu = std::move(still);
    if (accel_task >= 0 && accel_end <= clock + 1e-12) {
      finish(accel_task);
      accel_task = -1;
    }
  }
  rep->accel_parallel_ms = clock;
  rep->energy_estimate_mj = 0;
  if (d.cpu_watts_per_core > 0 || d.accel_watts > 0) {
    rep->energy_estimate_mj = d.cpu_watts_per_core * cpu_busy_core_ms + d.accel_watts * accel_busy;
  }
}

}  // namespace parallax
