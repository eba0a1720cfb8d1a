// Data-parallel training's collectives: what crosses between the replicas
// of a training step (the runtime's communicator, through the call
// environment's all-reduce hook, lathe/abi.h).
#ifndef LATHE_PARALLEL_OPS_TD
#define LATHE_PARALLEL_OPS_TD

include "dialects/lathe/LatheBase.td"

// Not Pure: a collective must run once on every replica, in the same
// order, whether or not its result looks needed.
def Lathe_AllReduceMeanOp
    : Op<Lathe_Dialect, "all_reduce_mean",
         [SameOperandsAndResultType,
          MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "The mean of a tensor across the data-parallel replicas";
  let description = [{
    Every replica's `input` averaged element-wise across the replicas of
    data-parallel training (DistributedDataParallel's gradient averaging);
    with one replica, the input. Bufferized in place, it becomes
    `lathe.all_reduce_mean_buffer`.
  }];
  let arguments = (ins Lathe_FloatTensor:$input);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Lathe_AllReduceMeanBufferOp
    : Op<Lathe_Dialect, "all_reduce_mean_buffer",
         [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "lathe.all_reduce_mean in place on a buffer";
  let description = [{
    Replaces the elements of `buffer` (statically shaped, identity layout)
    with their mean across the replicas. Code generation calls the call
    environment's `allreduce` hook (lathe/abi.h) on it; with no hook, it
    leaves the buffer as it is.
  }];
  let arguments = (ins
    Arg<StaticShapeMemRefOf<[AnyFloat]>, "", [MemRead, MemWrite]>:$buffer);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
}

#endif // LATHE_PARALLEL_OPS_TD
