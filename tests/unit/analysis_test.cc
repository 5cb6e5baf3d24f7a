// The graph analyzer (src/analysis): branches, layers, W and C on hand-built step graphs, and
// the critical path against a brute-force longest path on random DAGs.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "analysis/cost_model.h"
#include "analysis/partition.h"

namespace parallax {
namespace {

StepGraph Make(std::vector<std::vector<int32_t>> preds, std::vector<double> cost = {}) {
  StepGraph g;
  g.preds = std::move(preds);
  g.cost_ms = cost.empty() ? std::vector<double>(g.preds.size(), 1.0) : std::move(cost);
  return g;
}

std::vector<std::vector<int32_t>> BranchSteps(const PartitionResult& p) {
  std::vector<std::vector<int32_t>> out;
  for (const Branch& b : p.branches) out.push_back(b.steps);
  return out;
}

using Lists = std::vector<std::vector<int32_t>>;

TEST(Partition, ChainIsOneBranch) {
  auto p = Partition(Make({{}, {0}, {1}, {2}}));
  EXPECT_EQ(BranchSteps(p), (Lists{{0, 1, 2, 3}}));
  EXPECT_EQ(p.layers, (Lists{{0}}));
  EXPECT_DOUBLE_EQ(p.work_ms, 4);
  EXPECT_DOUBLE_EQ(p.critical_path_ms, 4);
  EXPECT_DOUBLE_EQ(p.Bound(8), 1.0);
}

TEST(Partition, Diamond) {
  // 0 -> {1, 2} -> 3
  auto p = Partition(Make({{}, {0}, {0}, {1, 2}}, {1, 2, 3, 1}));
  EXPECT_EQ(BranchSteps(p), (Lists{{0}, {1}, {2}, {3}}));
  EXPECT_EQ(p.layers, (Lists{{0}, {1, 2}, {3}}));
  EXPECT_EQ(p.branches[3].preds, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(p.branches[0].succs, (std::vector<int32_t>{1, 2}));
  EXPECT_DOUBLE_EQ(p.work_ms, 7);
  EXPECT_DOUBLE_EQ(p.critical_path_ms, 5);
  EXPECT_EQ(p.MaxWidth(), 2);
}

TEST(Partition, FanOutFanInWithChains) {
  // 0 -> {1->2, 3->4->5, 6} -> 7 -> 8
  auto p = Partition(Make({{}, {0}, {1}, {0}, {3}, {4}, {0}, {2, 5, 6}, {7}}));
  EXPECT_EQ(BranchSteps(p), (Lists{{0}, {1, 2}, {3, 4, 5}, {6}, {7, 8}}));
  EXPECT_EQ(p.layers, (Lists{{0}, {1, 2, 3}, {4}}));
  EXPECT_DOUBLE_EQ(p.critical_path_ms, 6);  // 0 3 4 5 7 8
  EXPECT_DOUBLE_EQ(p.work_ms, 9);
  EXPECT_DOUBLE_EQ(p.Bound(2), 1.5);
}

TEST(Partition, NestedForks) {
  // 0 -> {1, 2}; 1 -> {3, 4}; {3, 4} -> 5; {5, 2} -> 6
  auto p = Partition(Make({{}, {0}, {0}, {1}, {1}, {3, 4}, {5, 2}}));
  EXPECT_EQ(BranchSteps(p), (Lists{{0}, {1}, {2}, {3}, {4}, {5}, {6}}));
  EXPECT_EQ(p.layers, (Lists{{0}, {1, 2}, {3, 4}, {5}, {6}}));
  EXPECT_EQ(p.branches[6].preds, (std::vector<int32_t>{2, 5}));
}

TEST(Partition, IndependentSourcesAndDuplicateEdges) {
  // Two inputs' chains (0->1, 2->3) joined by 4; 4 reads 3 twice.
  auto p = Partition(Make({{}, {0}, {}, {2}, {1, 3, 3}}));
  EXPECT_EQ(BranchSteps(p), (Lists{{0, 1}, {2, 3}, {4}}));
  EXPECT_EQ(p.layers, (Lists{{0, 1}, {2}}));
}

// Brute force: the most expensive of all source-to-sink paths, enumerated one by one.
double BruteForceLongestPath(const StepGraph& g) {
  const size_t n = g.preds.size();
  std::vector<std::vector<int32_t>> succs(n);
  std::vector<bool> has_pred(n, false);
  for (size_t s = 0; s < n; ++s) {
    for (int32_t p : g.preds[s]) {
      succs[p].push_back(static_cast<int32_t>(s));
      has_pred[s] = true;
    }
  }
  double best = 0;
  std::function<void(int32_t, double)> walk = [&](int32_t s, double sum) {
    sum += g.cost_ms[s];
    best = std::max(best, sum);
    for (int32_t t : succs[s]) walk(t, sum);
  };
  for (size_t s = 0; s < n; ++s) {
    if (!has_pred[s]) walk(static_cast<int32_t>(s), 0);
  }
  return best;
}

TEST(Partition, RandomDagsMatchBruteForceAndAreWellFormed) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 18);
    StepGraph g;
    g.preds.resize(n);
    for (int s = 0; s < n; ++s) {
      for (int p = 0; p < s; ++p) {
        if (rng() % 4 == 0) g.preds[s].push_back(p);
      }
      g.cost_ms.push_back(0.5 + (rng() % 100) / 10.0);
    }
    PartitionResult p = Partition(g);
    ASSERT_NEAR(p.critical_path_ms, BruteForceLongestPath(g), 1e-9) << "trial " << trial;
    ASSERT_LE(p.critical_path_ms, p.work_ms + 1e-9);
    // Every step in exactly one branch; branches are chains; layers respect dependencies.
    std::vector<int> seen(n, 0);
    for (size_t b = 0; b < p.branches.size(); ++b) {
      const auto& steps = p.branches[b].steps;
      for (size_t i = 0; i < steps.size(); ++i) {
        ++seen[steps[i]];
        ASSERT_EQ(p.branch_of[steps[i]], static_cast<int32_t>(b));
        if (i > 0) {
          ASSERT_EQ(g.preds[steps[i]], std::vector<int32_t>{steps[i - 1]});
        }
      }
    }
    for (int s = 0; s < n; ++s) {
      ASSERT_EQ(seen[s], 1);
      for (int32_t q : g.preds[s]) {
        const auto& from = p.branches[p.branch_of[q]];
        const auto& to = p.branches[p.branch_of[s]];
        if (p.branch_of[q] != p.branch_of[s]) {
          ASSERT_LT(from.layer, to.layer) << "trial " << trial;
        }
      }
    }
  }
}

