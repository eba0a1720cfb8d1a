// The DSL's sequence layers: Embedding, EmbeddingBag, RNN/LSTM/GRU and
// their cells, torch's parameters (and gate order) over the recurrent ops.
#include "frontends/cpp/Arguments.h"
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <cmath>
#include <limits>
#include <map>

namespace lathe::nn {

using detail::checkPositive;
using detail::checkSpatialInput;
using detail::expand;
using detail::fail;
using detail::failIn;
using detail::shape_text;
using detail::Trace;

namespace F = functional;

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions &o)
    : Module("Embedding"), options(o) {
  if (o.num_embeddings() <= 0 || o.embedding_dim() <= 0)
    fail("lathe::nn: Embedding: num_embeddings and embedding_dim must be "
         "positive");
  if (o.padding_idx() && (*o.padding_idx() >= o.num_embeddings() ||
                          *o.padding_idx() < -o.num_embeddings()))
    fail("lathe::nn: Embedding: padding_idx must be within num_embeddings");
  weight = register_parameter("weight",
                              zeros({o.num_embeddings(), o.embedding_dim()}));
  init::normal_(weight);
  if (o.padding_idx()) {
    int64_t row = *o.padding_idx() < 0 ? *o.padding_idx() + o.num_embeddings()
                                       : *o.padding_idx();
    float *w = weight.data_ptr<float>();
    for (int64_t j = 0; j < o.embedding_dim(); ++j)
      w[row * o.embedding_dim() + j] = 0.0f;
  }
}

Tensor EmbeddingImpl::forward(const Tensor &indices) {
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    failIn(*this, "the indices " + shape_text(indices.sizes()) +
                      " must be int64 or int32");
  return F::embedding(indices, weight, options.max_norm(), options.norm_type());
}

static const char *rnnName(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn    ? "RNN"
         : k == RNNImplBase::Kind::Lstm ? "LSTM"
                                        : "GRU";
}

static int64_t gateCount(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn ? 1 : k == RNNImplBase::Kind::Lstm ? 4 : 3;
}

/// lathe::layers::Recurrence's value for |k|.
static int recurrenceOf(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn ? 0 : k == RNNImplBase::Kind::Gru ? 1 : 2;
}

/// A torch recurrent weight or bias (gH x ... or gH) in the ops' ONNX gate
/// order, with a leading direction dimension of 1: LSTM i f g o -> i o f
/// c, GRU r z n -> z r h.
static Tensor onnxGateOrder(Trace &t, RNNImplBase::Kind kind, const Tensor &p,
                            int64_t h) {
  std::vector<int64_t> order =
      kind == RNNImplBase::Kind::Lstm  ? std::vector<int64_t>{0, 3, 1, 2}
      : kind == RNNImplBase::Kind::Gru ? std::vector<int64_t>{1, 0, 2}
                                       : std::vector<int64_t>{0};
  int64_t g = int64_t(order.size());
  Tensor perm = zeros({g}, kInt64);
  for (int64_t i = 0; i < g; ++i)
    perm.data_ptr<int64_t>()[i] = order[size_t(i)];
  std::vector<int64_t> shape = p.sizes();
  std::vector<int64_t> split = {g, h}, one = {1};
  split.insert(split.end(), shape.begin() + 1, shape.end());
  one.insert(one.end(), shape.begin(), shape.end());
  return t.gather(p.reshape(split), perm, 0).reshape(one);
}

RNNImplBase::RNNImplBase(Kind k, const RNNSettings &o, bool r)
    : Module(rnnName(k)), kind(k), options(o), relu(r) {
  if (o.input_size <= 0 || o.hidden_size <= 0 || o.num_layers <= 0)
    fail(std::string("lathe::nn: ") + rnnName(k) +
         ": input_size, hidden_size and num_layers must be positive");
  if (o.dropout < 0 || o.dropout > 1)
    fail(std::string("lathe::nn: ") + rnnName(k) +
         ": dropout must be in [0, 1]");
  int64_t g = gateCount(k), h = o.hidden_size;
  int dirs = o.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < o.num_layers; ++l)
    for (int d = 0; d < dirs; ++d) {
      std::string suffix =
          "_l" + std::to_string(l) + (d ? std::string("_reverse") : "");
      int64_t in = l == 0 ? o.input_size : h * dirs;
      register_parameter("weight_ih" + suffix, zeros({g * h, in}));
      register_parameter("weight_hh" + suffix, zeros({g * h, h}));
      if (o.bias) {
        register_parameter("bias_ih" + suffix, zeros({g * h}));
        register_parameter("bias_hh" + suffix, zeros({g * h}));
      }
    }
  reset_parameters();
}

