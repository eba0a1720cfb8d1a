// RUN: lathe-opt %s --lathe-define-entry-points --split-input-file --verify-diagnostics | FileCheck %s
// Each lowered entry function carrying lathe.entry becomes @<symbol>_impl
// (internal) behind the C entry point of ABI v3 (lathe/abi.h):
// (params, state, hyper, inputs, outputs, scratch, env) -> i32.

// An inference entry with embedded weights: a NULL params means the global;
// NULL inputs, outputs or params return 1 (LATHE_ENTRY_MISSING_POINTER); an
// env shorter than its parallel-for fields returns 3 (LATHE_ENTRY_BAD_ENV);
// an arena of arena_bytes comes from env->alloc or malloc when scratch is
// NULL (2, LATHE_ENTRY_NO_MEMORY, if it cannot) and goes back to the same.
// The lowered function gets a call context {env, status}; the entry point
// returns the status its collectives left (0 when they all succeeded).

// CHECK-LABEL: llvm.func internal @m_forward_impl
// CHECK-NOT: lathe.entry
// CHECK-LABEL: llvm.func @m_forward
// CHECK-SAME: (%[[PARAMS:[^:]*]]: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %[[INS:[^:]*]]: !llvm.ptr, %[[OUTS:[^:]*]]: !llvm.ptr, %[[SCRATCH:[^:]*]]: !llvm.ptr, %[[ENV:[^:]*]]: !llvm.ptr) -> i32
// CHECK: %[[GLOBAL:.*]] = llvm.mlir.addressof @m_weights
// CHECK: %[[NOPARAMS:.*]] = llvm.icmp "eq" %[[PARAMS]]
// CHECK: %[[W:.*]] = llvm.select %[[NOPARAMS]], %[[GLOBAL]], %[[PARAMS]]
// CHECK: llvm.icmp "eq" %[[INS]]
// CHECK: llvm.icmp "eq" %[[OUTS]]
// CHECK: llvm.icmp "eq" %[[W]]
// CHECK: llvm.cond_br %{{.*}}, ^[[MISSING:.*]], ^[[CHECKENV:[^ ]*]]
// CHECK: ^[[MISSING]]:
// CHECK: llvm.mlir.constant(1 : i32)
// CHECK: ^[[CHECKENV]]:
// CHECK: llvm.icmp "eq" %[[ENV]]
// CHECK: llvm.load %[[ENV]] : !llvm.ptr -> i64
// CHECK: llvm.mlir.constant(48 : i64)
// CHECK: llvm.getelementptr %[[ENV]][3]
// CHECK: llvm.getelementptr %[[ENV]][4]
// CHECK: llvm.getelementptr %[[ENV]][5]
// CHECK: llvm.mlir.constant(24 : i64)
// CHECK: llvm.mlir.constant(3 : i32)
// CHECK: llvm.icmp "eq" %[[SCRATCH]]
// CHECK: llvm.mlir.constant(128 : i64)
// CHECK: llvm.mlir.constant(64 : i64)
// CHECK: llvm.call %{{.*}} : !llvm.ptr, (!llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK: llvm.call @malloc
// CHECK: llvm.mlir.constant(2 : i32)
// CHECK: ^{{.*}}(%[[ARENA:[^:]*]]: !llvm.ptr):
// CHECK: %[[X:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[C256:.*]] = llvm.mlir.constant(256 : i64)
// CHECK: %[[B:.*]] = llvm.getelementptr %[[W]][%[[C256]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[Y:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, i32)>
// CHECK: %[[CTXENV:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %{{.*}}, %[[CTXENV]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[STATUS:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %{{.*}}, %[[STATUS]] : i32, !llvm.ptr
// CHECK: llvm.call @m_forward_impl(%[[X]], %{{.*}}, %[[B]], %[[Y]], %[[ARENA]], %[[CTX]])
// CHECK: %[[CODE:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i32
// CHECK: llvm.call %{{.*}}(%{{.*}}, %[[ARENA]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr) -> ()
// CHECK: llvm.call @free(%[[ARENA]])
// CHECK: llvm.return %[[CODE]] : i32
module {
  llvm.mlir.global external constant @m_weights() {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<320 x i8>
  llvm.func @forward(%x: !llvm.ptr, %w: !llvm.ptr, %b: !llvm.ptr, %y: !llvm.ptr, %arena: !llvm.ptr, %env: !llvm.ptr) attributes {lathe.entry = {symbol = "m_forward", args = ["input 0", "param 0", "param 256"], results = ["output 0"], arena_bytes = 128 : i64, arena_alignment = 64 : i64, weights = @m_weights}} {
    llvm.return
  }
}

// -----

// An update entry: the state and hyper pointers are checked too, the new
// parameters and state land in the arena at the offsets given, and are
// copied over the caller's blobs after the call, unless a collective failed
// (the status is not 0): then the caller's blobs stay as they were.

// CHECK-LABEL: llvm.func @m_train_step
// CHECK-SAME: (%[[PARAMS:[^:]*]]: !llvm.ptr, %[[STATE:[^:]*]]: !llvm.ptr, %[[HYPER:[^:]*]]: !llvm.ptr
// CHECK-NOT: addressof
// CHECK: llvm.icmp "eq" %[[PARAMS]]
// CHECK: llvm.icmp "eq" %[[STATE]]
// CHECK: llvm.icmp "eq" %[[HYPER]]
// CHECK: llvm.mlir.constant(2 : i32)
// CHECK: ^{{.*}}(%[[ARENA:[^:]*]]: !llvm.ptr):
// CHECK: %[[C8:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: %[[STEP:.*]] = llvm.getelementptr %[[HYPER]][%[[C8]]]
// CHECK: %[[C1024:.*]] = llvm.mlir.constant(1024 : i64)
// CHECK: %[[NEWW:.*]] = llvm.getelementptr %[[ARENA]][%[[C1024]]]
// CHECK: %[[C1088:.*]] = llvm.mlir.constant(1088 : i64)
// CHECK: %[[NEWS:.*]] = llvm.getelementptr %[[ARENA]][%[[C1088]]]
// CHECK: llvm.call @m_train_step_impl(%{{.*}}, %{{.*}}, %{{.*}}, %[[STEP]], %{{.*}}, %[[NEWW]], %[[NEWS]], %[[ARENA]], %{{.*}})
// CHECK: %[[CODE:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i32
// CHECK: %[[OK:.*]] = llvm.icmp "eq" %[[CODE]]
// CHECK: llvm.cond_br %[[OK]], ^[[COPY:[^,]*]], ^[[FINISH:[^ ]*]]
// CHECK: ^[[COPY]]:
// CHECK: "llvm.intr.memcpy"(%[[PARAMS]], %{{.*}}, %{{.*}}) <{isVolatile = false}>
// CHECK: "llvm.intr.memcpy"(%[[STATE]], %{{.*}}, %{{.*}}) <{isVolatile = false}>
// CHECK: llvm.br ^[[FINISH]]
module {
  llvm.func @train_step(%x: !llvm.ptr, %w: !llvm.ptr, %s: !llvm.ptr, %step: !llvm.ptr, %loss: !llvm.ptr, %nw: !llvm.ptr, %ns: !llvm.ptr, %arena: !llvm.ptr, %env: !llvm.ptr) attributes {lathe.entry = {symbol = "m_train_step", args = ["input 0", "param 0", "state 0", "hyper 1"], results = ["output 0", "arena 1024", "arena 1088"], arena_bytes = 1152 : i64, update = {weights_at = 1024 : i64, weight_bytes = 64 : i64, state_at = 1088 : i64, state_bytes = 64 : i64}}} {
    llvm.return
  }
}

// -----

// expected-error @+1 {{takes 2 arguments; lathe.entry describes 3 (its args, results, the arena and the env)}}
llvm.func @forward(%arena: !llvm.ptr, %env: !llvm.ptr) attributes {lathe.entry = {symbol = "m_forward", args = ["input 0"], results = []}} {
  llvm.return
}

// -----

// expected-error @+1 {{lathe.entry's args item "weights 0" is not 'KIND VALUE'}}
llvm.func @forward(%w: !llvm.ptr, %arena: !llvm.ptr, %env: !llvm.ptr) attributes {lathe.entry = {symbol = "m_forward", args = ["weights 0"], results = []}} {
  llvm.return
}

// -----

// expected-error @+1 {{lathe.entry's weights @missing is not a global}}
llvm.func @forward(%arena: !llvm.ptr, %env: !llvm.ptr) attributes {lathe.entry = {symbol = "m_forward", args = [], results = [], weights = @missing}} {
  llvm.return
}
