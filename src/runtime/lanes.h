// Lanes: the thread budget split for a concurrent wave of branches. A LaneSet for k lanes out of
// P threads owns k thread pools whose sizes add up to P (LaneThreads) and k - 1 runner threads;
// lane 0 runs on the caller. While a wave runs, the session's main pool sleeps, so no more than
// P threads are ever runnable.
//
//   LaneSet lanes(/*threads=*/4, /*lanes=*/2);        // two lanes of two threads
//   Status st = lanes.Run([&](int lane, ThreadPool* pool) { return RunBranches(lane, pool); });
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "parallax/status.h"
#include "runtime/thread_pool.h"

namespace parallax {

class LaneSet {
 public:
  LaneSet(int threads, int lanes);
  ~LaneSet();
  LaneSet(const LaneSet&) = delete;
  LaneSet& operator=(const LaneSet&) = delete;

  int lanes() const { return static_cast<int>(pools_.size()); }
  ThreadPool* pool(int lane) { return pools_[lane].get(); }

  // Calls fn(lane, pool) once per lane, all lanes at the same time; returns when every lane
  // is done, with the first error (by lane) if any. One Run at a time (callers lock mu()).
  Status Run(const std::function<Status(int, ThreadPool*)>& fn);

  // Held by the executor while it uses this set; try_lock fails when another Run has it.
  std::mutex& mu() { return use_mu_; }

 private:
  void RunnerLoop(int lane);

  std::vector<std::unique_ptr<ThreadPool>> pools_;
  std::vector<std::thread> runners_;
  std::mutex use_mu_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<Status(int, ThreadPool*)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::vector<Status> results_;
};

}  // namespace parallax

namespace parallax {

// The lane sets of one session, made on first use: one per lane count, for `threads` threads.
class LanePool {
 public:
  explicit LanePool(int threads) : threads_(threads) {}
  int threads() const { return threads_; }
  // A lane set with `lanes` lanes, locked for the caller; nullptr when another run holds it
  // (the caller then runs the wave one branch at a time). Unlock with Release.
  LaneSet* Acquire(int lanes);
  void Release(LaneSet* set) { set->mu().unlock(); }

 private:
  int threads_;
  std::mutex mu_;
  std::vector<std::unique_ptr<LaneSet>> sets_;  // index = lane count
};

}  // namespace parallax
