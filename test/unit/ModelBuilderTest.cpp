// Unit tests of the frontend-neutral model builder (frontends/ModelBuilder.h)
// and the shared layer builders (frontends/Layers.h).
#include "frontends/ModelBuilder.h"
#include "dialects/lathe/LatheDialect.h"
#include "frontends/Layers.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <catch2/catch.hpp>

using namespace mlir;
using Catch::Matchers::Contains;

namespace {

/// A context whose diagnostics are collected into |messages|.
struct Fixture {
  MLIRContext ctx;
  std::string messages;
  ScopedDiagnosticHandler handler{&ctx, [this](Diagnostic &d) {
                                    messages += d.str() + "\n";
                                    return success();
                                  }};
  Location loc = UnknownLoc::get(&ctx);

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&ctx));
  }
  lathe::Parameter param(const std::string &name, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return {name, lathe::DType::F32, shape, std::vector<char>(4 * n, 0)};
  }
};

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

} // namespace

TEST_CASE("the model builder makes @forward with the Model contract") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  auto x = m.addInput("x", f.f32({2, 3, 8}), f.loc);
  auto w = m.addParameter(f.param("conv.weight", {4, 3, 3}), f.loc);
  auto b = m.addParameter(f.param("conv.bias", {4}), f.loc);
  REQUIRE((succeeded(x) && succeeded(w) && succeeded(b)));
  lathe::layers::Window window;
  window.padding = lathe::layers::Window::symmetric({1});
  auto y = lathe::layers::conv(m.builder(), f.loc, *x, *w, *b, window);
  REQUIRE(succeeded(y));
  CHECK(shapeOf(*y) == ArrayRef<int64_t>{2, 4, 8});
  auto model = m.finish({{"y", *y}}, f.loc);
  INFO(f.messages);
  REQUIRE(succeeded(model));
  auto forward = model->module->lookupSymbol<func::FuncOp>("forward");
  REQUIRE(forward);
  CHECK(forward.getNumArguments() == 3);
  CHECK(forward.getArgAttrOfType<StringAttr>(0, lathe::kInputAttr).getValue() ==
        "x");
  CHECK(forward.getArgAttrOfType<StringAttr>(2, lathe::kParamAttr).getValue() ==
        "conv.bias");
  CHECK(forward.getResultAttrOfType<StringAttr>(0, lathe::kOutputAttr)
            .getValue() == "y");
  REQUIRE(model->params.size() == 2);
  CHECK(model->params[0].name == "conv.weight");
}

TEST_CASE("the model builder refuses what breaks the contract") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  REQUIRE(succeeded(m.addParameter(f.param("w", {2}), f.loc)));
  CHECK(failed(m.addInput("x", f.f32({2}), f.loc)));
  CHECK_THAT(f.messages, Contains("input 'x' comes after a parameter"));
  CHECK(failed(m.addParameter(f.param("w", {2}), f.loc)));
  CHECK_THAT(f.messages, Contains("parameter name 'w' is empty or already"));
  lathe::Parameter short_ = f.param("v", {4});
  short_.bytes.resize(8);
  CHECK(failed(m.addParameter(short_, f.loc)));
  CHECK_THAT(f.messages, Contains("'v' holds 8 bytes; its shape and dtype "
                                  "need 16"));
  lathe::Parameter huge = f.param("h", {1});
  huge.shape = {int64_t(1) << 62, 8};
  CHECK(failed(m.addParameter(huge, f.loc)));
  CHECK_THAT(f.messages, Contains("'h' has an invalid or too large shape"));
  auto w = m.parameters().size();
  CHECK(w == 1);
}

