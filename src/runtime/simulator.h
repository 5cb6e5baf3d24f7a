// The simulator: the scheduler's policy (PlanLayers, PickBranches, AssignLanes) replayed on a
// virtual clock for P cores, with measured one-thread step times and the cost model's intra-op
// speedups, to predict latency and peak activation memory on bigger devices.
//
//   StepCosts measured = plan.parallel->costs;  measured.ms1 = profile_ms;   // one thread
//   SimulationReport r = Simulate(plan, measured, /*cores=*/4, BranchPolicy::kAuto, budget);
#pragma once

#include "parallax/report.h"
#include "runtime/plan.h"

namespace parallax {

// `plan` must have plan.parallel (its partition and buffers do not depend on the thread
// count; the per-layer decisions and the memory plan are redone for `cores`).
SimulationReport Simulate(const ExecutionPlan& plan, const StepCosts& costs, int cores,
                          BranchPolicy policy, size_t budget = SIZE_MAX,
                          const CostParams& params = CostParams{});

}  // namespace parallax

#include "analysis/placement.h"

namespace parallax {

// The three latencies of HeteroReport for a placement: all-CPU, accelerator with sequential
// fallbacks, and accelerator with Parallax's fallbacks (an event simulation: the accelerator
// runs one region at a time in order; ready CPU steps share the device's cores — k running
// steps get cores/k threads each, at the cost model's intra-op speedup — and overlap with it).
void SimulateHeterogeneous(const PlacementInput& in, const PlacementResult& placement,
                           const DeviceProfile& device, HeteroReport* report);

}  // namespace parallax
