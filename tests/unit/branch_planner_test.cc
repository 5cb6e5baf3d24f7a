// The branch-aware memory planner (src/memory/branch_planner.h): exact offsets on hand-built
// lifetimes, and the overlap checker catching a bad plan.
#include <gtest/gtest.h>

#include "memory/branch_planner.h"

namespace parallax {
namespace {

// 0 -> {1 -> 2, 3 -> 4} -> 5: branches {0} {1,2} {3,4} {5}; layers {0} {1,2} {3}.
PartitionResult Diamond() {
  StepGraph g;
  g.preds = {{}, {0}, {1}, {0}, {3}, {2, 4}};
  g.cost_ms.assign(6, 1.0);
  return Partition(g);
}

// A (0 -> 1, 3), B (1 -> 2), C (2 -> 5), D (3 -> 4), E (4 -> 5), F (5 -> graph output).
std::vector<BranchBuffer> Buffers() {
  return {{100, {0, 1, 3}, false}, {200, {1, 2}, false}, {64, {2, 5}, false},
          {300, {3, 4}, false},    {64, {4, 5}, false},  {128, {5}, true}};
}

TEST(BranchPlanner, ConcurrentLayerGetsBranchArenas) {
  const PartitionResult p = Diamond();
  ASSERT_EQ(p.layers.size(), 3u);
  const auto bufs = Buffers();
  BranchMemoryPlan m = PlanBranchMemory(p, {false, true, false}, bufs);
  // B and D are local to branches 1 and 2; the rest cross branches or are outputs.
  EXPECT_EQ(m.arena_of, (std::vector<int32_t>{-1, 1, -1, 2, -1, -1}));
  // Shared region over ticks {0}, {1..4} (one tick), {5}: A [0,1], C [1,2], E [1,2], F [2,3].
  EXPECT_EQ(m.offsets, (std::vector<size_t>{0, 0, 128, 0, 192, 0}));
  EXPECT_EQ(m.shared_bytes, 256u);
  EXPECT_EQ(m.branch_bytes, (std::vector<size_t>{0, 256, 320, 0}));
  EXPECT_EQ(m.layer_bytes, (std::vector<size_t>{0, 576, 0}));
  EXPECT_EQ(m.slab_bytes, 576u);
  EXPECT_EQ(m.peak_bytes, 832u);
  EXPECT_EQ(m.tick_of_step, (std::vector<int32_t>{0, 1, 1, 1, 1, 2}));
  EXPECT_EQ(m.order, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  // Branch 1 runs while A, C and E are live in the shared region (256 bytes) plus its arena.
  EXPECT_EQ(m.branch_peak[1], 256u + 256u);
  EXPECT_EQ(CheckBranchMemoryPlan(bufs, m), "");
}

TEST(BranchPlanner, SequentialLayersShareOneRegionStepByStep) {
  const PartitionResult p = Diamond();
  const auto bufs = Buffers();
  BranchMemoryPlan m = PlanBranchMemory(p, {false, false, false}, bufs);
  EXPECT_EQ(m.arena_of, (std::vector<int32_t>(6, -1)));
  EXPECT_EQ(m.tick_of_step, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  // Largest first: D@0, B@0, A@320, F@0, C@448, E in the gap at 320.
  EXPECT_EQ(m.offsets, (std::vector<size_t>{320, 0, 448, 0, 320, 0}));
  EXPECT_EQ(m.shared_bytes, 512u);
  EXPECT_EQ(m.slab_bytes, 0u);
  EXPECT_EQ(m.peak_bytes, 512u);
  EXPECT_EQ(CheckBranchMemoryPlan(bufs, m), "");
}

TEST(BranchPlanner, CheckerCatchesOverlaps) {
  const PartitionResult p = Diamond();
  const auto bufs = Buffers();
  BranchMemoryPlan m = PlanBranchMemory(p, {false, true, false}, bufs);
  BranchMemoryPlan bad = m;
  bad.offsets[4] = 128;  // E onto C: both live at ticks 1..2
  EXPECT_NE(CheckBranchMemoryPlan(bufs, bad).find("shared region"), std::string::npos);
  bad = m;
  bad.branch_bytes[2] = 64;  // D no longer fits its arena
  EXPECT_NE(CheckBranchMemoryPlan(bufs, bad).find("branch 2"), std::string::npos);
}

TEST(BranchPlanner, ReuseInsideABranchArena) {
  // One concurrent layer of two chains; inside branch 1, X (steps 1-2) and Z (steps 3-4) never
  // overlap, so they share offset 0 of the arena.
  StepGraph g;
  g.preds = {{}, {0}, {1}, {2}, {3}, {0}, {4, 5}};
  g.cost_ms.assign(7, 1.0);
  PartitionResult p = Partition(g);
  ASSERT_EQ(p.branches[1].steps, (std::vector<int32_t>{1, 2, 3, 4}));
  std::vector<BranchBuffer> bufs = {{256, {1, 2}, false}, {64, {2, 3}, false}, {256, {3, 4}, false},
                                    {64, {4, 6}, false}};
  BranchMemoryPlan m = PlanBranchMemory(p, std::vector<bool>(p.layers.size(), true), bufs);
  EXPECT_EQ(m.arena_of, (std::vector<int32_t>{1, 1, 1, -1}));
  EXPECT_EQ(m.offsets[0], 0u);
  EXPECT_EQ(m.offsets[2], 0u);
  EXPECT_EQ(m.offsets[1], 256u);
  EXPECT_EQ(m.branch_bytes[1], 320u);
  EXPECT_EQ(CheckBranchMemoryPlan(bufs, m), "");
}

}  // namespace
}  // namespace parallax
