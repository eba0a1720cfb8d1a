// A fixed-size thread pool for the generated code's parallel loops.
#ifndef LATHE_RUNTIME_THREADPOOL_H
#define LATHE_RUNTIME_THREADPOOL_H

#include "lathe/runtime.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace lathe::runtime {

/// |threads| - 1 workers plus the calling thread. parallelFor splits [0, n)
/// into one contiguous range per thread and returns when all are done.
/// One parallelFor at a time (a pool belongs to one context).
///
/// A model runs many short parallel loops back to back, so waking a
/// sleeping thread (a futex round trip, tens of microseconds on a VM)
/// would cost more than the loop: workers and the caller spin on atomics
/// for a bounded time (kSpin pauses, well under a millisecond) before
/// they block on the condition variables.
class ThreadPool {
public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return int(workers.size()) + 1; }
  void parallelFor(int64_t n, lathe_task_fn task, void *closure);

  /// The parallel-for callback bound to this pool, as lathe_env_t holds it.
  static void parallelForCallback(void *pool, int64_t n, lathe_task_fn task,
                                  void *closure);

private:
  void workerLoop(int index);
  void runRange(int index);

  /// Pauses a thread spins before it blocks.
  static constexpr int kSpin = 1 << 14;

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, finished;
  /// Bumped (under |mutex|) for each job; a worker runs each value once.
  std::atomic<uint64_t> generation{0};
  /// Workers still running the current job.
  std::atomic<int> pending{0};
  std::atomic<bool> stopping{false};
  int sleepers = 0; ///< Workers blocked on |wake| (under |mutex|).
  // The current job, written before |generation| moves.
  int64_t count = 0;
  lathe_task_fn task = nullptr;
  void *closure = nullptr;
};

} // namespace lathe::runtime

#endif // LATHE_RUNTIME_THREADPOOL_H