void RNNImplBase::reset_parameters() {
  double bound = 1.0 / std::sqrt(double(options.hidden_size));
  for (auto &[name, t] : named_parameters(false))
    init::uniform_(t, -bound, bound);
}

std::tuple<Tensor, Tensor, Tensor>
RNNImplBase::run(const Tensor &input, const Tensor &h0, const Tensor &c0) {
  const RNNSettings &o = options;
  if (input.dim() == 2) {
    // Unbatched, T x I (torch's): a batch of one, whatever batch_first.
    auto one = [](const Tensor &s) {
      return s.defined() ? s.unsqueeze(1) : Tensor();
    };
    Tensor x = o.batch_first ? input.unsqueeze(0) : input.unsqueeze(1);
    auto [y, hn, cn] = run(x, one(h0), one(c0));
    return {y.squeeze(o.batch_first ? 0 : 1), hn.squeeze(1),
            cn.defined() ? cn.squeeze(1) : Tensor()};
  }
  int64_t h = o.hidden_size, layers = o.num_layers;
  int dirs = o.bidirectional ? 2 : 1;
  if (input.dim() != 3 || input.size(2) != o.input_size)
    failIn(*this, "expected an input of rank 3 ending in input_size " +
                      std::to_string(o.input_size) + " (" +
                      (o.batch_first ? "N x T x I" : "T x N x I") +
                      ", or T x I unbatched), got " +
                      shape_text(input.sizes()));
  Tensor x = o.batch_first ? input.transpose(0, 1) : input;
  int64_t n = x.size(1);
  std::vector<int64_t> stateShape = {layers * dirs, n, h};
  for (const Tensor *s : {&h0, &c0})
    if (s->defined() && s->sizes() != stateShape)
      failIn(*this, "the initial state " + shape_text(s->sizes()) +
                        " is not num_layers * directions x N x hidden_size " +
                        shape_text(stateShape));
  Trace &t = Trace::of({&x});
  std::map<std::string, Tensor> params;
  for (auto &[name, p] : named_parameters(false))
    params[name] = p;
  auto reordered = [&](const Tensor &p) {
    return onnxGateOrder(t, kind, p, h);
  };
  /// Rows [l * dirs, (l + 1) * dirs) of a state.
  auto layerState = [&](const Tensor &s, int64_t l) {
    if (!s.defined())
      return Tensor();
    Tensor idx = zeros({1}, kInt64);
    idx.data_ptr<int64_t>()[0] = l;
    return t.gather(s.reshape({layers, dirs, n, h}), idx, 0)
        .reshape({dirs, n, h});
  };
  std::vector<Tensor> hs, cs;
  for (int64_t l = 0; l < layers; ++l) {
    std::vector<Tensor> w, r, b;
    for (int d = 0; d < dirs; ++d) {
      std::string suffix =
          "_l" + std::to_string(l) + (d ? std::string("_reverse") : "");
      w.push_back(reordered(params["weight_ih" + suffix]));
      r.push_back(reordered(params["weight_hh" + suffix]));
      if (o.bias)
        b.push_back(cat({reordered(params["bias_ih" + suffix]),
                         reordered(params["bias_hh" + suffix])},
                        1));
    }
    auto [y, hn, cn] = t.recurrent(
        kind == Kind::Rnn   ? 0
        : kind == Kind::Gru ? 1
                            : 2,
        x, dirs == 1 ? w[0] : cat(w, 0), dirs == 1 ? r[0] : cat(r, 0),
        b.empty()   ? Tensor()
        : dirs == 1 ? b[0]
                    : cat(b, 0),
        layerState(h0, l), kind == Kind::Lstm ? layerState(c0, l) : Tensor(),
        dirs == 2, relu);
    hs.push_back(hn);
    if (cn.defined())
      cs.push_back(cn);
    // T x D x N x H -> T x N x D*H.
    x = y.permute({0, 2, 1, 3}).reshape({y.size(0), n, dirs * h});
    if (l + 1 < layers && o.dropout > 0)
      x = F::dropout(x, o.dropout, is_training());
  }
  Tensor out = o.batch_first ? x.transpose(0, 1) : x;
  Tensor hAll = layers == 1 ? hs[0] : cat(hs, 0);
  Tensor cAll = cs.empty() ? Tensor() : layers == 1 ? cs[0] : cat(cs, 0);
  return {out, hAll, cAll};
}

