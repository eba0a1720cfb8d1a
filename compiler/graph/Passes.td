// Graph passes (lathe -> lathe): decompositions and the training passes.
// The pipeline builders in compiler/Pipeline.cpp order them.
#ifndef LATHE_COMPILER_GRAPH_PASSES_TD
#define LATHE_COMPILER_GRAPH_PASSES_TD

include "mlir/Pass/PassBase.td"

def DecomposeRecurrent : Pass<"lathe-decompose-recurrent"> {
  let summary = "Recurrent layers as the lathe ops of their cells, in a loop over time or unrolled";
  let description = [{
    `lstm(x) => per direction: xw = matmul(x, W^T) + b once; per step
    g = xw[t] + matmul(h, R^T); c = sigmoid(f) c + sigmoid(i) tanh(g_c);
    h = sigmoid(o) tanh(c)` (and the GRU and Elman cells alike). The cell is
    ordinary lathe math and tensor ops, so lowering and fusion need nothing
    special. With `loops` (the default) the steps are one `scf.for` over time
    carrying h (and c) and the output, whose step reads row t of `xw` and
    writes row t of the output (`tensor.extract_slice`/`insert_slice`):
    compile time and code size do not grow with the sequence length.
    Without it (training builds: autodiff differentiates the cells step by
    step) the steps are unrolled over the static sequence length.
  }];
  let options = [
    Option<"loops", "loops", "bool", /*default=*/"true",
           "One scf.for over time per direction (false: unroll the steps)">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
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

    Options: the LATHE_LOSS_OPTION rows of training/Options.def.
  }];
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

    With `sync-batch-norm` (data-parallel builds), the batch statistics
    are those of every replica's batch together (torch's SyncBatchNorm):
    the per-replica mean, then the per-replica mean squared deviation from
    the common mean, each averaged across the replicas by
    `lathe.all_reduce_mean` (whose gradient is the all-reduced gradient);
    the running variance's unbiased count is the batch's times `replicas`.

    Options: `seed`, the dropout draws' seed, `sync-batch-norm` and
    `replicas` (training/Options.def).
  }];
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

def FoldBatchNorm : Pass<"lathe-fold-batch-norm", "mlir::ModuleOp"> {
  let summary = "Fold inference batch norms into the convolutions before them";
  let description = [{
    In an inference build (a module whose only entry is @forward), `y =
    batch_norm(conv(x, W, b), scale, bias, mean, var)` with every one of
    those a parameter argument that carries its value (lathe.value) and
    that nothing else reads becomes `conv(x, W', b')`: with `s[c] =
    scale[c] / sqrt(var[c] + eps)`, `W'[c, ...] = W[c, ...] s[c]` and `b'[c]
    = (b[c] - mean[c]) s[c] + bias[c]` (b = 0 without a bias), computed in
    double and rounded once to the element type (f32 or f64). W keeps its
    name with the new value, b' takes the conv's bias or, without one, the
    batch norm's bias parameter; the parameters left unread (scale, mean,
    var) leave @forward. A training build keeps its batch norms (their
    parameters train and their statistics update).
  }];
}

def TransposeWeights : Pass<"lathe-transpose-weights", "mlir::ModuleOp"> {
  let summary = "Store an inference build's Linear weights as K x N";
  let description = [{
    In an inference build (a module whose only entry is @forward), a 2-D
    parameter argument that carries its value (lathe.value) and that only
    gemms read, as their B with `trans_b` (`torch.nn.Linear`'s `x W^T + b`),
    gets its value transposed at compile time, and the gemms lose
    `trans_b`: products then read the weight along n as stored, with no
    transposed copy per call. Where each gemm's bias (if any) is a 1-D
    parameter only it reads, n is also padded with zeros to whole 64-byte
    lines (whole vectors on every CPU target), bias included, and the
    gemm's result is sliced back to n columns: the product's vector loads
    need no padded copy of the weight either. The parameter keeps its name;
    its type (and what lathe_module_param_info reports) is the stored
    layout, N x K -> K x N'. Training builds keep every parameter as the
    model has it.
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
    parameter's name (and, with `gradient-inputs`, one per float input, marked
    `lathe.input_grad`). Each op on a path from a parameter to the loss
    builds its operands' gradients through GradientOpInterface, in reverse
    order; an op without a rule is an error at its location.

    Options: `gradient-inputs` (training/Options.def).
  }];
}

def AverageGradients : Pass<"lathe-average-gradients", "mlir::ModuleOp"> {
  let summary = "Average @gradient's parameter gradients across replicas";
  let description = [{
    Data-parallel training (DistributedDataParallel's gradient averaging):
    every result of @gradient marked `lathe.grad` becomes
    `lathe.all_reduce_mean` of itself, placed right after the op that
    computes it, so that the collectives run in the order the backward
    pass produces the gradients, the same on every replica. With one
    replica (no all-reduce hook in the call environment) the averages are
    the gradients. The pipeline adds it with the `data-parallel` option.
  }];
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
    With `gradient`, @gradient stays as its own entry point.

    Options: the LATHE_OPTIMIZER_OPTION rows of training/Options.def, and
    its LATHE_BUILD_OPTION rows `gradient` and `momentum-hyper`.
  }];
}

#endif // LATHE_COMPILER_GRAPH_PASSES_TD
