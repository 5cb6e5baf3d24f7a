// ThreadPool (runtime/thread_pool.h): ParallelFor covers every index exactly once in ranges of
// at least `grain` items, with or without spinning workers and from several calling threads at
// once; a pool destroyed at once after construction does not hang; and a run that was
// preempted often turns spinning off for a back-off, after which one run spins again.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"

namespace parallax {
namespace {

// Runs one ParallelFor over n items and checks that each index was visited once, in ranges of
// at least `grain` items (only the last may be shorter).
void CheckCover(ThreadPool& pool, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
  std::atomic<int> short_ranges{0};
  pool.ParallelFor(n, grain, [&](int64_t b, int64_t e) {
    ASSERT_LT(b, e);
    ASSERT_LE(e, n);
    if (e - b < grain && e != n) short_ranges.fetch_add(1);
    for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)].load(), 1) << "index " << i << " of " << n;
  EXPECT_EQ(short_ranges.load(), 0) << "n " << n << " grain " << grain;
}

TEST(ThreadPool, EveryIndexOnceAtRandomSizes) {
  std::mt19937 rng(31);
  std::uniform_int_distribution<int64_t> size(0, 5000), grain(1, 300);
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (int trial = 0; trial < 200; ++trial) CheckCover(pool, size(rng), grain(rng));
  }
}

TEST(ThreadPool, WorkersThatSleepAtOnceStillRunTheLoops) {
  setenv("PARALLAX_SPIN_US", "0", 1);
  ThreadPool pool(3);
  unsetenv("PARALLAX_SPIN_US");
  for (int trial = 0; trial < 50; ++trial) {
    CheckCover(pool, 1000 + trial, 7);
    if (trial % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // workers asleep
  }
}

TEST(ThreadPool, CallersOnSeveralThreadsTakeTurns) {
  ThreadPool pool(2);
  constexpr int kCallers = 4, kCalls = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int k = 0; k < kCalls; ++k) {
        const int64_t n = 100 + 37 * c + k;
        std::vector<int> hits(static_cast<size_t>(n), 0);  // each index written by one range only
        pool.ParallelFor(n, 3, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
        });
        for (int h : hits) failures.fetch_add(h == 1 ? 0 : 1);
        if (k % 50 == 0) pool.Rest();
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, DestroyedRightAfterConstructionDoesNotHang) {
  // The destructor may run before a worker thread has started: the worker must still see it.
  for (int i = 0; i < 200; ++i) {
    auto pool = std::make_unique<ThreadPool>(3);
    if (i % 2 == 0) CheckCover(*pool, 10, 1);
  }
}

TEST(ThreadPool, PreemptedRunTurnsSpinningOffForABackOff) {
  ThreadPool pool(2);
  EXPECT_TRUE(pool.spinning());
  ThreadPool::RunMark quiet = ThreadPool::MarkRun();
  pool.NoteRun(quiet);  // no preemption counted since the mark: spinning stays on
  EXPECT_TRUE(pool.spinning());
  ThreadPool::RunMark preempted = ThreadPool::MarkRun();
  preempted.preempted -= 1000;  // as if other tasks took this thread's core 1000 times
  pool.NoteRun(preempted);
  EXPECT_FALSE(pool.spinning());
  pool.NoteRun(ThreadPool::MarkRun());  // within the back-off (0.5 s): still off
  EXPECT_FALSE(pool.spinning());
  CheckCover(pool, 500, 1);             // loops still run with sleeping workers
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  pool.NoteRun(ThreadPool::MarkRun());  // the back-off is over: the next run spins to look
  EXPECT_TRUE(pool.spinning());
}

}  // namespace
}  // namespace parallax