RNNImpl::RNNImpl(const RNNOptions &o)
    : RNNImplBase(Kind::Rnn, o.settings(), o.nonlinearity() == "relu") {
  if (o.nonlinearity() != "tanh" && o.nonlinearity() != "relu")
    fail("lathe::nn: RNN: nonlinearity is 'tanh' or 'relu', got '" +
         o.nonlinearity() + "'");
}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor &x, const Tensor &hx) {
  auto [y, h, c] = run(x, hx, Tensor());
  return {y, h};
}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor &x, const Tensor &hx) {
  auto [y, h, c] = run(x, hx, Tensor());
  return {y, h};
}

LSTMImpl::LSTMImpl(const LSTMOptions &o)
    : RNNImplBase(Kind::Lstm, o.settings()) {
  if (o.proj_size() != 0)
    fail("lathe::nn: LSTM: proj_size is not supported yet (it must be 0)");
}

std::tuple<Tensor, std::tuple<Tensor, Tensor>>
LSTMImpl::forward(const Tensor &x, const std::tuple<Tensor, Tensor> &hx) {
  auto [y, h, c] = run(x, std::get<0>(hx), std::get<1>(hx));
  return {y, {h, c}};
}

EmbeddingBagImpl::EmbeddingBagImpl(const EmbeddingBagOptions &o)
    : Module("EmbeddingBag"), options(o) {
  if (o.num_embeddings <= 0 || o.embedding_dim <= 0)
    fail("lathe::nn: EmbeddingBag: num_embeddings and embedding_dim must be "
         "positive");
  if (o.mode_ != "mean" && o.mode_ != "sum" && o.mode_ != "max")
    fail("lathe::nn: EmbeddingBag: mode is mean, sum or max, got '" + o.mode_ +
         "'");
  weight =
      register_parameter("weight", zeros({o.num_embeddings, o.embedding_dim}));
  init::normal_(weight);
  if (o.padding_idx_) {
    int64_t row = *o.padding_idx_ < 0 ? *o.padding_idx_ + o.num_embeddings
                                      : *o.padding_idx_;
    if (row < 0 || row >= o.num_embeddings)
      fail("lathe::nn: EmbeddingBag: padding_idx must be within "
           "num_embeddings");
    for (int64_t j = 0; j < o.embedding_dim; ++j)
      weight.data_ptr<float>()[row * o.embedding_dim + j] = 0.0f;
  }
}

