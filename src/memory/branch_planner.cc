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
  // Execution units: a step of a sequential layer, or a whole concurrent layer. They run in
  // Kahn order, always taking the ready unit whose first step comes first in the plan, so that
  // without concurrent layers the order (and the memory plan) is exactly the sequential one.
  // Cross-branch edges always leave a branch's last step and enter a branch's first step.
  const size_t nsteps = partition.branch_of.size();
  std::vector<int32_t> unit_of(nsteps), local_index(nsteps, 0);
  std::vector<int32_t> layer_unit(partition.layers.size(), -1);
  std::vector<int32_t> unit_first;  // smallest step index per unit
  for (size_t s = 0; s < nsteps; ++s) {
    const int32_t layer = partition.branches[partition.branch_of[s]].layer;
    if (is_concurrent(layer)) {
      if (layer_unit[layer] < 0) {
        layer_unit[layer] = static_cast<int32_t>(unit_first.size());
        unit_first.push_back(static_cast<int32_t>(s));
      }
      unit_of[s] = layer_unit[layer];
    } else {
      unit_of[s] = static_cast<int32_t>(unit_first.size());
      unit_first.push_back(static_cast<int32_t>(s));
    }
  }
  for (const Branch& br : partition.branches) {
    for (size_t i = 0; i < br.steps.size(); ++i) local_index[br.steps[i]] = static_cast<int32_t>(i);
  }
  const size_t nunits = unit_first.size();
  std::vector<std::vector<int32_t>> unit_succs(nunits);
  std::vector<int32_t> waiting(nunits, 0);
  auto add_edge = [&](int32_t from_step, int32_t to_step) {
    const int32_t a = unit_of[from_step], b = unit_of[to_step];
    if (a == b) return;
    unit_succs[a].push_back(b);
    ++waiting[b];
  };
  for (const Branch& br : partition.branches) {
    for (size_t i = 1; i < br.steps.size(); ++i) add_edge(br.steps[i - 1], br.steps[i]);
    for (int32_t p : br.preds) add_edge(partition.branches[p].steps.back(), br.steps.front());
  }
  std::vector<int32_t> ready;  // a min-heap on first step
  auto cmp = [&](int32_t a, int32_t b) { return unit_first[a] > unit_first[b]; };
  for (size_t u = 0; u < nunits; ++u) {
    if (waiting[u] == 0) ready.push_back(static_cast<int32_t>(u));
  }
  std::make_heap(ready.begin(), ready.end(), cmp);
  m.tick_of_step.assign(nsteps, 0);
  int32_t tick = 0;
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), cmp);
    const int32_t u = ready.back();
    ready.pop_back();
    const int32_t s0 = unit_first[u];
    const int32_t layer = partition.branches[partition.branch_of[s0]].layer;
    if (layer_unit[layer] == u) {
      for (int32_t b : partition.layers[layer]) {
        for (int32_t s : partition.branches[b].steps) {
          m.order.push_back(s);
          m.tick_of_step[s] = tick;
        }
      }
      m.tick_layer.push_back(layer);
    } else {
      m.order.push_back(s0);
      m.tick_of_step[s0] = tick;
      m.tick_layer.push_back(-1);
    }
    m.tick_step.push_back(s0);
    ++tick;
    for (int32_t v : unit_succs[u]) {
      if (--waiting[v] == 0) {
        ready.push_back(v);
        std::push_heap(ready.begin(), ready.end(), cmp);
      }
    }
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
