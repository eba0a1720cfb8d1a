// ONNX import of the nn family: convolution, pooling, normalization,
// resampling.
#include "frontends/Layers.h"
#include "frontends/onnx/Importer.h"

#include <cmath>

namespace lathe::onnx_import {

LogicalResult Importer::windowPads(const NodeProto &node, RankedTensorType in,
                                   ArrayRef<int64_t> kernel,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations,
                                   SmallVectorImpl<int64_t> &pads) {
  size_t n = kernel.size();
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  auto explicitPads = intsAttr(node, "pads");
  if (autoPad == "NOTSET") {
    pads.assign(explicitPads ? *explicitPads : SmallVector<int64_t>(2 * n, 0));
    if (pads.size() != 2 * n)
      return error(node) << "expected " << 2 * n << " pads, got "
                         << pads.size();
    return success();
  }
  pads.assign(2 * n, 0);
  if (autoPad == "VALID")
    return success();
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return error(node) << "unknown auto_pad '" << autoPad << "'";
  for (size_t i = 0; i < n; ++i) {
    int64_t size = in.getDimSize(in.getRank() - n + i);
    int64_t out = (size + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - size);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + n] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

LogicalResult Importer::windowStrides(const NodeProto &node, size_t n,
                                      SmallVectorImpl<int64_t> &strides,
                                      SmallVectorImpl<int64_t> &dilations) {
  SmallVector<int64_t> ones(n, 1);
  strides.assign(intsAttr(node, "strides").value_or(ones));
  dilations.assign(intsAttr(node, "dilations").value_or(ones));
  if (strides.size() != n || dilations.size() != n)
    return error(node) << "expected " << n << " strides and dilations, got "
                       << strides.size() << " and " << dilations.size();
  return success();
}

LogicalResult Importer::windowAttrs(const NodeProto &node, RankedTensorType in,
                                    ArrayRef<int64_t> kernel,
                                    SmallVectorImpl<int64_t> &strides,
                                    SmallVectorImpl<int64_t> &dilations,
                                    SmallVectorImpl<int64_t> &pads) {
  if (failed(windowStrides(node, kernel.size(), strides, dilations)))
    return failure();
  return windowPads(node, in, kernel, strides, dilations, pads);
}

FailureOr<Importer::ConvOperands> Importer::convOperands(const NodeProto &node,
                                                         StringRef what,
                                                         int xIndex, int wIndex,
                                                         int biasIndex) {
  auto x = input(node, xIndex), w = input(node, wIndex);
  FailureOr<Value> bias =
      biasIndex < 0 ? Value() : optionalInput(node, biasIndex);
  if (failed(x) || failed(w) || failed(bias))
    return failure();
  ConvOperands ops;
  ops.input = *x;
  ops.weight = *w;
  ops.bias = *bias;
  ops.inputType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  ops.spatial = ops.inputType.getRank() - 2;
  if (ops.spatial < 1 || ops.spatial > 3 ||
      wType.getRank() != ops.inputType.getRank()) {
    error(node) << "only 1-D to 3-D " << what
                << " is supported, got input rank " << ops.inputType.getRank()
                << " and weight rank " << wType.getRank();
    return failure();
  }
  ops.kernel.assign(wType.getShape().drop_front(2).begin(),
                    wType.getShape().end());
  if (auto ks = intsAttr(node, "kernel_shape"); ks && *ks != ops.kernel) {
    error(node) << "kernel_shape " << shapeString(*ks)
                << " does not match the weight's " << shapeString(ops.kernel);
    return failure();
  }
  return ops;
}

FailureOr<Value> Importer::buildConv(const NodeProto &node,
                                     const ConvOperands &ops) {
  layers::Window window;
  if (failed(windowAttrs(node, ops.inputType, ops.kernel, window.stride,
                         window.dilation, window.padding)))
    return failure();
  return layers::conv(b, loc, ops.input, ops.weight, ops.bias, window,
                      intAttr(node, "group", 1));
}

LogicalResult Importer::conv(const NodeProto &node) {
  auto ops = convOperands(node, "convolution");
  if (failed(ops))
    return failure();
  auto y = buildConv(node, *ops);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::convTranspose(const NodeProto &node) {
  auto ops = convOperands(node, "transposed convolution");
  if (failed(ops))
    return failure();
  int64_t spatial = ops->spatial;
  RankedTensorType xType = ops->inputType;
  ArrayRef<int64_t> kernel = ops->kernel;
  SmallVector<int64_t> strides, dilations;
  if (failed(windowStrides(node, spatial, strides, dilations)))
    return failure();
  SmallVector<int64_t> outPad = intsAttr(node, "output_padding")
                                    .value_or(SmallVector<int64_t>(spatial, 0));
  if (int64_t(outPad.size()) != spatial)
    return error(node) << "expected " << spatial << " output paddings";
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  auto outputShape = intsAttr(node, "output_shape");
  SmallVector<int64_t> pads(2 * spatial, 0);
  bool explicitPadding = false;
  if (auto explicitPads = intsAttr(node, "pads");
      explicitPads && !outputShape && autoPad == "NOTSET") {
    pads = *explicitPads;
    explicitPadding = true;
  } else if (outputShape || autoPad == "SAME_UPPER" ||
             autoPad == "SAME_LOWER") {
    // Pads that give the requested output size (input * stride for SAME).
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      int64_t out = outputShape
                        ? (*outputShape)[outputShape->size() - spatial + i]
                        : in * strides[i];
      int64_t total = strides[i] * (in - 1) + outPad[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - out;
      // The smaller half in front for SAME_UPPER, the larger otherwise (as
      // the specification and ONNX Runtime split it); an output larger
      // than the full convolution grows at the end, as ONNX Runtime grows
      // it.
      pads[i] = total < 0                 ? 0
                : autoPad == "SAME_UPPER" ? total / 2
                                          : total - total / 2;
      pads[i + spatial] = total - pads[i];
    }
  } else if (autoPad != "NOTSET" && autoPad != "VALID") {
    return error(node) << "unknown auto_pad '" << autoPad << "'";
  }
  if (int64_t(pads.size()) != 2 * spatial)
    return error(node) << "expected " << 2 * spatial << " pads";
  // An output (output_shape, or SAME's input * stride) beyond the full
  // transposed convolution needs negative padding, which the layer turns
  // into growth holding the bias alone (as ONNX Runtime computes it);
  // explicit pads must not be negative.
  if (explicitPadding)
    for (int64_t p : pads)
      if (p < 0)
        return error(node) << "pads must be non-negative, got " << p;
  layers::Window window;
  window.stride = strides;
  window.dilation = dilations;
  window.padding = pads;
  auto y = layers::convTranspose(b, loc, ops->input, ops->weight, ops->bias,
                                 window, outPad, intAttr(node, "group", 1));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Whether any node or graph output reads the value |name|.
static bool isRead(const onnx::GraphProto &graph, const std::string &name) {
  for (const auto &n : graph.node())
    for (const auto &in : n.input())
      if (in == name)
        return true;
  for (const auto &out : graph.output())
    if (out.name() == name)
      return true;
  return false;
}

LogicalResult Importer::batchNorm(const NodeProto &node) {
  // A graph exported in training mode (torch.onnx TrainingMode.TRAINING)
  // marks its batch norms so, with running-statistics outputs nobody reads:
  // in a training build it imports as batch_norm, whose train_step
  // (lathe-training-mode) uses batch statistics and updates the running
  // ones. Elsewhere training_mode=1 is computed as ONNX defines it: batch
  // statistics, and the running ones as outputs.
  if (intAttr(node, "spatial", 1) != 1)
    return error(node) << "spatial=0 is not supported";
  bool batchStatistics =
      intAttr(node, "training_mode", 0) != 0 && !options.trainingGraph;
  for (int i = 1; i < node.output_size() && !batchStatistics; ++i)
    if (!node.output(i).empty() && isRead(graph, node.output(i)))
      return error(node) << "outputs beyond Y (running statistics) are only "
                            "produced in training mode";
  SmallVector<Value> ins;
  for (int i = 0; i < 5; ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  // ONNX's momentum weighs the old running value; torch's the new one.
  auto y = layers::batchNorm(b, loc, ins[0], ins[1], ins[2], ins[3], ins[4],
                             floatAttr(node, "epsilon", 1e-5f),
                             1.0 - double(floatAttr(node, "momentum", 0.9f)));
  if (failed(y))
    return failure();
  if (!batchStatistics) {
    setOutput(node, 0, *y);
    return success();
  }
  // running = running * momentum + batch * (1 - momentum), with the biased
  // batch variance (ONNX's reference, unlike PyTorch's running variance).
  auto norm = cast<BatchNormOp>(y->getDefiningOp());
  TensorBuilder tb{b, loc};
  TensorBuilder::BatchStatistics batch = tb.batchStatistics(norm);
  double m = norm.getMomentum().convertToDouble();
  auto running = [&](Value old, Value stat) {
    return tb.add(tb.scale(old, m), tb.scale(stat, 1.0 - m));
  };
  setOutput(node, 0, batch.y);
  if (node.output_size() > 1 && !node.output(1).empty())
    setOutput(node, 1, running(norm.getMean(), batch.mean));
  if (node.output_size() > 2 && !node.output(2).empty())
    setOutput(node, 2, running(norm.getVar(), batch.variance));
  norm.erase();
  return success();
}

LogicalResult Importer::layerNorm(const NodeProto &node) {
  if (intAttr(node, "stash_type", 1) != 1)
    return error(node) << "stash_type other than 1 (float32 statistics) is "
                          "not supported";
  auto x = input(node, 0), scale = input(node, 1),
       bias = optionalInput(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", -1), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  auto n = layers::layerNorm(b, loc, *x, axis, *scale, *bias,
                             floatAttr(node, "epsilon", 1e-5f));
  if (failed(n))
    return failure();
  Value results[] = {n->y, n->mean, n->invStdDev};
  for (int i = 0; i < node.output_size() && i < 3; ++i)
    if (!node.output(i).empty())
      setOutput(node, i, results[i]);
  return success();
}

LogicalResult Importer::poolWindow(const NodeProto &node, RankedTensorType in,
                                   StringRef what, layers::Window &window) {
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel)
    return error(node) << "missing required attribute kernel_shape";
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || spatial > 3 || int64_t(kernel->size()) != spatial)
    return error(node) << "only 1-D to 3-D " << what
                       << " is supported, got input rank " << in.getRank()
                       << " and a " << kernel->size() << "-D kernel";
  window.kernel = *kernel;
  window.ceilMode = intAttr(node, "ceil_mode", 0) != 0;
  return windowAttrs(node, in, *kernel, window.stride, window.dilation,
                     window.padding);
}

LogicalResult Importer::maxPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  bool withIndices = node.output_size() > 1 && !node.output(1).empty();
  int64_t storageOrder = intAttr(node, "storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return error(node) << "storage_order must be 0 (row-major) or 1 "
                          "(column-major), got "
                       << storageOrder;
  layers::Window window;
  if (failed(poolWindow(node, cast<RankedTensorType>(x->getType()),
                        "max pooling", window)))
    return failure();
  if (withIndices) {
    auto made =
        layers::maxPoolWithIndices(b, loc, *x, window, storageOrder == 1);
    if (failed(made))
      return failure();
    setOutput(node, 0, made->first);
    setOutput(node, 1, made->second);
    return success();
  }
  auto y = layers::maxPool(b, loc, *x, window);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::avgPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  layers::Window window;
  if (failed(poolWindow(node, cast<RankedTensorType>(x->getType()),
                        "average pooling", window)))
    return failure();
  auto y = layers::avgPool(b, loc, *x, window,
                           intAttr(node, "count_include_pad", 0) != 0);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

namespace {
/// LpPool's p: a FLOAT in opset 1, an INT since (default 2).
double lpExponent(const NodeProto &node) {
  const auto *attr = findAttr(node, "p");
  if (!attr)
    return 2.0;
  return attr->type() == onnx::AttributeProto::FLOAT ? attr->f()
                                                     : double(attr->i());
}
} // namespace

LogicalResult Importer::lpPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  layers::Window window;
  if (failed(poolWindow(node, cast<RankedTensorType>(x->getType()),
                        "Lp pooling", window)))
    return failure();
  auto y = layers::lpPool(b, loc, *x, window, lpExponent(node));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::globalLpPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = layers::globalLpPool(b, loc, *x, lpExponent(node));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::globalAvgPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = layers::globalAvgPool(b, loc, *x);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::softmax(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto resolved =
      resolveAxis(node, intAttr(node, "axis", opset >= 13 ? -1 : 1), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  bool isLog = node.op_type() == "LogSoftmax";
  Value in = *x;
  if (opset < 13 && axis != rank - 1) {
    // Before opset 13 the input is coerced to 2-D at |axis|.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) *= type.getDimSize(d);
    auto flat = buildReshape(in, {outer, inner});
    if (failed(flat))
      return failure();
    in = *flat;
    axis = 1;
  }
  FailureOr<Value> y =
      isLog ? finish(LogSoftmaxOp::create(b, loc, in.getType(), in, axis))
            : finish(SoftmaxOp::create(b, loc, in.getType(), in, axis));
  if (failed(y))
    return failure();
  auto back = buildReshape(*y, type.getShape());
  if (failed(back))
    return failure();
  setOutput(node, 0, *back);
  return success();
}

LogicalResult Importer::depthToSpace(const NodeProto &node) {
  // PixelShuffle / PixelUnshuffle: reshape, transpose, reshape.
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() != 4)
    return error(node) << "expected an NCHW input, got rank " << type.getRank();
  int64_t bs = intAttr(node, "blocksize", 0);
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  SmallVector<int64_t> split, perm, out;
  if (node.op_type() == "DepthToSpace") {
    if (bs < 1 || c % (bs * bs) != 0)
      return error(node) << "blocksize " << bs << " must divide the " << c
                         << " channels twice";
    std::string mode = stringAttr(node, "mode", "DCR");
    if (mode == "DCR") {
      split = {n, bs, bs, c / (bs * bs), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      split = {n, c / (bs * bs), bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return error(node) << "mode '" << mode << "' is not DCR or CRD";
    }
    out = {n, c / (bs * bs), h * bs, w * bs};
  } else {
    if (bs < 1 || h % bs != 0 || w % bs != 0)
      return error(node) << "blocksize " << bs << " must divide the " << h
                         << "x" << w << " spatial size";
    split = {n, c, h / bs, bs, w / bs, bs};
    perm = {0, 3, 5, 1, 2, 4};
    out = {n, c * bs * bs, h / bs, w / bs};
  }
  auto blocks = buildReshape(*x, split);
  if (failed(blocks))
    return failure();
  auto moved = build<TransposeOp>(node, *blocks, b.getDenseI64ArrayAttr(perm));
  if (failed(moved))
    return failure();
  auto y = buildReshape(*moved, out);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::resize(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  bool legacy = node.op_type() == "Upsample" || opset < 11;
  // Inputs: Upsample-7 has scales as an attribute; Upsample-9 and Resize-10
  // take (X, scales); Resize-11+ takes (X, roi, scales, sizes).
  int scalesInput = legacy ? 1 : 2, sizesInput = legacy ? -1 : 3;
  std::vector<double> given;
  bool haveScales = false;
  if (node.op_type() == "Upsample" && opset < 9) {
    if (const auto *a = findAttr(node, "scales")) {
      given.assign(a->floats().begin(), a->floats().end());
      haveScales = true;
    }
  } else if (hasInput(node, scalesInput)) {
    const TensorValue *v = constantInput(node, scalesInput, "scales");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      given.push_back(v->floatAt(i));
    haveScales = !given.empty();
  }
  std::vector<int64_t> sizes;
  if (sizesInput >= 0 && hasInput(node, sizesInput)) {
    const TensorValue *v = constantInput(node, sizesInput, "sizes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      sizes.push_back(v->intAt(i));
  }
  if (haveScales == !sizes.empty())
    return error(node) << "expected exactly one of scales and sizes";
  SmallVector<int64_t> axes;
  if (auto a = intsAttr(node, "axes")) {
    for (int64_t v : *a) {
      auto r = resolveAxis(node, v, rank);
      if (failed(r))
        return failure();
      axes.push_back(*r);
    }
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  size_t count = haveScales ? given.size() : sizes.size();
  if (count != axes.size())
    return error(node) << "expected " << axes.size() << " "
                       << (haveScales ? "scales" : "sizes") << ", got "
                       << count;
  if (intAttr(node, "antialias", 0) != 0)
    return error(node) << "antialias=1 is not supported";
  SmallVector<double> scales(rank, 1.0);
  SmallVector<int64_t> out(type.getShape());
  if (haveScales) {
    for (size_t i = 0; i < axes.size(); ++i) {
      if (!(given[i] > 0))
        return error(node) << "scales must be positive, got " << given[i];
      scales[axes[i]] = given[i];
      out[axes[i]] =
          int64_t(std::floor(double(type.getDimSize(axes[i])) * given[i]));
    }
  } else {
    std::string policy =
        stringAttr(node, "keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" &&
        policy != "not_smaller")
      return error(node) << "keep_aspect_ratio_policy '" << policy
                         << "' is not stretch, not_larger or not_smaller";
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (size_t i = 0; i < axes.size(); ++i) {
      double ratio = double(sizes[i]) / double(type.getDimSize(axes[i]));
      common = policy == "not_larger" ? std::min(common, ratio)
                                      : std::max(common, ratio);
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t in = type.getDimSize(axes[i]);
      if (policy == "stretch") {
        out[axes[i]] = sizes[i];
        scales[axes[i]] = double(sizes[i]) / double(in);
      } else {
        scales[axes[i]] = common;
        out[axes[i]] = int64_t(std::round(common * double(in)));
      }
    }
  }
  for (int64_t axis = 0; axis < rank; ++axis)
    if (type.getDimSize(axis) == 0 && out[axis] != 0)
      return error(node) << "axis " << axis
                         << " is empty and cannot be resized to " << out[axis];
  std::string modeName = stringAttr(node, "mode", "nearest");
  std::optional<ResizeMode> mode = symbolizeResizeMode(
      modeName == "bilinear" || modeName == "trilinear" ? "linear" : modeName);
  if (!mode)
    return error(node) << "mode '" << modeName
                       << "' is not nearest, linear or cubic";
  std::string cmName =
      legacy ? "asymmetric"
             : stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  std::optional<CoordinateMode> cm = symbolizeCoordinateMode(cmName);
  if (!cm)
    return error(node) << "coordinate_transformation_mode '" << cmName
                       << "' is not supported";
  std::string nmName =
      legacy ? "floor" : stringAttr(node, "nearest_mode", "round_prefer_floor");
  std::optional<NearestMode> nm = symbolizeNearestMode(nmName);
  if (!nm)
    return error(node) << "nearest_mode '" << nmName << "' is not supported";
  DenseF64ArrayAttr roi;
  if (*cm == CoordinateMode::tf_crop_and_resize) {
    const TensorValue *r = constantInput(node, 1, "roi");
    if (!r)
      return failure();
    SmallVector<double> full(2 * rank, 0.0);
    for (int64_t d = 0; d < rank; ++d)
      full[rank + d] = 1.0;
    if (size_t(r->numElements()) != 2 * axes.size())
      return error(node) << "expected a roi of " << 2 * axes.size()
                         << " values, got " << r->numElements();
    for (size_t i = 0; i < axes.size(); ++i) {
      full[axes[i]] = r->floatAt(i);
      full[rank + axes[i]] = r->floatAt(i + axes.size());
    }
    roi = b.getDenseF64ArrayAttr(full);
  }
  auto y = finish(ResizeOp::create(
      b, loc, RankedTensorType::get(out, type.getElementType()), *x,
      b.getDenseF64ArrayAttr(scales), ResizeModeAttr::get(&ctx, *mode),
      CoordinateModeAttr::get(&ctx, *cm), NearestModeAttr::get(&ctx, *nm),
      b.getF64FloatAttr(floatAttr(node, "cubic_coeff_a", -0.75f)),
      intAttr(node, "exclude_outside", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getF64FloatAttr(floatAttr(node, "extrapolation_value", 0.0f)), roi));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::maxUnpool(const NodeProto &node) {
  // y = zeros(output shape); y.flat[indices] = x: a scatter_nd on the
  // flattened tensors.
  auto x = input(node, 0), idx = input(node, 1);
  if (failed(x) || failed(idx))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t spatial = xType.getRank() - 2;
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel || int64_t(kernel->size()) != spatial)
    return error(node) << "expected a kernel_shape of " << spatial << " values";
  SmallVector<int64_t> strides =
      intsAttr(node, "strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      intsAttr(node, "pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if (int64_t(strides.size()) != spatial || int64_t(pads.size()) != 2 * spatial)
    return error(node) << "expected " << spatial << " strides and "
                       << 2 * spatial << " pads";
  // Indices address the default output; output_shape extends it at the end.
  SmallVector<int64_t> out(xType.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i)
    out.push_back((xType.getDimSize(2 + i) - 1) * strides[i] + (*kernel)[i] -
                  pads[i] - pads[i + spatial]);
  SmallVector<int64_t> requested(out);
  if (hasInput(node, 2)) {
    const TensorValue *shape = constantInput(node, 2, "output_shape");
    if (!shape)
      return failure();
    requested.clear();
    for (int64_t i = 0; i < shape->numElements(); ++i)
      requested.push_back(shape->intAt(i));
    if (requested.size() != out.size())
      return error(node) << "output_shape must have " << out.size()
                         << " dimensions";
    for (size_t d = 0; d < out.size(); ++d)
      if (requested[d] < out[d])
        return error(node) << "output_shape " << shapeString(requested)
                           << " is smaller than the unpooled "
                           << shapeString(out);
  }
  int64_t total = 1;
  for (int64_t d : out)
    total *= d;
  Type elt = xType.getElementType();
  Value zeros = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({total}, elt),
                             b.getFloatAttr(elt, 0.0)));
  int64_t m = xType.getNumElements();
  auto values = buildReshape(*x, {m});
  auto positions = buildReshape(*idx, {m, 1});
  if (failed(values) || failed(positions))
    return failure();
  auto flat = build<ScatterNdOp>(
      node, zeros, *positions, *values,
      ScatterReductionAttr::get(&ctx, ScatterReduction::none));
  if (failed(flat))
    return failure();
  auto y = buildReshape(*flat, out);
  if (failed(y))
    return failure();
  if (requested != out) {
    SmallVector<int64_t> extend(out.size(), 0);
    for (size_t d = 0; d < out.size(); ++d)
      extend.push_back(requested[d] - out[d]);
    y = build<PadOp>(node, *y, b.getDenseI64ArrayAttr(extend),
                     b.getF64FloatAttr(0.0),
                     PadModeAttr::get(&ctx, PadMode::constant));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gridSample(const NodeProto &node) {
  auto x = input(node, 0), grid = input(node, 1);
  if (failed(x) || failed(grid))
    return failure();
  std::string modeName =
      stringAttr(node, "mode", opset >= 20 ? "linear" : "bilinear");
  std::optional<ResizeMode> mode =
      modeName == "bilinear"  ? std::optional(ResizeMode::linear)
      : modeName == "bicubic" ? std::optional(ResizeMode::cubic)
                              : symbolizeResizeMode(modeName);
  if (!mode)
    return error(node) << "mode '" << modeName << "' is not supported";
  std::string padName = stringAttr(node, "padding_mode", "zeros");
  std::optional<GridPadding> padding = symbolizeGridPadding(padName);
  if (!padding)
    return error(node) << "padding_mode '" << padName
                       << "' is not zeros, border or reflection";
  auto y = build<GridSampleOp>(
      node, *x, *grid, ResizeModeAttr::get(&ctx, *mode),
      GridPaddingAttr::get(&ctx, *padding),
      intAttr(node, "align_corners", 0) ? b.getUnitAttr() : UnitAttr());
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::affineGrid(const NodeProto &node) {
  // grid = base @ theta^T, base holding (x, y[, z], 1) of every output
  // point in normalized coordinates (x fastest).
  auto theta = input(node, 0);
  const TensorValue *size = constantInput(node, 1, "size");
  if (failed(theta) || !size)
    return failure();
  auto tType = cast<RankedTensorType>(theta->getType());
  int64_t spatial = size->numElements() - 2;
  if ((spatial != 2 && spatial != 3) || tType.getRank() != 3 ||
      tType.getDimSize(1) != spatial || tType.getDimSize(2) != spatial + 1)
    return error(node) << "expected theta N x 2 x 3 with a 4-element size, "
                          "or N x 3 x 4 with a 5-element size";
  bool align = intAttr(node, "align_corners", 0) != 0;
  SmallVector<int64_t> dims; // D, H, W (outermost first)
  for (int64_t i = 2; i < size->numElements(); ++i)
    dims.push_back(size->intAt(i));
  int64_t points = 1;
  for (int64_t d : dims)
    points *= d;
  auto coord = [&](int64_t i, int64_t n) {
    if (align)
      return n == 1 ? 0.0 : -1.0 + 2.0 * double(i) / double(n - 1);
    return (2.0 * double(i) + 1.0) / double(n) - 1.0;
  };
  SmallVector<double> base;
  for (int64_t p = 0; p < points; ++p) {
    SmallVector<int64_t> at(dims.size());
    for (int64_t d = dims.size() - 1, rest = p; d >= 0; --d) {
      at[d] = rest % dims[d];
      rest /= dims[d];
    }
    for (int64_t d = dims.size() - 1; d >= 0; --d) // x, y[, z]
      base.push_back(coord(at[d], dims[d]));
    base.push_back(1.0);
  }
  Type elt = tType.getElementType();
  SmallVector<Attribute> values;
  for (double v : base)
    values.push_back(b.getFloatAttr(elt, v));
  Value baseValue = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({1, points, spatial + 1}, elt), values));
  auto thetaT =
      build<TransposeOp>(node, *theta, b.getDenseI64ArrayAttr({0, 2, 1}));
  if (failed(thetaT))
    return failure();
  auto grid = build<MatmulOp>(node, baseValue, *thetaT);
  if (failed(grid))
    return failure();
  SmallVector<int64_t> shape = {tType.getDimSize(0)};
  llvm::append_range(shape, dims);
  shape.push_back(spatial);
  auto y = buildReshape(*grid, shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::lrn(const NodeProto &node) {
  // y = x / (bias + alpha / size * sum over the channel window of x^2)^beta,
  // the window [c - floor((size-1)/2), c + ceil((size-1)/2)]: squares,
  // zero-padded along channels, summed as `size` shifted slices.
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t size = intAttr(node, "size", 0), rank = type.getRank();
  if (size < 1 || rank < 3)
    return error(node) << "expected a positive size and an N x C x ... input";
  auto sq = build<MulOp>(node, *x, *x);
  if (failed(sq))
    return failure();
  SmallVector<int64_t> pads(2 * rank, 0);
  pads[1] = (size - 1) / 2;
  pads[rank + 1] = size - 1 - pads[1];
  auto padded = build<PadOp>(node, *sq, b.getDenseI64ArrayAttr(pads),
                             b.getF64FloatAttr(0.0),
                             PadModeAttr::get(&ctx, PadMode::constant));
  if (failed(padded))
    return failure();
  FailureOr<Value> sum = failure();
  for (int64_t k = 0; k < size; ++k) {
    SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
    starts[1] = k;
    auto part = build<SliceOp>(node, *padded, b.getDenseI64ArrayAttr(starts),
                               b.getDenseI64ArrayAttr(type.getShape()),
                               b.getDenseI64ArrayAttr(steps));
    if (failed(part))
      return failure();
    sum = k == 0 ? part : build<AddOp>(node, *sum, *part);
    if (failed(sum))
      return failure();
  }
  Type elt = type.getElementType();
  double alpha = floatAttr(node, "alpha", 1e-4f),
         beta = floatAttr(node, "beta", 0.75f),
         bias = floatAttr(node, "bias", 1.0f);
  auto scaled =
      build<MulOp>(node, *sum, scalarConstant(elt, alpha / double(size)));
  if (failed(scaled))
    return failure();
  auto base = build<AddOp>(node, *scaled, scalarConstant(elt, bias));
  if (failed(base))
    return failure();
  auto den = build<PowOp>(node, *base, scalarConstant(elt, beta));
  if (failed(den))
    return failure();
  auto y = build<DivOp>(node, *x, *den);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::instanceNorm(const NodeProto &node) {
  auto x = input(node, 0), scale = input(node, 1), bias = input(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() < 3)
    return error(node) << "expected an N x C x D1 ... input, got rank "
                       << type.getRank();
  auto y = layers::instanceNorm(b, loc, *x, *scale, *bias,
                                floatAttr(node, "epsilon", 1e-5f));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::groupNorm(const NodeProto &node) {
  auto x = input(node, 0), scale = input(node, 1), bias = input(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  if (intAttr(node, "stash_type", 1) != 1)
    return error(node) << "stash_type other than 1 (float32 statistics) is "
                          "not supported";
  auto type = cast<RankedTensorType>(x->getType());
  int64_t groups = intAttr(node, "num_groups", 0);
  if (type.getRank() < 2 || groups <= 0 || type.getDimSize(1) % groups != 0)
    return error(node) << "num_groups " << groups
                       << " must divide the channels of an N x C x ... input";
  Value s = *scale, bi = *bias;
  if (opset < 21) {
    // Opsets 18-20 hold one scale and bias per group: repeat per channel.
    int64_t per = type.getDimSize(1) / groups;
    for (Value *v : {&s, &bi}) {
      auto t = cast<RankedTensorType>(v->getType());
      if (t.getRank() != 1 || t.getDimSize(0) != groups)
        return error(node) << "expected scale and bias of " << groups
                           << " elements (one per group)";
      auto column = buildReshape(*v, {groups, 1});
      if (failed(column))
        return failure();
      auto wide = finish(ExpandOp::create(
          b, loc, RankedTensorType::get({groups, per}, t.getElementType()),
          *column));
      if (failed(wide))
        return failure();
      auto flat = buildReshape(*wide, {groups * per});
      if (failed(flat))
        return failure();
      *v = *flat;
    }
  }
  auto y = layers::groupNorm(b, loc, *x, groups, s, bi,
                             floatAttr(node, "epsilon", 1e-5f));
  if (failed(y))
    return failure();
  setOutput(node, 0, y->y);
  return success();
}

LogicalResult Importer::meanVarianceNorm(const NodeProto &node) {
  // (x - mean) / (sqrt(mean((x - mean)^2)) + 1e-9) over axes (default 0,2,3).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> axes;
  for (int64_t a :
       intsAttr(node, "axes").value_or(SmallVector<int64_t>{0, 2, 3})) {
    auto r = resolveAxis(node, a, rank);
    if (failed(r))
      return failure();
    axes.push_back(*r);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(true);
  auto mean = build<ReduceMeanOp>(node, *x, axesAttr, keep);
  if (failed(mean))
    return failure();
  auto dev = build<SubOp>(node, *x, *mean);
  if (failed(dev))
    return failure();
  auto sq = build<MulOp>(node, *dev, *dev);
  if (failed(sq))
    return failure();
  auto var = build<ReduceMeanOp>(node, *sq, axesAttr, keep);
  if (failed(var))
    return failure();
  auto sd = finish(SqrtOp::create(b, loc, *var));
  if (failed(sd))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  Value eps = scalarConstant(elt, 1e-9);
  auto den = build<AddOp>(node, *sd, eps);
  if (failed(den))
    return failure();
  auto y = build<DivOp>(node, *dev, *den);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::globalMaxPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  if (rank < 3)
    return error(node) << "expected an N x C x D1 ... input, got rank " << rank;
  auto axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  auto y = build<ReduceMaxOp>(node, *x, b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(true));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// RoiAlign (torchvision.ops.roi_align) with a fixed sampling_ratio: every
/// output bin averages (or, mode max, takes the largest of) sampling_ratio^2
/// bilinear samples, computed as ONNX Runtime does: sample coordinates from
/// each roi (scaled by spatial_scale, shifted by half a pixel in
/// half_pixel mode, at least 1 x 1 in output_half_pixel mode); a sample
/// outside [-1, size] counts as 0; others clamp into the image. The four
/// corners of every sample are gathered from the image (channels last) by
/// GatherND; max mode keeps ORT's largest weighted corner of each sample.
LogicalResult Importer::roiAlign(const NodeProto &node) {
  auto x = input(node, 0), rois = input(node, 1), batchIndex = input(node, 2);
  if (failed(x) || failed(rois) || failed(batchIndex))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto rType = cast<RankedTensorType>(rois->getType());
  Type elt = xType.getElementType();
  if (xType.getRank() != 4 || !isa<FloatType>(elt))
    return error(node) << "X must be a float N x C x H x W tensor, got "
                       << xType;
  int64_t r = rType.getRank() == 2 ? rType.getDimSize(0) : -1;
  if (r < 0 || rType.getDimSize(1) != 4 || rType.getElementType() != elt)
    return error(node) << "rois must be [num_rois, 4] of X's type, got "
                       << rType;
  auto bType = cast<RankedTensorType>(batchIndex->getType());
  if (bType.getShape() != ArrayRef<int64_t>{r} ||
      !isa<IntegerType>(bType.getElementType()))
    return error(node) << "batch_indices must be " << r << " integers, got "
                       << bType;
  int64_t oh = intAttr(node, "output_height", 1),
          ow = intAttr(node, "output_width", 1),
          ratio = intAttr(node, "sampling_ratio", 0);
  if (oh <= 0 || ow <= 0)
    return error(node) << "output_height and output_width must be positive";
  if (ratio <= 0)
    return error(node) << "sampling_ratio " << ratio
                       << " (adaptive: a sample count that depends on each "
                          "roi's size) is not supported; set a positive one";
  std::string mode = stringAttr(node, "mode", "avg");
  if (mode != "avg" && mode != "max")
    return error(node) << "unknown mode '" << mode << "'";
  std::string transform =
      stringAttr(node, "coordinate_transformation_mode",
                 opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (transform != "half_pixel" && transform != "output_half_pixel")
    return error(node) << "unknown coordinate_transformation_mode '"
                       << transform << "'";
  bool halfPixel = transform == "half_pixel";
  double scale = floatAttr(node, "spatial_scale", 1.0);
  int64_t channels = xType.getDimSize(1), height = xType.getDimSize(2),
          width = xType.getDimSize(3);

  // Bail out on the first failed build; |ok| stays false after one.
  bool ok = true;
  auto check = [&](FailureOr<Value> v) -> Value {
    ok = ok && succeeded(v);
    return ok ? *v : Value();
  };
  auto cst = [&](double v) { return scalarConstant(elt, v); };
  auto column = [&](int64_t i) {
    return check(build<SliceOp>(node, *rois, b.getDenseI64ArrayAttr({0, i}),
                                b.getDenseI64ArrayAttr({r, 1}),
                                b.getDenseI64ArrayAttr({1, 1})));
  };
  int64_t sy = oh * ratio, sx = ow * ratio;
  // |v| reshaped to |shape| and broadcast to [r, sy, sx, 1].
  auto spread = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    Value reshaped = check(buildReshape(v, shape));
    if (!ok)
      return Value();
    return check(finish(ExpandOp::create(
        b, loc,
        RankedTensorType::get(
            {r, sy, sx, 1},
            cast<RankedTensorType>(v.getType()).getElementType()),
        reshaped)));
  };
  // Per axis (y over height, x over width): for each roi and sample
  // position along the axis, the low and high pixel (as [r, sy, sx, 1]
  // indices) and their weights (shaped |shape|: [r, sy, 1, 1] or
  // [r, 1, sx, 1], to broadcast against each other).
  struct Taps {
    Value low, high, weightLow, weightHigh;
  };
  auto taps = [&](int64_t startColumn, int64_t bins, int64_t size,
                  ArrayRef<int64_t> shape) -> std::optional<Taps> {
    Value start = check(build<MulOp>(node, column(startColumn), cst(scale)));
    Value end = check(build<MulOp>(node, column(startColumn + 2), cst(scale)));
    if (!ok)
      return std::nullopt;
    if (halfPixel) {
      start = check(build<SubOp>(node, start, cst(0.5)));
      end = check(build<SubOp>(node, end, cst(0.5)));
    }
    Value extent = check(build<SubOp>(node, end, start));
    if (ok && !halfPixel)
      extent = check(build<MaxOp>(node, extent, cst(1.0)));
    Value bin = check(build<DivOp>(node, extent, cst(double(bins))));
    if (!ok)
      return std::nullopt;
    // Sample i of bin p sits at start + bin * (p + (i + 0.5) / ratio).
    SmallVector<Attribute> offsets;
    for (int64_t p = 0; p < bins; ++p)
      for (int64_t i = 0; i < ratio; ++i)
        offsets.push_back(
            b.getFloatAttr(elt, double(p) + (double(i) + 0.5) / double(ratio)));
    Value offset = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({1, bins * ratio}, elt),
                               offsets));
    Value at = check(
        build<AddOp>(node, start, check(build<MulOp>(node, bin, offset))));
    Value inside = check(
        build<AndOp>(node, check(build<GreaterEqualOp>(node, at, cst(-1.0))),
                     check(build<LessEqualOp>(node, at, cst(double(size))))));
    Value clamped = check(build<MinOp>(
        node, check(build<MaxOp>(node, at, cst(0.0))), cst(double(size - 1))));
    Value low = check(build<FloorOp>(node, clamped));
    Value high = check(build<MinOp>(
        node, check(build<AddOp>(node, low, cst(1.0))), cst(double(size - 1))));
    Value frac = check(build<SubOp>(node, clamped, low));
    Value mask = check(castTo(node, inside, elt));
    if (!ok)
      return std::nullopt;
    Taps t;
    Value weightHigh = check(build<MulOp>(node, frac, mask));
    Value weightLow = check(
        build<MulOp>(node, check(build<SubOp>(node, cst(1.0), frac)), mask));
    if (!ok)
      return std::nullopt;
    t.weightHigh = check(buildReshape(weightHigh, shape));
    t.weightLow = check(buildReshape(weightLow, shape));
    t.low = spread(check(castTo(node, low, b.getI64Type())), shape);
    t.high = spread(check(castTo(node, high, b.getI64Type())), shape);
    if (!ok)
      return std::nullopt;
    return t;
  };
  std::optional<Taps> ys = taps(1, oh, height, {r, sy, 1, 1}),
                      xs = taps(0, ow, width, {r, 1, sx, 1});
  if (!ok || !ys || !xs)
    return failure();
  // The image channels-last, so that (batch, y, x) picks a channel vector.
  Value image =
      check(build<TransposeOp>(node, *x, b.getDenseI64ArrayAttr({0, 2, 3, 1})));
  Value batch = check(castTo(node, *batchIndex, b.getI64Type()));
  if (!ok)
    return failure();
  Value batchAt = spread(batch, {r, 1, 1, 1});
  // corner(ya, xa) = X[batch, ya, xa, :] weighted by wy * wx: [r, sy, sx, C].
  auto corner = [&](Value ya, Value wy, Value xa, Value wx) -> Value {
    Value index = check(build<ConcatOp>(node, ValueRange{batchAt, ya, xa},
                                        b.getI64IntegerAttr(3)));
    if (!ok)
      return Value();
    Value picked =
        check(build<GatherNdOp>(node, image, index, b.getI64IntegerAttr(0)));
    Value weight = check(build<MulOp>(node, wy, wx));
    return check(build<MulOp>(node, picked, weight));
  };
  Value terms[4] = {corner(ys->low, ys->weightLow, xs->low, xs->weightLow),
                    corner(ys->low, ys->weightLow, xs->high, xs->weightHigh),
                    corner(ys->high, ys->weightHigh, xs->low, xs->weightLow),
                    corner(ys->high, ys->weightHigh, xs->high, xs->weightHigh)};
  if (!ok)
    return failure();
  bool isMax = mode == "max";
  Value sample = terms[0];
  for (int i = 1; i < 4; ++i)
    sample = isMax ? check(build<MaxOp>(node, sample, terms[i]))
                   : check(build<AddOp>(node, sample, terms[i]));
  if (!ok)
    return failure();
  // [r, oh, ratio, ow, ratio, C] -> pool the samples -> [r, C, oh, ow].
  Value grid = check(buildReshape(sample, {r, oh, ratio, ow, ratio, channels}));
  if (!ok)
    return failure();
  auto axes = b.getDenseI64ArrayAttr({2, 4});
  Value pooled =
      isMax
          ? check(build<ReduceMaxOp>(node, grid, axes, b.getBoolAttr(false)))
          : check(build<ReduceMeanOp>(node, grid, axes, b.getBoolAttr(false)));
  if (!ok)
    return failure();
  auto y =
      build<TransposeOp>(node, pooled, b.getDenseI64ArrayAttr({0, 3, 1, 2}));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

} // namespace lathe::onnx_import
