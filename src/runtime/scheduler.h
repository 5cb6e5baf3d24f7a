// The scheduling policy: pure functions shared by the executor and the simulator.
//
//   Decide, per layer at plan time, whether running its branches at the same time beats
//   running them one after another with every thread on each node (PlanLayers); split a set
//   of branches over lanes (AssignLanes, longest first); at run time pick the largest set of
//   ready branches whose arenas fit the memory left (PickBranches).
//
// Costs: step_ms1[s] is step s's time on one thread; StepMs() scales it to p threads with the
// cost model's intra-op speedup, so "1 lane with P threads" and "k lanes with P/k threads" are
// compared on the same footing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "analysis/cost_model.h"
#include "analysis/partition.h"

namespace parallax {

enum class BranchPolicy {
  kAuto,  // run a layer's branches concurrently only where the cost model predicts a gain
  kAll,   // every layer with several branches runs them concurrently (tests, ablation)
};

struct StepCosts {
  std::vector<NodeCost> cost;    // per step
  std::vector<double> ms1;       // per step, one thread (estimated or measured)
};

// Threads each of `lanes` lanes gets out of `threads` (the first ones get the remainder).
std::vector<int> LaneThreads(int threads, int lanes);

// Step time on p threads.
double StepMs(const StepCosts& costs, int32_t step, int threads, const CostParams& params);
// A branch's time on p threads.
double BranchMs(const PartitionResult& p, const StepCosts& costs, int32_t branch, int threads,
                const CostParams& params);

// Longest-processing-time-first assignment of `branches` to `lanes` lanes, given each lane's
// thread count; returns per lane the branches it runs, in order.
std::vector<std::vector<int32_t>> AssignLanes(const PartitionResult& p, const StepCosts& costs,
                                              const std::vector<int32_t>& branches,
                                              const std::vector<int>& lane_threads,
                                              const CostParams& params, double* makespan_ms = nullptr);

struct LayerDecision {
  int lanes = 1;               // > 1: the layer's branches run concurrently on this many lanes
  double sequential_ms = 0;    // predicted, all threads on one branch at a time
  double concurrent_ms = 0;    // predicted with `lanes` lanes (= sequential_ms when lanes == 1)
};

// Overhead of starting and joining one concurrent wave (lane wake-up and barrier).
inline constexpr double kWaveOverheadMs = 0.02;
// A layer runs concurrently only if that is predicted to save at least this share of its
// sequential time and this many milliseconds: smaller gains are inside the cost model's error
// and the noise of a shared machine, and concurrency costs arena memory.
inline constexpr double kMinGainShare = 0.10;
inline constexpr double kMinGainMs = 0.10;
// The parallel plan's arena may exceed the sequential plan's by at most this share (the auto
// policy drops the least useful concurrent layers until it fits; runtime/parallel_plan.cc).
inline constexpr double kMaxMemoryOverhead = 0.10;

std::vector<LayerDecision> PlanLayers(const PartitionResult& p, const StepCosts& costs,
                                      int threads, BranchPolicy policy, const CostParams& params);

// From `ready` (branch ids), the largest set whose `need` sum fits `capacity` (smallest first;
// ties by id). Never empty when `ready` is not empty and the smallest need fits.
std::vector<int32_t> PickBranches(const std::vector<int32_t>& ready, const std::vector<size_t>& need,
                                  size_t capacity);

}  // namespace parallax
