// The per-node cost model: FLOPs and bytes moved from a node's static shapes, turned into an
// estimated time on one thread and an estimated intra-op speedup on p threads.
//
//   NodeCost c = EstimateNodeCost(node, {{{128, 768}, 393216}, {{768, 768}, 2359296}},
//                                 {{{128, 768}, 393216}});
//   double ms = EstimateMs(c, CostParams{});          // one thread
//   double s2 = IntraOpSpeedup(c, 2, CostParams{});   // about 1.85 for a GEMM this size
//
// A measured profile replaces EstimateMs (runtime/scheduler.h); the speedup model stays.
#pragma once

#include <cstddef>
#include <vector>

#include "ir/graph.h"

namespace parallax {

struct TensorInfo {
  Shape shape;
  size_t bytes = 0;
};

struct NodeCost {
  double flops = 0;       // arithmetic operations
  double bytes = 0;       // read + written
  bool compute_bound = false;  // GEMM-like: limited by FLOPs, not memory
  int64_t items = 0;      // output elements: how finely it can be split over threads
};

// Device constants for one core. The defaults are this project's host (docs/benchmarks.md).
struct CostParams {
  double gemm_gflops = 90;       // per core, for GEMM/convolution
  double simple_gflops = 6;      // per core, for elementwise arithmetic
  double gbytes_per_s = 12;      // per core memory bandwidth
  double step_overhead_ms = 0.003;  // dispatch cost of one step
  // Of each extra thread, for large compute-bound nodes. The five reference models measured
  // 1.61-1.96x from 1 to 2 threads here (session 10, docs/benchmarks.md); 0.76 puts the
  // simulator's 2-thread predictions within -10.4% .. +7.4% of them (0.70: -3.4% .. +13.9%).
  double parallel_efficiency = 0.76;
};

// `inputs` / `outputs` parallel to node.inputs / node.outputs (a missing input: empty shape).
NodeCost EstimateNodeCost(const Node& node, const std::vector<TensorInfo>& inputs,
                          const std::vector<TensorInfo>& outputs);

// Estimated milliseconds on one thread.
double EstimateMs(const NodeCost& cost, const CostParams& params);

// Estimated speedup of one node run on `threads` threads (1 for nodes too small to split).
double IntraOpSpeedup(const NodeCost& cost, int threads, const CostParams& params);

}  // namespace parallax
