// A fixed-size thread pool for the generated code's parallel loops.
#include "runtime/ThreadPool.h"

#include <system_error>

namespace lathe::runtime {

void ThreadPool::parallelForCallback(void *pool, int64_t n, lathe_task_fn task,
                                     void *closure) {
  static_cast<ThreadPool *>(pool)->parallelFor(n, task, closure);
}

ThreadPool::ThreadPool(int threads) {
  // When the system refuses a thread, the pool runs on those it has.
  try {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this, i] { workerLoop(i); });
  } catch (const std::system_error &) {
  }
}

namespace {

/// A spin-wait hint to the CPU.
inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

} // namespace

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true);
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
  count = n;
  task = fn;
  closure = data;
  pending.store(int(workers.size()), std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker checking before it blocks sees it.
    std::lock_guard<std::mutex> lock(mutex);
    generation.fetch_add(1, std::memory_order_release);
    if (sleepers > 0)
      wake.notify_all();
  }
  runRange(0);
  for (int i = 0; i < kSpin; ++i) {
    if (pending.load(std::memory_order_acquire) == 0)
      return;
    relax();
  }
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(
      lock, [this] { return pending.load(std::memory_order_acquire) == 0; });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    uint64_t now = generation.load(std::memory_order_acquire);
    for (int i = 0; i < kSpin && now == seen && !stopping.load(); ++i) {
      relax();
      now = generation.load(std::memory_order_acquire);
    }
    if (now == seen && !stopping.load()) {
      std::unique_lock<std::mutex> lock(mutex);
      ++sleepers;
      wake.wait(lock, [&] {
        return stopping.load() ||
               generation.load(std::memory_order_acquire) != seen;
      });
      --sleepers;
      now = generation.load(std::memory_order_acquire);
    }
    if (stopping.load())
      return;
    seen = now;
    runRange(index);
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so that a caller checking before it blocks sees
      // the count reach zero.
      std::lock_guard<std::mutex> lock(mutex);
      finished.notify_one();
    }
  }
}

} // namespace lathe::runtime