TEST(CostModel, GemmAndConvFlops) {
  Node mm;
  mm.op_type = "MatMul";
  NodeCost c = EstimateNodeCost(mm, {{{128, 768}, 128 * 768 * 4}, {{768, 3072}, 768 * 3072 * 4}},
                                {{{128, 3072}, 128 * 3072 * 4}});
  EXPECT_DOUBLE_EQ(c.flops, 2.0 * 128 * 768 * 3072);
  EXPECT_TRUE(c.compute_bound);
  Node conv;
  conv.op_type = "Conv";
  c = EstimateNodeCost(conv, {{{1, 16, 32, 32}, 0}, {{32, 16, 3, 3}, 0}}, {{{1, 32, 32, 32}, 0}});
  EXPECT_DOUBLE_EQ(c.flops, 2.0 * 32 * 32 * 32 * 16 * 9);
  // The layout pass's NhwcConv (NHWC data, OIHW weights) costs the same.
  Node nhwc;
  nhwc.op_type = "NhwcConv";
  nhwc.domain = "parallax";
  const NodeCost cn = EstimateNodeCost(nhwc, {{{1, 32, 32, 16}, 0}, {{32, 16, 3, 3}, 0}}, {{{1, 32, 32, 32}, 0}});
  EXPECT_DOUBLE_EQ(cn.flops, c.flops);
  EXPECT_TRUE(cn.compute_bound);
  // A large GEMM scales with threads; a tiny elementwise op does not.
  EXPECT_GT(IntraOpSpeedup(c, 2, CostParams{}), 1.5);
  Node add;
  add.op_type = "Add";
  NodeCost small = EstimateNodeCost(add, {{{64}, 256}, {{64}, 256}}, {{{64}, 256}});
  EXPECT_DOUBLE_EQ(IntraOpSpeedup(small, 4, CostParams{}), 1.0);
  EXPECT_GT(EstimateMs(c, CostParams{}), EstimateMs(small, CostParams{}));
}

}  // namespace
}  // namespace parallax
