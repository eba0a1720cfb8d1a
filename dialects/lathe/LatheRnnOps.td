// The rnn family: recurrent layers over a whole sequence.
#ifndef LATHE_RNN_OPS_TD
#define LATHE_RNN_OPS_TD

include "dialects/lathe/LatheBase.td"

//===----------------------------------------------------------------------===//
// RNN: recurrent layers over a whole sequence
//===----------------------------------------------------------------------===//

def Lathe_DirectionAttr : I64EnumAttr<"Direction", "which way a recurrent layer runs", [
    I64EnumAttrCase<"forward", 0>, I64EnumAttrCase<"reverse", 1>,
    I64EnumAttrCase<"bidirectional", 2>]> {
  let cppNamespace = "::lathe";
}

def Lathe_NonlinearityAttr : I64EnumAttr<"Nonlinearity", "an Elman RNN's activation", [
    I64EnumAttrCase<"tanh", 0>, I64EnumAttrCase<"relu", 1>]> {
  let cppNamespace = "::lathe";
}

class Lathe_RecurrentOp<string mnemonic, int gates, string torch, string cell,
                        string extra = "">
    : Lathe_Op<mnemonic, [AttrSizedOperandSegments]> {
  let summary = "`" # torch # "` layer over a whole sequence";
  let description = extra # [{
    One layer of `}] # torch # [{` in ONNX's layout: input `T x N x I`,
    weights `W: D x }] # gates # [{H x I`, `R: D x }] # gates # [{H x H`,
    optional bias `D x }] # !mul(2, gates) # [{H` (input then recurrent
    bias), optional initial state `D x N x H`; `D` is 2 when bidirectional.
    Results: every step's hidden state `T x D x N x H`, and the last hidden
    state `D x N x H`}] # cell # [{. `clip`, when set, bounds the gates'
    pre-activations. Optional `sequence_lens` (`N`, at most `T`) end each
    sample early: its later outputs are zero and its last state is the one
    at its own last step (the reverse direction starts there). Weights are
    parameters, so the layer trains.
    ```mlir
    %y, %h}] # !if(!eq(gates, 4), ", %c", "") # [{ = lathe.}] # mnemonic # [{ %x, %w, %r {hidden_size = 8 : i64}
        : (tensor<5x2x3xf32>, tensor<1x}] # !mul(gates, 8) # [{x3xf32>, tensor<1x}] # !mul(gates, 8) # [{x8xf32>)
        -> (tensor<5x1x2x8xf32>, tensor<1x2x8xf32>}] # !if(!eq(gates, 4), ", tensor<1x2x8xf32>", "") # [{)
    ```
  }];
  let hasVerifier = 1;
}

def Lathe_RnnOp : Lathe_RecurrentOp<"rnn", 1, "torch.nn.RNN", ""> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   DefaultValuedAttr<Lathe_NonlinearityAttr, "::lathe::Nonlinearity::tanh">:$nonlinearity,
                   OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Lathe_GruOp : Lathe_RecurrentOp<"gru", 3, "torch.nn.GRU", "", [{
    Gates in ONNX order (update z, reset r, candidate n). With
    `linear_before_reset` (PyTorch's form) the reset gate scales
    `h R_n^T + b_Rn`; without it, it scales `h` before the product.
  }]> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   UnitAttr:$linear_before_reset, OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Lathe_LstmOp : Lathe_RecurrentOp<"lstm", 4, "torch.nn.LSTM",
    ", and the last cell state `D x N x H`", [{
    Gates in ONNX order (input i, output o, forget f, cell c); optional
    initial cell state `D x N x H` and peephole weights `D x 3H` (i, o, f).
  }]> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_FloatTensor>:$initial_c,
                   Optional<Lathe_FloatTensor>:$peepholes,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h,
                 Lathe_FloatTensor:$y_c);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`initial_c` $initial_c^)? (`peepholes` $peepholes^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

#endif // LATHE_RNN_OPS_TD
