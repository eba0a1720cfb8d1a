// lathe::compile (lathe/nn.h): tracing a module's forward and compiling it.
#ifndef LATHE_NN_COMPILE_H
#define LATHE_NN_COMPILE_H

#include "lathe/nn/module.h"

namespace lathe {

// ---------------------------------------------------------------------------
// Compiling a module.
// ---------------------------------------------------------------------------

/// One input of forward.
struct InputSpec {
  std::string name{};
  std::vector<int64_t> shape{};
  nn::DType dtype = nn::kFloat32;
};

/// What lathe::compile writes (the options of `lathe compile`).
struct CompileOptions {
  /// Output path; its extension (.so/.o/.h/.mlir) is replaced per kind.
  std::string output{};
  /// so (default), obj, header, mlir, llvm-dialect.
  std::vector<std::string> emit{};
  /// Symbol prefix (a C identifier; default: from the output's file name).
  std::string name{};
  std::string target = "cpu";
  std::string target_cpu{};    ///< Default: this machine's CPU.
  std::string target_triple{}; ///< Default: this machine.
  bool external_weights = false;
  /// Names of forward's results (default "output", or output0, output1,
  /// ... for several).
  std::vector<std::string> output_names{};
  /// A training build: `lathe compile --train`'s options by name ("loss",
  /// "optimizer", "momentum", ...; lathe::train::build_options makes them
  /// from a criterion and an optimizer). The artifact then also exports
  /// eval_step and train_step, for the runtime's trainer.
  std::vector<std::pair<std::string, std::string>> training{};
};

namespace detail {
using Forward =
    std::function<std::vector<nn::Tensor>(const std::vector<nn::Tensor> &)>;
/// Traces |forward| on symbolic |inputs| with |root| in evaluation mode
/// (as torch.onnx.export does; its mode is restored after) and compiles.
void compile_traced(nn::Module &root, const std::vector<InputSpec> &inputs,
                    const CompileOptions &options, const Forward &forward);

inline std::vector<nn::Tensor> as_outputs(nn::Tensor t) { return {t}; }
inline std::vector<nn::Tensor> as_outputs(std::vector<nn::Tensor> ts) {
  return ts;
}
template <typename... Ts>
std::vector<nn::Tensor> as_outputs(const std::tuple<Ts...> &ts) {
  return std::apply(
      [](const auto &...t) { return std::vector<nn::Tensor>{t...}; }, ts);
}

template <typename M, typename Seq, typename = void>
struct ForwardArity : std::false_type {};
template <typename M, size_t... I>
struct ForwardArity<M, std::index_sequence<I...>,
                    std::void_t<decltype(std::declval<M &>().forward(
                        (void(I), std::declval<nn::Tensor>())...))>>
    : std::true_type {};

template <typename M, size_t... I>
std::vector<nn::Tensor> call_forward(M &m, const std::vector<nn::Tensor> &xs,
                                     std::index_sequence<I...>) {
  return as_outputs(m.forward(xs[I]...));
}

template <size_t N, typename M>
bool try_forward(M &m, const std::vector<nn::Tensor> &xs,
                 std::vector<nn::Tensor> &out) {
  if constexpr (ForwardArity<M, std::make_index_sequence<N>>::value) {
    if (xs.size() != N)
      return false;
    out = call_forward(m, xs, std::make_index_sequence<N>());
    return true;
  }
  return false;
}
} // namespace detail

namespace detail {
/// |module|'s forward over a list of symbolic tensors (one to four).
template <typename M> Forward forward_of(M &module) {
  return [&module](const std::vector<nn::Tensor> &xs) {
    std::vector<nn::Tensor> out;
    if (!(try_forward<1>(module, xs, out) || try_forward<2>(module, xs, out) ||
          try_forward<3>(module, xs, out) || try_forward<4>(module, xs, out)))
      throw Error("lathe: forward does not take " + std::to_string(xs.size()) +
                  " tensors");
    return out;
  };
}
} // namespace detail

/// Traces |module|'s forward on inputs of |inputs|' shapes and compiles it
/// into the files |options| names. Throws lathe::Error naming the module
/// path of a bad op, or what failed.
template <typename M>
void compile(M &module, const std::vector<InputSpec> &inputs,
             const CompileOptions &options) {
  if constexpr (!std::is_base_of_v<nn::Module, M>)
    compile(*module, inputs, options); // A layer handle.
  else
    detail::compile_traced(module, inputs, options, detail::forward_of(module));
}

} // namespace lathe

#endif // LATHE_NN_COMPILE_H
