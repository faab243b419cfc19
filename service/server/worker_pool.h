// WorkerPool: threads for the calls that wait, so that gRPC's callback threads never block. At
// most `max_tasks` tasks are in hand at once (running or about to); TrySubmit refuses more. A
// thread is started when a task finds none idle, and kept once started: a burst of recordings
// makes many wait for their commit group at once, and threads made and ended for each burst
// would cost more than the work. Thread-safe.
#ifndef CREDIT_SERVICE_SERVER_WORKER_POOL_H_
#define CREDIT_SERVICE_SERVER_WORKER_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace credit {

class WorkerPool {
 public:
  explicit WorkerPool(int max_tasks) : max_tasks_(max_tasks) {}
  // Runs the tasks in hand, then ends the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Hands `task` to a worker; false (and `task` dropped unrun) when `max_tasks` are in hand.
  bool TrySubmit(absl::AnyInvocable<void() &&> task);

 private:
  void Work();

  const int max_tasks_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  int in_hand_ ABSL_GUARDED_BY(mu_) = 0;  // queued or running
  int idle_ ABSL_GUARDED_BY(mu_) = 0;     // threads waiting for a task
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_WORKER_POOL_H_
