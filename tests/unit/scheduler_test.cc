// The scheduling policy (src/runtime/scheduler.h) and the system-memory reader
// (src/runtime/memory_budget.h), as pure functions.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/memory_budget.h"
#include "runtime/scheduler.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

TEST(Scheduler, LaneThreadsSplitTheBudget) {
  EXPECT_EQ(LaneThreads(2, 2), (std::vector<int>{1, 1}));
  EXPECT_EQ(LaneThreads(4, 2), (std::vector<int>{2, 2}));
  EXPECT_EQ(LaneThreads(5, 2), (std::vector<int>{3, 2}));
  EXPECT_EQ(LaneThreads(8, 3), (std::vector<int>{3, 3, 2}));
  EXPECT_EQ(LaneThreads(1, 1), (std::vector<int>{1}));
}

TEST(Scheduler, PickBranchesTakesTheLargestSetThatFits) {
  std::vector<size_t> need = {100, 50, 300, 50, 10};
  EXPECT_EQ(PickBranches({0, 1, 2, 3, 4}, need, 1000), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(PickBranches({0, 1, 2, 3, 4}, need, 210), (std::vector<int32_t>{0, 1, 3, 4}));
  EXPECT_EQ(PickBranches({0, 2}, need, 150), (std::vector<int32_t>{0}));
  EXPECT_TRUE(PickBranches({2}, need, 299).empty());
  EXPECT_EQ(PickBranches({2}, need, 300), (std::vector<int32_t>{2}));
}

// A fork of `k` branches of one step each, with the given costs, then a join.
PartitionResult Fork(const std::vector<double>& costs, StepCosts* sc, bool compute_bound, double flops) {
  StepGraph g;
  g.preds.push_back({});
  g.cost_ms.push_back(0.01);
  std::vector<int32_t> join;
  for (double c : costs) {
    join.push_back(static_cast<int32_t>(g.preds.size()));
    g.preds.push_back({0});
    g.cost_ms.push_back(c);
  }
  g.preds.push_back(join);
  g.cost_ms.push_back(0.01);
  sc->ms1 = g.cost_ms;
  sc->cost.assign(g.preds.size(), NodeCost{flops, 0, compute_bound, compute_bound ? 1 << 20 : 64});
  return Partition(g);
}

TEST(Scheduler, SmallUnsplittableOpsRunConcurrently) {
  StepCosts sc;
  PartitionResult p = Fork({0.2, 0.2, 0.2, 0.2}, &sc, false, 64);  // too small to split
  auto d = PlanLayers(p, sc, 2, BranchPolicy::kAuto, CostParams{});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].lanes, 2);  // no intra-op speedup to lose: two lanes halve the layer
  EXPECT_NEAR(d[1].sequential_ms, 0.8, 1e-9);
  EXPECT_NEAR(d[1].concurrent_ms, 0.4 + kWaveOverheadMs, 1e-9);
  EXPECT_EQ(d[0].lanes, 1);
  EXPECT_EQ(d[2].lanes, 1);
  // The same shape 100 times smaller: the gain is real but below kMinGainMs.
  StepCosts tiny;
  PartitionResult q = Fork({0.002, 0.002, 0.002, 0.002}, &tiny, false, 64);
  EXPECT_EQ(PlanLayers(q, tiny, 2, BranchPolicy::kAuto, CostParams{})[1].lanes, 1);
}

TEST(Scheduler, LargeGemmsKeepAllThreadsEach) {
  StepCosts sc;
  // Three equal GEMMs on 2 threads: sequentially 3 × t / 1.7; on two lanes 2 × t.
  PartitionResult p = Fork({5, 5, 5}, &sc, true, 1e9);
  auto d = PlanLayers(p, sc, 2, BranchPolicy::kAuto, CostParams{});
  EXPECT_EQ(d[1].lanes, 1);
  auto all = PlanLayers(p, sc, 2, BranchPolicy::kAll, CostParams{});
  EXPECT_EQ(all[1].lanes, 2);
}

