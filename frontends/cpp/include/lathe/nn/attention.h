// The C++ DSL's attention layers (lathe/nn.h): MultiheadAttention and the
// Transformer layers.
#ifndef LATHE_NN_ATTENTION_H
#define LATHE_NN_ATTENTION_H

#include "lathe/nn/containers.h"
#include "lathe/nn/layers.h"

namespace lathe::nn {

/// torch.nn.MultiheadAttention: in_proj_weight/in_proj_bias (or
/// q/k/v_proj_weight when kdim or vdim differ) and out_proj. Masks: an
/// attn_mask L x S or N*heads x L x S (bool: true masks out; float: added)
/// and a key_padding_mask N x S (bool: true masks out; float: added).
/// Returns the output and, with need_weights, the attention weights
/// (averaged over heads unless average_attn_weights is false).
class MultiheadAttentionImpl : public Module {
public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads)
      : MultiheadAttentionImpl(
            MultiheadAttentionOptions(embed_dim, num_heads)) {}
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions &options);
  void reset_parameters();
  std::tuple<Tensor, Tensor>
  forward(const Tensor &query, const Tensor &key, const Tensor &value,
          const Tensor &key_padding_mask = Tensor(), bool need_weights = true,
          const Tensor &attn_mask = Tensor(), bool average_attn_weights = true);
  MultiheadAttentionOptions options;
  Tensor in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight,
      v_proj_weight;
  Linear out_proj{nullptr};
};
LATHE_MODULE(MultiheadAttention);

/// torch.nn.TransformerEncoderLayer: self_attn, linear1, linear2, norm1,
/// norm2 (and dropouts), post- or pre-norm (norm_first).
class TransformerEncoderLayerImpl : public Module {
public:
  explicit TransformerEncoderLayerImpl(const TransformerLayerOptions &options);
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerEncoderLayerImpl(TransformerLayerOptions(d_model, nhead)) {}
  Tensor forward(const Tensor &src, const Tensor &src_mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor());
  TransformerLayerOptions options;
  MultiheadAttention self_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr};
};
LATHE_MODULE(TransformerEncoderLayer);

/// torch.nn.TransformerDecoderLayer: self_attn, multihead_attn, linear1,
/// linear2, norm1..3 (and dropouts).
class TransformerDecoderLayerImpl : public Module {
public:
  explicit TransformerDecoderLayerImpl(const TransformerLayerOptions &options);
  TransformerDecoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerDecoderLayerImpl(TransformerLayerOptions(d_model, nhead)) {}
  Tensor forward(const Tensor &tgt, const Tensor &memory,
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  TransformerLayerOptions options;
  MultiheadAttention self_attn{nullptr}, multihead_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr},
      dropout3{nullptr};
};
LATHE_MODULE(TransformerDecoderLayer);

/// torch.nn.TransformerEncoder: layers.0 .. layers.{n-1} (each built from
/// |layer|'s options, as torch's copies), then an optional final norm
/// (LayerNorm of d_model with eps, when |norm| is true).
class TransformerEncoderImpl : public Module {
public:
  TransformerEncoderImpl(const TransformerLayerOptions &layer,
                         int64_t num_layers, bool norm = false);
  Tensor forward(const Tensor &src, const Tensor &mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor());
  ModuleList layers;
  LayerNorm norm{nullptr};
};
LATHE_MODULE(TransformerEncoder);

class TransformerDecoderImpl : public Module {
public:
  TransformerDecoderImpl(const TransformerLayerOptions &layer,
                         int64_t num_layers, bool norm = false);
  Tensor forward(const Tensor &tgt, const Tensor &memory,
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  ModuleList layers;
  LayerNorm norm{nullptr};
};
LATHE_MODULE(TransformerDecoder);

/// torch.nn.Transformer: encoder and decoder, each with a final norm.
class TransformerImpl : public Module {
public:
  explicit TransformerImpl(const TransformerOptions &options = {});
  Tensor forward(const Tensor &src, const Tensor &tgt,
                 const Tensor &src_mask = Tensor(),
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  /// L x L float mask: 0 on and below the diagonal, -inf above.
  static Tensor generate_square_subsequent_mask(int64_t size);
  TransformerOptions options;
  TransformerEncoder encoder{nullptr};
  TransformerDecoder decoder{nullptr};
};
LATHE_MODULE(Transformer);

} // namespace lathe::nn

#endif // LATHE_NN_ATTENTION_H
