// Graph passes (lathe -> lathe): decompositions and the training passes.
// The pipeline builders in compiler/Pipeline.cpp order them.
#ifndef LATHE_COMPILER_GRAPH_PASSES_TD
#define LATHE_COMPILER_GRAPH_PASSES_TD

include "mlir/Pass/PassBase.td"

def DecomposeRecurrent : Pass<"lathe-decompose-recurrent"> {
  let summary = "Unroll recurrent layers into the lathe ops of their cells";
  let description = [{
    `lstm(x) => per direction: xw = matmul(x, W^T) + b once; per step
    g = xw[t] + matmul(h, R^T); c = sigmoid(f) c + sigmoid(i) tanh(g_c);
    h = sigmoid(o) tanh(c)` (and the GRU and Elman cells alike), over the
    static sequence length. The result is ordinary lathe math and tensor ops,
    so lowering, fusion and (later) differentiation need nothing special.
  }];
}

def DecomposeLosses : Pass<"lathe-decompose-losses"> {
  let summary = "Rewrite torch.nn criteria into the lathe ops of their definitions";
  let description = [{
    `mse_loss(x, t) => reduce((x - t)^2)`, `cross_entropy_loss => nll_loss(
    log_softmax(x))` plus label smoothing, `ctc_loss =>` the alpha recursion
    in log space unrolled over the static number of steps, and every other
    criterion as PyTorch computes it. Runs before autodiff (whose gradient
    of a criterion is then the gradient of its definition) and before
    lowering; only nll_loss stays a loss op.
  }];
}

def AddLoss : Pass<"lathe-add-loss", "mlir::ModuleOp"> {
  let summary = "Add a loss to @forward, as @eval_step and @gradient";
  let description = [{
    `forward(x, params) -> y` gains `eval_step(x, target, params) -> (loss,
    y)` and a copy of it, `gradient`, for the training passes. The loss is a
    torch.nn criterion op (`loss`) on the model's first output (first two
    for margin_ranking and cosine_embedding, first three for triplet_margin)
    and new inputs for what it compares them with (`target`; for ctc also
    `input_lengths` and `target_lengths`), or, with `loss=output:NAME`, the
    model's own scalar output NAME (then nothing is added).
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"cross_entropy\"",
           "cross_entropy, nll, mse, l1, smooth_l1, huber, soft_margin, "
           "kl_div, poisson_nll, hinge_embedding, bce, bce_with_logits, "
           "multilabel_soft_margin, multi_margin, multilabel_margin, "
           "margin_ranking, cosine_embedding, triplet_margin, ctc, or "
           "output:NAME">,
    Option<"reduction", "reduction", "std::string", /*default=*/"\"mean\"",
           "mean or sum (batchmean too for kl_div)">,
    Option<"labelSmoothing", "label-smoothing", "double", /*default=*/"0.0",
           "cross_entropy's label_smoothing">,
    Option<"ignoreIndex", "ignore-index", "int64_t", /*default=*/"-100",
           "cross_entropy / nll target value that counts for nothing">,
    Option<"beta", "beta", "double", /*default=*/"1.0", "smooth_l1's beta">,
    Option<"delta", "delta", "double", /*default=*/"1.0", "huber's delta">,
    Option<"posWeight", "pos-weight", "double", /*default=*/"1.0",
           "bce_with_logits' pos_weight (one for every class)">,
    Option<"logTarget", "log-target", "bool", /*default=*/"false",
           "kl_div's log_target">,
    Option<"margin", "margin", "double",
           /*default=*/"std::numeric_limits<double>::quiet_NaN()",
           "the margin of hinge_embedding (default 1), margin_ranking (0), "
           "cosine_embedding (0), multi_margin (1) and triplet_margin (1)">,
    Option<"normP", "p", "double",
           /*default=*/"std::numeric_limits<double>::quiet_NaN()",
           "multi_margin's p (1 or 2; default 1), triplet_margin's norm "
           "degree (default 2)">,
    Option<"lossEps", "loss-eps", "double",
           /*default=*/"std::numeric_limits<double>::quiet_NaN()",
           "poisson_nll's eps (default 1e-8), triplet_margin's (1e-6)">,
    Option<"swap", "swap", "bool", /*default=*/"false",
           "triplet_margin's distance swap">,
    Option<"noLogInput", "no-log-input", "bool", /*default=*/"false",
           "poisson_nll: the prediction is the rate, not its log">,
    Option<"full", "full", "bool", /*default=*/"false",
           "poisson_nll's Stirling term">,
    Option<"blank", "blank", "int64_t", /*default=*/"0", "ctc's blank class">,
    Option<"zeroInfinity", "zero-infinity", "bool", /*default=*/"false",
           "ctc: impossible alignments cost 0 instead of inf">,
    Option<"targetLength", "target-length", "int64_t", /*default=*/"0",
           "ctc: the padded target length S (default: the number of steps T)">,
    ListOption<"classWeight", "class-weight", "double",
               "per-class weights (cross_entropy, nll, multi_margin, "
               "multilabel_soft_margin, bce, bce_with_logits)">
  ];
}

