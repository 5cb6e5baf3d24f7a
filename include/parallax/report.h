// Plain descriptions of a plan and of a run, for tools (parallax analyze / profile / simulate)
// and for users who want to see what the scheduler will do.
//
//   auto report = session->Report(inputs);        // StatusOr<PlanReport>
//   for (const auto& layer : report->layers) ...  // branches per layer, lanes, predictions
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parallax {

struct StepReport {
  std::string node, op;      // node name and op type (fused ops: "parallax::FusedMatMul")
  int32_t branch = 0, layer = 0;
  double est_ms = 0;         // cost model, one thread
  double flops = 0;
  size_t bytes = 0;          // bytes read and written
  bool dynamic = false;      // output shapes decided at run time
  bool on_accelerator = false;
};

struct BranchReport {
  std::vector<int32_t> steps;   // indices into PlanReport::steps, in order
  std::vector<int32_t> preds;   // branches it waits for
  int32_t layer = 0;
  double est_ms = 0;
  size_t arena_bytes = 0;       // its own arena (concurrent layers only)
  size_t peak_bytes = 0;        // its arena plus the shared bytes live while it runs
};

struct LayerReport {
  std::vector<int32_t> branches;
  int lanes = 1;                // > 1: branches run concurrently on this many lanes
  double sequential_ms = 0;     // predicted with all threads on one branch at a time
  double concurrent_ms = 0;     // predicted on `lanes` lanes
};

struct PlanReport {
  int threads = 1;
  std::vector<StepReport> steps;
  std::vector<BranchReport> branches;
  std::vector<LayerReport> layers;
  double work_ms = 0, critical_path_ms = 0;   // W and C (cost model)
  size_t sequential_arena_bytes = 0;          // one arena, topological order
  size_t parallel_arena_bytes = 0;            // shared region + largest layer of branch arenas
  size_t parallel_min_arena_bytes = 0;        // shared region + largest single branch arena
  size_t shared_bytes = 0;
};

// One step's interval in a run (ms from the run's start) and the lane that ran it
// (0 = the calling thread; lanes run concurrent branches).
struct StepTrace {
  double start_ms = 0, end_ms = 0;
  int32_t lane = 0;
};

// A prediction of `parallax simulate` for one core count.
struct SimulationReport {
  int cores = 1;
  double latency_ms = 0;      // the scheduler's policy on a virtual clock
  double sequential_ms = 0;   // every step one at a time with all cores (no branch parallelism)
  int concurrent_layers = 0;  // layers the policy runs concurrently at this core count
  size_t peak_bytes = 0;      // planned activation arena of the run
};

// `parallax simulate --device`: the paper's comparison on a device profile.
struct HeteroReport {
  std::string device, accelerator_ops;
  std::vector<bool> on_accel;          // per plan step
  struct RegionInfo {
    int32_t steps = 0;
    std::string first_node, last_node;
    double gflops = 0, cpu_ms = 0, accel_ms = 0;
    bool offloaded = false;
    std::string reason;
  };
  std::vector<RegionInfo> regions;     // every candidate region
  int fallback_steps = 0;              // steps left on the CPU
  double all_cpu_ms = 0;               // every step on the CPU, one at a time, all cores
  double accel_sequential_ms = 0;      // accelerator + fallbacks one op at a time, no overlap
  double accel_parallel_ms = 0;        // accelerator + Parallax: fallbacks share the cores and
                                       // overlap with the accelerator
  double energy_estimate_mj = 0;       // accel + parallel case, from the profile's watts (0 = unknown)
};

}  // namespace parallax
