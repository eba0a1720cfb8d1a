// Test driver of the C++ DSL (check_dsl.py runs it):
//   lathe-dsl-driver compile MODEL STATE.safetensors OUT_BASE [INPUT_SHAPE]
//       loads the state dict into MODEL and compiles it (so + header)
//   lathe-dsl-driver save MODEL OUT.safetensors SEED
//       writes MODEL's initial state dict (manual_seed(SEED))
//   lathe-dsl-driver roundtrip MODEL IN.safetensors OUT.safetensors
//       loads a state dict and saves it again
//   lathe-dsl-driver compile-train MODEL STATE.safetensors OUT_BASE
//       a training build (cross entropy, SGD) of MODEL: forward, eval_step
//       and train_step
//   lathe-dsl-driver criterion NAME STATE.safetensors OUT_BASE
//       a training build (SGD, lr from the step) of Heads with the
//       criterion NAME and options other than its defaults
//   lathe-dsl-driver stale OUT_BASE
//       compiles Stale twice (the second must be refused)
//   lathe-dsl-driver fit MODEL IN.safetensors DATA.npz OUT.safetensors OPT
//       loads a state dict, trains on DATA's x and target (2 epochs of
//       batches of 16 in order, with optimizer OPT: sgd or adam) and saves
//       the trained state dict
// A lathe::Error is printed as "error: MESSAGE" with exit code 2.
#include "Models.h"

#include "lathe/train.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

using namespace dsl_models;

namespace {

/// The inputs of |model|: its shape argument for the first, the rest
/// fixed.
std::vector<lathe::InputSpec> inputsOf(const std::string &model,
                                       std::vector<int64_t> shape) {
  if (model == "seq")
    return {{"x", shape, nn::kInt64}};
  if (model == "more")
    return {{"x", shape}, {"z", {2, 5}}};
  if (model == "ops")
    return {{"x", shape}, {"labels", {2, 3}, nn::kInt64}};
  if (model == "rest")
    return {{"x", shape}, {"ids", {3, 4}, nn::kInt64}, {"w", {3, 4}}};
  if (model == "losses")
    return {{"x", shape}, {"cls", {4}, nn::kInt64}, {"y", {4, 5}}};
  if (model == "attn")
    return {{"x", shape},
            {"mask", {2, 5}, nn::kBool},
            {"k", {7, 2, 12}},
            {"v", {7, 2, 8}}};
  return {{"x", shape}};
}

std::vector<int64_t> parseShape(const std::string &text) {
  std::vector<int64_t> shape;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, 'x'))
    shape.push_back(std::stoll(part));
  return shape;
}

const char *defaultShape(const std::string &model) {
  if (model == "lenet")
    return "8x1x28x28";
  if (model == "resnet")
    return "2x3x32x32";
  if (model == "zoo")
    return "2x4x12x12";
  if (model == "seq")
    return "3x7";
  if (model == "more")
    return "2x8x6x6";
  if (model == "resample")
    return "2x3x5x6";
  if (model == "attn")
    return "2x5x16";
  if (model == "ops")
    return "2x3x4";
  if (model == "rest")
    return "2x4x7x9";
  if (model == "unbatched")
    return "3x6x8";
  if (model == "losses" || model == "graphonly")
    return "4x5";
  return "3x8";
}

template <typename M> int run(const std::vector<std::string> &args) {
  M model;
  const std::string &command = args[0];
  if (command == "compile") {
    model.load_state_dict(args[2]);
    lathe::compile(model, inputsOf(args[1], parseShape(args[4])),
                   {.output = args[3], .emit = {"so", "header"}});
  } else if (command == "save") {
    lathe::manual_seed(std::stoull(args[3]));
    M fresh;
    fresh.save_state_dict(args[2]);
  } else if (command == "compile-train") {
    model.load_state_dict(args[2]);
    lathe::CompileOptions options;
    options.output = args[3];
    options.training = lathe::train::build_options(nn::CrossEntropyLoss(),
                                                   lathe::optim::SGD(0.1));
    lathe::compile(model, inputsOf(args[1], parseShape(defaultShape(args[1]))),
                   options);
  } else if (command == "fit") {
    model.load_state_dict(args[2]);
    auto data = lathe::train::load_npz(args[3], {"x", "target"});
    lathe::train::FitOptions options;
    options.epochs = 2;
    options.batch_size = 16;
    options.options = {{"shuffle", "false"}};
    lathe::optim::Optimizer optimizer =
        args[5] == "adam"
            ? lathe::optim::Optimizer(lathe::optim::Adam(
                  lathe::optim::AdamOptions{0.01, {0.8, 0.99}, 1e-8, 0.01}))
            : lathe::optim::Optimizer(lathe::optim::SGD(
                  lathe::optim::SGDOptions{0.1, 0.9, 0.0, 0.001, true}));
    auto result = lathe::train::fit(model, nn::CrossEntropyLoss(), optimizer,
                                    {{data[0]}, {data[1]}}, options);
    std::cout << "steps " << result.steps << " loss " << result.train_loss
              << "\n";
    model.save_state_dict(args[4]);
  } else if (command == "roundtrip") {
    model.load_state_dict(args[2]);
    model.save_state_dict(args[3]);
  } else {
    std::cerr << "unknown command " << command << "\n";
    return 1;
  }
  return 0;
}

} // namespace

