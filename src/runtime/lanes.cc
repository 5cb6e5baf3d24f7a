#include "runtime/lanes.h"

#include "runtime/scheduler.h"

namespace parallax {

LaneSet::LaneSet(int threads, int lanes) {
  for (int t : LaneThreads(threads, lanes)) pools_.push_back(std::make_unique<ThreadPool>(t));
  results_.resize(pools_.size());
  for (int lane = 1; lane < static_cast<int>(pools_.size()); ++lane) {
    runners_.emplace_back([this, lane] { RunnerLoop(lane); });
  }
}

LaneSet::~LaneSet() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : runners_) t.join();
}

void LaneSet::RunnerLoop(int lane) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<Status(int, ThreadPool*)>* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    Status st = (*job)(lane, pools_[lane].get());
    pools_[lane]->Settle();
    pools_[lane]->Rest();
    std::lock_guard<std::mutex> lock(mu_);
    results_[lane] = std::move(st);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

Status LaneSet::Run(const std::function<Status(int, ThreadPool*)>& fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    pending_ = static_cast<int>(pools_.size()) - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  Status first = fn(0, pools_[0].get());
  pools_[0]->Settle();
  pools_[0]->Rest();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (!first.ok()) return first;
  for (size_t l = 1; l < results_.size(); ++l) {
    if (!results_[l].ok()) return results_[l];
  }
  return Status::Ok();
}

}  // namespace parallax

namespace parallax {

LaneSet* LanePool::Acquire(int lanes) {
  LaneSet* set;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sets_.size() <= static_cast<size_t>(lanes)) sets_.resize(lanes + 1);
    if (!sets_[lanes]) sets_[lanes] = std::make_unique<LaneSet>(threads_, lanes);
    set = sets_[lanes].get();
  }
  return set->mu().try_lock() ? set : nullptr;
}

}  // namespace parallax
