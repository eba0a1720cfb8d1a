// The names of the attributes that passes, code generation and frontends
// share (light: no MLIR headers), so that none is spelled twice.
#ifndef LATHE_DIALECTS_LATHE_ATTRIBUTES_H
#define LATHE_DIALECTS_LATHE_ATTRIBUTES_H

namespace lathe {

/// Names of the argument and result attributes that mark the entry function's
/// inputs, parameters and outputs.
inline constexpr const char kInputAttr[] = "lathe.input";
inline constexpr const char kParamAttr[] = "lathe.param";
inline constexpr const char kOutputAttr[] = "lathe.output";
/// Training builds: a result holding d loss / d the named parameter (or
/// input), the new value of a parameter the step computes itself (batch
/// norm's running statistics), an optimizer buffer argument and result, and
/// the f64 scalars the driver passes (learning rate, step).
inline constexpr const char kGradAttr[] = "lathe.grad";
inline constexpr const char kInputGradAttr[] = "lathe.input_grad";
inline constexpr const char kUpdateAttr[] = "lathe.update";
inline constexpr const char kStateAttr[] = "lathe.state";
inline constexpr const char kHyperAttr[] = "lathe.hyper";
/// An optimizer buffer argument's initial value (f64), beside kStateAttr.
inline constexpr const char kStateInitAttr[] = "lathe.state_init";
/// Training builds: module attributes naming the criterion lathe-add-loss
/// added (a string: "cross_entropy", ..., "output:NAME") and the target
/// value it ignores (i64; class criteria), for the artifact's descriptor.
inline constexpr const char kCriterionAttr[] = "lathe.criterion";
/// On a module trained by LBFGS: its options, "MAX_ITER MAX_EVAL
/// TOLERANCE_GRAD TOLERANCE_CHANGE HISTORY_SIZE LINE_SEARCH".
inline constexpr const char kLbfgsAttr[] = "lathe.lbfgs";
inline constexpr const char kIgnoreIndexAttr[] = "lathe.ignore_index";
/// On a lowered entry function (LLVM dialect): the dictionary from which
/// lathe-define-entry-points builds its C entry point (its Passes.td says
/// what it holds).
inline constexpr const char kEntryAttr[] = "lathe.entry";
/// The module attribute (i64) by which lathe-plan-memory hands the size of
/// its arena to artifact emission.
inline constexpr const char kScratchBytesAttr[] = "lathe.scratch_bytes";
/// On a parallel dispatch declaration (lathe-outline-parallel-loops): the
/// symbol of the task it runs, for lathe-define-dispatches.
inline constexpr const char kDispatchTaskAttr[] = "lathe.task";
/// On a collective's declaration (lathe-outline-collectives): {count,
/// dtype} of the buffer it all-reduces, for lathe-define-collectives.
inline constexpr const char kCollectiveAttr[] = "lathe.collective";

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_ATTRIBUTES_H
