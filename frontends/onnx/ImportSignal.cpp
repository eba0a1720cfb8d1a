// ONNX import of the signal operators: the window functions, DFT, STFT and
// MelWeightMatrix. Windows and mel filters with compile-time sizes are
// constants; a DFT is two products with constant cosine and sine matrices.
#include "frontends/onnx/Importer.h"

#include <cmath>

namespace lathe::onnx_import {

/// HannWindow / HammingWindow / BlackmanWindow (torch.hann_window, ...): a
/// compile-time size gives a constant. w[n] = a0 - a1 cos(2 pi n / N) +
/// a2 cos(4 pi n / N), N = size (periodic) or size - 1 (symmetric).
LogicalResult Importer::window(const NodeProto &node) {
  const TensorValue *size = constantInput(node, 0, "size");
  if (!size)
    return failure();
  if (size->numElements() != 1)
    return error(node) << "size must be a scalar";
  int64_t n = size->intAt(0);
  if (n <= 0)
    return error(node) << "size must be positive, got " << n;
  auto dtype = dtypeFromOnnx(int(intAttr(node, "output_datatype", 1)));
  if (!dtype)
    return error(node) << llvm::toString(dtype.takeError());
  if (failed(checkFoldedSize(node, double(n), *dtype)))
    return failure();
  const std::string &op = node.op_type();
  double a0 = 0.5, a1 = 0.5, a2 = 0;
  if (op == "HammingWindow")
    a0 = 25.0 / 46, a1 = 1 - a0;
  else if (op == "BlackmanWindow")
    a0 = 0.42, a1 = 0.5, a2 = 0.08;
  double period = intAttr(node, "periodic", 1) ? double(n) : double(n - 1);
  TensorValue out;
  out.dtype = *dtype;
  out.shape = {n};
  for (int64_t i = 0; i < n; ++i) {
    double x = period == 0 ? 0 : 2 * M_PI * double(i) / period;
    double w = a0 - a1 * std::cos(x) + a2 * std::cos(2 * x);
    out.append(w, int64_t(w));
  }
  setConstant(node, 0, std::move(out));
  return success();
}

/// cos and sin of 2 pi |step| / |n| (0 <= step < n), exact at multiples of
/// a quarter turn so that the bins that should be exactly zero are.
static std::pair<double, double> unitRoot(int64_t step, int64_t n) {
  if ((4 * step) % n == 0) {
    switch (4 * step / n) {
    case 0:
      return {1, 0};
    case 1:
      return {0, 1};
    case 2:
      return {-1, 0};
    default:
      return {0, -1};
    }
  }
  double angle = 2 * M_PI * double(step) / double(n);
  return {std::cos(angle), std::sin(angle)};
}

FailureOr<std::pair<Value, Value>>
Importer::buildDft(const NodeProto &node, Value re, Value im, int64_t axis,
                   int64_t length, int64_t bins, bool inverse) {
  auto type = cast<RankedTensorType>(re.getType());
  int64_t rank = type.getRank(), have = type.getDimSize(axis);
  Type elt = type.getElementType();
  // Zero-pad or truncate the signal to |length| along the axis.
  auto fit = [&](Value v) -> FailureOr<Value> {
    if (!v || have == length)
      return v;
    if (have < length) {
      SmallVector<int64_t> pads(2 * rank, 0);
      pads[rank + axis] = length - have;
      return build<PadOp>(node, v, b.getDenseI64ArrayAttr(pads),
                          b.getF64FloatAttr(0.0),
                          PadModeAttr::get(&ctx, PadMode::constant));
    }
    SmallVector<int64_t> starts(rank, 0), sizes(type.getShape()),
        steps(rank, 1);
    sizes[axis] = length;
    return build<SliceOp>(node, v, b.getDenseI64ArrayAttr(starts),
                          b.getDenseI64ArrayAttr(sizes),
                          b.getDenseI64ArrayAttr(steps));
  };
  // The transform runs over the last dimension: move the axis there.
  SmallVector<int64_t> perm, back(rank);
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  for (int64_t d = 0; d < rank; ++d)
    back[perm[d]] = d;
  auto toLast = [&](Value v) -> FailureOr<Value> {
    auto fitted = fit(v);
    if (failed(fitted) || !*fitted || axis == rank - 1)
      return fitted;
    return build<TransposeOp>(node, *fitted, b.getDenseI64ArrayAttr(perm));
  };
  auto xr = toLast(re), xi = toLast(im);
  if (failed(xr) || failed(xi))
    return failure();
  // y[k] = sum_n x[n] e^(-+2 pi i k n / N) (/ N inverse): with C[n, k] =
  // cos, S[n, k] = sin, y = (xr C + xi S) + i (xi C - xr S) forward and
  // (xr C - xi S) / N + i (xi C + xr S) / N inverse.
  SmallVector<double> cosines, sines;
  double norm = inverse ? 1.0 / double(length) : 1.0;
  for (int64_t n = 0; n < length; ++n)
    for (int64_t k = 0; k < bins; ++k) {
      auto [c, s] = unitRoot((k * n) % length, length);
      cosines.push_back(c * norm);
      sines.push_back(s * norm);
    }
  auto matrix = [&](ArrayRef<double> values) -> Value {
    auto mType = RankedTensorType::get({length, bins}, elt);
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(b.getFloatAttr(elt, v));
    return ConstantOp::create(b, loc, DenseElementsAttr::get(mType, attrs));
  };
  Value cos = matrix(cosines), sin = matrix(sines);
  auto product = [&](Value x, Value m) { return build<MatmulOp>(node, x, m); };
  auto rc = product(*xr, cos), rs = product(*xr, sin);
  if (failed(rc) || failed(rs))
    return failure();
  FailureOr<Value> yr = *rc, yi = build<NegOp>(node, *rs);
  if (inverse)
    yi = *rs;
  if (*xi) {
    auto ic = product(*xi, cos), is = product(*xi, sin);
    if (failed(ic) || failed(is) || failed(yi))
      return failure();
    yr = inverse ? build<SubOp>(node, *rc, *is) : build<AddOp>(node, *rc, *is);
    yi = inverse ? build<AddOp>(node, *ic, *rs) : build<SubOp>(node, *ic, *rs);
  }
  if (failed(yr) || failed(yi))
    return failure();
  if (axis != rank - 1) {
    yr = build<TransposeOp>(node, *yr, b.getDenseI64ArrayAttr(back));
    yi = build<TransposeOp>(node, *yi, b.getDenseI64ArrayAttr(back));
    if (failed(yr) || failed(yi))
      return failure();
  }
  return std::make_pair(*yr, *yi);
}

FailureOr<std::pair<Value, Value>> Importer::complexParts(const NodeProto &node,
                                                          Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t parts = rank ? type.getDimSize(rank - 1) : 0;
  if (rank < 2 || (parts != 1 && parts != 2))
    return error(node) << "the signal's last dimension must be 1 (real) or 2 "
                          "(complex), got shape "
                       << shapeString(type.getShape());
  if (!isa<FloatType>(type.getElementType()))
    return error(node) << "the signal must be a float tensor";
  SmallVector<int64_t> shape(type.getShape().drop_back());
  auto part = [&](int64_t i) -> FailureOr<Value> {
    SmallVector<int64_t> starts(rank, 0), sizes(type.getShape()),
        steps(rank, 1);
    starts[rank - 1] = i;
    sizes[rank - 1] = 1;
    auto sliced = build<SliceOp>(node, x, b.getDenseI64ArrayAttr(starts),
                                 b.getDenseI64ArrayAttr(sizes),
                                 b.getDenseI64ArrayAttr(steps));
    if (failed(sliced))
      return failure();
    return buildReshape(*sliced, shape);
  };
  auto re = part(0);
  if (failed(re))
    return failure();
  if (parts == 1)
    return std::make_pair(*re, Value());
  auto im = part(1);
  if (failed(im))
    return failure();
  return std::make_pair(*re, *im);
}

LogicalResult Importer::setDftOutput(const NodeProto &node, Value re, Value im,
                                     int64_t axis, int64_t length, int64_t bins,
                                     bool inverse) {
  auto y = buildDft(node, re, im, axis, length, bins, inverse);
  if (failed(y))
    return failure();
  SmallVector<int64_t> shape(
      cast<RankedTensorType>(y->first.getType()).getShape());
  shape.push_back(1);
  auto r = buildReshape(y->first, shape), i = buildReshape(y->second, shape);
  if (failed(r) || failed(i))
    return failure();
  auto out = build<ConcatOp>(node, ValueRange{*r, *i},
                             b.getI64IntegerAttr(int64_t(shape.size()) - 1));
  if (failed(out))
    return failure();
  setOutput(node, 0, *out);
  return success();
}

/// An optional compile-time scalar length at input |i|, which must be
/// positive; |fallback| when absent.
FailureOr<int64_t> Importer::lengthInput(const NodeProto &node, int i,
                                         StringRef what, int64_t fallback) {
  if (!hasInput(node, i))
    return fallback;
  const TensorValue *v = constantInput(node, i, what);
  if (!v)
    return failure();
  if (v->numElements() != 1)
    return error(node) << what << " must be a scalar";
  int64_t n = v->intAt(0);
  if (n <= 0)
    return error(node) << what << " must be positive, got " << n;
  return n;
}

/// DFT: along |axis| (an attribute before opset 20, a compile-time input
/// from it), of length dft_length (zero padding or truncating), forward or
/// inverse, all bins or the onesided half of a real signal's.
LogicalResult Importer::dft(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto parts = complexParts(node, *x);
  if (failed(parts))
    return failure();
  auto [re, im] = *parts;
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  int64_t axis = intAttr(node, "axis", 1);
  if (opset >= 20) {
    axis = -2;
    if (hasInput(node, 2)) {
      const TensorValue *a = constantInput(node, 2, "axis");
      if (!a)
        return failure();
      axis = a->intAt(0);
    }
  }
  // Negative axes count from the back of the whole input, whose last
  // dimension holds the real and imaginary parts.
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank - 2)
    return error(node) << "axis " << intAttr(node, "axis", 1)
                       << " is not a signal dimension of a rank-" << rank
                       << " input";
  bool inverse = intAttr(node, "inverse", 0) != 0;
  bool onesided = intAttr(node, "onesided", 0) != 0;
  if (onesided && (im || inverse))
    return error(node) << "onesided needs a real signal and a forward "
                          "transform";
  auto length =
      lengthInput(node, 1, "dft_length",
                  cast<RankedTensorType>(re.getType()).getDimSize(axis));
  if (failed(length))
    return failure();
  return setDftOutput(node, re, im, axis, *length,
                      onesided ? *length / 2 + 1 : *length, inverse);
}

