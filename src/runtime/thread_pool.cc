#include "runtime/thread_pool.h"

#include <pthreadpool.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "runtime/cgroup.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace parallax {

namespace {
// CPUs a CFS quota allows, rounded up; 0 when there is no quota.
int QuotaCpus(int64_t quota, int64_t period) {
  if (quota <= 0 || period <= 0) return 0;
  return static_cast<int>(std::min<int64_t>((quota + period - 1) / period, 1 << 20));
}
}  // namespace

int ThreadPool::UsableCores(const std::string& root) {
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int n = online > 0 ? static_cast<int>(online) : 1;
  if (root.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) n = std::min(n, CPU_COUNT(&set));
  }
  // cgroup v2: the quota in cpu.max as "QUOTA PERIOD" or "max PERIOD".
  if (const std::string dir = CgroupV2Dir(root); !dir.empty()) {
    std::ifstream f(dir + "/cpu.max");
    std::string quota;
    int64_t period = 0;
    if (f >> quota >> period && quota != "max") {
      int64_t q = 0;
      try {
        q = std::stoll(quota);
      } catch (...) {
        q = 0;
      }
      if (int c = QuotaCpus(q, period); c > 0) n = std::min(n, c);
    }
  }
  std::ifstream q1(root + "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p1(root + "/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  int64_t quota = 0, period = 0;
  if (q1 >> quota && p1 >> period) {
    if (int c = QuotaCpus(quota, period); c > 0) n = std::min(n, c);
  }
  return std::max(n, 1);
}

namespace {
// Spin for the next job this long before sleeping (PARALLAX_SPIN_US overrides; 0: sleep at once).
int64_t SpinNanoseconds() {
  const char* env = std::getenv("PARALLAX_SPIN_US");
  const long us = env != nullptr ? std::strtol(env, nullptr, 10) : 50;
  return std::clamp<long>(us, 0, 100000) * 1000;
}
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
constexpr uint64_t Claim(uint32_t epoch, int64_t count, int64_t next) {
  return uint64_t{epoch} << 32 | static_cast<uint64_t>(count) << 16 | static_cast<uint64_t>(next);
}
}  // namespace

ThreadPool::ThreadPool(int threads)
    : threads_(threads > 0 ? threads : DefaultThreads()), spin_ns_(SpinNanoseconds()) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  // OpenBLAS stays single-threaded: GEMMs split their blocks over this pool (kernels/gemm.h).
  openblas_set_num_threads(1);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(submit_mu_);
    stop_.store(true, std::memory_order_seq_cst);
    epoch_.fetch_add(1, std::memory_order_seq_cst);
  }
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    sleep_cv_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
  if (pthreadpool* p = xnn_.load()) pthreadpool_destroy(p);
}

pthreadpool* ThreadPool::handle() {
  if (threads_ <= 1) return nullptr;
  std::call_once(xnn_once_, [this] { xnn_.store(pthreadpool_create(static_cast<size_t>(threads_))); });
  lent_ = true;
  return xnn_.load();
}

void ThreadPool::WorkerLoop() {
  using Clock = std::chrono::steady_clock;
  // The epoch at construction: a job (or the destructor) may come before this thread runs.
  uint32_t seen = 0;
  for (;;) {
    uint32_t e = epoch_.load(std::memory_order_acquire);
    if (e == seen) {
      const auto start = Clock::now();
      const uint32_t naps = naps_.load(std::memory_order_relaxed);
      for (int i = 1; (e = epoch_.load(std::memory_order_acquire)) == seen; ++i) {
        CpuRelax();
        if (i % 64 != 0) continue;
        if (naps_.load(std::memory_order_relaxed) != naps ||
            !spin_on_.load(std::memory_order_relaxed) ||
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count() >= spin_ns_) {
          // Registered before the last look at epoch_, so a job published after that look
          // notifies (both sides seq_cst: ParallelFor bumps epoch_, then reads sleepers_).
          std::unique_lock<std::mutex> lock(sleep_mu_);
          sleepers_.fetch_add(1, std::memory_order_seq_cst);
          sleep_cv_.wait(lock, [&] { return epoch_.load(std::memory_order_seq_cst) != seen || stop_.load(); });
          sleepers_.fetch_sub(1, std::memory_order_relaxed);
        }
      }
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = e;
    RunChunks(e);
  }
}

void ThreadPool::RunChunks(uint32_t epoch) {
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    const int64_t count = static_cast<int64_t>((c >> 16) & 0xffff), next = static_cast<int64_t>(c & 0xffff);
    if (static_cast<uint32_t>(c >> 32) != epoch || next >= count) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // Chunk `next` is ours: the job's fields stay as they are until pending_ reaches 0.
    const int64_t begin = next * chunk_, end = std::min(n_, begin + chunk_);
    if (begin < end) (*fn_)(begin, end);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    c = claim_.load(std::memory_order_acquire);
  }
}

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
long InvoluntarySwitches() {
  struct rusage ru {};
  return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}
}  // namespace

