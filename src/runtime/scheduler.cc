#include "runtime/scheduler.h"

#include <algorithm>
#include <numeric>

namespace parallax {

std::vector<int> LaneThreads(int threads, int lanes) {
  lanes = std::max(1, lanes);
  std::vector<int> t(lanes, std::max(1, threads / lanes));
  for (int i = 0; i < threads % lanes && threads >= lanes; ++i) ++t[i];
  return t;
}

double StepMs(const StepCosts& costs, int32_t step, int threads, const CostParams& params) {
  const double ms = costs.ms1[step];
  const double fixed = std::min(ms, params.step_overhead_ms);
  return fixed + (ms - fixed) / IntraOpSpeedup(costs.cost[step], threads, params);
}

double BranchMs(const PartitionResult& p, const StepCosts& costs, int32_t branch, int threads,
                const CostParams& params) {
  double ms = 0;
  for (int32_t s : p.branches[branch].steps) ms += StepMs(costs, s, threads, params);
  return ms;
}

std::vector<std::vector<int32_t>> AssignLanes(const PartitionResult& p, const StepCosts& costs,
                                              const std::vector<int32_t>& branches,
                                              const std::vector<int>& lane_threads,
                                              const CostParams& params, double* makespan_ms) {
  std::vector<int32_t> order = branches;
  std::vector<double> one(p.branches.size(), 0);
  for (int32_t b : order) one[b] = BranchMs(p, costs, b, 1, params);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return one[a] > one[b]; });
  std::vector<std::vector<int32_t>> lanes(lane_threads.size());
  std::vector<double> busy(lane_threads.size(), 0);
  for (int32_t b : order) {
    size_t best = 0;
    double best_end = 0;
    for (size_t l = 0; l < lanes.size(); ++l) {
      double end = busy[l] + BranchMs(p, costs, b, lane_threads[l], params);
      if (l == 0 || end < best_end) {
        best = l;
        best_end = end;
      }
    }
    lanes[best].push_back(b);
    busy[best] = best_end;
  }
  if (makespan_ms) *makespan_ms = *std::max_element(busy.begin(), busy.end());
  return lanes;
}

std::vector<LayerDecision> PlanLayers(const PartitionResult& p, const StepCosts& costs,
                                      int threads, BranchPolicy policy, const CostParams& params) {
  std::vector<LayerDecision> out(p.layers.size());
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const auto& layer = p.layers[l];
    LayerDecision& d = out[l];
    for (int32_t b : layer) d.sequential_ms += BranchMs(p, costs, b, threads, params);
    d.concurrent_ms = d.sequential_ms;
    const int max_lanes = std::min<int>(threads, static_cast<int>(layer.size()));
    if (max_lanes < 2) continue;
    if (policy == BranchPolicy::kAll) {
      d.lanes = max_lanes;
      AssignLanes(p, costs, layer, LaneThreads(threads, max_lanes), params, &d.concurrent_ms);
      d.concurrent_ms += kWaveOverheadMs;
      continue;
    }
    for (int k = 2; k <= max_lanes; ++k) {
      double makespan = 0;
      AssignLanes(p, costs, layer, LaneThreads(threads, k), params, &makespan);
      makespan += kWaveOverheadMs;
      const bool pays = makespan <= (1.0 - kMinGainShare) * d.sequential_ms &&
                        d.sequential_ms - makespan >= kMinGainMs;
      if (pays && makespan < d.concurrent_ms) {
        d.lanes = k;
        d.concurrent_ms = makespan;
      }
    }
  }
  return out;
}

std::vector<int32_t> PickBranches(const std::vector<int32_t>& ready, const std::vector<size_t>& need,
                                  size_t capacity) {
  std::vector<int32_t> order = ready;
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return need[a] != need[b] ? need[a] < need[b] : a < b;
  });
  std::vector<int32_t> picked;
  size_t used = 0;
  for (int32_t b : order) {
    if (used + need[b] > capacity) break;
    used += need[b];
    picked.push_back(b);
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

}  // namespace parallax