Tensor EmbeddingBagImpl::forward(const Tensor &input,
                                 const Tensor &per_sample_weights) {
  if (input.dim() != 2)
    failIn(*this, "expected bags of one size, N x L indices, got " +
                      shape_text(input.sizes()) +
                      " (1-D input with offsets is not supported yet)");
  if (per_sample_weights.defined() &&
      (options.mode_ != "sum" || per_sample_weights.sizes() != input.sizes()))
    failIn(*this, "per_sample_weights must have the input's shape and mode "
                  "sum");
  Tensor rows = F::embedding(input, weight); // N x L x D
  Trace &t = Trace::of({&rows});
  // Entries counted: all, or those that are not padding_idx.
  Tensor keep;
  if (options.padding_idx_) {
    int64_t pad = *options.padding_idx_ < 0
                      ? *options.padding_idx_ + options.num_embeddings
                      : *options.padding_idx_;
    keep = input.eq(double(pad)).to(kFloat32);
    keep = (1.0 - keep).unsqueeze(2); // N x L x 1
  }
  if (options.mode_ == "max") {
    Tensor scores = rows;
    if (keep.defined())
      scores =
          t.where(keep.gt(0.5), rows,
                  t.scalar(-std::numeric_limits<double>::infinity(), rows));
    Tensor m = scores.amax({1});
    // A bag of padding alone gives zeros, as torch's.
    return t.where(m.gt(-std::numeric_limits<double>::infinity()), m,
                   t.scalar(0.0, m));
  }
  Tensor weighted = rows;
  if (per_sample_weights.defined())
    weighted = weighted * per_sample_weights.unsqueeze(2);
  if (keep.defined())
    weighted = weighted * keep;
  Tensor sum = weighted.sum({1});
  if (options.mode_ == "sum")
    return sum;
  Tensor count = keep.defined() ? keep.sum({1}).clamp(1.0, std::nullopt)
                                : full({1}, double(input.size(1)));
  return sum / count;
}

RNNCellImplBase::RNNCellImplBase(RNNImplBase::Kind k, int64_t in, int64_t h,
                                 bool bias, bool r)
    : Module(k == RNNImplBase::Kind::Rnn    ? "RNNCell"
             : k == RNNImplBase::Kind::Lstm ? "LSTMCell"
                                            : "GRUCell"),
      kind(k), input_size(in), hidden_size(h), relu(r) {
  if (in <= 0 || h <= 0)
    fail(std::string("lathe::nn: ") + type_name() +
         ": input_size and hidden_size must be positive");
  int64_t g = gateCount(k);
  weight_ih = register_parameter("weight_ih", zeros({g * h, in}));
  weight_hh = register_parameter("weight_hh", zeros({g * h, h}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", zeros({g * h}));
    bias_hh = register_parameter("bias_hh", zeros({g * h}));
  }
  double bound = 1.0 / std::sqrt(double(h));
  for (auto &[name, t] : named_parameters(false))
    init::uniform_(t, -bound, bound);
}

std::tuple<Tensor, Tensor>
RNNCellImplBase::step(const Tensor &x, const Tensor &h, const Tensor &c) {
  if (x.dim() != 2 || x.size(1) != input_size)
    failIn(*this, "expected an input N x " + std::to_string(input_size) +
                      ", got " + shape_text(x.sizes()));
  std::vector<int64_t> state = {x.size(0), hidden_size};
  for (const Tensor *s : {&h, &c})
    if (s->defined() && s->sizes() != state)
      failIn(*this, "the state " + shape_text(s->sizes()) + " is not " +
                        shape_text(state));
  Trace &t = Trace::of({&x});
  Tensor b;
  if (bias_ih.defined())
    b = cat({onnxGateOrder(t, kind, bias_ih, hidden_size),
             onnxGateOrder(t, kind, bias_hh, hidden_size)},
            1);
  auto one = [](const Tensor &s) {
    return s.defined() ? s.unsqueeze(0) : Tensor();
  };
  auto [y, hn, cn] = t.recurrent(
      recurrenceOf(kind), x.unsqueeze(0),
      onnxGateOrder(t, kind, weight_ih, hidden_size),
      onnxGateOrder(t, kind, weight_hh, hidden_size), b, one(h),
      kind == RNNImplBase::Kind::Lstm ? one(c) : Tensor(), false, relu);
  return {hn.squeeze(0), cn.defined() ? cn.squeeze(0) : Tensor()};
}

RNNCellImpl::RNNCellImpl(int64_t in, int64_t h, bool bias,
                         const std::string &nonlinearity)
    : RNNCellImplBase(RNNImplBase::Kind::Rnn, in, h, bias,
                      nonlinearity == "relu") {
  if (nonlinearity != "tanh" && nonlinearity != "relu")
    fail("lathe::nn: RNNCell: nonlinearity is 'tanh' or 'relu', got '" +
         nonlinearity + "'");
}

} // namespace lathe::nn