TEST_CASE("layer builders check their arguments and report at the layer") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  auto x = m.addInput("x", f.f32({1, 2, 6, 6}), f.loc);
  auto w = m.addParameter(f.param("w", {4, 2, 3, 3}), f.loc);
  REQUIRE((succeeded(x) && succeeded(w)));
  OpBuilder &b = m.builder();
  lathe::layers::Window window;
  window.stride = {2};
  CHECK(failed(lathe::layers::conv(b, f.loc, *x, *w, Value(), window)));
  CHECK_THAT(f.messages, Contains("convolution: stride has 1 values, "
                                  "expected 2"));
  window = {};
  window.dilation = {0, 1};
  CHECK(failed(lathe::layers::conv(b, f.loc, *x, *w, Value(), window)));
  CHECK_THAT(f.messages, Contains("must be positive"));
  CHECK(failed(lathe::layers::maxPool(b, f.loc, *x, {})));
  CHECK_THAT(f.messages, Contains("max pooling needs a kernel size"));
  window = {};
  window.kernel = {2, 2};
  window.dilation = {2, 2};
  CHECK(failed(lathe::layers::avgPool(b, f.loc, *x, window, false)));
  CHECK_THAT(f.messages, Contains("dilated average pooling"));
  // Grouped convolution whose channels do not divide: the op's own check.
  CHECK(failed(lathe::layers::conv(b, f.loc, *x, *w, Value(), {}, 3)));
}

TEST_CASE("window layers: 1-D runs as 2-D, ceil mode, indices, global") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  auto x = m.addInput("x", f.f32({1, 2, 7}), f.loc);
  auto v = m.addInput("v", f.f32({1, 2, 4, 4, 4}), f.loc);
  REQUIRE((succeeded(x) && succeeded(v)));
  OpBuilder &b = m.builder();
  lathe::layers::Window window;
  window.kernel = {2};
  window.stride = {2};
  auto floor = lathe::layers::maxPool(b, f.loc, *x, window);
  window.ceilMode = true;
  auto ceil = lathe::layers::maxPool(b, f.loc, *x, window);
  auto indexed = lathe::layers::maxPoolWithIndices(b, f.loc, *x, window);
  auto average = lathe::layers::avgPool(b, f.loc, *x, window, true);
  auto global = lathe::layers::globalAvgPool(b, f.loc, *v);
  INFO(f.messages);
  REQUIRE((succeeded(floor) && succeeded(ceil) && succeeded(indexed) &&
           succeeded(average) && succeeded(global)));
  CHECK(shapeOf(*floor) == ArrayRef<int64_t>{1, 2, 3});
  CHECK(shapeOf(*ceil) == ArrayRef<int64_t>{1, 2, 4});
  CHECK(shapeOf(indexed->second) == ArrayRef<int64_t>{1, 2, 4});
  CHECK(shapeOf(*average) == ArrayRef<int64_t>{1, 2, 4});
  CHECK(shapeOf(*global) == ArrayRef<int64_t>{1, 2, 1, 1, 1});
  auto model = m.finish({{"floor", *floor}, {"global", *global}}, f.loc);
  CHECK(succeeded(model));
}

