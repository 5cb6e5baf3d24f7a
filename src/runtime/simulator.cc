#include "runtime/simulator.h"

#include <algorithm>

namespace parallax {

SimulationReport Simulate(const ExecutionPlan& plan, const StepCosts& costs, int cores,
                          BranchPolicy policy, size_t budget, const CostParams& params) {
  const ParallelPlan& pp = *plan.parallel;
  const PartitionResult& part = pp.partition;
  SimulationReport r;
  r.cores = cores;
  const std::vector<LayerDecision> layers = PlanLayers(part, costs, cores, policy, params);
  std::vector<bool> concurrent(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    concurrent[l] = layers[l].lanes > 1;
    r.concurrent_layers += concurrent[l] ? 1 : 0;
  }
  const BranchMemoryPlan memory = PlanBranchMemory(part, concurrent, pp.buffers);
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
    if (!parallel || !concurrent[l]) {
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