TEST(Scheduler, AssignLanesBalancesLongestFirst) {
  StepCosts sc;
  PartitionResult p = Fork({4, 3, 3, 2}, &sc, false, 64);
  double makespan = 0;
  auto lanes = AssignLanes(p, sc, {1, 2, 3, 4}, {1, 1}, CostParams{}, &makespan);
  ASSERT_EQ(lanes.size(), 2u);
  EXPECT_EQ(lanes[0], (std::vector<int32_t>{1, 4}));  // 4 + 2
  EXPECT_EQ(lanes[1], (std::vector<int32_t>{2, 3}));  // 3 + 3
  EXPECT_NEAR(makespan, 6, 1e-9);
}

namespace fs = std::filesystem;

// An empty fake "/" for the readers' `root` argument, with proc/self and the cgroup "app".
fs::path FakeRoot(const std::string& name) {
  const fs::path root = fs::temp_directory_path() / name;
  fs::remove_all(root);
  fs::create_directories(root / "proc/self");
  fs::create_directories(root / "sys/fs/cgroup/app");
  return root;
}

TEST(MemoryBudget, ReadsMeminfoAndCgroupV2) {
  const fs::path root = FakeRoot("parallax_fake_root");
  std::ofstream(root / "proc/meminfo") << "MemTotal: 1000000 kB\nMemAvailable:  500000 kB\n";
  std::ofstream(root / "proc/self/cgroup") << "0::/app\n";
  std::ofstream(root / "sys/fs/cgroup/app/memory.max") << "max\n";
  std::ofstream(root / "sys/fs/cgroup/app/memory.current") << "1000\n";
  SystemMemory m = ReadSystemMemory(root.string());
  EXPECT_EQ(m.available, 500000u * 1024);
  EXPECT_EQ(m.limited_by, "MemAvailable");
  std::ofstream(root / "sys/fs/cgroup/app/memory.max") << "300000000\n";
  m = ReadSystemMemory(root.string());
  EXPECT_EQ(m.available, 300000000u - 1000);
  EXPECT_EQ(m.limited_by, "cgroup v2");
  // The margin applies to the system's figure, not to the user's budget.
  EXPECT_EQ(EffectiveBudget(0, m, 0.10), static_cast<size_t>((300000000.0 - 1000) * 0.9));
  EXPECT_EQ(EffectiveBudget(1000, m, 0.10), 1000u);
  EXPECT_EQ(EffectiveBudget(0, SystemMemory{}, 0.10), SIZE_MAX);
  fs::remove_all(root);
}

TEST(UsableCores, CgroupQuotasCapTheOnlineCores) {
  const fs::path root = FakeRoot("parallax_fake_cpu_root");
  fs::create_directories(root / "sys/fs/cgroup/cpu");
  const int online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), online);  // no cgroup files: the online cores
  std::ofstream(root / "proc/self/cgroup") << "0::/app\n";
  std::ofstream(root / "sys/fs/cgroup/app/cpu.max") << "max 100000\n";
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), online);
  std::ofstream(root / "sys/fs/cgroup/app/cpu.max") << "150000 100000\n";  // 1.5 CPUs count 2
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), std::min(online, 2));
  std::ofstream(root / "sys/fs/cgroup/app/cpu.max") << "50000 100000\n";
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), 1);
  fs::remove(root / "sys/fs/cgroup/app/cpu.max");
  std::ofstream(root / "sys/fs/cgroup/cpu/cpu.cfs_quota_us") << "-1\n";
  std::ofstream(root / "sys/fs/cgroup/cpu/cpu.cfs_period_us") << "100000\n";
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), online);
  std::ofstream(root / "sys/fs/cgroup/cpu/cpu.cfs_quota_us") << "100000\n";
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), 1);
  std::ofstream(root / "sys/fs/cgroup/app/cpu.max") << "garbage 100000\n";  // unreadable: ignored
  EXPECT_EQ(ThreadPool::UsableCores(root.string()), 1);
  fs::remove_all(root);
}

}  // namespace
}  // namespace parallax
