// One runtime context for every input of a fuzz run (the targets that
// read through the runtime library).
#ifndef LATHE_FUZZ_FUZZCONTEXT_H
#define LATHE_FUZZ_FUZZCONTEXT_H

#include "lathe/runtime.h"

#include <cstdlib>

namespace lathe::fuzz {

inline lathe_context_t *context() {
  static lathe_context_t *c = [] {
    lathe_context_t *made = nullptr;
    if (lathe_context_create(nullptr, &made) != LATHE_OK)
      std::abort();
    return made;
  }();
  return c;
}

} // namespace lathe::fuzz

#endif // LATHE_FUZZ_FUZZCONTEXT_H
