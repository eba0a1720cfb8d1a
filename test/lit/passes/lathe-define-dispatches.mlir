// RUN: lathe-opt %s --lathe-define-dispatches --split-input-file --verify-diagnostics | FileCheck %s
// A dispatch declared by lathe-outline-parallel-loops gets its body: the
// captures in 8-byte slots of a closure, then its trampoline run serially
// when the environment (the first field of the call context, its last
// argument) or its parallel_for is null, or through
// env->parallel_for(env->pool, count, trampoline, closure) (fields 1 and 2
// of lathe_env_t).

// CHECK-LABEL: llvm.func internal @lathe_dispatch_0
// CHECK-SAME: (%[[COUNT:.*]]: i64, %[[BUF:.*]]: !llvm.ptr, %[[SCALE:.*]]: f32, %[[CTX:.*]]: !llvm.ptr)
// CHECK-NOT: lathe.task
// CHECK: %[[SLOTS:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK: %[[CLOSURE:.*]] = llvm.alloca %[[SLOTS]] x i64
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[CLOSURE]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.store %[[BUF]], %[[S0]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[CLOSURE]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.store %[[SCALE]], %[[S1]] : f32, !llvm.ptr
// CHECK: %[[ENV:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[TRAMPOLINE:.*]] = llvm.mlir.addressof @lathe_trampoline_0
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[NOENV:.*]] = llvm.icmp "eq" %[[ENV]], %[[NULL]]
// CHECK: llvm.cond_br %[[NOENV]], ^[[SER:[^,]*]], ^[[READ:[^ ]*]]
// CHECK: ^[[READ]]:
// CHECK: %[[F1:.*]] = llvm.getelementptr %[[ENV]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[FOR:.*]] = llvm.load %[[F1]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[NOFOR:.*]] = llvm.icmp "eq" %[[FOR]]
// CHECK: llvm.cond_br %[[NOFOR]], ^[[SER]], ^[[POOL:[^ ]*]]
// CHECK: ^[[SER]]:
// CHECK: llvm.call @lathe_trampoline_0(%[[CLOSURE]], %{{.*}}, %[[COUNT]])
// CHECK: ^[[POOL]]:
// CHECK: %[[F2:.*]] = llvm.getelementptr %[[ENV]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[POOLV:.*]] = llvm.load %[[F2]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call %[[FOR]](%[[POOLV]], %[[COUNT]], %[[TRAMPOLINE]], %[[CLOSURE]])
// CHECK-LABEL: llvm.func internal @lathe_trampoline_0
// CHECK-SAME: (%[[C:.*]]: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK: %[[P0:.*]] = llvm.getelementptr %[[C]][0]
// CHECK: %[[V0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[P1:.*]] = llvm.getelementptr %[[C]][1]
// CHECK: %[[V1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> f32
// CHECK: llvm.call @lathe_task_0(%[[B]], %[[E]], %[[V0]], %[[V1]])
// CHECK-LABEL: llvm.func internal @lathe_task_0
llvm.func @lathe_dispatch_0(i64, !llvm.ptr, f32, !llvm.ptr) attributes {lathe.task = @lathe_task_0, sym_visibility = "private"}
llvm.func @lathe_task_0(%b: i64, %e: i64, %buf: !llvm.ptr, %s: f32) attributes {sym_visibility = "private"} {
  llvm.return
}

// -----

// expected-error @+1 {{has no task of 1 captures named @nowhere}}
llvm.func @lathe_dispatch_1(i64, f32, !llvm.ptr) attributes {lathe.task = @nowhere, sym_visibility = "private"}
