// The branch-aware memory planner: a pure function from buffer lifetimes and a branch
// partition to offsets in a shared region and in per-branch arenas.
//
//   BranchMemoryPlan m = PlanBranchMemory(partition, concurrent, buffers);
//   m.shared_bytes + m.slab_bytes == m.peak_bytes      // planned before any run
//
// Where each buffer lives:
//  - Buffers touched by one branch of a *concurrent* layer (a layer whose branches may run at
//    the same time) live in that branch's own arena, planned over the branch's step order with
//    reuse of dead buffers (the same best-fit planner as the sequential arena).
//  - Everything else — values that cross branches, graph outputs, and all buffers of layers
//    that run one branch at a time — lives in the shared region, planned over "ticks": each
//    step of a sequential layer is a tick, a concurrent layer is one tick for all of its steps
//    (any of them may be running). Ticks follow the plan's step order wherever dependencies
//    allow, so without concurrent layers this is exactly the sequential plan.
//  - The arenas of a concurrent layer's branches sit side by side in one slab, bump-allocated
//    at run time in the order the scheduler starts them; all layers reuse the same slab
//    (branches of different layers never run at the same time). slab_bytes is the largest
//    layer's sum, so running every branch of a layer at once always fits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/partition.h"
#include "memory/planner.h"

namespace parallax {

struct BranchBuffer {
  size_t size = 0;
  std::vector<int32_t> steps;  // every step that writes or reads it
  bool graph_output = false;   // lives to the end of the run
};

struct BranchMemoryPlan {
  std::vector<int32_t> arena_of;     // per buffer: -1 = shared region, else the owning branch
  std::vector<size_t> offsets;       // per buffer, inside its region or arena
  size_t shared_bytes = 0;
  std::vector<size_t> branch_bytes;  // per branch: its own arena (0 outside concurrent layers)
  std::vector<size_t> layer_bytes;   // per layer: its branch arenas side by side
  size_t slab_bytes = 0;             // the largest layer_bytes
  size_t peak_bytes = 0;             // shared_bytes + slab_bytes
  // Per branch: its arena plus the shared-region bytes live while it runs (for reports).
  std::vector<size_t> branch_peak;
  // The execution order the plan assumes, one tick per unit: a step of a sequential layer, or a
  // whole concurrent layer (tick_layer >= 0; its branches may run in any arrangement).
  std::vector<int32_t> order;         // steps
  std::vector<int32_t> tick_of_step;
  std::vector<int32_t> tick_layer;    // per tick: the concurrent layer, or -1
  std::vector<int32_t> tick_step;     // per tick: the step (sequential ticks)
  // The lifetimes actually planned, for CheckBranchMemoryPlan.
  std::vector<BufferUsage> shared_usages;                 // parallel to buffers (unused: size 0)
  std::vector<std::vector<BufferUsage>> branch_usages;    // per branch, its buffers' lifetimes
  std::vector<std::vector<int32_t>> branch_buffers;       // per branch, the buffer indices
};

// `concurrent[l]`: layer l's branches may run at the same time. Buffers' sizes are rounded up to
// `alignment`.
BranchMemoryPlan PlanBranchMemory(const PartitionResult& partition,
                                  const std::vector<bool>& concurrent,
                                  const std::vector<BranchBuffer>& buffers, size_t alignment = 64);

// "" when no two buffers that can be live at the same time overlap in memory (in the shared
// region or in one branch arena) and every layer's arenas fit the slab; else the first conflict.
std::string CheckBranchMemoryPlan(const std::vector<BranchBuffer>& buffers,
                                  const BranchMemoryPlan& plan);

}  // namespace parallax
