// The bridge from DSL tensors to the lathe dialect: a trace owns an MLIR
// context and a ModelBuilder (frontends/ModelBuilder.h); each operation on
// symbolic tensors adds ops through the shared layer builders
// (frontends/Layers.h), so the DSL and ONNX make the same ops for the same
// layer. No MLIR type shows here: the DSL's other files are built with
// RTTI and exceptions, this one's implementation as LLVM is.
#ifndef LATHE_FRONTENDS_CPP_TRACE_H
#define LATHE_FRONTENDS_CPP_TRACE_H

#include "frontends/cpp/TensorImpl.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe::nn::detail {

enum class Unary {
  Relu,
  Sigmoid,
  Tanh,
  Exp,
  Log,
  Sqrt,
  Abs,
  Neg,
  Erf,
  Softplus,
  Softsign,
  HardSwish,
  Elu, ///< a: alpha.
  Selu,
  Celu,        ///< a: alpha.
  LeakyRelu,   ///< a: negative slope.
  HardSigmoid, ///< a: alpha, b: beta.
  Gelu,        ///< a: 1 for the tanh approximation.
  Clip,        ///< a: min, b: max (NaN: none).
  Shrink,      ///< a: bias, b: lambd.
};

enum class Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Greater,
  Less,
  Equal,
  GreaterEqual,
  LessEqual,
  PRelu
};

enum class Reduce { Sum, Mean, Max, Min };

enum class PadFill { Constant, Reflect, Edge, Wrap };

/// The criteria the trace builds as ops (lathe's loss ops).
enum class LossKind {
  CrossEntropy, ///< a: label smoothing, ignore: ignore_index.
  Nll,          ///< ignore: ignore_index.
  Mse,
  L1,
  SmoothL1, ///< a: beta.
  Huber,    ///< a: delta.
  KlDiv,    ///< flag: log_target.
  Bce,
  BceWithLogits,
};

/// A window op's geometry (frontends/Layers.h's Window): per spatial
/// dimension; padding as every front, then every back.
struct WindowSpec {
  std::vector<int64_t> kernel, stride, padding, dilation;
  bool ceilMode = false;
};

class Trace {
public:
  Trace();
  ~Trace();
  Trace(const Trace &) = delete;
  Trace &operator=(const Trace &) = delete;

  /// The trace forward runs under on this thread (null outside
  /// lathe::compile), and setting it.
  static Trace *current();
  static void setCurrent(Trace *trace);
  /// The trace of the first symbolic tensor of |ts|, else current(); fails
  /// when there is none (an operation on values outside a trace) or a
  /// symbolic tensor belongs to a trace that is no longer running.
  static Trace &of(std::initializer_list<const Tensor *> ts);

  /// Names value tensors (by storage) as the artifact's parameters.
  void nameParameters(std::map<const TensorImpl *, std::string> names);
  /// The module whose forward runs (its path and class), for locations and
  /// errors.
  void pushScope(const std::string &path, const std::string &type);
  void popScope();

  Tensor input(const std::string &name, DType dtype,
               const std::vector<int64_t> &shape);

  Tensor unary(Unary op, const Tensor &x, double a = 0, double b = 0);
  Tensor binary(Binary op, const Tensor &x, const Tensor &y);
  /// |c| ? |x| : |y|, broadcast.
  Tensor where(const Tensor &c, const Tensor &x, const Tensor &y);
  /// A rank-0 constant of |like|'s element type.
  Tensor scalar(double v, const Tensor &like);
  Tensor matmul(const Tensor &a, const Tensor &b);
  Tensor reshape(const Tensor &x, const std::vector<int64_t> &shape);
  Tensor transpose(const Tensor &x, const std::vector<int64_t> &perm);
  Tensor concat(const std::vector<Tensor> &xs, int64_t axis);
  Tensor reduce(Reduce op, const Tensor &x, const std::vector<int64_t> &axes,
                bool keepdim);
  Tensor softmax(const Tensor &x, int64_t axis, bool log);
  /// |pads| over every dimension: each front, then each back.
  Tensor pad(const Tensor &x, const std::vector<int64_t> &pads, PadFill fill,
             double value);

