// The loss family: torch.nn's criteria with their reduction.
#ifndef LATHE_LOSS_OPS_TD
#define LATHE_LOSS_OPS_TD

include "dialects/lathe/LatheBase.td"

//===----------------------------------------------------------------------===//
// Loss: criteria with torch.nn's reduction
//===----------------------------------------------------------------------===//

def Lathe_ReductionAttr : I64EnumAttr<"Reduction", "a loss's reduction", [
    I64EnumAttrCase<"none", 0>, I64EnumAttrCase<"mean", 1>,
    I64EnumAttrCase<"sum", 2>, I64EnumAttrCase<"batchmean", 3>]> {
  let cppNamespace = "::lathe";
}

def Lathe_IndexTensor : RankedTensorOf<[I32, I64]>;

// A torch.nn criterion: `none` keeps the per-element (or per-sample) losses,
// `mean` and `sum` reduce them to a scalar. `lathe-decompose-losses` rewrites
// each into the lathe ops of its definition, before autodiff and lowering.
class Lathe_LossOp<string mnemonic, list<Trait> traits = []>
    : Lathe_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)> {
  let results = (outs Lathe_FloatTensor:$result);
}

class Lathe_PointwiseLossOp<string mnemonic, dag extraAttrs = (ins)>
    : Lathe_LossOp<mnemonic> {
  let arguments = !con((ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction),
      extraAttrs);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
}

// l1_loss(x, t) = |x - t|
def Lathe_L1LossOp : Lathe_PointwiseLossOp<"l1_loss"> {
  let summary = "mean absolute error";
  let description = [{
    `torch.nn.L1Loss(reduction)`: `|x - t|` per element (shapes broadcast).
    ```mlir
    %l = lathe.l1_loss %x, %t : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
    ```
  }];
}

// mse_loss(x, t) = (x - t)^2
def Lathe_MseLossOp : Lathe_PointwiseLossOp<"mse_loss"> {
  let summary = "mean squared error";
  let description = [{
    `torch.nn.MSELoss(reduction)`: `(x - t)^2` per element.
    ```mlir
    %l = lathe.mse_loss %x, %t {reduction = 2 : i64} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
    ```
  }];
}