TEST_CASE("linear and normalization layers, with and without affine") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  auto x = m.addInput("x", f.f32({2, 5, 6}), f.loc);
  auto img = m.addInput("img", f.f32({2, 4, 3, 3}), f.loc);
  auto w = m.addParameter(f.param("fc.weight", {7, 6}), f.loc);
  auto stat = m.addParameter(f.param("bn.running_mean", {4}), f.loc);
  auto var = m.addParameter(f.param("bn.running_var", {4}), f.loc);
  REQUIRE((succeeded(x) && succeeded(img) && succeeded(w) && succeeded(stat) &&
           succeeded(var)));
  OpBuilder &b = m.builder();
  auto fc = lathe::layers::linear(b, f.loc, *x, *w, Value());
  auto bn =
      lathe::layers::batchNorm(b, f.loc, *img, Value(), Value(), *stat, *var);
  auto ln = lathe::layers::layerNorm(b, f.loc, *x, 2, Value(), Value());
  auto gn = lathe::layers::groupNorm(b, f.loc, *img, 2, Value(), Value());
  auto in = lathe::layers::instanceNorm(b, f.loc, *img, Value(), Value());
  INFO(f.messages);
  REQUIRE((succeeded(fc) && succeeded(bn) && succeeded(ln) && succeeded(gn) &&
           succeeded(in)));
  CHECK(shapeOf(*fc) == ArrayRef<int64_t>{2, 5, 7});
  CHECK(shapeOf(*bn) == ArrayRef<int64_t>{2, 4, 3, 3});
  // torch's momentum 0.1 is the op's 0.9 (the old value's weight).
  CHECK(cast<lathe::BatchNormOp>(bn->getDefiningOp())
            .getMomentum()
            .convertToDouble() == Approx(0.9));
  CHECK(shapeOf(ln->y) == ArrayRef<int64_t>{2, 5, 6});
  CHECK(shapeOf(gn->mean) == ArrayRef<int64_t>{2, 2});
  CHECK(shapeOf(*in) == ArrayRef<int64_t>{2, 4, 3, 3});

  CHECK(failed(lathe::layers::linear(b, f.loc, *img, *w, Value())));
  CHECK_THAT(f.messages, Contains("linear: the input"));
  CHECK(failed(lathe::layers::groupNorm(b, f.loc, *img, 3, Value(), Value())));
  CHECK_THAT(f.messages, Contains("3 groups must divide the 4 channels"));
  CHECK(failed(lathe::layers::layerNorm(b, f.loc, *x, 3, Value(), Value())));
  CHECK_THAT(f.messages, Contains("axis 3 is not a dimension"));
  CHECK(failed(lathe::layers::instanceNorm(b, f.loc, *w, Value(), Value())));
  CHECK_THAT(f.messages, Contains("instance normalization takes an N x C"));
}

TEST_CASE("recurrent layers: batch first, directions, cell state") {
  Fixture f;
  lathe::ModelBuilder m(f.ctx, f.loc);
  auto x = m.addInput("x", f.f32({2, 5, 3}), f.loc); // N x T x I
  auto w = m.addParameter(f.param("w", {2, 16, 3}), f.loc);
  auto r = m.addParameter(f.param("r", {2, 16, 4}), f.loc);
  auto gw = m.addParameter(f.param("gw", {1, 12, 3}), f.loc);
  auto gr = m.addParameter(f.param("gr", {1, 12, 4}), f.loc);
  REQUIRE((succeeded(x) && succeeded(w) && succeeded(r) && succeeded(gw) &&
           succeeded(gr)));
  OpBuilder &b = m.builder();
  lathe::layers::RecurrentOptions o;
  o.bidirectional = true;
  o.batchFirst = true;
  auto lstm = lathe::layers::recurrent(
      b, f.loc, lathe::layers::Recurrence::Lstm, *x, *w, *r, Value(), Value(),
      Value(), Value(), Value(), o);
  INFO(f.messages);
  REQUIRE(succeeded(lstm));
  CHECK(shapeOf(lstm->y) == ArrayRef<int64_t>{2, 5, 2, 4}); // N x T x D x H
  CHECK(shapeOf(lstm->h) == ArrayRef<int64_t>{2, 2, 4});    // N x D x H
  REQUIRE(lstm->c);
  lathe::layers::RecurrentOptions g;
  g.linearBeforeReset = true;
  auto gru = lathe::layers::recurrent(b, f.loc, lathe::layers::Recurrence::Gru,
                                      *x, *gw, *gr, Value(), Value(), Value(),
                                      Value(), Value(), g);
  REQUIRE(succeeded(gru));
  // Time-major: x's 2 x 5 is T x N here.
  CHECK(shapeOf(gru->y) == ArrayRef<int64_t>{2, 1, 5, 4});
  CHECK_FALSE(gru->c);
  CHECK(failed(lathe::layers::recurrent(
      b, f.loc, lathe::layers::Recurrence::Gru, *x, *gw, *gr, Value(), Value(),
      lstm->h, Value(), Value(), g)));
  CHECK_THAT(f.messages, Contains("only an LSTM has a cell state"));
}
