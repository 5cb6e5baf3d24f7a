// Partitioning for an accelerator: which steps run there, grouped into regions, and which
// regions are worth offloading under a device profile's cost model.
//
//   PlacementInput in = ...;                     // the plan's step DAG, costs, op types
//   PlacementResult r = Place(in, mobile_gpu, snapdragon);
//   r.on_accel[s], r.regions[k].offloaded, r.regions[k].reason
//
// 1. A step is supported when its op is in the capability profile (and, for profiles that need
//    static shapes, its shapes are static).
// 2. Supported steps are grown into regions in topological order; a step joins a region of one
//    of its supported predecessors only if no other predecessor depends on that region (that
//    would make the region graph cyclic: the region would wait for itself through the CPU).
// 3. A region is offloaded when its FLOPs reach min_region_flops and its CPU time is at least
//    beta × (accelerator compute + transfers in and out + dispatch). Pruned regions run on the CPU.
#pragma once

#include <string>
#include <vector>

#include "analysis/cost_model.h"
#include "analysis/partition.h"
#include "parallax/device.h"

namespace parallax {

struct PlacementInput {
  StepGraph graph;                 // preds per step (cost_ms: one-thread CPU time per step)
  std::vector<NodeCost> cost;      // per step
  std::vector<std::string> op;     // per step, op type
  std::vector<bool> dynamic;       // per step: shapes known only at run time
  std::vector<size_t> out_bytes;   // per step: bytes it produces
  std::vector<bool> provider_ok;   // per step: the provider can run it (empty = no provider check)
};

struct Region {
  std::vector<int32_t> steps;
  double flops = 0;
  double cpu_ms = 0;       // all device cores, intra-op (the cost model's speedup)
  double accel_ms = 0;     // compute + transfers + dispatch
  size_t in_bytes = 0, out_bytes = 0;  // crossing from / to CPU steps
  bool offloaded = false;
  std::string reason;      // why it was kept on the CPU, or "offloaded"
};

struct PlacementResult {
  std::vector<bool> on_accel;        // per step
  std::vector<int32_t> region_of;    // per step: -1 = CPU
  std::vector<Region> regions;       // every candidate region, offloaded or not
};

// CPU time of one step on `threads` cores of `device` (cost model, or the measured one-thread
// time in input.graph.cost_ms scaled by the intra-op speedup).
double CpuStepMs(const PlacementInput& in, int32_t step, int threads, const DeviceProfile& device);

PlacementResult Place(const PlacementInput& in, const CapabilityProfile& caps, const DeviceProfile& device);

}  // namespace parallax
