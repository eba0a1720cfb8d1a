// Concurrent runs on one module (the runtime's thread-safety contract: a
// module is shared, each thread has its own context and pool): THREADS
// threads each run the artifact's forward RUNS times on INPUT and compare
// every output, bit for bit, with a run on one thread. Built with
// ThreadSanitizer by scripts/sanitize.sh, which then also reports any
// data race in the runtime.
// Usage: lathe-concurrent-runs ARTIFACT INPUT.npy THREADS RUNS
#include "lathe/runtime.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

/// The bytes of forward's outputs for |input| on |context|; false (with
/// the reason printed) when the run fails.
bool runOnce(lathe_context_t *context, const lathe_module_t *module,
             lathe_tensor_t *input, std::vector<std::string> &out) {
  std::vector<lathe_tensor_t *> outputs(lathe_module_num_outputs(module));
  if (lathe_module_run(context, module, "forward", &input, 1, outputs.data(),
                       outputs.size()) != LATHE_OK) {
    std::fprintf(stderr, "run: %s\n", lathe_context_last_error(context));
    return false;
  }
  out.clear();
  for (lathe_tensor_t *t : outputs) {
    out.emplace_back(static_cast<const char *>(lathe_tensor_data(t)),
                     lathe_tensor_num_bytes(t));
    lathe_tensor_destroy(t);
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s ARTIFACT INPUT.npy THREADS RUNS\n",
                 argv[0]);
    return 2;
  }
  int threads = std::atoi(argv[3]), runs = std::atoi(argv[4]);
  lathe_context_t *main = nullptr;
  lathe_context_options_t one;
  lathe_context_options_init(&one);
  one.num_threads = 1;
  lathe_module_t *module = nullptr;
  lathe_tensor_t *input = nullptr;
  if (lathe_context_create(&one, &main) != LATHE_OK ||
      lathe_module_load(main, argv[1], &module) != LATHE_OK ||
      lathe_tensor_load_npy(main, argv[2], &input) != LATHE_OK) {
    std::fprintf(stderr, "%s\n", lathe_context_last_error(main));
    return 1;
  }
  std::vector<std::string> reference;
  if (!runOnce(main, module, input, reference))
    return 1;
  std::atomic<int> passed{0}, failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      lathe_context_options_t options;
      lathe_context_options_init(&options);
      options.num_threads = 1 + t % 3; // Pools of 1, 2 and 3 threads.
      lathe_context_t *context = nullptr;
      if (lathe_context_create(&options, &context) != LATHE_OK) {
        failed += runs;
        return;
      }
      std::vector<std::string> got;
      for (int r = 0; r < runs; ++r) {
        if (runOnce(context, module, input, got) && got == reference)
          ++passed;
        else
          ++failed;
      }
      lathe_context_destroy(context);
    });
  for (std::thread &t : pool)
    t.join();
  lathe_tensor_destroy(input);
  lathe_module_destroy(module);
  lathe_context_destroy(main);
  std::printf("concurrent runs: %d threads x %d runs equal to one thread's "
              "output bit for bit\n%d passed, %d failed\n",
              threads, runs, passed.load(), failed.load());
  return failed == 0 && passed == threads * runs ? 0 : 1;
}
