#include "service/server/worker_pool.h"

#include <utility>

namespace credit {

WorkerPool::~WorkerPool() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

bool WorkerPool::TrySubmit(absl::AnyInvocable<void() &&> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || in_hand_ >= max_tasks_) return false;
  ++in_hand_;
  queue_.push_back(std::move(task));
  // Each task in hand beyond the idle threads gets a thread of its own: never more threads
  // than max_tasks_.
  if (idle_ == 0) {
    threads_.emplace_back([this] { Work(); });
  } else {
    --idle_;  // the one woken takes it
  }
  return true;
}

void WorkerPool::Work() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
    mu_.Await(absl::Condition(&ready));
    if (queue_.empty()) return;  // stopping, nothing left
    absl::AnyInvocable<void()&&> task = std::move(queue_.front());
    queue_.pop_front();
    mu_.Unlock();
    std::move(task)();
    mu_.Lock();
    --in_hand_;
    ++idle_;
  }
}

}  // namespace credit
