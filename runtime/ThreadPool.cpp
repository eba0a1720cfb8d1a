// A fixed-size thread pool for the generated code's parallel loops.
#include "runtime/ThreadPool.h"

namespace lathe::runtime {

void ThreadPool::parallelForCallback(void *pool, int64_t n, lathe_task_fn task,
                                     void *closure) {
  static_cast<ThreadPool *>(pool)->parallelFor(n, task, closure);
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::runRange(int index) {
  int64_t parts = size();
  int64_t begin = count * index / parts, end = count * (index + 1) / parts;
  if (begin < end)
    task(closure, begin, end);
}

void ThreadPool::parallelFor(int64_t n, lathe_task_fn fn, void *data) {
  if (workers.empty() || n <= 1) {
    if (n > 0)
      fn(data, 0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    count = n;
    task = fn;
    closure = data;
    pending = int(workers.size());
    ++generation;
  }
  wake.notify_all();
  runRange(0);
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [this] { return pending == 0; });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
    }
    runRange(index);
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0)
      finished.notify_one();
  }
}

} // namespace lathe::runtime