/// STFT: frames of frame_length samples every frame_step (both compile
/// time), each times the window if given, then their DFTs: [batch, frames,
/// bins, 2], onesided (the default) for a real signal.
LogicalResult Importer::stft(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() != 3)
    return error(node) << "the signal must be [batch, length, 1 or 2], got "
                       << shapeString(type.getShape());
  auto step = lengthInput(node, 1, "frame_step", 0);
  if (failed(step))
    return failure();
  if (!hasInput(node, 1))
    return error(node) << "frame_step is required";
  auto window = optionalInput(node, 2);
  if (failed(window))
    return failure();
  int64_t windowLength =
      *window ? cast<RankedTensorType>(window->getType()).getDimSize(0) : 0;
  auto frame = lengthInput(node, 3, "frame_length", windowLength);
  if (failed(frame))
    return failure();
  if (*frame == 0)
    return error(node) << "frame_length or a window is required";
  if (*window) {
    auto wType = cast<RankedTensorType>(window->getType());
    if (wType.getRank() != 1 || wType.getDimSize(0) != *frame)
      return error(node) << "the window must hold frame_length (" << *frame
                         << ") values, got shape "
                         << shapeString(wType.getShape());
  }
  int64_t samples = type.getDimSize(1);
  if (*frame > samples)
    return error(node) << "frame_length " << *frame << " is longer than the "
                       << samples << "-sample signal";
  int64_t frames = (samples - *frame) / *step + 1;
  // Frame f's sample j is x[:, f * step + j]: one gather.
  SmallVector<int64_t> at;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t j = 0; j < *frame; ++j)
      at.push_back(f * *step + j);
  Value indices = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({frames, *frame}, b.getI64Type()),
          ArrayRef<int64_t>(at)));
  auto framed = build<GatherOp>(node, *x, indices, int64_t(1));
  if (failed(framed))
    return failure();
  auto parts = complexParts(node, *framed);
  if (failed(parts))
    return failure();
  auto [re, im] = *parts;
  bool onesided = intAttr(node, "onesided", 1) != 0;
  if (onesided && im)
    return error(node) << "onesided needs a real signal (set onesided=0)";
  if (*window) {
    auto w = castTo(node, *window,
                    cast<RankedTensorType>(re.getType()).getElementType());
    if (failed(w))
      return failure();
    auto wr = build<MulOp>(node, re, *w);
    if (failed(wr))
      return failure();
    re = *wr;
    if (im) {
      auto wi = build<MulOp>(node, im, *w);
      if (failed(wi))
        return failure();
      im = *wi;
    }
  }
  return setDftOutput(node, re, im, 2, *frame,
                      onesided ? *frame / 2 + 1 : *frame, false);
}

