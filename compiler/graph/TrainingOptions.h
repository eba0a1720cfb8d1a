// What a training build adds to @forward: the criterion, the optimizer and
// what the build exports, one field per row of training/Options.def (its
// LATHE_LOSS_*, LATHE_OPTIMIZER_*, LATHE_EXPORT_*, LATHE_AUTODIFF_*,
// LATHE_DROPOUT_* and LATHE_PARALLEL_* groups).
#ifndef LATHE_COMPILER_GRAPH_TRAININGOPTIONS_H
#define LATHE_COMPILER_GRAPH_TRAININGOPTIONS_H

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace lathe {

struct TrainingOptions {
#define LATHE_LOSS_OPTION(field, name, Type, value, check, help)               \
  Type field = value;
#define LATHE_LOSS_LIST(field, name, Elem, check, help) std::vector<Elem> field;
#define LATHE_OPTIMIZER_OPTION(field, name, Type, value, check, help)          \
  Type field = value;
#define LATHE_EXPORT_OPTION(field, name, Type, value, check, help)             \
  Type field = value;
#define LATHE_AUTODIFF_OPTION(field, name, Type, value, check, help)           \
  Type field = value;
#define LATHE_TRAINING_MODE_OPTION(field, name, Type, value, check, help)      \
  Type field = value;
#define LATHE_PARALLEL_OPTION(field, name, Type, value, check, help)           \
  Type field = value;
#include "training/Options.def"
};

/// Sets the option named |name| in training/Options.def (a LATHE_LOSS_*,
/// LATHE_OPTIMIZER_*, LATHE_EXPORT_*, LATHE_AUTODIFF_*,
/// LATHE_TRAINING_MODE_* or LATHE_PARALLEL_* row: "loss", "momentum", ...)
/// of |options| from |text|, checked as the CLI checks it. Returns "" or
/// why not, naming the option.
std::string setTrainingOption(TrainingOptions &options, const std::string &name,
                              const std::string &text);

} // namespace lathe

/// For a pass's class, whose options are rows of training/Options.def:
/// define the group's macros as these and include the table, once in the
/// class body (LATHE_DECLARE_*: the pass options) and once in a constructor
/// taking `const TrainingOptions &from` (LATHE_COPY_PASS_OPTION: their
/// values). The class also needs the copy constructor MLIR's options want,
/// `Pass(const Pass &other) : Base(other) {}`.
#define LATHE_DECLARE_PASS_OPTION(field, name, Type, value, check, help)       \
  Option<Type> field{*this, name, llvm::cl::desc(help), llvm::cl::init(value)};
#define LATHE_DECLARE_PASS_LIST(field, name, Elem, check, help)                \
  ListOption<Elem> field{*this, name, llvm::cl::desc(help)};
#define LATHE_COPY_PASS_OPTION(field, ...) field = from.field;

#endif // LATHE_COMPILER_GRAPH_TRAININGOPTIONS_H
