// Training DSL modules: criteria and optimizers as `lathe train` options,
// and lathe::train::fit over the compiled training step and the training
// library's loop.
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include "lathe/runtime.h"
#include "lathe/train.h"
#include "training/Loop.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <unistd.h>

namespace lathe {

namespace {

std::string text(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

std::string text(bool v) { return v ? "true" : "false"; }

std::string listText(const std::vector<double> &values) {
  std::string out;
  for (double v : values)
    out += (out.empty() ? "" : ",") + text(v);
  return out;
}

} // namespace

namespace nn {

Tensor Loss::operator()(const Tensor &input, const Tensor &target) const {
  if (!forward_)
    detail::fail("lathe::nn: the " + name_ +
                 " criterion is a training criterion only; as an op of a "
                 "graph it is not supported yet");
  return forward_(input, target);
}

/// |weights| as a float32 value tensor (undefined when empty).
static Tensor weightTensor(const std::vector<double> &weights) {
  if (weights.empty())
    return Tensor();
  std::vector<float> values(weights.begin(), weights.end());
  return tensor(values, {int64_t(values.size())});
}

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions &o)
    : Loss("cross_entropy",
           {{"reduction", o.reduction},
            {"label-smoothing", text(o.label_smoothing)},
            {"ignore-index", std::to_string(o.ignore_index)}}) {
  if (!o.weight.empty())
    add_option("class-weight", listText(o.weight));
  set_forward([o](const Tensor &x, const Tensor &t) {
    return functional::cross_entropy(x, t, weightTensor(o.weight),
                                     o.ignore_index, o.reduction,
                                     o.label_smoothing);
  });
}

NLLLoss::NLLLoss(const NLLLossOptions &o)
    : Loss("nll", {{"reduction", o.reduction},
                   {"ignore-index", std::to_string(o.ignore_index)}}) {
  if (!o.weight.empty())
    add_option("class-weight", listText(o.weight));
  set_forward([o](const Tensor &x, const Tensor &t) {
    return functional::nll_loss(x, t, weightTensor(o.weight), o.ignore_index,
                                o.reduction);
  });
}

MSELoss::MSELoss(const std::string &reduction)
    : Loss("mse", {{"reduction", reduction}}) {
  set_forward([reduction](const Tensor &x, const Tensor &t) {
    return functional::mse_loss(x, t, reduction);
  });
}
L1Loss::L1Loss(const std::string &reduction)
    : Loss("l1", {{"reduction", reduction}}) {
  set_forward([reduction](const Tensor &x, const Tensor &t) {
    return functional::l1_loss(x, t, reduction);
  });
}
SmoothL1Loss::SmoothL1Loss(double beta, const std::string &reduction)
    : Loss("smooth_l1", {{"reduction", reduction}, {"beta", text(beta)}}) {
  set_forward([beta, reduction](const Tensor &x, const Tensor &t) {
    return functional::smooth_l1_loss(x, t, reduction, beta);
  });
}
HuberLoss::HuberLoss(double delta, const std::string &reduction)
    : Loss("huber", {{"reduction", reduction}, {"delta", text(delta)}}) {
  set_forward([delta, reduction](const Tensor &x, const Tensor &t) {
    return functional::huber_loss(x, t, reduction, delta);
  });
}
BCELoss::BCELoss(const std::string &reduction)
    : Loss("bce", {{"reduction", reduction}}) {
  set_forward([reduction](const Tensor &x, const Tensor &t) {
    return functional::binary_cross_entropy(x, t, Tensor(), reduction);
  });
}
BCEWithLogitsLoss::BCEWithLogitsLoss(double pos_weight,
                                     const std::string &reduction)
    : Loss("bce_with_logits",
           {{"reduction", reduction}, {"pos-weight", text(pos_weight)}}) {
  set_forward([pos_weight, reduction](const Tensor &x, const Tensor &t) {
    Tensor pw;
    if (pos_weight != 1.0)
      pw = full({x.dim() ? x.size(-1) : 1}, pos_weight);
    return functional::binary_cross_entropy_with_logits(x, t, Tensor(),
                                                        reduction, pw);
  });
}

SoftMarginLoss::SoftMarginLoss(const std::string &reduction)
    : Loss("soft_margin", {{"reduction", reduction}}) {}
KLDivLoss::KLDivLoss(const std::string &reduction, bool log_target)
    : Loss("kl_div",
           {{"reduction", reduction}, {"log-target", text(log_target)}}) {
  set_forward([reduction, log_target](const Tensor &x, const Tensor &t) {
    return functional::kl_div(x, t, reduction, log_target);
  });
}
PoissonNLLLoss::PoissonNLLLoss(const PoissonNLLLossOptions &o)
    : Loss("poisson_nll", {{"reduction", o.reduction},
                           {"no-log-input", text(!o.log_input)},
                           {"full", text(o.full)},
                           {"loss-eps", text(o.eps)}}) {}
HingeEmbeddingLoss::HingeEmbeddingLoss(double margin,
                                       const std::string &reduction)
    : Loss("hinge_embedding",
           {{"reduction", reduction}, {"margin", text(margin)}}) {}
MultiLabelSoftMarginLoss::MultiLabelSoftMarginLoss(std::vector<double> weight,
                                                   const std::string &reduction)
    : Loss("multilabel_soft_margin", {{"reduction", reduction}}) {
  if (!weight.empty())
    add_option("class-weight", listText(weight));
}
MultiMarginLoss::MultiMarginLoss(const MultiMarginLossOptions &o)
    : Loss("multi_margin", {{"reduction", o.reduction},
                            {"p", std::to_string(o.p)},
                            {"margin", text(o.margin)}}) {
  if (!o.weight.empty())
    add_option("class-weight", listText(o.weight));
}
MultiLabelMarginLoss::MultiLabelMarginLoss(const std::string &reduction)
    : Loss("multilabel_margin", {{"reduction", reduction}}) {}
MarginRankingLoss::MarginRankingLoss(double margin,
                                     const std::string &reduction)
    : Loss("margin_ranking",
           {{"reduction", reduction}, {"margin", text(margin)}}) {}
CosineEmbeddingLoss::CosineEmbeddingLoss(double margin,
                                         const std::string &reduction)
    : Loss("cosine_embedding",
           {{"reduction", reduction}, {"margin", text(margin)}}) {}
TripletMarginLoss::TripletMarginLoss(const TripletMarginLossOptions &o)
    : Loss("triplet_margin", {{"reduction", o.reduction},
                              {"margin", text(o.margin)},
                              {"p", text(o.p)},
                              {"loss-eps", text(o.eps)},
                              {"swap", text(o.swap)}}) {}
CTCLoss::CTCLoss(const CTCLossOptions &o)
    : Loss("ctc", {{"reduction", o.reduction},
                   {"blank", std::to_string(o.blank)},
                   {"zero-infinity", text(o.zero_infinity)}}) {}

} // namespace nn

namespace optim {

SGD::SGD(const SGDOptions &o)
    : Optimizer("sgd", o.lr,
                {{"momentum", text(o.momentum)},
                 {"dampening", text(o.dampening)},
                 {"weight-decay", text(o.weight_decay)},
                 {"nesterov", text(o.nesterov)}}) {}

/// Adam's and AdamW's options, as `lathe train` names them.
static OptionList adamOptions(const AdamOptions &o) {
  return {{"beta1", text(o.betas.first)},
          {"beta2", text(o.betas.second)},
          {"eps", text(o.eps)},
          {"weight-decay", text(o.weight_decay)},
          {"amsgrad", text(o.amsgrad)}};
}

Adam::Adam(const AdamOptions &o) : Optimizer("adam", o.lr, adamOptions(o)) {}

AdamW::AdamW(const AdamOptions &o) : Optimizer("adamw", o.lr, adamOptions(o)) {}

RMSprop::RMSprop(const RMSpropOptions &o)
    : Optimizer("rmsprop", o.lr,
                {{"alpha", text(o.alpha)},
                 {"eps", text(o.eps)},
                 {"weight-decay", text(o.weight_decay)},
                 {"momentum", text(o.momentum)},
                 {"centered", text(o.centered)}}) {}

} // namespace optim

namespace train {

using nn::detail::fail;

namespace {

using training::Owned;

/// Every array of |data| in order (inputs, then targets): values with the
/// same number of samples.
std::vector<nn::Tensor> arraysOf(const Data &data, const char *what) {
  std::vector<nn::Tensor> all = data.inputs;
  all.insert(all.end(), data.targets.begin(), data.targets.end());
  int64_t samples = -1;
  for (const nn::Tensor &t : all) {
    if (!t.defined() || t.is_symbolic() || t.dim() < 1)
      fail(std::string("lathe::train::fit: every ") + what +
           " array must be a value tensor with a sample dimension");
    if (samples >= 0 && t.size(0) != samples)
      fail(std::string("lathe::train::fit: the ") + what +
           " arrays have different sample counts (" + std::to_string(samples) +
           " and " + std::to_string(t.size(0)) + ")");
    samples = t.size(0);
  }
  return all;
}

/// A folder of its own, removed with what it holds unless the caller named
/// it.
struct WorkFolder {
  std::string path;
  bool temporary = false;
  ~WorkFolder() {
    if (!temporary)
      return;
    std::remove((path + "/model.so").c_str());
    ::rmdir(path.c_str());
  }
};

} // namespace

OptionList build_options(const nn::Loss &loss,
                         const optim::Optimizer &optimizer,
                         const OptionList &extra) {
  OptionList build = {{"loss", loss.name()}};
  build.insert(build.end(), loss.options().begin(), loss.options().end());
  build.push_back({"optimizer", optimizer.name()});
  build.insert(build.end(), optimizer.options().begin(),
               optimizer.options().end());
  build.insert(build.end(), extra.begin(), extra.end());
  return build;
}

std::vector<nn::Tensor> load_npz(const std::string &path,
                                 const std::vector<std::string> &names) {
  lathe_context_t *raw = nullptr;
  if (lathe_context_create(nullptr, &raw) != LATHE_OK)
    fail("lathe::train::load_npz: cannot create a runtime context");
  Owned<lathe_context_t> ctx(raw);
  std::vector<nn::Tensor> out;
  for (const std::string &name : names) {
    lathe_tensor_t *t = nullptr;
    if (lathe_tensor_load_npz(ctx.get(), path.c_str(), name.c_str(), &t) !=
        LATHE_OK)
      fail("lathe::train::load_npz: " +
           std::string(lathe_context_last_error(ctx.get())));
    Owned<lathe_tensor_t> owned(t);
    lathe_tensor_info_t info;
    lathe_tensor_info(t, &info);
    std::vector<int64_t> shape(info.dims, info.dims + info.rank);
    if (auto dtype = nn::detail::dsl_dtype(info.dtype)) {
      nn::Tensor value = nn::detail::make_value(shape, *dtype);
      if (size_t bytes = lathe_tensor_num_bytes(t))
        std::memcpy(value.impl()->bytes.data(), lathe_tensor_data(t), bytes);
      out.push_back(value);
      continue;
    }
    // 8- and 16-bit integers (images, say) become float32, exactly.
    nn::Tensor value = nn::detail::make_value(shape, nn::kFloat32);
    float *to = value.data_ptr<float>();
    const void *from = lathe_tensor_data(t);
    size_t n = size_t(value.numel());
    for (size_t i = 0; i < n; ++i) {
      switch (info.dtype) {
      case LATHE_U8:
        to[i] = static_cast<const uint8_t *>(from)[i];
        break;
      case LATHE_I8:
        to[i] = static_cast<const int8_t *>(from)[i];
        break;
      case LATHE_I16:
        to[i] = static_cast<const int16_t *>(from)[i];
        break;
      case LATHE_U16:
        to[i] = static_cast<const uint16_t *>(from)[i];
        break;
      default:
        fail("lathe::train::load_npz: " + path + ": array '" + name +
             "' has dtype " + lathe_dtype_name(info.dtype) +
             ", which DSL tensors do not hold");
      }
    }
    out.push_back(value);
  }
  return out;
}

namespace detail {

FitResult fit_traced(nn::Module &module, const lathe::detail::Forward &forward,
                     const nn::Loss &loss, const optim::Optimizer &optimizer,
                     const Data &train, const FitOptions &o, const Data &val) {
  if (train.inputs.empty() || train.targets.empty())
    fail("lathe::train::fit: the training data needs the model's inputs and "
         "the criterion's targets");
  std::vector<nn::Tensor> trainArrays = arraysOf(train, "training");
  std::vector<nn::Tensor> valArrays;
  if (!val.inputs.empty() || !val.targets.empty()) {
    valArrays = arraysOf(val, "validation");
    if (val.inputs.size() != train.inputs.size() ||
        val.targets.size() != train.targets.size())
      fail("lathe::train::fit: the validation data has other arrays than "
           "the training data");
  }

  // The loop's options and the build's, each by its `lathe train` name.
  training::LoopOptions loop;
  loop.epochs = o.epochs;
  loop.batchSize = o.batch_size;
  loop.seed = o.seed;
  loop.lr = optimizer.lr();
  OptionList build = build_options(loss, optimizer);
  for (const auto &[name, value] : o.options) {
    std::string why = training::setLoopOption(loop, name, value);
    if (why.rfind("no training loop option", 0) == 0)
      build.push_back({name, value}); // The build's (checked there).
    else if (!why.empty())
      fail("lathe::train::fit: " + why);
  }
  if (std::string why = training::checkLoopOptions(loop); !why.empty())
    fail("lathe::train::fit: " + why);
  build.push_back({"seed", std::to_string(loop.seed)}); // Dropout's too.
  if (training::cyclesMomentum(loop))
    build.push_back({"momentum-hyper", "true"});

  // The training step, compiled for batches of |batch| samples.
  WorkFolder work;
  if (o.work_dir.empty()) {
    char folder[] = "/tmp/lathe-fit-XXXXXX";
    if (!::mkdtemp(folder))
      fail("lathe::train::fit: cannot create a temporary folder");
    work.path = folder;
    work.temporary = true;
  } else {
    work.path = o.work_dir;
  }
  std::string so = work.path + "/model.so";
  std::vector<InputSpec> inputs;
  for (size_t i = 0; i < train.inputs.size(); ++i) {
    std::vector<int64_t> shape = train.inputs[i].sizes();
    shape[0] = loop.batchSize;
    inputs.push_back({train.inputs.size() == 1 ? "x" : "x" + std::to_string(i),
                      shape, train.inputs[i].dtype()});
  }
  CompileOptions step;
  step.output = so;
  step.emit = {"so"};
  step.name = "model";
  step.training = build;
  lathe::detail::compile_traced(module, inputs, step, forward);

  lathe_context_options_t copts;
  lathe_context_options_init(&copts);
  copts.num_threads = o.threads;
  lathe_context_t *rawCtx = nullptr;
  if (lathe_context_create(&copts, &rawCtx) != LATHE_OK)
    fail("lathe::train::fit: cannot create a runtime context");
  Owned<lathe_context_t> ctx(rawCtx);
  auto failed = [&]() {
    fail("lathe::train::fit: " +
         std::string(lathe_context_last_error(ctx.get())));
  };
  lathe_module_t *rawModule = nullptr;
  if (lathe_module_load(ctx.get(), so.c_str(), &rawModule) != LATHE_OK)
    failed();
  Owned<lathe_module_t> compiled(rawModule);
  lathe_trainer_t *rawTrainer = nullptr;
  if (lathe_trainer_create(ctx.get(), compiled.get(), &rawTrainer) != LATHE_OK)
    failed();
  Owned<lathe_trainer_t> trainer(rawTrainer);
  // The trainer starts from the module's values, which the build embeds.

  auto wrap = [&](const std::vector<nn::Tensor> &arrays) {
    std::vector<Owned<lathe_tensor_t>> out;
    for (const nn::Tensor &t : arrays) {
      lathe_tensor_t *w = nullptr;
      if (lathe_tensor_wrap(ctx.get(), nn::detail::runtime_dtype(t.dtype()),
                            t.sizes().size(), t.sizes().data(),
                            t.impl()->bytes.data(), &w) != LATHE_OK)
        failed();
      out.emplace_back(w);
    }
    return out;
  };
  auto borrowed = [](const std::vector<Owned<lathe_tensor_t>> &arrays) {
    std::vector<const lathe_tensor_t *> out;
    for (const auto &a : arrays)
      out.push_back(a.get());
    return out;
  };
  auto trainTensors = wrap(trainArrays), valTensors = wrap(valArrays);
  std::unique_ptr<training::Loop> run;
  if (training::Loop::create(ctx.get(), trainer.get(), loop,
                             borrowed(trainTensors), borrowed(valTensors),
                             run) != LATHE_OK)
    failed();
  if (run->tailSamples())
    fail("lathe::train::fit: keep-last (a last partial batch) is not "
         "supported by fit yet");

  FitResult result;
  training::Callbacks callbacks;
  callbacks.onEpoch = [&](const training::EpochReport &r) {
    result.epochs = r.epoch + 1;
    result.train_loss = r.trainLoss;
    result.val_loss = r.valLoss;
    result.val_accuracy = r.valAccuracy;
    if (o.on_epoch) {
      EpochReport report;
      report.epoch = r.epoch + 1;
      report.steps = lathe_trainer_steps(trainer.get());
      report.train_loss = r.trainLoss;
      report.val_loss = r.valLoss;
      report.val_accuracy = r.valAccuracy;
      o.on_epoch(report);
    }
    return true;
  };
  training::End end;
  if (run->run(callbacks, end) != LATHE_OK)
    failed();
  result.steps = lathe_trainer_steps(trainer.get());

  // The trained values back into the module, by state_dict name; every one
  // checked before any is written.
  std::map<std::string, nn::Tensor> dict;
  for (auto &[name, t] : module.state_dict())
    dict[name] = t;
  std::vector<std::pair<nn::Tensor, const lathe_tensor_t *>> copies;
  for (size_t i = 0; i < lathe_module_num_params(compiled.get()); ++i) {
    lathe_tensor_info_t info;
    lathe_module_param_info(compiled.get(), i, &info);
    auto it = dict.find(info.name);
    const lathe_tensor_t *value = lathe_trainer_param(trainer.get(), i);
    if (it == dict.end() ||
        lathe_tensor_num_bytes(value) != it->second.impl()->bytes.size())
      fail(std::string("lathe::train::fit: the trained parameter '") +
           info.name + "' has no tensor of its size in the module");
    copies.push_back({it->second, value});
  }
  for (auto &[t, value] : copies)
    if (!t.impl()->bytes.empty())
      std::memcpy(t.impl()->bytes.data(), lathe_tensor_data(value),
                  t.impl()->bytes.size());
  return result;
}

} // namespace detail
} // namespace train
} // namespace lathe
