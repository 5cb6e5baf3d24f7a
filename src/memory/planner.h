// The memory planner: a pure function from buffer lifetimes to arena offsets.
//
//   std::vector<BufferUsage> usages = {{/*size=*/1024, /*first=*/0, /*last=*/2},
//                                      {512, 1, 3}};
//   MemoryPlan plan = PlanMemory(usages);   // plan.offsets[i], plan.arena_bytes
//
// Strategy (as TFLite's and XNNPACK's planners): take buffers largest first; place each in
// the smallest gap between already-placed buffers whose lifetimes overlap its own, else after
// the highest of them. Lifetimes are inclusive step ranges [first, last].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parallax {

struct BufferUsage {
  size_t size = 0;
  int32_t first = 0;  // step that writes the buffer
  int32_t last = 0;   // last step that reads it (>= first)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // parallel to the usages
  size_t arena_bytes = 0;       // peak: the arena size the plan needs
};

// Sizes are rounded up to `alignment` (a power of two); offsets are multiples of it.
MemoryPlan PlanMemory(const std::vector<BufferUsage>& usages, size_t alignment = 64);

// Returns "" when no two buffers with overlapping lifetimes overlap in memory and every buffer
// fits in the arena; otherwise a description of the first conflict.
std::string CheckMemoryPlan(const std::vector<BufferUsage>& usages, const MemoryPlan& plan);

// The lower bound of any plan: the largest total size of buffers live at one step.
size_t PeakLiveBytes(const std::vector<BufferUsage>& usages, size_t alignment = 64);

}  // namespace parallax