/// MelWeightMatrix: the [dft_length / 2 + 1, num_mel_bins] triangular
/// filters ONNX's reference computes (num_mel_bins + 2 points evenly spaced
/// in mel, mapped to spectrogram bins), as a constant.
LogicalResult Importer::melWeightMatrix(const NodeProto &node) {
  const char *names[] = {"num_mel_bins", "dft_length", "sample_rate",
                         "lower_edge_hertz", "upper_edge_hertz"};
  const TensorValue *in[5];
  for (int i = 0; i < 5; ++i) {
    in[i] = constantInput(node, i, names[i]);
    if (!in[i])
      return failure();
    if (in[i]->numElements() != 1)
      return error(node) << names[i] << " must be a scalar";
  }
  int64_t mels = in[0]->intAt(0), length = in[1]->intAt(0),
          rate = in[2]->intAt(0);
  double low = in[3]->floatAt(0), high = in[4]->floatAt(0);
  if (mels <= 0 || length <= 0 || rate <= 0)
    return error(node) << "num_mel_bins, dft_length and sample_rate must be "
                          "positive";
  if (!(0 <= low && low < high && high <= double(rate) / 2))
    return error(node) << "expected 0 <= lower_edge_hertz < upper_edge_hertz "
                          "<= sample_rate / 2, got "
                       << low << " and " << high;
  auto dtype = dtypeFromOnnx(int(intAttr(node, "output_datatype", 1)));
  if (!dtype)
    return error(node) << llvm::toString(dtype.takeError());
  auto toMel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  double lowMel = toMel(low), step = (toMel(high) - lowMel) / double(mels + 2);
  SmallVector<int64_t> bin;
  for (int64_t i = 0; i < mels + 2; ++i) {
    double hz = 700 * (std::pow(10.0, (double(i) * step + lowMel) / 2595) - 1);
    bin.push_back(int64_t(std::floor(double(length + 1) * hz / double(rate))));
  }
  int64_t spectrum = length / 2 + 1;
  std::vector<double> w(spectrum * mels, 0.0);
  auto set = [&](int64_t j, int64_t i, double v) {
    if (j >= 0 && j < spectrum)
      w[j * mels + i] = v;
  };
  for (int64_t i = 0; i < mels; ++i) {
    int64_t left = bin[i], center = bin[i + 1], right = bin[i + 2];
    if (center == left)
      set(center, i, 1.0);
    else
      for (int64_t j = left; j <= center; ++j)
        set(j, i, double(j - left) / double(center - left));
    if (right > center)
      for (int64_t j = center; j < right; ++j)
        set(j, i, double(right - j) / double(right - center));
  }
  TensorValue out;
  out.dtype = *dtype;
  out.shape = {spectrum, mels};
  for (double v : w)
    out.append(v, int64_t(v));
  setConstant(node, 0, std::move(out));
  return success();
}

} // namespace lathe::onnx_import
