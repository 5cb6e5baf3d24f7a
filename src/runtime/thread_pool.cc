#include "runtime/thread_pool.h"

#include <pthreadpool.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "runtime/cgroup.h"

extern "C" void openblas_set_num_threads(int num_threads);

// pthreadpool hands work to its threads through futexes and atomics that ThreadSanitizer cannot
// see (the library is not instrumented), so tell TSan about the two handoffs ourselves: the
// caller's writes happen before each chunk, and every chunk happens before ParallelFor returns.
#if defined(__SANITIZE_THREAD__)
#define PX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PX_TSAN 1
#endif
#endif
#ifdef PX_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define PX_TSAN_ACQUIRE(p) __tsan_acquire(p)
#define PX_TSAN_RELEASE(p) __tsan_release(p)
#else
#define PX_TSAN_ACQUIRE(p) static_cast<void>(p)
#define PX_TSAN_RELEASE(p) static_cast<void>(p)
#endif

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

ThreadPool::ThreadPool(int threads) : threads_(threads > 0 ? threads : DefaultThreads()) {
  if (threads_ > 1) pool_ = pthreadpool_create(static_cast<size_t>(threads_));
  // OpenBLAS stays single-threaded: GEMMs split their blocks over this pool (kernels/gemm.h).
  openblas_set_num_threads(1);
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

namespace {
struct ForTask {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n;
  int64_t chunk;
};
void RunChunk(void* arg, size_t i) {
  PX_TSAN_ACQUIRE(arg);
  auto* task = static_cast<ForTask*>(arg);
  int64_t begin = static_cast<int64_t>(i) * task->chunk;
  int64_t end = std::min(task->n, begin + task->chunk);
  if (begin < end) (*task->fn)(begin, end);
  PX_TSAN_RELEASE(arg);
}
}  // namespace

void ThreadPool::Settle() {
  if (pool_ == nullptr || !lent_.exchange(false)) return;
  pthreadpool_parallelize_1d(pool_, [](void*, size_t) {}, nullptr, static_cast<size_t>(threads_),
                             PTHREADPOOL_FLAG_YIELD_WORKERS);
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (pool_ == nullptr || n <= grain) {
    fn(0, n);
    return;
  }
  // Up to 32 chunks (more with more threads) balance uneven work without much scheduling cost:
  // pthreadpool hands them out one at a time. With only 4 per thread, 27 tasks of a packed
  // convolution became 7 chunks of 4, split 4:3 between 2 threads (the 80x80 layer went from
  // 198 to 215 GFLOP/s at 2 threads with 27 chunks). Workers sleep (futex) right after the loop
  // instead of spin-waiting for the next one: spinning workers cost 5x latency at 2 threads
  // when other processes share the cores.
  int64_t chunks = std::min<int64_t>(n / grain, std::max<int64_t>(int64_t{threads_} * 4, 32));
  chunks = std::max<int64_t>(chunks, 1);
  ForTask task{&fn, n, (n + chunks - 1) / chunks};
  size_t count = static_cast<size_t>((n + task.chunk - 1) / task.chunk);
  PX_TSAN_RELEASE(&task);
  pthreadpool_parallelize_1d(pool_, RunChunk, &task, count, PTHREADPOOL_FLAG_YIELD_WORKERS);
  PX_TSAN_ACQUIRE(&task);
}

}  // namespace parallax
