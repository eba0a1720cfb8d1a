// Fuzz target for --lr-lambda's expression parser and evaluator
// (training/Expression.cpp): any text is parsed or refused with a column,
// and whatever parses evaluates at a few epochs.
#include "training/Expression.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  lathe::training::Expression e;
  std::string why = lathe::training::Expression::parse(text, e);
  if (!why.empty()) {
    if (why.rfind("column ", 0) != 0)
      __builtin_trap(); // Every refusal names the column.
    return 0;
  }
  volatile double sum = 0;
  for (double epoch : {0.0, 1.0, 7.0, 1e6})
    sum = sum + e(epoch);
  return 0;
}
