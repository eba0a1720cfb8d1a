// RUN: lathe-opt %s --lathe-define-collectives | FileCheck %s
// A collective's helper: with an environment (the call context's first
// field) long enough to hold the hook (10 pointer-sized fields), a hook,
// and no failure earlier in the step (the context's status, its second
// field, is 0), it calls env->allreduce(env->comm, data, count, dtype)
// (fields 8 and 9 of lathe_env_t); a non-zero return becomes status 4
// (LATHE_ENTRY_COLLECTIVE_FAILED). Otherwise the buffer stays as it is.

// CHECK-LABEL: llvm.func internal @lathe_collective_0
// CHECK-SAME: (%[[DATA:.*]]: !llvm.ptr, %[[CTX:.*]]: !llvm.ptr)
// CHECK-NOT: lathe.collective
// CHECK: %[[ENV:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[STATUS:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.load %[[STATUS]] : !llvm.ptr -> i32
// CHECK: llvm.cond_br %{{.*}}, ^[[DONE:[^,]*]], ^[[READ:[^ ]*]]
// CHECK: ^[[READ]]:
// CHECK: %[[SIZE:.*]] = llvm.load %[[ENV]] : !llvm.ptr -> i64
// CHECK: llvm.mlir.constant(80 : i64)
// CHECK: ^{{.*}}:
// CHECK: %[[HOOKAT:.*]] = llvm.getelementptr %[[ENV]][8]
// CHECK: %[[HOOK:.*]] = llvm.load %[[HOOKAT]] : !llvm.ptr -> !llvm.ptr
// CHECK: ^{{.*}}:
// CHECK: %[[COMMAT:.*]] = llvm.getelementptr %[[ENV]][9]
// CHECK: %[[COMM:.*]] = llvm.load %[[COMMAT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[COUNT:.*]] = llvm.mlir.constant(12 : i64)
// CHECK: %[[DTYPE:.*]] = llvm.mlir.constant(0 : i32)
// CHECK: %[[RC:.*]] = llvm.call %[[HOOK]](%[[COMM]], %[[DATA]], %[[COUNT]], %[[DTYPE]])
// CHECK: ^{{.*}}:
// CHECK: %[[FAILED:.*]] = llvm.mlir.constant(4 : i32)
// CHECK: llvm.store %[[FAILED]], %[[STATUS]]
// CHECK: ^[[DONE]]:
// CHECK: llvm.return
module attributes {dlti.dl_spec = #dlti.dl_spec<!llvm.ptr = dense<64> : vector<4xi64>>} {
  llvm.func @lathe_collective_0(!llvm.ptr, !llvm.ptr) attributes {lathe.collective = {count = 12 : i64, dtype = 0 : i32}, sym_visibility = "private"}
}
