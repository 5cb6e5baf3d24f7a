// The graph analyzer: splits the executed steps of a plan into branches and layers.
//
//   StepGraph g;                       // one vertex per executed step, in topological order
//   g.preds = {{}, {0}, {0}, {1, 2}};  // a diamond
//   g.cost_ms = {1, 2, 3, 1};
//   PartitionResult p = Partition(g);  // branches {0} {1} {2} {3}; layers {0} {1,2} {3}
//   p.work_ms / p.critical_path_ms     // W / C = 7 / 5
//
// A branch is a maximal chain: a step continues its predecessor's branch when it has exactly
// one predecessor and that predecessor has exactly one successor. So a step with several
// consumers ends a branch and a step with several producers starts one. Layers are the
// topological levels of the branch DAG: every branch in a layer depends only on branches of
// earlier layers, so the branches of one layer may run at the same time.
#pragma once

#include <cstdint>
#include <vector>

namespace parallax {

struct StepGraph {
  // preds[s]: the steps whose outputs step s reads (each < s; duplicates are ignored).
  std::vector<std::vector<int32_t>> preds;
  // Estimated (or measured) time of each step on one thread, in milliseconds.
  std::vector<double> cost_ms;
};

struct Branch {
  std::vector<int32_t> steps;         // a chain, in execution order
  std::vector<int32_t> preds, succs;  // neighbouring branches, sorted
  int32_t layer = 0;
  double cost_ms = 0;                 // sum over its steps
};

struct PartitionResult {
  std::vector<Branch> branches;              // ordered by their first step
  std::vector<int32_t> branch_of;            // step -> branch
  std::vector<std::vector<int32_t>> layers;  // layer -> branches, ascending
  double work_ms = 0;                        // W: total cost
  double critical_path_ms = 0;               // C: the costliest dependency chain

  // min(W / C, p): the speedup p threads could give from branch parallelism alone.
  double Bound(int p) const;
  int MaxWidth() const;  // the most branches in one layer
};

// Requires preds[s][*] < s and cost_ms.size() == preds.size().
PartitionResult Partition(const StepGraph& graph);

// Longest path (sum of step costs) through the DAG.
double CriticalPath(const StepGraph& graph);

}  // namespace parallax
