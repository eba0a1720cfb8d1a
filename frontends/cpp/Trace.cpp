// The DSL's bridge to the lathe dialect.
#include "frontends/cpp/Trace.h"

#include "compiler/Emit.h"
#include "compiler/Pipeline.h"
#include "compiler/graph/TrainingOptions.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"
#include "frontends/Layers.h"
#include "frontends/ModelBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cmath>

using namespace mlir;

namespace lathe::nn::detail {

namespace {

thread_local Trace *currentTrace = nullptr;

/// The model's dtype of |d| (lathe::DType and lathe_dtype_t share an
/// order).
lathe::DType modelDType(nn::DType d) { return lathe::DType(runtime_dtype(d)); }

std::optional<nn::DType> dslDType(Type t) {
  auto d = dtypeOf(t);
  if (!d)
    return std::nullopt;
  return dsl_dtype(lathe_dtype_t(*d));
}

DialectRegistry compilerRegistry() {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  return registry;
}

} // namespace

struct Trace::State {
  MLIRContext ctx{compilerRegistry()};
  ModelBuilder model{ctx, UnknownLoc::get(&ctx)};
  std::vector<Value> values;
  std::map<const TensorImpl *, std::string> paramNames;
  /// Value tensors met so far (held, so that no other tensor takes the
  /// address of one that dies).
  std::map<const TensorImpl *, std::pair<std::shared_ptr<TensorImpl>, Value>>
      used;
  std::vector<std::pair<std::string, std::string>> scopes;
  std::string diagnostics;
  ScopedDiagnosticHandler handler{&ctx, [this](Diagnostic &diag) {
                                    if (diag.getSeverity() ==
                                        DiagnosticSeverity::Error) {
                                      if (!diagnostics.empty())
                                        diagnostics += "; ";
                                      diagnostics += diag.str();
                                    }
                                    return success();
                                  }};

