// The C++ DSL's sequence layers (lathe/nn.h): Embedding, EmbeddingBag,
// RNN/LSTM/GRU and their cells.
#ifndef LATHE_NN_RECURRENT_H
#define LATHE_NN_RECURRENT_H

#include "lathe/nn/module.h"
#include "lathe/nn/options.h"

namespace lathe::nn {

/// torch.nn.Embedding: weight num_embeddings x embedding_dim, normal(0, 1)
/// with the padding_idx row zero.
class EmbeddingImpl : public Module {
public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions &options);
  Tensor forward(const Tensor &indices);
  EmbeddingOptions options;
  Tensor weight;
};
LATHE_MODULE(Embedding);

/// torch.nn.EmbeddingBag over fixed-size bags (N x L indices): mode
/// "mean", "sum" or "max", padding_idx entries left out, per-sample
/// weights (mode sum).
struct EmbeddingBagOptions {
  EmbeddingBagOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings(num_embeddings), embedding_dim(embedding_dim) {}
  int64_t num_embeddings, embedding_dim;
  std::string mode_ = "mean";
  std::optional<int64_t> padding_idx_{};
  EmbeddingBagOptions &mode(std::string m) {
    mode_ = std::move(m);
    return *this;
  }
  EmbeddingBagOptions &padding_idx(int64_t i) {
    padding_idx_ = i;
    return *this;
  }
};
class EmbeddingBagImpl : public Module {
public:
  explicit EmbeddingBagImpl(const EmbeddingBagOptions &options);
  EmbeddingBagImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingBagImpl(EmbeddingBagOptions(num_embeddings, embedding_dim)) {}
  Tensor forward(const Tensor &input,
                 const Tensor &per_sample_weights = Tensor());
  EmbeddingBagOptions options;
  Tensor weight;
};
LATHE_MODULE(EmbeddingBag);

/// torch.nn.RNN / LSTM / GRU: num_layers, bidirectional, batch_first,
/// bias, dropout (between layers, training only); parameters
/// weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} in
/// torch's gate order.
class RNNImplBase : public Module {
public:
  enum class Kind { Rnn, Lstm, Gru };
  RNNImplBase(Kind kind, const RNNSettings &options, bool relu = false);
  void reset_parameters();
  /// The output sequence and the last hidden (and cell) state of every
  /// layer and direction; |h0| and |c0| may be undefined (zeros).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor &x, const Tensor &h0,
                                         const Tensor &c0);
  Kind kind;
  RNNSettings options;
  bool relu;
};
class RNNImpl : public RNNImplBase {
public:
  RNNImpl(int64_t input_size, int64_t hidden_size)
      : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions &options);
  std::tuple<Tensor, Tensor> forward(const Tensor &x,
                                     const Tensor &hx = Tensor());
};
class GRUImpl : public RNNImplBase {
public:
  GRUImpl(int64_t input_size, int64_t hidden_size)
      : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions &options)
      : RNNImplBase(Kind::Gru, options.settings()) {}
  std::tuple<Tensor, Tensor> forward(const Tensor &x,
                                     const Tensor &hx = Tensor());
};
class LSTMImpl : public RNNImplBase {
public:
  LSTMImpl(int64_t input_size, int64_t hidden_size)
      : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions &options);
  std::tuple<Tensor, std::tuple<Tensor, Tensor>>
  forward(const Tensor &x,
          const std::tuple<Tensor, Tensor> &hx = std::tuple<Tensor, Tensor>());
};
LATHE_MODULE(RNN);
LATHE_MODULE(GRU);
LATHE_MODULE(LSTM);

/// torch.nn.RNNCell / LSTMCell / GRUCell: one step; weight_ih, weight_hh,
/// bias_ih, bias_hh in torch's gate order. Inputs N x I (states N x H,
/// zeros when undefined).
class RNNCellImplBase : public Module {
public:
  RNNCellImplBase(RNNImplBase::Kind kind, int64_t input_size,
                  int64_t hidden_size, bool bias, bool relu);
  /// The next hidden (and, for an LSTM cell, cell) state.
  std::tuple<Tensor, Tensor> step(const Tensor &x, const Tensor &h,
                                  const Tensor &c);
  RNNImplBase::Kind kind;
  int64_t input_size, hidden_size;
  bool relu;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};
class RNNCellImpl : public RNNCellImplBase {
public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true,
              const std::string &nonlinearity = "tanh");
  Tensor forward(const Tensor &x, const Tensor &hx = Tensor()) {
    return std::get<0>(step(x, hx, Tensor()));
  }
};
class GRUCellImpl : public RNNCellImplBase {
public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true)
      : RNNCellImplBase(RNNImplBase::Kind::Gru, input_size, hidden_size, bias,
                        false) {}
  Tensor forward(const Tensor &x, const Tensor &hx = Tensor()) {
    return std::get<0>(step(x, hx, Tensor()));
  }
};
class LSTMCellImpl : public RNNCellImplBase {
public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true)
      : RNNCellImplBase(RNNImplBase::Kind::Lstm, input_size, hidden_size, bias,
                        false) {}
  std::tuple<Tensor, Tensor>
  forward(const Tensor &x,
          const std::tuple<Tensor, Tensor> &hx = std::tuple<Tensor, Tensor>()) {
    return step(x, std::get<0>(hx), std::get<1>(hx));
  }
};
LATHE_MODULE(RNNCell);
LATHE_MODULE(GRUCell);
LATHE_MODULE(LSTMCell);

} // namespace lathe::nn

#endif // LATHE_NN_RECURRENT_H