  Tensor linear(const Tensor &x, const Tensor &w, const Tensor &b);
  Tensor conv(const Tensor &x, const Tensor &w, const Tensor &b,
              const WindowSpec &window, int64_t groups);
  Tensor convTranspose(const Tensor &x, const Tensor &w, const Tensor &b,
                       const WindowSpec &window,
                       const std::vector<int64_t> &outputPadding,
                       int64_t groups);
  Tensor maxPool(const Tensor &x, const WindowSpec &window);
  /// Max pooling with each maximum's offset in the whole input (ONNX's
  /// MaxPool indices, row-major), int64.
  std::pair<Tensor, Tensor> maxPoolWithIndices(const Tensor &x,
                                               const WindowSpec &window);
  /// (sum of |x|^p over each window)^(1/p) (ONNX's LpPool).
  Tensor lpPool(const Tensor &x, const WindowSpec &window, double p);
  Tensor avgPool(const Tensor &x, const WindowSpec &window,
                 bool countIncludePad);
  Tensor adaptiveAvgPool(const Tensor &x, const std::vector<int64_t> &size);
  Tensor batchNorm(const Tensor &x, const Tensor &w, const Tensor &b,
                   const Tensor &mean, const Tensor &var, double eps,
                   double momentum);
  Tensor layerNorm(const Tensor &x, int64_t axis, const Tensor &w,
                   const Tensor &b, double eps);
  Tensor groupNorm(const Tensor &x, int64_t groups, const Tensor &w,
                   const Tensor &b, double eps);
  /// Dropout with probability |p|, of whole channels with |channelwise|.
  Tensor dropout(const Tensor &x, double p, bool channelwise = false);
  /// ONNX's Resize of every dimension by |scales| to |shape|: |mode|
  /// nearest, linear or cubic (0, 1, 2); |coordinate| half_pixel,
  /// align_corners or asymmetric (0, 2, 3); nearest rounding floor.
  Tensor resize(const Tensor &x, const std::vector<double> &scales,
                const std::vector<int64_t> &shape, int mode, int coordinate);
  /// |x| broadcast to |shape|.
  Tensor expand(const Tensor &x, const std::vector<int64_t> &shape);
  /// |x| converted to |dtype|.
  Tensor cast(const Tensor &x, DType dtype);
  /// A strided window: per dimension a start, a size and a step.
  Tensor slice(const Tensor &x, const std::vector<int64_t> &starts,
               const std::vector<int64_t> &sizes,
               const std::vector<int64_t> &steps);
  /// torch.gather: |x|'s elements at |indices| along |axis|.
  Tensor gatherElements(const Tensor &x, const Tensor &indices, int64_t axis);
  Tensor einsum(const std::string &equation, const std::vector<Tensor> &xs);
  /// Index of the maximum (or minimum) along |axis|, int64.
  Tensor argReduce(const Tensor &x, int64_t axis, bool keepdim, bool max);
  /// One-hot rows of |depth| classes appended after |indices|' dimensions.
  Tensor oneHot(const Tensor &indices, int64_t depth, DType dtype);
  /// A criterion of |kind| on |input| and |target| with optional |weight|
  /// (and, for BCE with logits, |posWeight|); |reduction| "none", "mean",
  /// "sum" or "batchmean".
  Tensor loss(LossKind kind, const Tensor &input, const Tensor &target,
              const Tensor &weight, const Tensor &posWeight,
              const std::string &reduction, double a, int64_t ignore,
              bool flag);
  /// Slices of |x| along |axis| at |indices| (an integer tensor).
  Tensor gather(const Tensor &x, const Tensor &indices, int64_t axis);
  /// One recurrent layer (frontends/Layers.h's recurrent; ONNX's gate
  /// order and layout): x T x N x I, w D x gH x I, r D x gH x H, bias
  /// D x 2gH, h0/c0 D x N x H (any may be undefined). Returns y
  /// (T x D x N x H), the last h and, for an LSTM, c.
  std::tuple<Tensor, Tensor, Tensor>
  recurrent(int kind, const Tensor &x, const Tensor &w, const Tensor &r,
            const Tensor &bias, const Tensor &h0, const Tensor &c0,
            bool bidirectional, bool relu);

  /// The model's results under |names|; then the model (with its training
  /// step when |options| asks for a training build) is compiled and
  /// written as |options| asks. The trace is spent afterwards.
  void finish(const std::vector<Tensor> &outputs,
              const std::vector<std::string> &names,
              const CompileOptions &options);

  /// Whether the trace is for a training build: dropout then keeps its op
  /// (the build gives it its training form) in evaluation mode too.
  bool isTrainingBuild() const { return trainingBuild; }
  void setTrainingBuild(bool on) { trainingBuild = on; }

  /// This trace's serial number (no two traces of a process share one).
  uint64_t id() const { return serial; }

  struct State; ///< The MLIR side (Trace.cpp).

private:
  std::unique_ptr<State> s;
  bool trainingBuild = false;
  uint64_t serial;
};

} // namespace lathe::nn::detail

#endif // LATHE_FRONTENDS_CPP_TRACE_H
