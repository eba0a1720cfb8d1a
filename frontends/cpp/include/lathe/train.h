// Training a C++ DSL module: a criterion (nn::CrossEntropyLoss, ...), an
// optimizer (optim::SGD, optim::Adam, ...) and lathe::train::fit, which
// compiles the module's whole training step (forward, loss, backward,
// update) ahead of time, runs it over the data with the training library
// (batches, shuffling, schedules, validation) and writes the trained
// parameters back into the module.
//
//   lathe::train::fit(net, lathe::nn::CrossEntropyLoss(),
//                     lathe::optim::Adam(3e-3), {{x}, {y}},
//                     {.epochs = 10, .batch_size = 32});
//   net.save_state_dict("net.safetensors");
//
// Criteria and optimizers carry torch's names and defaults; each maps to
// the options of `lathe train` (training/Options.def, docs/training.md).
#ifndef LATHE_TRAIN_H
#define LATHE_TRAIN_H

#include "lathe/nn.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace lathe {

/// Options by their `lathe train` names ("label-smoothing", "momentum",
/// "lr-schedule", ...) and values as that command takes them.
using OptionList = std::vector<std::pair<std::string, std::string>>;

namespace nn {

/// A criterion for training builds: its `--loss` name and options.
class Loss {
public:
  Loss(std::string name, OptionList options = {})
      : name_(std::move(name)), options_(std::move(options)) {}
  const std::string &name() const { return name_; }
  const OptionList &options() const { return options_; }

  /// The criterion as an op of the graph forward traces (torch's
  /// `loss(input, target)`), for the criteria nn::functional has; throws
  /// for the others.
  Tensor operator()(const Tensor &input, const Tensor &target) const;

protected:
  void add_option(std::string name, std::string value) {
    options_.push_back({std::move(name), std::move(value)});
  }
  /// Sets what operator() computes.
  void set_forward(std::function<Tensor(const Tensor &, const Tensor &)> f) {
    forward_ = std::move(f);
  }

private:
  std::string name_;
  OptionList options_;
  std::function<Tensor(const Tensor &, const Tensor &)> forward_;
};

struct CrossEntropyLossOptions {
  std::vector<double> weight{}; ///< Per class (empty: none).
  int64_t ignore_index = -100;
  std::string reduction = "mean";
  double label_smoothing = 0.0;
};
/// torch.nn.CrossEntropyLoss over logits N x C (x d...) and class targets.
class CrossEntropyLoss : public Loss {
public:
  explicit CrossEntropyLoss(const CrossEntropyLossOptions &options = {});
};

struct NLLLossOptions {
  std::vector<double> weight{};
  int64_t ignore_index = -100;
  std::string reduction = "mean";
};
class NLLLoss : public Loss {
public:
  explicit NLLLoss(const NLLLossOptions &options = {});
};

/// torch.nn.MSELoss, L1Loss (reduction "mean", "sum").
class MSELoss : public Loss {
public:
  explicit MSELoss(const std::string &reduction = "mean");
};
class L1Loss : public Loss {
public:
  explicit L1Loss(const std::string &reduction = "mean");
};
class SmoothL1Loss : public Loss {
public:
  explicit SmoothL1Loss(double beta = 1.0,
                        const std::string &reduction = "mean");
};
class HuberLoss : public Loss {
public:
  explicit HuberLoss(double delta = 1.0, const std::string &reduction = "mean");
};
class BCELoss : public Loss {
public:
  explicit BCELoss(const std::string &reduction = "mean");
};
class BCEWithLogitsLoss : public Loss {
public:
  /// |pos_weight| for every class (1: none).
  explicit BCEWithLogitsLoss(double pos_weight = 1.0,
                             const std::string &reduction = "mean");
};

/// torch.nn.SoftMarginLoss (targets +-1).
class SoftMarginLoss : public Loss {
public:
  explicit SoftMarginLoss(const std::string &reduction = "mean");
};
/// torch.nn.KLDivLoss over log-probabilities (reduction "mean", "sum",
/// "batchmean").
class KLDivLoss : public Loss {
public:
  explicit KLDivLoss(const std::string &reduction = "mean",
                     bool log_target = false);
};
struct PoissonNLLLossOptions {
  bool log_input = true;
  bool full = false;
  double eps = 1e-8;
  std::string reduction = "mean";
};
class PoissonNLLLoss : public Loss {
public:
  explicit PoissonNLLLoss(const PoissonNLLLossOptions &options = {});
};
class HingeEmbeddingLoss : public Loss {
public:
  explicit HingeEmbeddingLoss(double margin = 1.0,
                              const std::string &reduction = "mean");
};
class MultiLabelSoftMarginLoss : public Loss {
public:
  explicit MultiLabelSoftMarginLoss(std::vector<double> weight = {},
                                    const std::string &reduction = "mean");
};
struct MultiMarginLossOptions {
  int64_t p = 1;
  double margin = 1.0;
  std::vector<double> weight{};
  std::string reduction = "mean";
};
class MultiMarginLoss : public Loss {
public:
  explicit MultiMarginLoss(const MultiMarginLossOptions &options = {});
};
class MultiLabelMarginLoss : public Loss {
public:
  explicit MultiLabelMarginLoss(const std::string &reduction = "mean");
};
/// MarginRankingLoss and CosineEmbeddingLoss take forward's first two
/// results; TripletMarginLoss its first three (anchor, positive,
/// negative), as `lathe train` does.
class MarginRankingLoss : public Loss {
public:
  explicit MarginRankingLoss(double margin = 0.0,
                             const std::string &reduction = "mean");
};
class CosineEmbeddingLoss : public Loss {
public:
  explicit CosineEmbeddingLoss(double margin = 0.0,
                               const std::string &reduction = "mean");
};
struct TripletMarginLossOptions {
  double margin = 1.0;
  double p = 2.0;
  double eps = 1e-6;
  bool swap = false;
  std::string reduction = "mean";
};
class TripletMarginLoss : public Loss {
public:
  explicit TripletMarginLoss(const TripletMarginLossOptions &options = {});
};
/// torch.nn.CTCLoss over log-probabilities T x N x C; targets N x S, with
/// input and target lengths as further targets.
struct CTCLossOptions {
  int64_t blank = 0;
  std::string reduction = "mean";
  bool zero_infinity = false;
};
class CTCLoss : public Loss {
public:
  explicit CTCLoss(const CTCLossOptions &options = {});
};

} // namespace nn

