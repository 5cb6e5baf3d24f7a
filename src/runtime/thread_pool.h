// ThreadPool: the one pool of worker threads a session owns. ParallelFor runs on its own
// workers, which spin for a short while after each loop (PARALLAX_SPIN_US, default 50 µs)
// before they sleep, so that the next loop of a run does not wait for a wake-up (~35 µs on
// this machine). XNNPACK gets a pthreadpool of the same size (handle()), made on first use.
// OpenBLAS's own thread count is set to 1 so that the two never oversubscribe the cores.
//
//   ThreadPool pool(2);
//   pool.ParallelFor(rows, /*grain=*/16, [&](int64_t begin, int64_t end) { ... });
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  pthreadpool* handle();
  // After XNNPACK used the pthreadpool, its workers spin-wait for ~10 ms before sleeping; on a
  // loaded 2-core machine that spinning starves the thread doing the next op. Settle() sends
  // them to sleep at once (a no-op when the pool was not lent since the last call).
  void Settle();
  // Sends ParallelFor's workers to sleep now instead of after their spin: at the end of a run,
  // and before other threads (lanes) take the cores.
  void Rest();

  // Spinning pays only while the cores are ours: with another task on them, a spinning worker
  // takes time from the thread that has work (CLIP at 2 threads beside a busy loop: 1.32x
  // slower with a 50 µs spin than without). A run counts the involuntary context switches of
  // its thread, i.e. other tasks taking its core: MarkRun() at its start, NoteRun() at its end,
  // on the same thread. While they are frequent the workers sleep at once after each loop.
  struct RunMark {
    long preempted = 0;
    int64_t start_ns = 0;
  };
  static RunMark MarkRun();
  void NoteRun(const RunMark& mark);
  bool spinning() const { return spin_on_.load(std::memory_order_relaxed); }

  // Calls fn(begin, end) over disjoint ranges covering [0, n). Ranges hold at least `grain`
  // items, so small loops run inline on the caller. Blocks until all ranges are done. Calls
  // from several threads at once take turns; fn must not call ParallelFor on this pool.
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // The cores this process may use: the online cores, fewer under a CPU affinity mask or a
  // cgroup CPU quota (cpu.max, or v1's cfs quota; a quota of 1.5 CPUs counts 2). `root`
  // replaces "/" for tests (a fake /proc and /sys tree; the affinity mask is then not read).
  static int UsableCores(const std::string& root = "");
  static int DefaultThreads() { return UsableCores(); }

 private:
  void WorkerLoop();
  void RunChunks(uint32_t epoch);  // claims and runs chunks of job `epoch` until none is left

  int threads_;
  int64_t spin_ns_;  // how long an idle worker spins before it sleeps
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // one job at a time
  // The current job. A job is published by storing claim_ (epoch << 32 | count << 16 | next
  // chunk) and then bumping epoch_; a worker reads fn_, n_ and chunk_ only after it has
  // claimed a chunk of that epoch, and the caller does not return (or start another job)
  // before pending_, the chunks not yet finished, is 0.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> pending_{0};
  std::atomic<uint32_t> epoch_{0};
  std::atomic<uint32_t> naps_{0};   // bumped by Settle(): spinning workers go to sleep
  std::atomic<int> sleepers_{0};    // workers asleep, or about to be, on sleep_cv_
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> spin_on_{true};
  static constexpr int64_t kFirstBackoffMs = 500, kMaxBackoffMs = 8000;
  std::atomic<int64_t> backoff_ms_{kFirstBackoffMs};
  std::atomic<int64_t> off_until_ns_{0};
  std::once_flag xnn_once_;
  std::atomic<pthreadpool*> xnn_{nullptr};
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