def TrainingMode : Pass<"lathe-training-mode", "mlir::ModuleOp"> {
  let summary = "Give @gradient training-mode semantics";
  let description = [{
    `batch_norm(x, running stats) => (x - mean_batch) / sqrt(var_batch + eps)
    * scale + bias`, from lathe reductions so that autodiff differentiates
    through the statistics, and the running statistics' new values
    (`running * momentum + batch * (1 - momentum)`, the variance unbiased)
    become results marked `lathe.update` with the parameter's name.

    `dropout(x) => x * (u >= ratio) / (1 - ratio)` with `u` a uniform
    `lathe.random` draw per element (per `N x C` channel when
    `channelwise`). Every dropout of the step owns a disjoint run of
    counters, and the run of step `s` starts at `(s - 1) * 2^32`, so no two
    draws of a training run share a counter; `s` is the
    `step` hyperparameter, which the pass adds to @gradient as an argument
    (marked `lathe.hyper`) when there is a dropout.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the dropout draws (added to each op's own seed)">,
  ];
}

def ExpandForGradient : Pass<"lathe-expand-for-gradient", "mlir::ModuleOp"> {
  let summary = "Rewrite @gradient's grid_sample into differentiable lathe ops";
  let description = [{
    An op whose derivative is best taken through its definition is written
    out in @gradient as the lathe ops that define it, so that autodiff
    differentiates those: `grid_sample(x, grid)` becomes the grid's
    unnormalized coordinates, the padding rule (clip, reflect), the tap
    weights (from `t = coord - floor(coord)`) and one `gather_nd` per tap,
    summed. The gradient with respect to the grid follows from the weights,
    the one with respect to the input from the gathers. @forward and
    @eval_step keep the fused kernel.
  }];
}

def ExpandGradients : Pass<"lathe-expand-gradients", "mlir::ModuleOp"> {
  let summary = "Replace lathe.gradient with the backward ops of its y";
  let description = [{
    `lathe.gradient %y wrt(%xs) held(%zs)` becomes, in place, the reverse-
    mode gradient of `sum(y)` with respect to each x through the ops of its
    block that compute y, as the dialect's gradient rules build it (the
    engine lathe-autodiff uses): the seed is a tensor of ones shaped as y,
    the held values stop the gradient, and an x that y does not depend on
    gets zeros. An op on the path without a rule is an error at its
    location. Runs after the recurrent layers and the criteria are
    decomposed, whose parts have rules.
  }];
}

def Autodiff : Pass<"lathe-autodiff", "mlir::ModuleOp"> {
  let summary = "Append the reverse-mode gradient of @gradient's loss";
  let description = [{
    `gradient(x, t, params) -> (loss, ...)` gains one result per parameter
    the loss depends on: `d loss / d param`, marked `lathe.grad` with the
    parameter's name (and, with `wrt-inputs`, one per float input, marked
    `lathe.input_grad`). Each op on a path from a parameter to the loss
    builds its operands' gradients through GradientOpInterface, in reverse
    order; an op without a rule is an error at its location.
  }];
  let options = [
    Option<"wrtInputs", "wrt-inputs", "bool", /*default=*/"false",
           "also differentiate with respect to the float inputs">
  ];
}

def ApplyOptimizer : Pass<"lathe-apply-optimizer", "mlir::ModuleOp"> {
  let summary = "Turn @gradient into @train_step with an optimizer update";
  let description = [{
    `train_step(x, t, params, state, lr, step) -> (loss, y, params', state')`:
    every trained parameter is updated from its gradient as torch.optim's
    optimizer does (with optional gradient clipping first), parameters with
    a `lathe.update` take that value, the others pass through. `lr` and the
    1-based `step` are f64 scalars so that the driver's schedule can change
    them; the optimizer's buffers are `state` arguments marked `lathe.state`.
    With `momentum-hyper`, SGD's and RMSprop's momentum (the momentum path
    always on) or Adam's, AdamW's and Adamax's beta1 is the f64 scalar
    hyperparameter `momentum` instead of a constant, for schedules that
    cycle it (torch's OneCycleLR and CyclicLR `cycle_momentum`).
    With `keep-gradient`, @gradient stays as its own entry point.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, adam, adamw, rmsprop, adagrad, adadelta or adamax">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0", "">,
    Option<"dampening", "dampening", "double", /*default=*/"0.0", "">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false", "">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "-1: the optimizer's default (0, or 0.01 for adamw)">,
    Option<"beta1", "beta1", "double", /*default=*/"-1.0",
           "-1: the default (0.9)">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "">,
    Option<"eps", "eps", "double", /*default=*/"-1.0",
           "-1: the optimizer's default">,
    Option<"amsgrad", "amsgrad", "bool", /*default=*/"false", "">,
    Option<"alpha", "alpha", "double", /*default=*/"0.99", "rmsprop's alpha">,
    Option<"centered", "centered", "bool", /*default=*/"false", "">,
    Option<"rho", "rho", "double", /*default=*/"0.9", "adadelta's rho">,
    Option<"lrDecay", "lr-decay", "double", /*default=*/"0.0", "adagrad">,
    Option<"initialAccumulator", "initial-accumulator", "double",
           /*default=*/"0.0", "adagrad's initial_accumulator_value">,
    Option<"maximize", "maximize", "bool", /*default=*/"false", "">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"0.0",
           "clip_grad_norm_ max_norm (0: off)">,
    Option<"clipNormType", "clip-norm-type", "double", /*default=*/"2.0",
           "clip_grad_norm_ norm_type">,
    Option<"clipValue", "clip-value", "double", /*default=*/"0.0",
           "clip_grad_value_ clip_value (0: off)">,
    Option<"keepGradient", "keep-gradient", "bool", /*default=*/"false",
           "keep @gradient as an entry point">,
    Option<"momentumHyper", "momentum-hyper", "bool", /*default=*/"false",
           "momentum (sgd, rmsprop) or beta1 (adam, adamw, adamax) from the "
           "hyperparameter 'momentum'">
  ];
}

#endif // LATHE_COMPILER_GRAPH_PASSES_TD