// smooth_l1_loss(x, t) = |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta
def Lathe_SmoothL1LossOp : Lathe_PointwiseLossOp<"smooth_l1_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$beta)> {
  let summary = "smooth L1 loss";
  let description = [{
    `torch.nn.SmoothL1Loss(reduction, beta)`, `d = x - t`: quadratic below
    `beta`, linear above; `beta = 0` is the L1 loss.
    ```mlir
    %l = lathe.smooth_l1_loss %x, %t {beta = 0.5 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// huber_loss(x, t) = |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
def Lathe_HuberLossOp : Lathe_PointwiseLossOp<"huber_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$delta)> {
  let summary = "Huber loss";
  let description = [{
    `torch.nn.HuberLoss(reduction, delta)`, `d = x - t`.
    ```mlir
    %l = lathe.huber_loss %x, %t {delta = 2.0 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// soft_margin_loss(x, y) = log(1 + exp(-y x))
def Lathe_SoftMarginLossOp : Lathe_PointwiseLossOp<"soft_margin_loss"> {
  let summary = "two-class logistic loss";
  let description = [{
    `torch.nn.SoftMarginLoss(reduction)`: `log(1 + exp(-y x))` per element
    for targets `y` of 1 or -1.
    ```mlir
    %l = lathe.soft_margin_loss %x, %y : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// kl_div_loss(x, t) = t (log t - x), or exp(t) (t - x) with log_target
def Lathe_KlDivLossOp : Lathe_PointwiseLossOp<"kl_div_loss",
    (ins DefaultValuedAttr<BoolAttr, "false">:$log_target)> {
  let summary = "Kullback-Leibler divergence";
  let description = [{
    `torch.nn.KLDivLoss(reduction, log_target)` with log-probabilities `x`:
    `t (log t - x)` (0 where `t = 0`), or `exp(t) (t - x)` when the target is
    a log-probability too. `batchmean` divides the sum by the batch size
    (dimension 0); it is the only loss that accepts it.
    ```mlir
    %l = lathe.kl_div_loss %x, %t {reduction = 3 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
    ```
  }];
}

// poisson_nll_loss(x, t) = exp(x) - t x, or x - t log(x + eps)
def Lathe_PoissonNllLossOp : Lathe_PointwiseLossOp<"poisson_nll_loss",
    (ins DefaultValuedAttr<BoolAttr, "true">:$log_input,
         DefaultValuedAttr<BoolAttr, "false">:$full,
         DefaultValuedAttr<F64Attr, "1e-8">:$eps)> {
  let summary = "negative log-likelihood of a Poisson target";
  let description = [{
    `torch.nn.PoissonNLLLoss(log_input, full, eps, reduction)`: `exp(x) - t x`
    when `x` is the log of the rate, else `x - t log(x + eps)`. With `full`,
    Stirling's term `t log t - t + 0.5 log(2 pi t)` is added where `t > 1`.
    ```mlir
    %l = lathe.poisson_nll_loss %x, %t {full = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// hinge_embedding_loss(x, y) = y = 1 ? x : max(0, margin - x)
def Lathe_HingeEmbeddingLossOp : Lathe_PointwiseLossOp<"hinge_embedding_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$margin)> {
  let summary = "hinge embedding loss";
  let description = [{
    `torch.nn.HingeEmbeddingLoss(margin, reduction)` for targets of 1 or -1:
    `x` where `y = 1`, `max(0, margin - x)` where `y = -1` (a target that is
    neither adds both terms, as PyTorch does).
    ```mlir
    %l = lathe.hinge_embedding_loss %x, %y {margin = 2.0 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// bce_loss(x, t) = -w (t log x + (1 - t) log(1 - x)), each log at least -100
def Lathe_BceLossOp : Lathe_LossOp<"bce_loss"> {
  let summary = "binary cross-entropy on probabilities";
  let description = [{
    `torch.nn.BCELoss(weight, reduction)`; each log is clamped at -100 as in
    PyTorch. The optional weight broadcasts against the input.
    ```mlir
    %l = lathe.bce_loss %p, %t weight %w : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// bce_with_logits_loss(x, t) = w ((1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)))
def Lathe_BceWithLogitsLossOp : Lathe_LossOp<"bce_with_logits_loss", [AttrSizedOperandSegments]> {
  let summary = "binary cross-entropy on logits";
  let description = [{
    `torch.nn.BCEWithLogitsLoss(weight, reduction, pos_weight)`, computed
    stably from the logits. `weight` broadcasts against the input;
    `pos_weight` weighs the positive term per class (the last dimension).
    ```mlir
    %l = lathe.bce_with_logits_loss %x, %t pos_weight %pw : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight, Optional<Lathe_FloatTensor>:$pos_weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? (`pos_weight` $pos_weight^)? attr-dict `:` functional-type(operands, results)";
}

// multilabel_soft_margin_loss(x, y)[n] = -mean_c w_c (y log s(x) + (1 - y) log s(-x))
def Lathe_MultilabelSoftMarginLossOp : Lathe_LossOp<"multilabel_soft_margin_loss"> {
  let summary = "multi-label one-versus-all logistic loss";
  let description = [{
    `torch.nn.MultiLabelSoftMarginLoss(weight, reduction)` on `N x C` (or `C`)
    logits and 0/1 targets of that shape: the per-class logistic losses,
    weighted per class, averaged over the classes; `none` keeps one per
    sample.
    ```mlir
    %l = lathe.multilabel_soft_margin_loss %x, %y : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// cross_entropy_loss(x, t) = nll_loss(log_softmax(x, 1), t), smoothed
def Lathe_CrossEntropyLossOp : Lathe_LossOp<"cross_entropy_loss"> {
  let summary = "cross-entropy of logits against classes or probabilities";
  let description = [{
    `torch.nn.CrossEntropyLoss(weight, ignore_index, reduction,
    label_smoothing)` on `N x C x d...` (or `C`) logits. The target is either
    class indices `N x d...` (`ignore_index` counts for nothing; `mean`
    divides by the summed weights of the counted elements) or class
    probabilities of the input's shape (`mean` divides by the number of
    samples `N x d...`). `label_smoothing` mixes the target with the uniform
    distribution as PyTorch does.
    ```mlir
    %l = lathe.cross_entropy_loss %x, %t {label_smoothing = 0.1 : f64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
      RankedTensorOf<[AnyFloat, I32, I64]>:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
      DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// multi_margin_loss(x, y)[n] = sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C
def Lathe_MultiMarginLossOp : Lathe_LossOp<"multi_margin_loss"> {
  let summary = "multi-class hinge loss";
  let description = [{
    `torch.nn.MultiMarginLoss(p, margin, weight, reduction)` on `N x C` (or
    `C`) scores and class indices `N` (or a scalar); `p` is 1 or 2, the
    weight is per class and multiplies after the power.
    ```mlir
    %l = lathe.multi_margin_loss %x, %y {p = 2 : i64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_IndexTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "1">:$p,
      DefaultValuedAttr<F64Attr, "1.0">:$margin);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// multilabel_margin_loss(x, y)[n] = sum_{j in y} sum_{i not in y} max(0, 1 - x_j + x_i) / C
def Lathe_MultilabelMarginLossOp : Lathe_LossOp<"multilabel_margin_loss"> {
  let summary = "multi-label hinge loss";
  let description = [{
    `torch.nn.MultiLabelMarginLoss(reduction)` on `N x C` (or `C`) scores;
    each target row lists class indices, ended by the first -1 (or by its
    end). Every listed class is pushed above every unlisted one by 1.
    ```mlir
    %l = lathe.multilabel_margin_loss %x, %y : (tensor<8x5xf32>, tensor<8x5xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_IndexTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
}

// margin_ranking_loss(x1, x2, y) = max(0, -y (x1 - x2) + margin)
def Lathe_MarginRankingLossOp : Lathe_LossOp<"margin_ranking_loss"> {
  let summary = "margin ranking loss";
  let description = [{
    `torch.nn.MarginRankingLoss(margin, reduction)`: targets of 1 say `x1`
    should rank higher, -1 that `x2` should. Shapes broadcast.
    ```mlir
    %l = lathe.margin_ranking_loss %a, %b, %y {margin = 0.5 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input1, Lathe_FloatTensor:$input2,
      Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let assemblyFormat = "$input1 `,` $input2 `,` $target attr-dict `:` functional-type(operands, results)";
}

// cosine_embedding_loss(x1, x2, y)[n] = y = 1 ? 1 - cos : max(0, cos - margin)
def Lathe_CosineEmbeddingLossOp : Lathe_LossOp<"cosine_embedding_loss"> {
  let summary = "cosine embedding loss";
  let description = [{
    `torch.nn.CosineEmbeddingLoss(margin, reduction)` on `N x D` (or `D`)
    pairs and targets `N` (or a scalar) of 1 or -1; the cosine is taken
    with 1e-12 added to each squared norm, as PyTorch does.
    ```mlir
    %l = lathe.cosine_embedding_loss %a, %b, %y : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input1, Lathe_FloatTensor:$input2,
      Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let assemblyFormat = "$input1 `,` $input2 `,` $target attr-dict `:` functional-type(operands, results)";
}

// triplet_margin_loss(a, p, n) = max(0, margin + d(a, p) - d(a, n))
def Lathe_TripletMarginLossOp : Lathe_LossOp<"triplet_margin_loss"> {
  let summary = "triplet margin loss";
  let description = [{
    `torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction)` on `N x D`
    (or `D`) anchors, positives and negatives; `d(u, v) = ||u - v + eps||_p`
    over the last dimension (`torch.pairwise_distance`). With `swap` the
    negative distance is the smaller of `d(a, n)` and `d(p, n)`.
    ```mlir
    %l = lathe.triplet_margin_loss %a, %p, %n {swap = true} : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$anchor, Lathe_FloatTensor:$positive,
      Lathe_FloatTensor:$negative,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "1.0">:$margin,
      DefaultValuedAttr<F64Attr, "2.0">:$p,
      DefaultValuedAttr<F64Attr, "1e-6">:$eps,
      DefaultValuedAttr<BoolAttr, "false">:$swap);
  let assemblyFormat = "$anchor `,` $positive `,` $negative attr-dict `:` functional-type(operands, results)";
}

// ctc_loss(lp, y, Tn, Sn)[n] = -log sum over alignments of y[n, :Sn] in lp[:Tn, n]
def Lathe_CtcLossOp : Lathe_LossOp<"ctc_loss"> {
  let summary = "connectionist temporal classification loss";
  let description = [{
    `torch.nn.CTCLoss(blank, reduction, zero_infinity)` on log-probabilities
    `T x N x C`, targets either padded `N x S` or concatenated (rank 1, the
    samples' targets one after another), and per-sample input and target
    lengths `N`. The loss of a sample is minus the log of the summed
    probability of every alignment of its target to its first
    `input_lengths[n]` steps; `mean` divides each by its target length (at
    least 1) before averaging over the batch. An impossible alignment gives
    `inf`, or 0 with `zero_infinity`.
    ```mlir
    %l = lathe.ctc_loss %lp, %y, %tn, %sn : (tensor<50x8x20xf32>, tensor<8x10xi64>, tensor<8xi64>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$log_probs, Lathe_IndexTensor:$targets,
      Lathe_IndexTensor:$input_lengths, Lathe_IndexTensor:$target_lengths,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "0">:$blank,
      DefaultValuedAttr<BoolAttr, "false">:$zero_infinity);
  let assemblyFormat = "$log_probs `,` $targets `,` $input_lengths `,` $target_lengths attr-dict `:` functional-type(operands, results)";
}

// nll_loss(x, t)[n, d...] = -w[t] * x[n, t[n, d...], d...]; 0 where t = ignore
def Lathe_NllLossOp : Lathe_Op<"nll_loss", [InferTypeOpAdaptor]> {
  let summary = "negative log-likelihood loss";
  let description = [{
    `torch.nn.NLLLoss(weight, ignore_index, reduction)` on log-probabilities
    `N x C x d1...` (or `N x C`) and class indices `N x d1...`. Elements whose
    target equals `ignore_index` contribute nothing (and no weight). `mean`
    divides by the summed weights of the counted elements (NaN when none
    count), `sum` adds, `none` keeps the `N x d1...` losses. A target outside
    `[0, C)` that is not ignored is clamped (never read out of bounds).
    ```mlir
    %l = lathe.nll_loss %logp, %target weight %w {reduction = 1 : i64}
        : (tensor<8x10xf32>, tensor<8xi64>, tensor<10xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
                   RankedTensorOf<[I32, I64]>:$target,
                   Optional<Lathe_FloatTensor>:$weight,
                   DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target (`weight` $weight^)? attr-dict `:` `(` type($input) `,`
    type($target) (`,` type($weight)^)? `)` `->` type($result)
  }];
}

#endif // LATHE_LOSS_OPS_TD
