// The DSL's attention and Transformer layers, as torch.nn computes them
// (scaled dot products over heads, masks, post- or pre-norm residual
// blocks), from the trace's matmul, softmax and element-wise ops.
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <cmath>
#include <limits>

namespace lathe::nn {

using detail::fail;
using detail::failIn;
using detail::shape_text;
using detail::Trace;

namespace {

/// Rows [i * n, (i + 1) * n) of |w| (3n x ... or 3n).
Tensor third(const Tensor &w, int64_t i, int64_t n) {
  Tensor idx = zeros({1}, kInt64);
  idx.data_ptr<int64_t>()[0] = i;
  std::vector<int64_t> split = {3, n}, out = {n};
  split.insert(split.end(), w.sizes().begin() + 1, w.sizes().end());
  out.insert(out.end(), w.sizes().begin() + 1, w.sizes().end());
  return Trace::of({&w}).gather(w.reshape(split), idx, 0).reshape(out);
}

/// |scores| where |mask| (bool: true hides; float: added) applies.
Tensor masked(const Tensor &scores, const Tensor &mask) {
  Trace &t = Trace::of({&scores});
  if (mask.dtype() == kBool)
    return t.where(mask,
                   t.scalar(-std::numeric_limits<double>::infinity(), scores),
                   scores);
  return scores + mask;
}

void activationCheck(const std::string &activation) {
  if (activation != "relu" && activation != "gelu")
    fail("lathe::nn: Transformer layers: activation is 'relu' or 'gelu', "
         "got '" +
         activation + "'");
}

} // namespace

MultiheadAttentionImpl::MultiheadAttentionImpl(
    const MultiheadAttentionOptions &o)
    : Module("MultiheadAttention"), options(o) {
  int64_t e = o.embed_dim(), h = o.num_heads();
  if (e <= 0 || h <= 0 || e % h)
    fail("lathe::nn: MultiheadAttention: embed_dim " + std::to_string(e) +
         " must be divisible by num_heads " + std::to_string(h));
  if (o.add_bias_kv() || o.add_zero_attn())
    fail("lathe::nn: MultiheadAttention: add_bias_kv and add_zero_attn are "
         "not supported yet");
  int64_t kdim = o.kdim() ? o.kdim() : e, vdim = o.vdim() ? o.vdim() : e;
  if (kdim == e && vdim == e) {
    in_proj_weight = register_parameter("in_proj_weight", zeros({3 * e, e}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", zeros({e, e}));
    k_proj_weight = register_parameter("k_proj_weight", zeros({e, kdim}));
    v_proj_weight = register_parameter("v_proj_weight", zeros({e, vdim}));
  }
  if (o.bias())
    in_proj_bias = register_parameter("in_proj_bias", zeros({3 * e}));
  out_proj = Linear(LinearOptions(e, e).bias(o.bias()));
  register_module("out_proj", out_proj);
  reset_parameters();
}

void MultiheadAttentionImpl::reset_parameters() {
  for (Tensor *w :
       {&in_proj_weight, &q_proj_weight, &k_proj_weight, &v_proj_weight})
    if (w->defined())
      init::xavier_uniform_(*w);
  if (in_proj_bias.defined()) {
    init::zeros_(in_proj_bias);
    init::zeros_(out_proj->bias);
  }
}

std::tuple<Tensor, Tensor> MultiheadAttentionImpl::forward(
    const Tensor &query, const Tensor &key, const Tensor &value,
    const Tensor &key_padding_mask, bool need_weights, const Tensor &attn_mask,
    bool average_attn_weights) {
  const MultiheadAttentionOptions &o = options;
  int64_t e = o.embed_dim(), h = o.num_heads(), d = e / h;
  int64_t kdim = o.kdim() ? o.kdim() : e, vdim = o.vdim() ? o.vdim() : e;
  const char *layout = o.batch_first() ? "N x L x E" : "L x N x E";
  if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3 ||
      query.size(2) != e || key.size(2) != kdim || value.size(2) != vdim)
    failIn(*this, std::string("expected query, key and value ") + layout +
                      " with E = " + std::to_string(e) + " (key " +
                      std::to_string(kdim) + ", value " + std::to_string(vdim) +
                      "), got " + shape_text(query.sizes()) + ", " +
                      shape_text(key.sizes()) + " and " +
                      shape_text(value.sizes()));
  Tensor q = o.batch_first() ? query.transpose(0, 1) : query;
  Tensor k = o.batch_first() ? key.transpose(0, 1) : key;
  Tensor v = o.batch_first() ? value.transpose(0, 1) : value;
  int64_t l = q.size(0), n = q.size(1), s = k.size(0);
  if (k.size(1) != n || v.size(1) != n || v.size(0) != s)
    failIn(*this, "query " + shape_text(query.sizes()) + ", key " +
                      shape_text(key.sizes()) + " and value " +
                      shape_text(value.sizes()) +
                      " disagree in batch or source length");
  Tensor wq =
      in_proj_weight.defined() ? third(in_proj_weight, 0, e) : q_proj_weight;
  Tensor wk =
      in_proj_weight.defined() ? third(in_proj_weight, 1, e) : k_proj_weight;
  Tensor wv =
      in_proj_weight.defined() ? third(in_proj_weight, 2, e) : v_proj_weight;
  Tensor bq, bk, bv;
  if (in_proj_bias.defined()) {
    bq = third(in_proj_bias, 0, e);
    bk = third(in_proj_bias, 1, e);
    bv = third(in_proj_bias, 2, e);
  }
  // Heads as batch: (L, N, E) -> (N * H, L, D).
  auto heads = [&](const Tensor &x, int64_t len) {
    return x.reshape({len, n * h, d}).transpose(0, 1);
  };
  Tensor qh = heads(functional::linear(q, wq, bq), l);
  Tensor kh = heads(functional::linear(k, wk, bk), s);
  Tensor vh = heads(functional::linear(v, wv, bv), s);
  Tensor scores = (qh / std::sqrt(double(d))).matmul(kh.transpose(1, 2));
  if (attn_mask.defined()) {
    bool ok = (attn_mask.dim() == 2 && attn_mask.size(0) == l &&
               attn_mask.size(1) == s) ||
              (attn_mask.dim() == 3 && attn_mask.size(0) == n * h &&
               attn_mask.size(1) == l && attn_mask.size(2) == s);
    if (!ok)
      failIn(*this, "attn_mask " + shape_text(attn_mask.sizes()) +
                        " is neither L x S nor N*num_heads x L x S (" +
                        std::to_string(l) + ", " + std::to_string(s) + ")");
    scores = masked(scores, attn_mask);
  }
  if (key_padding_mask.defined()) {
    if (key_padding_mask.dim() != 2 || key_padding_mask.size(0) != n ||
        key_padding_mask.size(1) != s)
      failIn(*this, "key_padding_mask " + shape_text(key_padding_mask.sizes()) +
                        " is not N x S (" + std::to_string(n) + " x " +
                        std::to_string(s) + ")");
    scores = masked(scores.reshape({n, h, l, s}),
                    key_padding_mask.reshape({n, 1, 1, s}))
                 .reshape({n * h, l, s});
  }
  Tensor p = scores.softmax(-1);
  Tensor pd = functional::dropout(p, o.dropout(), is_training());
  Tensor out = pd.matmul(vh).transpose(0, 1).reshape({l, n, e});
  out = out_proj(out);
  if (o.batch_first())
    out = out.transpose(0, 1);
  Tensor weights;
  if (need_weights) {
    weights = p.reshape({n, h, l, s});
    if (average_attn_weights)
      weights = weights.mean({1});
  }
  return {out, weights};
}

static Tensor activate(const std::string &activation, const Tensor &x) {
  return activation == "gelu" ? functional::gelu(x) : functional::relu(x);
}

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(
    const TransformerLayerOptions &o)
    : Module("TransformerEncoderLayer"), options(o) {
  activationCheck(o.activation());
  self_attn =
      MultiheadAttention(MultiheadAttentionOptions(o.d_model(), o.nhead())
                             .dropout(o.dropout())
                             .bias(o.bias())
                             .batch_first(o.batch_first()));
  linear1 =
      Linear(LinearOptions(o.d_model(), o.dim_feedforward()).bias(o.bias()));
  dropout = Dropout(o.dropout());
  linear2 =
      Linear(LinearOptions(o.dim_feedforward(), o.d_model()).bias(o.bias()));
  norm1 = LayerNorm(
      LayerNormOptions({o.d_model()}).eps(o.layer_norm_eps()).bias(o.bias()));
  norm2 = LayerNorm(
      LayerNormOptions({o.d_model()}).eps(o.layer_norm_eps()).bias(o.bias()));
  dropout1 = Dropout(o.dropout());
  dropout2 = Dropout(o.dropout());
  register_modules(self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
                   dropout2);
}

Tensor TransformerEncoderLayerImpl::forward(const Tensor &src,
                                            const Tensor &src_mask,
                                            const Tensor &key_padding_mask) {
  auto sa = [&](const Tensor &x) {
    return dropout1(
        std::get<0>(self_attn(x, x, x, key_padding_mask, false, src_mask)));
  };
  auto ff = [&](const Tensor &x) {
    return dropout2(
        linear2(dropout(activate(options.activation(), linear1(x)))));
  };
  Tensor x = src;
  if (options.norm_first()) {
    x = x + sa(norm1(x));
    return x + ff(norm2(x));
  }
  x = norm1(x + sa(x));
  return norm2(x + ff(x));
}

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(
    const TransformerLayerOptions &o)
    : Module("TransformerDecoderLayer"), options(o) {
  activationCheck(o.activation());
  auto attention = [&] {
    return MultiheadAttention(MultiheadAttentionOptions(o.d_model(), o.nhead())
                                  .dropout(o.dropout())
                                  .bias(o.bias())
                                  .batch_first(o.batch_first()));
  };
  auto norm = [&] {
    return LayerNorm(
        LayerNormOptions({o.d_model()}).eps(o.layer_norm_eps()).bias(o.bias()));
  };
  self_attn = attention();
  multihead_attn = attention();
  linear1 =
      Linear(LinearOptions(o.d_model(), o.dim_feedforward()).bias(o.bias()));
  dropout = Dropout(o.dropout());
  linear2 =
      Linear(LinearOptions(o.dim_feedforward(), o.d_model()).bias(o.bias()));
  norm1 = norm();
  norm2 = norm();
  norm3 = norm();
  dropout1 = Dropout(o.dropout());
  dropout2 = Dropout(o.dropout());
  dropout3 = Dropout(o.dropout());
  register_modules(self_attn, multihead_attn, linear1, dropout, linear2, norm1,
                   norm2, norm3, dropout1, dropout2, dropout3);
}

Tensor TransformerDecoderLayerImpl::forward(
    const Tensor &tgt, const Tensor &memory, const Tensor &tgt_mask,
    const Tensor &memory_mask, const Tensor &tgt_key_padding_mask,
    const Tensor &memory_key_padding_mask) {
  auto sa = [&](const Tensor &x) {
    return dropout1(
        std::get<0>(self_attn(x, x, x, tgt_key_padding_mask, false, tgt_mask)));
  };
  auto mha = [&](const Tensor &x) {
    return dropout2(std::get<0>(multihead_attn(
        x, memory, memory, memory_key_padding_mask, false, memory_mask)));
  };
  auto ff = [&](const Tensor &x) {
    return dropout3(
        linear2(dropout(activate(options.activation(), linear1(x)))));
  };
  Tensor x = tgt;
  if (options.norm_first()) {
    x = x + sa(norm1(x));
    x = x + mha(norm2(x));
    return x + ff(norm3(x));
  }
  x = norm1(x + sa(x));
  x = norm2(x + mha(x));
  return norm3(x + ff(x));
}

TransformerEncoderImpl::TransformerEncoderImpl(
    const TransformerLayerOptions &layer, int64_t num_layers, bool withNorm)
    : Module("TransformerEncoder") {
  if (num_layers <= 0)
    fail("lathe::nn: TransformerEncoder: num_layers must be positive");
  for (int64_t i = 0; i < num_layers; ++i)
    layers->push_back(TransformerEncoderLayer(layer));
  register_module("layers", layers);
  if (withNorm) {
    norm = LayerNorm(
        LayerNormOptions({layer.d_model()}).eps(layer.layer_norm_eps()));
    register_module("norm", norm);
  }
}

Tensor TransformerEncoderImpl::forward(const Tensor &src, const Tensor &mask,
                                       const Tensor &src_key_padding_mask) {
  Tensor x = src;
  for (size_t i = 0; i < layers->size(); ++i)
    x = layers->at<TransformerEncoderLayerImpl>(i)(x, mask,
                                                   src_key_padding_mask);
  return norm.is_empty() ? x : norm(x);
}

TransformerDecoderImpl::TransformerDecoderImpl(
    const TransformerLayerOptions &layer, int64_t num_layers, bool withNorm)
    : Module("TransformerDecoder") {
  if (num_layers <= 0)
    fail("lathe::nn: TransformerDecoder: num_layers must be positive");
  for (int64_t i = 0; i < num_layers; ++i)
    layers->push_back(TransformerDecoderLayer(layer));
  register_module("layers", layers);
  if (withNorm) {
    norm = LayerNorm(
        LayerNormOptions({layer.d_model()}).eps(layer.layer_norm_eps()));
    register_module("norm", norm);
  }
}

Tensor TransformerDecoderImpl::forward(const Tensor &tgt, const Tensor &memory,
                                       const Tensor &tgt_mask,
                                       const Tensor &memory_mask,
                                       const Tensor &tgt_key_padding_mask,
                                       const Tensor &memory_key_padding_mask) {
  Tensor x = tgt;
  for (size_t i = 0; i < layers->size(); ++i)
    x = layers->at<TransformerDecoderLayerImpl>(i)(
        x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
        memory_key_padding_mask);
  return norm.is_empty() ? x : norm(x);
}

TransformerImpl::TransformerImpl(const TransformerOptions &o)
    : Module("Transformer"), options(o) {
  TransformerLayerOptions layer =
      TransformerLayerOptions(o.d_model(), o.nhead())
          .dim_feedforward(o.dim_feedforward())
          .dropout(o.dropout())
          .activation(o.activation())
          .layer_norm_eps(o.layer_norm_eps())
          .batch_first(o.batch_first())
          .norm_first(o.norm_first())
          .bias(o.bias());
  encoder = TransformerEncoder(layer, o.num_encoder_layers(), true);
  decoder = TransformerDecoder(layer, o.num_decoder_layers(), true);
  register_modules(encoder, decoder);
}

Tensor TransformerImpl::forward(const Tensor &src, const Tensor &tgt,
                                const Tensor &src_mask, const Tensor &tgt_mask,
                                const Tensor &memory_mask,
                                const Tensor &src_key_padding_mask,
                                const Tensor &tgt_key_padding_mask,
                                const Tensor &memory_key_padding_mask) {
  Tensor memory = encoder(src, src_mask, src_key_padding_mask);
  return decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                 memory_key_padding_mask);
}

Tensor TransformerImpl::generate_square_subsequent_mask(int64_t size) {
  if (size <= 0)
    fail("lathe::nn: generate_square_subsequent_mask: size must be positive");
  Tensor mask = zeros({size, size});
  float *m = mask.data_ptr<float>();
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = i + 1; j < size; ++j)
      m[i * size + j] = -std::numeric_limits<float>::infinity();
  return mask;
}

} // namespace lathe::nn
