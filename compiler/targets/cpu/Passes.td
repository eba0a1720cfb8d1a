// The CPU target's passes: half-float policy, contractions, parallel tiles, buffers, memory plan, outlining.
// The pipeline builders in compiler/Pipeline.cpp order them.
#ifndef LATHE_COMPILER_TARGETS_CPU_PASSES_TD
#define LATHE_COMPILER_TARGETS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def WidenHalfFloats : Pass<"lathe-widen-half-floats"> {
  let summary = "Compute every f16 / bf16 op in f32, rounding its results";
  let description = [{
    `y = op(a : f16) => y = cast(op(cast(a) : f32)) : f16` for each lathe op
    with 16-bit float operands or results (casts and constants excepted):
    storage stays 16-bit, arithmetic is f32 and each op's results are rounded
    once, as PyTorch and ONNX Runtime compute half precision on CPUs. Sums
    inside matrix products, convolutions, reductions and normalizations
    accumulate in f32; no 16-bit arithmetic reaches LLVM, only conversions.
  }];
}

def FuseElementwise : Pass<"lathe-fuse-elementwise"> {
  let summary = "Fuse element-wise producers into consumers that read them once";
  let description = [{
    `y = f(x); z = g(y) => z = g(f(x))` for linalg.generic ops (upstream's
    element-wise fusion and reshape folding), where the producer has no
    other use and the consumer reads each of its elements once. A consumer
    with reduction loops that reads the operand more than once (a
    contraction, `C[m, n] += A[m, k] * B[k, n]` reading `A` once per `n`) is
    left alone: fused, the producer (a bias and an activation) would be
    recomputed per read, and the contraction would no longer be a plain
    product for `lathe-vectorize-contractions`.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"
  ];
}

def ConvToIm2col : Pass<"lathe-conv-to-im2col"> {
  let summary = "Rewrite NCHW convolutions as im2col plus a contraction";
  let description = [{
    `conv_2d_nchw_fchw(x, w) => contraction(w[f, c*kh*kw], im2col(x)[n, c*kh*kw, oh*ow])`.
    The contraction is a plain matrix product per batch element whose output
    is contiguous along `oh*ow`, which `lathe-vectorize-contractions` turns
    into register-blocked vector code.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect"
  ];
}

def VectorizeContractions : Pass<"lathe-vectorize-contractions",
                                 "mlir::func::FuncOp"> {
  let summary = "Tile contractions into register blocks and vectorize them";
  let description = [{
    `C[b, m, n] += A[b, m, k] * B[b, k, n] => for b, m/tm, n/tn, k:
    C[tm x tn] += broadcast(A[tm x 1]) * B[1 x tn]` as vector FMAs. Applies to
    linalg contractions whose `n` dimension is the innermost dimension of the
    output; when it is not innermost in `B` (a Linear layer's `x W^T`), `B`
    is first copied transposed so that it is (vector loads and stores are
    contiguous). `n` is zero-padded up to whole vectors and the m tile
    divides `m` exactly, so no tile is partial; other contractions are left
    to the scalar path. The outermost tile loop with several tiles is an
    `scf.forall` (tasks for the thread pool) when the contraction has at
    least `min-parallel-work` multiply-adds: about 2 x 64Ki, where waking a
    second thread starts to pay (ONNX Runtime's MLAS splits SGEMMs at 64Ki
    per thread).
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "Floats per hardware vector register">,
    Option<"accumulatorRegisters", "accumulator-registers", "int64_t",
           /*default=*/"12",
           "Vector registers the accumulator block may use">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           /*default=*/"131072",
           "Multiply-adds below which a contraction's tiles run serially">,
  ];
  let dependentDialects = [
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect",
    "mlir::tensor::TensorDialect", "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect"
  ];
}

def ApproximateMath : Pass<"lathe-approximate-math"> {
  let summary = "Compute f32 transcendental functions with polynomials, not libm calls";
  let description = [{
    `math.tanh / exp / expm1 / log / log1p / erf` on f32 (scalars or
    vectors) => MLIR's polynomial and rational approximations (arith ops
    only), then every `math.fma` => `arith.mulf` + `arith.addf` (LLVM fuses
    them back into FMA instructions where the target has them, and makes no
    libm call where it has not). A libm call per element keeps loops scalar;
    the approximations vectorize. `log` of a subnormal is computed as
    `log(x * 2^24) - 24 ln 2` (the approximation reads the exponent bits),
    `erf(x)` gets the sign of x (the approximation's loses it for -0).
    Their error, measured over a sweep of every float magnitude by
    `e2e.onnx_ops`' approximated-math check, is at most 4 ulp; infinities,
    NaN and signed zeros keep their meaning; results below FLT_MIN
    (subnormals) may flush to zero. f64 (and ops on other types) keep libm.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::vector::VectorDialect"];
}

def PlanMemory : Pass<"lathe-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place intermediate buffers in one caller-provided arena";
  let description = [{
    `%b = memref.alloc() ... memref.dealloc %b => %b = memref.view %scratch[off]`
    for every statically shaped buffer allocated and freed at the top level of
    a function. Offsets come from the buffers' lifetimes (allocation to
    deallocation, in program order): buffers that are never live together
    share bytes. The arena is a new last argument `memref<Nxi8>` of each
    function, N is recorded in the module attribute `lathe.scratch_bytes`
    (the largest over functions), and each buffer is 64-byte aligned.
    Buffers allocated inside loops or never freed keep their allocation.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def ParallelizeLinalg : Pass<"lathe-parallelize-linalg", "mlir::func::FuncOp"> {
  let summary = "Split large linalg ops into parallel tiles";
  let description = [{
    `linalg op over (d0 x d1 x ...) => scf.forall %i in [0, dP) { op on
    slice i of dP }` where dP is the op's outermost parallel dimension with
    more than one element. Applies to ops on tensors that are not already in
    a parallel loop and have at least `min-iterations` iterations, so that
    small ops do not pay for waking threads, and that read no dimension
    backwards (a flip's `-d + c`, whose tiles' slices upstream tiling cannot
    bound): those stay serial.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"65536",
           "Iteration-space size below which an op stays serial">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"];
}

def OutlineParallelLoops : Pass<"lathe-outline-parallel-loops",
                                "mlir::ModuleOp"> {
  let summary = "Run scf.forall loops through the caller's parallel_for";
  let description = [{
    `scf.forall (%i) = (lb) to (ub) step (s) { body } =>
    call @lathe_dispatch_N(count, captures..., %parallel)` and
    `func @lathe_task_N(%begin, %end, captures...) { for k in [begin, end):
    body[%i = lb + k * s] }`, on buffers. Every function gains a last
    argument `%parallel: !llvm.ptr` (the call's `lathe_env_t *`, NULL when
    it has no parallel_for); lathe-define-dispatches, on the LLVM dialect,
    defines each `@lathe_dispatch_N` (declared with `lathe.task =
    @lathe_task_N`) to pack the captures into a closure and call
    `env->parallel_for(env->pool, count, trampoline, closure)`, or the
    trampoline directly when `env` is NULL. Pure ops
    defining captured views and constants are cloned into the task, so that
    captures are statically shaped identity-layout buffers and scalars; a
    loop whose captures cannot be made so stays in place (and is run serially
    by `scf-forall-to-for`).
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect", "mlir::func::FuncDialect"];
}

def OutlineCollectives : Pass<"lathe-outline-collectives", "mlir::ModuleOp"> {
  let summary = "Collectives on buffers become calls of declared helpers";
  let description = [{
    `lathe.all_reduce_mean_buffer %b : memref<...xT>` (in a function that
    lathe-outline-parallel-loops gave its call-context argument) =>
    `call @lathe_collective_N(%b, %context)`, with `@lathe_collective_N`
    declared with `lathe.collective = {count, dtype}` (the buffer's element
    count and lathe/abi.h dtype) for lathe-define-collectives. The buffer
    must be statically shaped with the identity layout (one bare pointer).
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def LowerMemrefCopy : Pass<"lathe-lower-memref-copy"> {
  let summary = "Rewrite a strided memref.copy as linalg.copy";
  let description = [{
    `memref.copy(a, b) => linalg.copy(a, b)` when either side is not
    contiguous. A strided `memref.copy` would otherwise lower to a call into
    MLIR's C runner utilities; as a linalg op it becomes plain loops, so an
    artifact depends on nothing beyond libc. A copy between contiguous buffers
    stays: it lowers to one `llvm.memcpy` (libc's memcpy or inline moves),
    where loops would be unrolled by LLVM at great compile-time cost.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ReadOnlyArguments : Pass<"lathe-read-only-arguments", "mlir::func::FuncOp"> {
  let summary = "Keep bufferization from writing into the caller's buffers";
  let description = [{
    Marks every tensor argument `bufferization.writable = false`, so that an
    op that updates its operand (a scatter, whose result starts as its
    input) works on a copy instead of overwriting the caller's input or
    weights.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def DistinctResults : Pass<"lathe-distinct-results", "mlir::func::FuncOp"> {
  let summary = "Give each returned buffer its own allocation";
  let description = [{
    A function that returns one buffer more than once (two model outputs
    that are the same value) returns a fresh copy for every repeat, so that
    each result can become its own out-parameter.
    `return %a, %a => %c = memref.alloc; memref.copy %a, %c; return %a, %c`.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

//===----------------------------------------------------------------------===//
// Training: loss, training-mode semantics, autodiff, optimizer update
//===----------------------------------------------------------------------===//

def DefineDispatches : Pass<"lathe-define-dispatches", "mlir::ModuleOp"> {
  let summary = "Define the parallel dispatch functions on the LLVM dialect";
  let description = [{
    `llvm.func @lathe_dispatch_N(count, captures..., env) {lathe.task =
    @lathe_task_N}` (declared by lathe-outline-parallel-loops) =>
    `closure = [captures...] (8-byte slots); env == null ?
    @lathe_trampoline_N(closure, 0, count) : env->parallel_for(env->pool,
    count, @lathe_trampoline_N, closure)`, with `@lathe_trampoline_N(closure,
    begin, end)` loading the captures and calling `@lathe_task_N(begin, end,
    captures...)`. `env` is the entry's `lathe_env_t *` (fields: struct_size,
    parallel_for, pool, ...), read from the call context (the dispatch's
    last argument); a NULL `env` or `parallel_for` runs serially. The
    dispatch, the trampoline and the task get internal linkage.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def DefineCollectives : Pass<"lathe-define-collectives", "mlir::ModuleOp"> {
  let summary = "Define the collectives' helpers on the LLVM dialect";
  let description = [{
    `llvm.func @lathe_collective_N(data, context) {lathe.collective =
    {count, dtype}}` (declared by lathe-outline-collectives) => `env =
    context->env; if (env && context->status == OK && env->struct_size
    covers allreduce && env->allreduce) { if (env->allreduce(env->comm,
    data, count, dtype) != 0) context->status =
    LATHE_ENTRY_COLLECTIVE_FAILED; }`: the hook averages the buffer across
    the replicas in place (lathe/abi.h); with no hook, one replica, the
    buffer stays. After a failure the step's later collectives are skipped
    and its entry point returns the status without updating the caller's
    parameters. The helper gets internal linkage.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // LATHE_COMPILER_TARGETS_CPU_PASSES_TD