/// The criterion |name| with options other than its defaults.
nn::Loss criterion(const std::string &name) {
  if (name == "cross_entropy")
    return nn::CrossEntropyLoss(
        nn::CrossEntropyLossOptions{{1.0, 2.0, 0.5, 1.0}, -100, "mean", 0.1});
  if (name == "nll")
    return nn::NLLLoss(nn::NLLLossOptions{{1.0, 2.0, 0.5, 1.0}, 3, "sum"});
  if (name == "mse")
    return nn::MSELoss("sum");
  if (name == "l1")
    return nn::L1Loss();
  if (name == "smooth_l1")
    return nn::SmoothL1Loss(0.5);
  if (name == "huber")
    return nn::HuberLoss(0.7);
  if (name == "bce")
    return nn::BCELoss();
  if (name == "bce_with_logits")
    return nn::BCEWithLogitsLoss(2.0);
  if (name == "soft_margin")
    return nn::SoftMarginLoss("sum");
  if (name == "kl_div")
    return nn::KLDivLoss("batchmean");
  if (name == "poisson_nll")
    return nn::PoissonNLLLoss(
        nn::PoissonNLLLossOptions{true, true, 1e-8, "mean"});
  if (name == "hinge_embedding")
    return nn::HingeEmbeddingLoss(0.5);
  if (name == "multilabel_soft_margin")
    return nn::MultiLabelSoftMarginLoss({1.0, 2.0, 1.0, 0.5});
  if (name == "multi_margin")
    return nn::MultiMarginLoss(nn::MultiMarginLossOptions{2, 0.7, {}, "mean"});
  if (name == "multilabel_margin")
    return nn::MultiLabelMarginLoss();
  if (name == "margin_ranking")
    return nn::MarginRankingLoss(0.2);
  if (name == "cosine_embedding")
    return nn::CosineEmbeddingLoss(0.1);
  if (name == "triplet_margin")
    return nn::TripletMarginLoss(
        nn::TripletMarginLossOptions{0.5, 1.0, 1e-6, true, "mean"});
  if (name == "ctc")
    return nn::CTCLoss(nn::CTCLossOptions{0, "sum", true});
  throw lathe::Error("no criterion " + name);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::cerr << "usage: lathe-dsl-driver compile|save|roundtrip MODEL ...\n";
    return 1;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args[0] == "compile" && args.size() < 5)
    args.push_back(defaultShape(args[1]));
  try {
    if (args[0] == "stale") {
      Stale stale;
      lathe::compile(stale, {{"x", {2, 3}}}, {.output = args[1]});
      lathe::compile(stale, {{"x", {2, 3}}}, {.output = args[1]});
      return 0;
    }
    if (args[0] == "criterion") {
      headsCriterion() = args[1];
      Heads heads;
      heads.load_state_dict(args[2]);
      lathe::CompileOptions options;
      options.output = args[3];
      options.training = lathe::train::build_options(criterion(args[1]),
                                                     lathe::optim::SGD(0.1));
      lathe::compile(heads, {{"x", {8, 6}}}, options);
      return 0;
    }
    const std::string &name = args[1];
    if (name == "lenet")
      return run<LeNet>(args);
    if (name == "resnet")
      return run<ResNet>(args);
    if (name == "zoo")
      return run<Zoo>(args);
    if (name == "seq")
      return run<Seq>(args);
    if (name == "more")
      return run<More>(args);
    if (name == "mismatch")
      return run<Mismatch>(args);
    if (name == "mlp")
      return run<Mlp>(args);
    if (name == "resample")
      return run<Resample>(args);
    if (name == "attn")
      return run<Attn>(args);
    if (name == "ops")
      return run<Ops>(args);
    if (name == "rest")
      return run<Rest>(args);
    if (name == "unbatched")
      return run<Unbatched>(args);
    if (name == "losses")
      return run<Losses>(args);
    if (name == "graphonly")
      return run<GraphOnly>(args);
    std::cerr << "unknown model " << name << "\n";
    return 1;
  } catch (const lathe::Error &e) {
    std::cout << "error: " << e.what() << "\n";
    return 2;
  }
}
