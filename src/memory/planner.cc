#include "memory/planner.h"

#include <algorithm>
#include <numeric>

namespace parallax {
namespace {

size_t RoundUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

bool Overlaps(const BufferUsage& a, const BufferUsage& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferUsage>& usages, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(usages.size(), 0);
  std::vector<size_t> order(usages.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start, then index, so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (usages[a].size != usages[b].size) return usages[a].size > usages[b].size;
    return usages[a].first < usages[b].first;
  });

  std::vector<size_t> placed;  // indices already given an offset
  for (size_t idx : order) {
    const BufferUsage& u = usages[idx];
    const size_t size = RoundUp(u.size, alignment);
    if (size == 0) continue;
    // Blocks that are live at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;  // {offset, end}
    for (size_t p : placed) {
      if (Overlaps(usages[p], u)) {
        busy.emplace_back(plan.offsets[p], plan.offsets[p] + RoundUp(usages[p].size, alignment));
      }
    }
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= cursor + size && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    plan.offsets[idx] = best != SIZE_MAX ? best : cursor;
    plan.arena_bytes = std::max(plan.arena_bytes, plan.offsets[idx] + size);
    placed.push_back(idx);
  }
  return plan;
}

std::string CheckMemoryPlan(const std::vector<BufferUsage>& usages, const MemoryPlan& plan) {
  if (plan.offsets.size() != usages.size()) return "plan has the wrong number of offsets";
  for (size_t i = 0; i < usages.size(); ++i) {
    if (usages[i].size == 0) continue;
    if (plan.offsets[i] + usages[i].size > plan.arena_bytes) {
      return "buffer " + std::to_string(i) + " ends past the arena";
    }
    for (size_t j = i + 1; j < usages.size(); ++j) {
      if (usages[j].size == 0 || !Overlaps(usages[i], usages[j])) continue;
      size_t a0 = plan.offsets[i], a1 = a0 + usages[i].size;
      size_t b0 = plan.offsets[j], b1 = b0 + usages[j].size;
      if (a0 < b1 && b0 < a1) {
        return "buffers " + std::to_string(i) + " and " + std::to_string(j) +
               " are live together and overlap in memory";
      }
    }
  }
  return "";
}

size_t PeakLiveBytes(const std::vector<BufferUsage>& usages, size_t alignment) {
  int32_t steps = 0;
  for (const auto& u : usages) steps = std::max(steps, u.last + 1);
  std::vector<size_t> live(static_cast<size_t>(steps) + 1, 0);
  for (const auto& u : usages) {
    for (int32_t s = u.first; s <= u.last; ++s) live[s] += RoundUp(u.size, alignment);
  }
  return live.empty() ? 0 : *std::max_element(live.begin(), live.end());
}

}  // namespace parallax
