// The artifact ABI's passes, on the LLVM dialect (lathe/abi.h): what every
// target's host code exports.
#ifndef LATHE_COMPILER_ABI_PASSES_TD
#define LATHE_COMPILER_ABI_PASSES_TD

include "mlir/Pass/PassBase.td"

def DefineEntryPoints : Pass<"lathe-define-entry-points", "mlir::ModuleOp"> {
  let summary = "Define the artifact's C entry points around lowered entries";
  let description = [{
    Every `llvm.func` carrying `lathe.entry` (a lowered @forward,
    @eval_step, @gradient or @train_step, whose arguments are one pointer
    per argument and result of the entry, then the arena and the call
    environment) gets the C entry point of ABI v3 (lathe/abi.h), named by
    the dictionary's `symbol`:

      int32_t symbol(void *params, void *state, const double *hyper,
                     void *const *inputs, void *const *outputs,
                     void *scratch, const lathe_env_t *env)

    and becomes `symbol_impl`, internal. The entry point returns
    LATHE_ENTRY_MISSING_POINTER when a pointer it reads is NULL (with
    `weights = @global`, a NULL `params` means that global),
    LATHE_ENTRY_BAD_ENV when `env->struct_size` lacks the parallel-for
    fields, LATHE_ENTRY_NO_MEMORY when it cannot get an arena of
    `arena_bytes` aligned to `arena_alignment` (default 64) (from `env->alloc` when `env` has one, else malloc; freed
    by the same) for a NULL `scratch`; otherwise it calls the lowered
    function and returns LATHE_ENTRY_OK. `env` reaches the lowered
    function only when it has a `parallel_for`.

    `args` and `results` say where each pointer comes from, in order, as
    "KIND VALUE" strings: `input I` / `output I` (inputs[I], outputs[I]),
    `param OFFSET` (params + OFFSET), `state OFFSET` (state + OFFSET),
    `hyper I` (hyper + 8 * I), `arena OFFSET` (the arena + OFFSET). An
    update entry (train_step) has `update = {weights_at, weight_bytes,
    state_at, state_bytes}`: after the call it copies the arena's new
    parameters and state over the caller's blobs.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // LATHE_COMPILER_ABI_PASSES_TD
