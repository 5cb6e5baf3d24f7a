#include "memory/planner.h"

#include <gtest/gtest.h>

#include <random>

namespace parallax {
namespace {

TEST(Planner, ExactOffsetsOnHandBuiltLifetimes) {
  // Step:      0   1   2   3
  // a (128)    [-------]
  // b (64)         [-------]
  // c (128)                [--]   reuses a's slot (a dies at step 2... c starts at 3)
  std::vector<BufferUsage> u = {{128, 0, 2}, {64, 1, 3}, {128, 3, 3}};
  MemoryPlan p = PlanMemory(u);
  EXPECT_EQ(p.offsets[0], 0u);
  EXPECT_EQ(p.offsets[2], 0u);
  EXPECT_EQ(p.offsets[1], 128u);
  EXPECT_EQ(p.arena_bytes, 192u);
  EXPECT_EQ(CheckMemoryPlan(u, p), "");
}

TEST(Planner, FreedSlotsAreReusedByLaterBuffers) {
  // Placed largest first: u0 at 0, u1 after it, u2 after both; u3 and u4 start after u0 died
  // and fill its slot from the bottom.
  std::vector<BufferUsage> u = {{256, 0, 0}, {128, 0, 1}, {64, 0, 2}, {64, 1, 2}, {64, 1, 2}};
  MemoryPlan p = PlanMemory(u);
  EXPECT_EQ(p.offsets, (std::vector<size_t>{0, 256, 384, 0, 64}));
  EXPECT_EQ(p.arena_bytes, 448u);
  EXPECT_EQ(p.arena_bytes, PeakLiveBytes(u));
  EXPECT_EQ(CheckMemoryPlan(u, p), "");
}

TEST(Planner, SizesAreAligned) {
  std::vector<BufferUsage> u = {{1, 0, 1}, {1, 0, 1}};
  MemoryPlan p = PlanMemory(u, 64);
  EXPECT_EQ(p.offsets[0] % 64, 0u);
  EXPECT_EQ(p.offsets[1] % 64, 0u);
  EXPECT_NE(p.offsets[0], p.offsets[1]);
  EXPECT_EQ(p.arena_bytes, 128u);
}

TEST(Planner, RandomLifetimesNeverOverlapAndStayNearTheLowerBound) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferUsage> u(1 + rng() % 40);
    for (auto& b : u) {
      b.size = 1 + rng() % 10000;
      b.first = rng() % 30;
      b.last = b.first + rng() % 10;
    }
    MemoryPlan p = PlanMemory(u);
    ASSERT_EQ(CheckMemoryPlan(u, p), "") << "trial " << trial;
    EXPECT_GE(p.arena_bytes, PeakLiveBytes(u));
    EXPECT_LE(p.arena_bytes, 2 * PeakLiveBytes(u)) << "trial " << trial;
  }
}

TEST(Planner, CheckerCatchesAnOverlap) {
  std::vector<BufferUsage> u = {{64, 0, 1}, {64, 1, 2}};
  MemoryPlan bad{{0, 0}, 64};
  EXPECT_NE(CheckMemoryPlan(u, bad), "");
}

}  // namespace
}  // namespace parallax
