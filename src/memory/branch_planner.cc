#include "memory/branch_planner.h"

#include <algorithm>

namespace parallax {
namespace {

size_t RoundUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

BranchMemoryPlan PlanBranchMemory(const PartitionResult& partition,
                                  const std::vector<bool>& concurrent,
                                  const std::vector<BranchBuffer>& buffers, size_t alignment) {
  BranchMemoryPlan m;
  const size_t nb = partition.branches.size();
  auto is_concurrent = [&](int32_t layer) {
    return static_cast<size_t>(layer) < concurrent.size() && concurrent[layer] &&
           partition.layers[layer].size() > 1;
  };
  // Ticks, and each step's position inside its branch.
  m.tick_of_step.assign(partition.branch_of.size(), 0);
  std::vector<int32_t> local_index(partition.branch_of.size(), 0);
  int32_t tick = 0;
  for (size_t l = 0; l < partition.layers.size(); ++l) {
    const bool conc = is_concurrent(static_cast<int32_t>(l));
    for (int32_t b : partition.layers[l]) {
      const auto& steps = partition.branches[b].steps;
      for (size_t i = 0; i < steps.size(); ++i) {
        m.order.push_back(steps[i]);
        local_index[steps[i]] = static_cast<int32_t>(i);
        m.tick_of_step[steps[i]] = conc ? tick : tick++;
      }
    }
    if (conc) ++tick;
  }
  const int32_t end_tick = tick;

  m.arena_of.assign(buffers.size(), -1);
  m.offsets.assign(buffers.size(), 0);
  m.shared_usages.assign(buffers.size(), BufferUsage{0, 0, 0});
  m.branch_usages.assign(nb, {});
  m.branch_buffers.assign(nb, {});
  for (size_t i = 0; i < buffers.size(); ++i) {
    const BranchBuffer& buf = buffers[i];
    if (buf.steps.empty() || buf.size == 0) continue;
    const int32_t b = partition.branch_of[buf.steps[0]];
    bool local = !buf.graph_output && is_concurrent(partition.branches[b].layer);
    for (int32_t s : buf.steps) local = local && partition.branch_of[s] == b;
    if (local) {
      int32_t first = INT32_MAX, last = -1;
      for (int32_t s : buf.steps) {
        first = std::min(first, local_index[s]);
        last = std::max(last, local_index[s]);
      }
      m.arena_of[i] = b;
      m.branch_buffers[b].push_back(static_cast<int32_t>(i));
      m.branch_usages[b].push_back(BufferUsage{buf.size, first, last});
    } else {
      int32_t first = INT32_MAX, last = -1;
      for (int32_t s : buf.steps) {
        first = std::min(first, m.tick_of_step[s]);
        last = std::max(last, m.tick_of_step[s]);
      }
      if (buf.graph_output) last = end_tick;
      m.shared_usages[i] = BufferUsage{buf.size, first, last};
    }
  }
  MemoryPlan shared = PlanMemory(m.shared_usages, alignment);
  m.shared_bytes = shared.arena_bytes;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (m.arena_of[i] < 0) m.offsets[i] = shared.offsets[i];
  }
  m.branch_bytes.assign(nb, 0);
  for (size_t b = 0; b < nb; ++b) {
    if (m.branch_usages[b].empty()) continue;
    MemoryPlan local = PlanMemory(m.branch_usages[b], alignment);
    m.branch_bytes[b] = RoundUp(local.arena_bytes, alignment);
    for (size_t j = 0; j < m.branch_buffers[b].size(); ++j) {
      m.offsets[m.branch_buffers[b][j]] = local.offsets[j];
    }
  }
  m.layer_bytes.assign(partition.layers.size(), 0);
  for (size_t l = 0; l < partition.layers.size(); ++l) {
    for (int32_t b : partition.layers[l]) m.layer_bytes[l] += m.branch_bytes[b];
    m.slab_bytes = std::max(m.slab_bytes, m.layer_bytes[l]);
  }
  m.peak_bytes = m.shared_bytes + m.slab_bytes;
  // Shared-region bytes live at each tick, for per-branch peaks.
  std::vector<size_t> live(static_cast<size_t>(end_tick) + 1, 0);
  for (const BufferUsage& u : m.shared_usages) {
    if (u.size == 0) continue;
    for (int32_t t = u.first; t <= u.last; ++t) live[t] += RoundUp(u.size, alignment);
  }
  m.branch_peak.assign(nb, 0);
  for (size_t b = 0; b < nb; ++b) {
    size_t shared_live = 0;
    for (int32_t s : partition.branches[b].steps) {
      shared_live = std::max(shared_live, live[m.tick_of_step[s]]);
    }
    m.branch_peak[b] = shared_live + m.branch_bytes[b];
  }
  return m;
}

std::string CheckBranchMemoryPlan(const std::vector<BranchBuffer>& buffers,
                                  const BranchMemoryPlan& plan) {
  if (plan.offsets.size() != buffers.size()) return "plan has the wrong number of buffers";
  MemoryPlan shared{plan.offsets, plan.shared_bytes};
  std::vector<BufferUsage> shared_usages = plan.shared_usages;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (plan.arena_of[i] >= 0) shared_usages[i].size = 0;
  }
  std::string err = CheckMemoryPlan(shared_usages, shared);
  if (!err.empty()) return "shared region: " + err;
  for (size_t b = 0; b < plan.branch_usages.size(); ++b) {
    MemoryPlan local;
    local.arena_bytes = plan.branch_bytes[b];
    for (int32_t i : plan.branch_buffers[b]) local.offsets.push_back(plan.offsets[i]);
    err = CheckMemoryPlan(plan.branch_usages[b], local);
    if (!err.empty()) return "branch " + std::to_string(b) + " arena: " + err;
  }
  for (size_t l = 0; l < plan.layer_bytes.size(); ++l) {
    if (plan.layer_bytes[l] > plan.slab_bytes) return "layer " + std::to_string(l) + " overflows the slab";
  }
  return "";
}

}  // namespace parallax
