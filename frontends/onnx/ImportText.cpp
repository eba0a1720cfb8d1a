// ONNX import of the text-featurization operator TfIdfVectorizer over
// integer tokens. The n-gram pool is known at compile time, so counting is
// a comparison of every window of the input against the pool, summed.
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

/// TfIdfVectorizer: counts, per row of X (C tokens, or N x C), how often
/// each n-gram of the pool occurs, its items |skip| + 1 apart for every
/// skip up to max_skip_count (1-grams once), for n in [min_gram_length,
/// max_gram_length]; n-gram j of the pool is counted in output column
/// ngram_indexes[j].
/// Output column c gets its count, or for IDF weights[c] where the
/// count is positive, or for TFIDF count * weights[c] (weights default to
/// 1). String tokens (pool_strings) are not accepted: the op table leaves
/// the attribute out.
LogicalResult Importer::tfIdfVectorizer(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  Type token = xType.getElementType();
  if (!token.isInteger(32) && !token.isInteger(64))
    return error(node) << "X must hold int32 or int64 tokens";
  int64_t rank = xType.getRank();
  if (rank != 1 && rank != 2)
    return error(node) << "X must have rank 1 or 2, got rank " << rank;

  std::string mode = stringAttr(node, "mode", "");
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return error(node) << "mode must be TF, IDF or TFIDF, got '" << mode << "'";
  int64_t minGram = intAttr(node, "min_gram_length", 0);
  int64_t maxGram = intAttr(node, "max_gram_length", 0);
  int64_t maxSkip = intAttr(node, "max_skip_count", 0);
  if (minGram < 1 || maxGram < minGram)
    return error(node) << "needs 1 <= min_gram_length <= max_gram_length, "
                          "got "
                       << minGram << " and " << maxGram;
  if (maxSkip < 0)
    return error(node) << "max_skip_count must be non-negative, got "
                       << maxSkip;
  SmallVector<int64_t> pool =
      intsAttr(node, "pool_int64s").value_or(SmallVector<int64_t>());
  auto starts = intsAttr(node, "ngram_counts");
  auto indexes = intsAttr(node, "ngram_indexes");
  if (!starts || !indexes)
    return error(node) << "needs the ngram_counts and ngram_indexes "
                          "attributes";
  // Level n (1-based) holds the n-grams pool[starts[n-1], end) of n items.
  struct Level {
    int64_t n, first, count; ///< first: index of its first n-gram.
  };
  SmallVector<Level> levels;
  int64_t ngrams = 0;
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t n = int64_t(i) + 1, begin = (*starts)[i];
    int64_t end =
        i + 1 < starts->size() ? (*starts)[i + 1] : int64_t(pool.size());
    if (begin < 0 || end < begin || end > int64_t(pool.size()))
      return error(node) << "ngram_counts " << begin
                         << " does not start a level of the pool ("
                         << pool.size() << " items)";
    if ((end - begin) % n)
      return error(node) << "the " << n << "-grams of the pool hold "
                         << end - begin << " items, not a multiple of " << n;
    levels.push_back({n, ngrams, (end - begin) / n});
    ngrams += (end - begin) / n;
  }
  if (int64_t(indexes->size()) != ngrams)
    return error(node) << "ngram_indexes has " << indexes->size()
                       << " entries for the pool's " << ngrams << " n-grams";
  int64_t width = 0;
  for (int64_t i : *indexes) {
    if (i < 0)
      return error(node) << "ngram_indexes holds negative index " << i;
    width = std::max(width, i + 1);
  }
  // Weights apply per output column, as ONNX Runtime and ONNX's reference
  // implementation read them (the specification's "i-th n-gram" agrees
  // when ngram_indexes is 0, 1, 2, ...).
  SmallVector<double> weights;
  if (const auto *w = findAttr(node, "weights"); w && mode != "TF") {
    if (w->floats_size() != ngrams)
      return error(node) << "weights has " << w->floats_size()
                         << " entries for the pool's " << ngrams << " n-grams";
    if (width > ngrams)
      return error(node) << "weights has no entry for output column "
                         << width - 1;
    weights.assign(w->floats().begin(), w->floats().begin() + width);
  }

  // Work on N x C; a 1-D input is one row.
  int64_t rows = rank == 2 ? xType.getDimSize(0) : 1;
  int64_t length = xType.getDimSize(rank - 1);
  auto x2 = buildReshape(*x, {rows, length});
  if (failed(x2))
    return failure();
  Type f32 = b.getF32Type();
  auto constant = [&](ArrayRef<int64_t> shape, Type elt,
                      ArrayRef<double> values) -> Value {
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(isa<IntegerType>(elt)
                          ? Attribute(b.getIntegerAttr(elt, int64_t(v)))
                          : Attribute(b.getFloatAttr(elt, v)));
    return ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get(shape, elt), attrs));
  };

  // |into| and |v| combined (added, or and-ed for |conjunction|); |into|
  // null: |v|.
  auto fold = [&](Value &into, Value v, bool conjunction) -> LogicalResult {
    if (!into) {
      into = v;
      return success();
    }
    auto r =
        conjunction ? build<AndOp>(node, into, v) : build<AddOp>(node, into, v);
    if (failed(r))
      return failure();
    into = *r;
    return success();
  };

  Value result;
  for (const Level &level : levels) {
    if (level.n < minGram || level.n > maxGram || level.count == 0)
      continue;
    int64_t poolBase = (*starts)[level.n - 1];
    // counts[r, g]: occurrences of n-gram g of this level in row r.
    Value counts;
    for (int64_t skip = 0; skip <= (level.n == 1 ? 0 : maxSkip); ++skip) {
      int64_t step = skip + 1, windows = length - (level.n - 1) * step;
      if (windows <= 0)
        break;
      Value match;
      for (int64_t k = 0; k < level.n; ++k) {
        auto item =
            build<SliceOp>(node, *x2, b.getDenseI64ArrayAttr({0, k * step}),
                           b.getDenseI64ArrayAttr({rows, windows}),
                           b.getDenseI64ArrayAttr({1, 1}));
        if (failed(item))
          return failure();
        auto column = buildReshape(*item, {rows, windows, 1});
        if (failed(column))
          return failure();
        SmallVector<double> wanted;
        for (int64_t g = 0; g < level.count; ++g)
          wanted.push_back(double(pool[poolBase + g * level.n + k]));
        auto equal = build<EqualOp>(node, *column,
                                    constant({level.count}, token, wanted));
        if (failed(equal) || failed(fold(match, *equal, true)))
          return failure();
      }
      auto asFloat = castTo(node, match, f32);
      if (failed(asFloat))
        return failure();
      auto found = build<ReduceSumOp>(
          node, *asFloat, b.getDenseI64ArrayAttr({1}), b.getBoolAttr(false));
      if (failed(found) || failed(fold(counts, *found, false)))
        return failure();
    }
    if (!counts)
      continue;
    // Add the level's counts into their output columns.
    SmallVector<double> scatter(level.count * width, 0.0);
    for (int64_t g = 0; g < level.count; ++g)
      scatter[g * width + (*indexes)[level.first + g]] = 1.0;
    auto placed = build<MatmulOp>(node, counts,
                                  constant({level.count, width}, f32, scatter));
    if (failed(placed) || failed(fold(result, *placed, false)))
      return failure();
  }
  if (!result)
    result = constant({rows, width}, f32, SmallVector<double>(rows * width));
  if (mode == "IDF") {
    auto present = build<MinOp>(node, result, scalarConstant(f32, 1.0));
    if (failed(present))
      return failure();
    result = *present;
  }
  if (!weights.empty()) {
    auto weighted = build<MulOp>(node, result, constant({width}, f32, weights));
    if (failed(weighted))
      return failure();
    result = *weighted;
  }
  SmallVector<int64_t> outShape;
  if (rank == 2)
    outShape.push_back(rows);
  outShape.push_back(width);
  auto y = buildReshape(result, outShape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

} // namespace lathe::onnx_import