namespace optim {

/// An optimizer for training builds: its `--optimizer` name, learning rate
/// and options.
class Optimizer {
public:
  Optimizer(std::string name, double lr, OptionList options = {})
      : name_(std::move(name)), lr_(lr), options_(std::move(options)) {}
  const std::string &name() const { return name_; }
  double lr() const { return lr_; }
  const OptionList &options() const { return options_; }

private:
  std::string name_;
  double lr_;
  OptionList options_;
};

struct SGDOptions {
  double lr;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};
class SGD : public Optimizer {
public:
  explicit SGD(const SGDOptions &options);
  explicit SGD(double lr) : SGD(SGDOptions{lr}) {}
};

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
};
class Adam : public Optimizer {
public:
  explicit Adam(const AdamOptions &options);
  explicit Adam(double lr = 1e-3) : Adam(AdamOptions{lr}) {}
};
/// AdamW: weight_decay defaults to 0.01 (torch's).
class AdamW : public Optimizer {
public:
  explicit AdamW(const AdamOptions &options);
  explicit AdamW(double lr = 1e-3)
      : AdamW(AdamOptions{lr, {0.9, 0.999}, 1e-8, 0.01}) {}
};

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};
class RMSprop : public Optimizer {
public:
  explicit RMSprop(const RMSpropOptions &options);
  explicit RMSprop(double lr = 1e-2) : RMSprop(RMSpropOptions{lr}) {}
};

} // namespace optim

namespace train {

/// The options of a training build with |loss| and |optimizer| (for
/// CompileOptions::training), then |extra| ones by name.
OptionList build_options(const nn::Loss &loss,
                         const optim::Optimizer &optimizer,
                         const OptionList &extra = {});

/// A data set: the model's inputs and the criterion's targets, value
/// tensors whose dimension 0 indexes samples.
struct Data {
  std::vector<nn::Tensor> inputs{};
  std::vector<nn::Tensor> targets{};
};

/// Reads arrays |names| of a NumPy .npz file (numpy.savez) as value
/// tensors, in that order; 8- and 16-bit integers become float32.
std::vector<nn::Tensor> load_npz(const std::string &path,
                                 const std::vector<std::string> &names);

/// After each epoch.
struct EpochReport {
  int64_t epoch = 0; ///< 1-based.
  int64_t steps = 0; ///< Steps so far.
  double train_loss = 0.0;
  double val_loss = 0.0;     ///< NaN without validation.
  double val_accuracy = 0.0; ///< In percent; NaN without validation or
                             ///< classes.
};

struct FitOptions {
  int64_t epochs = 1;
  int64_t batch_size = 32;
  uint64_t seed = 0; ///< Shuffling and dropout.
  /// Any other option of `lathe train`'s loop or build by name
  /// ({"lr-schedule", "cosine"}, {"val-split", "0.1"}, ...).
  OptionList options{};
  /// Where the compiled step goes (default: a temporary folder, removed).
  std::string work_dir{};
  int threads = 0; ///< 0: one per CPU.
  std::function<void(const EpochReport &)> on_epoch{};
};

/// What a fit did.
struct FitResult {
  int64_t steps = 0, epochs = 0;
  double train_loss = 0.0;                   ///< The last epoch's mean.
  double val_loss = 0.0, val_accuracy = 0.0; ///< Accuracy in percent.
};

namespace detail {
FitResult fit_traced(nn::Module &module, const lathe::detail::Forward &forward,
                     const nn::Loss &loss, const optim::Optimizer &optimizer,
                     const Data &train, const FitOptions &options,
                     const Data &val);
} // namespace detail

/// Trains |module| on |train| (validated on |val| when given) and writes
/// the trained parameters and running statistics back into it. Throws
/// lathe::Error naming what failed; the module is unchanged unless the
/// fit completed.
template <typename M>
FitResult fit(M &module, const nn::Loss &loss,
              const optim::Optimizer &optimizer, const Data &train,
              const FitOptions &options = {}, const Data &val = {}) {
  if constexpr (!std::is_base_of_v<nn::Module, M>)
    return fit(*module, loss, optimizer, train, options, val);
  else
    return detail::fit_traced(module, lathe::detail::forward_of(module), loss,
                              optimizer, train, options, val);
}

} // namespace train
} // namespace lathe

#endif // LATHE_TRAIN_H