ThreadPool::RunMark ThreadPool::MarkRun() { return {InvoluntarySwitches(), NowNs()}; }

// A run of T ms on cores of its own was preempted 0-4 times here (CLIP, 27 ms; Whisper, 155 ms),
// and 16-174 times beside a busy loop while its workers spun. With the workers asleep, the
// same run was preempted only 2-7 times, so the count cannot say when the load has gone:
// spinning stays off for a back-off (0.5 s, doubled while each retry still finds contention, at
// most 8 s), then one run spins again to look.
void ThreadPool::NoteRun(const RunMark& mark) {
  const int64_t now = NowNs();
  const long preempted = InvoluntarySwitches() - mark.preempted;
  const double ms = static_cast<double>(now - mark.start_ns) * 1e-6;
  const bool spun = spin_on_.load(std::memory_order_relaxed);
  if (!spun) {  // asleep after each loop: nothing to learn until the back-off ends
    if (now >= off_until_ns_.load(std::memory_order_relaxed)) spin_on_.store(true, std::memory_order_relaxed);
    return;
  }
  if (preempted <= 3 + ms / 20) {
    backoff_ms_.store(kFirstBackoffMs, std::memory_order_relaxed);
    return;
  }
  const int64_t backoff = backoff_ms_.load(std::memory_order_relaxed);
  off_until_ns_.store(now + backoff * 1000000, std::memory_order_relaxed);
  backoff_ms_.store(std::min<int64_t>(2 * backoff, kMaxBackoffMs), std::memory_order_relaxed);
  spin_on_.store(false, std::memory_order_relaxed);
}

void ThreadPool::Rest() { naps_.fetch_add(1, std::memory_order_relaxed); }

void ThreadPool::Settle() {
  pthreadpool* xnn = xnn_.load();
  if (xnn == nullptr || !lent_.exchange(false)) return;
  pthreadpool_parallelize_1d(xnn, [](void*, size_t) {}, nullptr, static_cast<size_t>(threads_),
                             PTHREADPOOL_FLAG_YIELD_WORKERS);
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (workers_.empty() || n <= grain) {
    fn(0, n);
    return;
  }
  // Up to 32 chunks (more with more threads) balance uneven work without much scheduling cost:
  // the threads claim them one at a time. With only 4 per thread, 27 tasks of a packed
  // convolution became 7 chunks of 4, split 4:3 between 2 threads (the 80x80 layer went from
  // 198 to 215 GFLOP/s at 2 threads with 27 chunks).
  int64_t chunks = std::min<int64_t>(n / grain, std::max<int64_t>(int64_t{threads_} * 4, 32));
  chunks = std::clamp<int64_t>(chunks, 1, 0xffff);
  const int64_t chunk = (n + chunks - 1) / chunks, count = (n + chunk - 1) / chunk;
  std::lock_guard<std::mutex> lock(submit_mu_);
  fn_ = &fn;
  n_ = n;
  chunk_ = chunk;
  pending_.store(count, std::memory_order_relaxed);
  const uint32_t epoch = epoch_.load(std::memory_order_relaxed) + 1;
  claim_.store(Claim(epoch, count, 0), std::memory_order_release);
  epoch_.store(epoch, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> wake(sleep_mu_);  // a worker between its check and its wait sees epoch_
    sleep_cv_.notify_all();
  }
  RunChunks(epoch);
  // Every chunk is claimed; wait for those still running on the workers.
  for (int i = 1; pending_.load(std::memory_order_acquire) != 0; ++i) {
    if (i % 1024 == 0) {
      std::this_thread::yield();
    } else {
      CpuRelax();
    }
  }
  fn_ = nullptr;
}

}  // namespace parallax
