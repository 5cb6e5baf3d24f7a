// ThreadPool: the one pool of worker threads a session owns. It wraps pthreadpool, so
// XNNPACK operators run on the same threads as our own kernels, and it sets OpenBLAS's
// thread count to match so that the two never oversubscribe the cores.
//
//   ThreadPool pool(2);
//   pool.ParallelFor(rows, /*grain=*/16, [&](int64_t begin, int64_t end) { ... });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

struct pthreadpool;

namespace parallax {

class ThreadPool {
 public:
  // threads <= 0 means the number of online cores.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // For XNNPACK; nullptr when single-threaded (XNNPACK then runs on the caller).
  pthreadpool* handle() {
    lent_ = true;
    return pool_;
  }
  // After XNNPACK used the pool, its workers spin-wait for ~10 ms before sleeping; on a loaded
  // 2-core machine that spinning starves the thread doing the next op. Settle() sends them to
  // sleep at once (a no-op when the pool was not lent since the last call).
  void Settle();

  // Calls fn(begin, end) over disjoint ranges covering [0, n). Ranges hold at least `grain`
  // items, so small loops run inline on the caller. Blocks until all ranges are done.
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // The cores this process may use: the online cores, fewer under a CPU affinity mask or a
  // cgroup CPU quota (cpu.max, or v1's cfs quota; a quota of 1.5 CPUs counts 2). `root`
  // replaces "/" for tests (a fake /proc and /sys tree; the affinity mask is then not read).
  static int UsableCores(const std::string& root = "");
  static int DefaultThreads() { return UsableCores(); }

 private:
  int threads_;
  pthreadpool* pool_ = nullptr;
  std::atomic<bool> lent_{false};  // handle() was called since the last Settle()
};

// ThreadPool::ParallelFor that also accepts no pool (plan-time folding, tests): runs inline.
inline void ParallelFor(ThreadPool* pool, int64_t n, int64_t grain,
                        const std::function<void(int64_t, int64_t)>& fn) {
  if (pool == nullptr) {
    if (n > 0) fn(0, n);
    return;
  }
  pool->ParallelFor(n, grain, fn);
}

}  // namespace parallax
