#include "analysis/partition.h"

#include <algorithm>

namespace parallax {

double PartitionResult::Bound(int p) const {
  if (critical_path_ms <= 0) return 1.0;
  return std::min(work_ms / critical_path_ms, static_cast<double>(p));
}

int PartitionResult::MaxWidth() const {
  size_t w = 0;
  for (const auto& layer : layers) w = std::max(w, layer.size());
  return static_cast<int>(w);
}

namespace {

std::vector<std::vector<int32_t>> Deduped(const StepGraph& g) {
  std::vector<std::vector<int32_t>> preds = g.preds;
  for (auto& p : preds) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
  }
  return preds;
}

}  // namespace

double CriticalPath(const StepGraph& graph) {
  const auto preds = Deduped(graph);
  std::vector<double> finish(preds.size(), 0.0);
  double best = 0;
  for (size_t s = 0; s < preds.size(); ++s) {
    double start = 0;
    for (int32_t p : preds[s]) start = std::max(start, finish[p]);
    finish[s] = start + graph.cost_ms[s];
    best = std::max(best, finish[s]);
  }
  return best;
}

PartitionResult Partition(const StepGraph& graph) {
  const auto preds = Deduped(graph);
  const size_t n = preds.size();
  std::vector<int32_t> succ_count(n, 0);
  for (const auto& p : preds) {
    for (int32_t q : p) ++succ_count[q];
  }
  PartitionResult r;
  r.branch_of.assign(n, -1);
  for (size_t s = 0; s < n; ++s) {
    int32_t b;
    if (preds[s].size() == 1 && succ_count[preds[s][0]] == 1) {
      b = r.branch_of[preds[s][0]];
    } else {
      b = static_cast<int32_t>(r.branches.size());
      r.branches.emplace_back();
    }
    r.branch_of[s] = b;
    r.branches[b].steps.push_back(static_cast<int32_t>(s));
    r.branches[b].cost_ms += graph.cost_ms[s];
    r.work_ms += graph.cost_ms[s];
  }
  for (size_t s = 0; s < n; ++s) {
    for (int32_t q : preds[s]) {
      int32_t from = r.branch_of[q], to = r.branch_of[s];
      if (from != to) {
        r.branches[to].preds.push_back(from);
        r.branches[from].succs.push_back(to);
      }
    }
  }
  for (Branch& b : r.branches) {
    for (auto* v : {&b.preds, &b.succs}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  }
  // Branch ids follow their first step, which is topological: preds have smaller ids.
  for (Branch& b : r.branches) {
    b.layer = 0;
    for (int32_t p : b.preds) b.layer = std::max(b.layer, r.branches[p].layer + 1);
    if (static_cast<size_t>(b.layer) >= r.layers.size()) r.layers.resize(b.layer + 1);
  }
  for (size_t b = 0; b < r.branches.size(); ++b) {
    r.layers[r.branches[b].layer].push_back(static_cast<int32_t>(b));
  }
  r.critical_path_ms = CriticalPath(graph);
  return r;
}

}  // namespace parallax