  OpBuilder &b() { return model.builder(); }
  /// Where the running module's ops are: its path, or "forward".
  Location loc() {
    std::string where = scopes.empty() || scopes.back().first.empty()
                            ? "forward"
                            : scopes.back().first;
    return NameLoc::get(StringAttr::get(&ctx, where));
  }
  /// "layer1.0.conv1 (Conv2d)", or "forward".
  std::string scopeText() const {
    if (scopes.empty())
      return "forward";
    const auto &[path, type] = scopes.back();
    return (path.empty() ? std::string("forward") : path) + " (" + type + ")";
  }
  [[noreturn]] void failHere(const std::string &what) {
    std::string message = scopeText() + ": " + what;
    if (!diagnostics.empty())
      message += (what.empty() ? "" : ": ") + diagnostics;
    diagnostics.clear();
    fail(message);
  }
  Value check(FailureOr<Value> v, const char *what) {
    if (failed(v))
      failHere(what);
    return *v;
  }
};

Trace::Trace() : s(std::make_unique<State>()) {
  static std::atomic<uint64_t> traces{0};
  serial = ++traces;
}
Trace::~Trace() {
  if (currentTrace == this)
    currentTrace = nullptr;
}

Trace *Trace::current() { return currentTrace; }
void Trace::setCurrent(Trace *trace) { currentTrace = trace; }

Trace &Trace::of(std::initializer_list<const Tensor *> ts) {
  for (const Tensor *t : ts)
    if (t && t->defined() && t->impl()->trace) {
      // Only the running trace's tensors are alive (a tensor kept from an
      // earlier compile points at a trace that is gone).
      if (t->impl()->trace != currentTrace || !currentTrace ||
          currentTrace->id() != t->impl()->traceId)
        fail("lathe::nn: a symbolic tensor of a finished trace (one kept "
             "from an earlier lathe::compile or fit) is used");
      return *currentTrace;
    }
  if (!currentTrace)
    fail("lathe::nn: tensor operations run while lathe::compile traces "
         "forward (these operands are values and no trace is running)");
  return *currentTrace;
}

void Trace::nameParameters(std::map<const TensorImpl *, std::string> names) {
  s->paramNames = std::move(names);
}

void Trace::pushScope(const std::string &path, const std::string &type) {
  s->scopes.push_back({path, type});
}
void Trace::popScope() {
  if (!s->scopes.empty())
    s->scopes.pop_back();
}

namespace {

/// The symbolic tensor of |v|.
Tensor wrap(Trace *trace, std::vector<Value> &values, Value v,
            const std::function<void(const std::string &)> &bad) {
  auto type = mlir::cast<RankedTensorType>(v.getType());
  auto dtype = dslDType(type.getElementType());
  if (!dtype) {
    std::string t;
    llvm::raw_string_ostream os(t);
    os << type;
    bad("the result type " + t + " has no DSL dtype");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->dtype = *dtype;
  impl->shape.assign(type.getShape().begin(), type.getShape().end());
  impl->trace = trace;
  impl->traceId = trace->id();
  impl->value = int64_t(values.size());
  values.push_back(v);
  return Tensor(impl);
}

} // namespace

/// The MLIR value of |t| in |trace|: a symbolic tensor's own, a named
/// value tensor's parameter, another value tensor's constant; null for an
/// undefined tensor.
static Value use(Trace *trace, Trace::State &s, const Tensor &t) {
  if (!t.defined())
    return Value();
  const TensorImpl *impl = t.impl().get();
  if (impl->trace) {
    if (impl->trace != trace || impl->traceId != trace->id())
      s.failHere("a symbolic tensor of a finished trace (one kept from an "
                 "earlier lathe::compile or fit) is used");
    return s.values[impl->value];
  }
  if (auto it = s.used.find(impl); it != s.used.end())
    return it->second.second;
  Value v;
  if (auto name = s.paramNames.find(impl); name != s.paramNames.end()) {
    Parameter p;
    p.name = name->second;
    p.dtype = modelDType(impl->dtype);
    p.shape = impl->shape;
    p.bytes = impl->bytes;
    v = s.check(s.model.addParameter(std::move(p), s.loc()),
                "cannot add parameter");
  } else {
    auto type = RankedTensorType::get(
        impl->shape, elementType(&s.ctx, modelDType(impl->dtype)));
    DenseElementsAttr attr;
    if (impl->dtype == nn::DType::Bool) {
      std::vector<bool> bits(impl->bytes.begin(), impl->bytes.end());
      SmallVector<bool> values(bits.begin(), bits.end());
      attr = DenseElementsAttr::get(type, ArrayRef<bool>(values));
    } else {
      attr = DenseElementsAttr::getFromRawBuffer(
          type, ArrayRef<char>(impl->bytes.data(), impl->bytes.size()));
    }
    OpBuilder::InsertionGuard guard(s.b());
    s.b().setInsertionPointToStart(&s.model.forward().getBody().front());
    v = ConstantOp::create(s.b(), s.loc(), attr);
  }
  s.used[impl] = {t.impl(), v};
  return v;
}

#define USE(t) use(this, *s, t)
#define WRAP(v)                                                                \
  wrap(this, s->values, v, [&](const std::string &m) { s->failHere(m); })

Tensor Trace::input(const std::string &name, nn::DType dtype,
                    const std::vector<int64_t> &shape) {
  auto type =
      RankedTensorType::get(shape, elementType(&s->ctx, modelDType(dtype)));
  Value v =
      s->check(s->model.addInput(name, type, s->loc()), "cannot add input");
  return WRAP(v);
}

Tensor Trace::unary(Unary op, const Tensor &x, double a, double b) {
  Value v = USE(x);
  OpBuilder &ob = s->b();
  Location loc = s->loc();
  auto f32 = [&](double d) { return ob.getF32FloatAttr(float(d)); };
  auto f64 = [&](double d) {
    return std::isnan(d) ? FloatAttr() : ob.getF64FloatAttr(d);
  };
  FailureOr<Operation *> made = failure();
  switch (op) {
  case Unary::Relu:
    made = createVerified<ReluOp>(ob, loc, 1, v);
    break;
  case Unary::Sigmoid:
    made = createVerified<SigmoidOp>(ob, loc, 1, v);
    break;
  case Unary::Tanh:
    made = createVerified<TanhOp>(ob, loc, 1, v);
    break;
  case Unary::Exp:
    made = createVerified<ExpOp>(ob, loc, 1, v);
    break;
  case Unary::Log:
    made = createVerified<LogOp>(ob, loc, 1, v);
    break;
  case Unary::Sqrt:
    made = createVerified<SqrtOp>(ob, loc, 1, v);
    break;
  case Unary::Abs:
    made = createVerified<AbsOp>(ob, loc, 1, v);
    break;
  case Unary::Neg:
    made = createVerified<NegOp>(ob, loc, 1, v);
    break;
  case Unary::Erf:
    made = createVerified<ErfOp>(ob, loc, 1, v);
    break;
  case Unary::Softplus:
    made = createVerified<SoftplusOp>(ob, loc, 1, v);
    break;
  case Unary::Softsign:
    made = createVerified<SoftsignOp>(ob, loc, 1, v);
    break;
  case Unary::HardSwish:
    made = createVerified<HardSwishOp>(ob, loc, 1, v);
    break;
  case Unary::Elu:
    made = createVerified<EluOp>(ob, loc, 1, v, f32(a));
    break;
  case Unary::Selu:
    made = createVerified<SeluOp>(ob, loc, 1, v, FloatAttr(), FloatAttr());
    break;
  case Unary::Celu:
    made = createVerified<CeluOp>(ob, loc, 1, v, f32(a));
    break;
  case Unary::LeakyRelu:
    made = createVerified<LeakyReluOp>(ob, loc, 1, v, f32(a));
    break;
  case Unary::HardSigmoid:
    made = createVerified<HardSigmoidOp>(ob, loc, 1, v, f32(a), f32(b));
    break;
  case Unary::Gelu:
    made = createVerified<GeluOp>(ob, loc, 1, v,
                                  a != 0 ? ob.getUnitAttr() : UnitAttr());
    break;
  case Unary::Clip:
    made = createVerified<ClipOp>(ob, loc, 1, v, f64(a), f64(b));
    break;
  case Unary::Shrink:
    made = createVerified<ShrinkOp>(ob, loc, 1, v, f32(a), f32(b));
    break;
  }
  if (failed(made))
    s->failHere("");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::binary(Binary op, const Tensor &x, const Tensor &y) {
  Value l = USE(x), r = USE(y);
  OpBuilder &ob = s->b();
  Location loc = s->loc();
  FailureOr<Operation *> made = failure();
  switch (op) {
  case Binary::Add:
    made = createVerified<AddOp>(ob, loc, 1, l, r);
    break;
  case Binary::Sub:
    made = createVerified<SubOp>(ob, loc, 1, l, r);
    break;
  case Binary::Mul:
    made = createVerified<MulOp>(ob, loc, 1, l, r);
    break;
  case Binary::Div:
    made = createVerified<DivOp>(ob, loc, 1, l, r);
    break;
  case Binary::Pow:
    made = createVerified<PowOp>(ob, loc, 1, l, r);
    break;
  case Binary::Max:
    made = createVerified<MaxOp>(ob, loc, 1, l, r);
    break;
  case Binary::Min:
    made = createVerified<MinOp>(ob, loc, 1, l, r);
    break;
  case Binary::Greater:
    made = createVerified<GreaterOp>(ob, loc, 1, l, r);
    break;
  case Binary::Less:
    made = createVerified<LessOp>(ob, loc, 1, l, r);
    break;
  case Binary::Equal:
    made = createVerified<EqualOp>(ob, loc, 1, l, r);
    break;
  case Binary::GreaterEqual:
    made = createVerified<GreaterEqualOp>(ob, loc, 1, l, r);
    break;
  case Binary::LessEqual:
    made = createVerified<LessEqualOp>(ob, loc, 1, l, r);
    break;
  case Binary::PRelu:
    made = createVerified<PReluOp>(ob, loc, 1, l, r);
    break;
  }
  if (failed(made))
    s->failHere("");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::where(const Tensor &c, const Tensor &x, const Tensor &y) {
  auto made =
      createVerified<WhereOp>(s->b(), s->loc(), 1, USE(c), USE(x), USE(y));
  if (failed(made))
    s->failHere("");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::scalar(double v, const Tensor &like) {
  Value l = USE(like);
  TensorBuilder tb{s->b(), s->loc()};
  return WRAP(tb.scalar(v, TensorBuilder::elt(l)));
}

Tensor Trace::matmul(const Tensor &a, const Tensor &b) {
  auto made = createVerified<MatmulOp>(s->b(), s->loc(), 1, USE(a), USE(b));
  if (failed(made))
    s->failHere("matmul");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::reshape(const Tensor &x, const std::vector<int64_t> &shape) {
  return WRAP(
      s->check(reshapeVerified(s->b(), s->loc(), USE(x), shape), "reshape"));
}

Tensor Trace::transpose(const Tensor &x, const std::vector<int64_t> &perm) {
  auto made = createVerified<TransposeOp>(s->b(), s->loc(), 1, USE(x),
                                          s->b().getDenseI64ArrayAttr(perm));
  if (failed(made))
    s->failHere("permute");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::concat(const std::vector<Tensor> &xs, int64_t axis) {
  SmallVector<Value> values;
  for (const Tensor &x : xs)
    values.push_back(USE(x));
  auto made = createVerified<ConcatOp>(s->b(), s->loc(), 1, ValueRange(values),
                                       s->b().getI64IntegerAttr(axis));
  if (failed(made))
    s->failHere("cat");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::reduce(Reduce op, const Tensor &x,
                     const std::vector<int64_t> &axes, bool keepdim) {
  Value v = USE(x);
  OpBuilder &ob = s->b();
  auto axesAttr = ob.getDenseI64ArrayAttr(axes);
  auto keep = ob.getBoolAttr(keepdim);
  FailureOr<Operation *> made = failure();
  switch (op) {
  case Reduce::Sum:
    made = createVerified<ReduceSumOp>(ob, s->loc(), 1, v, axesAttr, keep);
    break;
  case Reduce::Mean:
    made = createVerified<ReduceMeanOp>(ob, s->loc(), 1, v, axesAttr, keep);
    break;
  case Reduce::Max:
    made = createVerified<ReduceMaxOp>(ob, s->loc(), 1, v, axesAttr, keep);
    break;
  case Reduce::Min:
    made = createVerified<ReduceMinOp>(ob, s->loc(), 1, v, axesAttr, keep);
    break;
  }
  if (failed(made))
    s->failHere("reduction");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::softmax(const Tensor &x, int64_t axis, bool log) {
  Value v = USE(x);
  auto axisAttr = s->b().getI64IntegerAttr(axis);
  auto made =
      log ? createVerified<LogSoftmaxOp>(s->b(), s->loc(), 1, v, axisAttr)
          : createVerified<SoftmaxOp>(s->b(), s->loc(), 1, v, axisAttr);
  if (failed(made))
    s->failHere(log ? "log_softmax" : "softmax");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::pad(const Tensor &x, const std::vector<int64_t> &pads,
                  PadFill fill, double value) {
  PadMode mode = fill == PadFill::Reflect ? PadMode::reflect
                 : fill == PadFill::Edge  ? PadMode::edge
                 : fill == PadFill::Wrap  ? PadMode::wrap
                                          : PadMode::constant;
  OpBuilder &ob = s->b();
  auto made = createVerified<PadOp>(
      ob, s->loc(), 1, USE(x), ob.getDenseI64ArrayAttr(pads),
      ob.getF64FloatAttr(value), PadModeAttr::get(&s->ctx, mode));
  if (failed(made))
    s->failHere("pad");
  return WRAP((*made)->getResult(0));
}

static layers::Window window(const WindowSpec &w) {
  layers::Window out;
  out.kernel.assign(w.kernel.begin(), w.kernel.end());
  out.stride.assign(w.stride.begin(), w.stride.end());
  out.padding.assign(w.padding.begin(), w.padding.end());
  out.dilation.assign(w.dilation.begin(), w.dilation.end());
  out.ceilMode = w.ceilMode;
  return out;
}

Tensor Trace::linear(const Tensor &x, const Tensor &w, const Tensor &b) {
  return WRAP(
      s->check(layers::linear(s->b(), s->loc(), USE(x), USE(w), USE(b)), ""));
}

Tensor Trace::conv(const Tensor &x, const Tensor &w, const Tensor &b,
                   const WindowSpec &spec, int64_t groups) {
  return WRAP(s->check(layers::conv(s->b(), s->loc(), USE(x), USE(w), USE(b),
                                    window(spec), groups),
                       ""));
}

Tensor Trace::convTranspose(const Tensor &x, const Tensor &w, const Tensor &b,
                            const WindowSpec &spec,
                            const std::vector<int64_t> &outputPadding,
                            int64_t groups) {
  SmallVector<int64_t> op(outputPadding.begin(), outputPadding.end());
  return WRAP(s->check(layers::convTranspose(s->b(), s->loc(), USE(x), USE(w),
                                             USE(b), window(spec), op, groups),
                       ""));
}

Tensor Trace::maxPool(const Tensor &x, const WindowSpec &spec) {
  return WRAP(
      s->check(layers::maxPool(s->b(), s->loc(), USE(x), window(spec)), ""));
}

std::pair<Tensor, Tensor> Trace::maxPoolWithIndices(const Tensor &x,
                                                    const WindowSpec &spec) {
  auto pooled =
      layers::maxPoolWithIndices(s->b(), s->loc(), USE(x), window(spec));
  if (failed(pooled))
    s->failHere("");
  Tensor values = WRAP(pooled->first), indices = WRAP(pooled->second);
  return {values, indices};
}

Tensor Trace::lpPool(const Tensor &x, const WindowSpec &spec, double p) {
  return WRAP(
      s->check(layers::lpPool(s->b(), s->loc(), USE(x), window(spec), p), ""));
}

Tensor Trace::avgPool(const Tensor &x, const WindowSpec &spec,
                      bool countIncludePad) {
  return WRAP(s->check(
      layers::avgPool(s->b(), s->loc(), USE(x), window(spec), countIncludePad),
      ""));
}

Tensor Trace::adaptiveAvgPool(const Tensor &x,
                              const std::vector<int64_t> &size) {
  Value v = USE(x);
  bool ones = true;
  for (int64_t d : size)
    ones = ones && d == 1;
  if (ones)
    return WRAP(s->check(layers::globalAvgPool(s->b(), s->loc(), v), ""));
  auto made = createVerified<AdaptiveAvgPool2dOp>(
      s->b(), s->loc(), 1, v, s->b().getDenseI64ArrayAttr(size));
  if (failed(made))
    s->failHere("adaptive average pooling");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::batchNorm(const Tensor &x, const Tensor &w, const Tensor &b,
                        const Tensor &mean, const Tensor &var, double eps,
                        double momentum) {
  return WRAP(
      s->check(layers::batchNorm(s->b(), s->loc(), USE(x), USE(w), USE(b),
                                 USE(mean), USE(var), eps, momentum),
               ""));
}

Tensor Trace::layerNorm(const Tensor &x, int64_t axis, const Tensor &w,
                        const Tensor &b, double eps) {
  auto n =
      layers::layerNorm(s->b(), s->loc(), USE(x), axis, USE(w), USE(b), eps);
  if (failed(n))
    s->failHere("");
  return WRAP(n->y);
}

Tensor Trace::groupNorm(const Tensor &x, int64_t groups, const Tensor &w,
                        const Tensor &b, double eps) {
  auto n =
      layers::groupNorm(s->b(), s->loc(), USE(x), groups, USE(w), USE(b), eps);
  if (failed(n))
    s->failHere("");
  return WRAP(n->y);
}

Tensor Trace::dropout(const Tensor &x, double p, bool channelwise) {
  Value v = USE(x);
  auto type = mlir::cast<RankedTensorType>(v.getType());
  auto mask = RankedTensorType::get(type.getShape(), s->b().getI1Type());
  auto op = DropoutOp::create(s->b(), s->loc(), TypeRange{type, mask}, v,
                              s->b().getF64FloatAttr(p), IntegerAttr(),
                              channelwise ? s->b().getUnitAttr() : UnitAttr());
  if (failed(verifiedOrErased(op)))
    s->failHere("dropout");
  return WRAP(op->getResult(0));
}

Tensor Trace::resize(const Tensor &x, const std::vector<double> &scales,
                     const std::vector<int64_t> &shape, int mode,
                     int coordinate) {
  OpBuilder &ob = s->b();
  Value v = USE(x);
  auto type = RankedTensorType::get(shape, TensorBuilder::elt(v));
  auto op = ResizeOp::create(
      ob, s->loc(), type, v, ob.getDenseF64ArrayAttr(scales),
      ResizeModeAttr::get(&s->ctx, ResizeMode(mode)),
      CoordinateModeAttr::get(&s->ctx, CoordinateMode(coordinate)),
      NearestModeAttr::get(&s->ctx, NearestMode::floor),
      ob.getF64FloatAttr(-0.75), UnitAttr(), ob.getF64FloatAttr(0.0),
      DenseF64ArrayAttr());
  if (failed(verifiedOrErased(op)))
    s->failHere("interpolate");
  return WRAP(op.getResult());
}

Tensor Trace::expand(const Tensor &x, const std::vector<int64_t> &shape) {
  Value v = USE(x);
  auto type = RankedTensorType::get(shape, TensorBuilder::elt(v));
  auto op = ExpandOp::create(s->b(), s->loc(), type, v);
  if (failed(verifiedOrErased(op)))
    s->failHere("expand");
  return WRAP(op.getResult());
}

Tensor Trace::cast(const Tensor &x, DType dtype) {
  Value v = USE(x);
  auto type = RankedTensorType::get(TensorBuilder::shape(v),
                                    elementType(&s->ctx, modelDType(dtype)));
  auto op = CastOp::create(s->b(), s->loc(), type, v);
  if (failed(verifiedOrErased(op)))
    s->failHere("to");
  return WRAP(op.getResult());
}

Tensor Trace::slice(const Tensor &x, const std::vector<int64_t> &starts,
                    const std::vector<int64_t> &sizes,
                    const std::vector<int64_t> &steps) {
  OpBuilder &ob = s->b();
  auto made = createVerified<SliceOp>(
      ob, s->loc(), 1, USE(x), ob.getDenseI64ArrayAttr(starts),
      ob.getDenseI64ArrayAttr(sizes), ob.getDenseI64ArrayAttr(steps));
  if (failed(made))
    s->failHere("slice");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::gatherElements(const Tensor &x, const Tensor &indices,
                             int64_t axis) {
  auto made = createVerified<GatherElementsOp>(s->b(), s->loc(), 1, USE(x),
                                               USE(indices),
                                               s->b().getI64IntegerAttr(axis));
  if (failed(made))
    s->failHere("gather");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::einsum(const std::string &equation,
                     const std::vector<Tensor> &xs) {
  SmallVector<Value> values;
  for (const Tensor &x : xs)
    values.push_back(USE(x));
  auto made = createVerified<EinsumOp>(s->b(), s->loc(), 1, ValueRange(values),
                                       s->b().getStringAttr(equation));
  if (failed(made))
    s->failHere("einsum");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::argReduce(const Tensor &x, int64_t axis, bool keepdim, bool max) {
  OpBuilder &ob = s->b();
  Value v = USE(x);
  auto made = max ? createVerified<ArgMaxOp>(
                        ob, s->loc(), 1, v, ob.getI64IntegerAttr(axis),
                        ob.getBoolAttr(keepdim), ob.getBoolAttr(false))
                  : createVerified<ArgMinOp>(
                        ob, s->loc(), 1, v, ob.getI64IntegerAttr(axis),
                        ob.getBoolAttr(keepdim), ob.getBoolAttr(false));
  if (failed(made))
    s->failHere(max ? "argmax" : "argmin");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::oneHot(const Tensor &indices, int64_t depth, DType dtype) {
  Value i = USE(indices);
  Type elt = elementType(&s->ctx, modelDType(dtype));
  auto valuesType = RankedTensorType::get({2}, elt);
  Attribute off, on;
  if (isa<FloatType>(elt)) {
    off = FloatAttr::get(elt, 0.0);
    on = FloatAttr::get(elt, 1.0);
  } else {
    off = IntegerAttr::get(elt, 0);
    on = IntegerAttr::get(elt, 1);
  }
  Value values = ConstantOp::create(
      s->b(), s->loc(), DenseElementsAttr::get(valuesType, {off, on}));
  int64_t rank = TensorBuilder::type(i).getRank();
  auto made = createVerified<OneHotOp>(s->b(), s->loc(), 1, i, values,
                                       s->b().getI64IntegerAttr(depth),
                                       s->b().getI64IntegerAttr(rank));
  if (failed(made))
    s->failHere("one_hot");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::loss(LossKind kind, const Tensor &input, const Tensor &target,
                   const Tensor &weight, const Tensor &posWeight,
                   const std::string &reduction, double a, int64_t ignore,
                   bool flag) {
  OpBuilder &ob = s->b();
  Location loc = s->loc();
  auto r = symbolizeReduction(reduction);
  if (!r)
    s->failHere(
        "reduction is none, mean, sum (or batchmean for kl_div), got '" +
        reduction + "'");
  auto red = ReductionAttr::get(&s->ctx, *r);
  Value x = USE(input), t = USE(target), w = USE(weight), pw = USE(posWeight);
  FailureOr<Operation *> made = failure();
  switch (kind) {
  case LossKind::CrossEntropy:
    made = createVerified<CrossEntropyLossOp>(ob, loc, 1, x, t, w, red,
                                              ob.getI64IntegerAttr(ignore),
                                              ob.getF64FloatAttr(a));
    break;
  case LossKind::Nll:
    made = createVerified<NllLossOp>(ob, loc, 1, x, t, w, red,
                                     ob.getI64IntegerAttr(ignore));
    break;
  case LossKind::Mse:
    made = createVerified<MseLossOp>(ob, loc, 1, x, t, red);
    break;
  case LossKind::L1:
    made = createVerified<L1LossOp>(ob, loc, 1, x, t, red);
    break;
  case LossKind::SmoothL1:
    made = createVerified<SmoothL1LossOp>(ob, loc, 1, x, t, red,
                                          ob.getF64FloatAttr(a));
    break;
  case LossKind::Huber:
    made = createVerified<HuberLossOp>(ob, loc, 1, x, t, red,
                                       ob.getF64FloatAttr(a));
    break;
  case LossKind::KlDiv:
    made = createVerified<KlDivLossOp>(ob, loc, 1, x, t, red,
                                       ob.getBoolAttr(flag));
    break;
  case LossKind::Bce:
    made = createVerified<BceLossOp>(ob, loc, 1, x, t, w, red);
    break;
  case LossKind::BceWithLogits:
    made = createVerified<BceWithLogitsLossOp>(ob, loc, 1, x, t, w, pw, red);
    break;
  }
  if (failed(made))
    s->failHere("loss");
  return WRAP((*made)->getResult(0));
}

Tensor Trace::gather(const Tensor &x, const Tensor &indices, int64_t axis) {
  auto made =
      createVerified<GatherOp>(s->b(), s->loc(), 1, USE(x), USE(indices),
                               s->b().getI64IntegerAttr(axis));
  if (failed(made))
    s->failHere("gather");
  return WRAP((*made)->getResult(0));
}

std::tuple<Tensor, Tensor, Tensor>
Trace::recurrent(int kind, const Tensor &x, const Tensor &w, const Tensor &r,
                 const Tensor &bias, const Tensor &h0, const Tensor &c0,
                 bool bidirectional, bool relu) {
  layers::RecurrentOptions options;
  options.bidirectional = bidirectional;
  options.relu = relu;
  options.linearBeforeReset = true; // torch's GRU.
  auto result = layers::recurrent(s->b(), s->loc(), layers::Recurrence(kind),
                                  USE(x), USE(w), USE(r), USE(bias), USE(h0),
                                  USE(c0), Value(), Value(), options);
  if (failed(result))
    s->failHere("");
  Tensor y = WRAP(result->y), h = WRAP(result->h);
  Tensor c = result->c ? WRAP(result->c) : Tensor();
  return {y, h, c};
}

#undef USE
#undef WRAP

/// The traced model with results |outputs| named |names|.
static Model finishModel(Trace *trace, Trace::State &s,
                         const std::vector<Tensor> &outputs,
                         const std::vector<std::string> &names) {
  std::vector<ModelBuilder::Output> results;
  s.scopes.clear();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &t = outputs[i];
    if (!t.defined())
      fail("lathe: forward's result " + names[i] + " is an undefined tensor");
    results.push_back({names[i], use(trace, s, t)});
  }
  auto model = s.model.finish(results, s.loc());
  if (failed(model))
    s.failHere("the traced model is invalid");
  return std::move(*model);
}

void Trace::finish(const std::vector<Tensor> &outputs,
                   const std::vector<std::string> &names,
                   const CompileOptions &options) {
  Model model = finishModel(this, *s, outputs, names);
  auto failure = [&](const std::string &what) {
    std::string message = "lathe::compile: " + what;
    if (!s->diagnostics.empty())
      message += ": " + s->diagnostics;
    fail(message);
  };
  if (!options.training.empty()) {
    TrainingOptions training;
    for (const auto &[name, value] : options.training)
      if (std::string why = setTrainingOption(training, name, value);
          !why.empty())
        fail("lathe::compile: training build " + why);
    if (failed(addTrainingEntryPoints(*model.module, training)))
      failure("cannot build the training step");
  }

  EmitOptions emit;
  emit.base = options.output;
  llvm::StringRef ext = llvm::sys::path::extension(emit.base);
  if (ext == ".so" || ext == ".o" || ext == ".h" || ext == ".mlir")
    emit.base.resize(emit.base.size() - ext.size());
  emit.kinds = options.emit;
  emit.artifact.name = options.name;
  emit.artifact.target = options.target;
  emit.artifact.triple = options.target_triple;
  emit.artifact.cpu = options.target_cpu;
  emit.artifact.externalWeights = options.external_weights;
  if (auto err = emitModel(model, emit, [](const std::string &, size_t) {}))
    failure(llvm::toString(std::move(err)));
}

} // namespace lathe::nn::detail
