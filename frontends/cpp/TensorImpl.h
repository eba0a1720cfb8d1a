// What a DSL tensor holds: a value (its bytes) or a symbolic value of a
// trace (the trace and the value's index in it).
#ifndef LATHE_FRONTENDS_CPP_TENSORIMPL_H
#define LATHE_FRONTENDS_CPP_TENSORIMPL_H

#include "lathe/nn.h"
#include "lathe/runtime.h"

namespace lathe::nn::detail {

class Trace;

struct TensorImpl {
  DType dtype = kFloat32;
  std::vector<int64_t> shape;
  std::vector<char> bytes; ///< Value tensors: row-major, little-endian.
  Trace *trace = nullptr;  ///< Symbolic tensors: their trace (valid only
                           ///< while it is the current one with |traceId|),
  uint64_t traceId = 0;    ///< its serial number,
  int64_t value = -1;      ///< and their index in it.
};

/// Throws lathe::Error(|message|) (from a TU with RTTI: the MLIR bridge is
/// built without).
[[noreturn]] void fail(const std::string &message);

/// Fails with |message| prefixed by |m|'s path and class, as a layer's
/// errors read ("layer1.0.conv1 (Conv2d): ...").
[[noreturn]] void failIn(const Module &m, const std::string &message);

/// The runtime's dtype of |d|, and the DSL's of a runtime dtype (none for
/// the dtypes DSL tensors do not hold).
lathe_dtype_t runtime_dtype(DType d);
std::optional<DType> dsl_dtype(lathe_dtype_t d);

/// "[64, 3, 28, 28]".
std::string shape_text(const std::vector<int64_t> &shape);

/// The number of elements of |shape|; fails on a negative dimension or
/// overflow.
int64_t checked_numel(const std::vector<int64_t> &shape);

/// A value tensor of |shape| and |dtype|, zero-filled.
Tensor make_value(std::vector<int64_t> shape, DType dtype);

/// Runs |forward| of |root| on symbolic inputs |inputs| in |trace| (the
/// current trace meanwhile; parameters named by their state_dict keys;
/// |root| in evaluation mode, restored after). Sets |outputs| and returns
/// their names (|outputNames|, or output / output0, output1, ...).
std::vector<std::string>
trace_forward(Trace &trace, Module &root, const std::vector<InputSpec> &inputs,
              const lathe::detail::Forward &forward,
              const std::vector<std::string> &outputNames,
              std::vector<Tensor> &outputs);

} // namespace lathe::nn::detail

#endif // LATHE_FRONTENDS_CPP_TENSORIMPL_H
