// RUN: lathe-opt %s --lathe-outline-collectives --split-input-file --verify-diagnostics | FileCheck %s
// A collective on a buffer becomes a call of a declared helper with the
// function's call context (its last argument), the element count and the
// lathe/abi.h dtype recorded for lathe-define-collectives.

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[B:.*]]: memref<4x3xf32>, %[[D:.*]]: memref<5xf64>, %[[CTX:.*]]: !llvm.ptr)
// CHECK: call @lathe_collective_0(%[[B]], %[[CTX]]) : (memref<4x3xf32>, !llvm.ptr) -> ()
// CHECK: call @lathe_collective_1(%[[D]], %[[CTX]]) : (memref<5xf64>, !llvm.ptr) -> ()
// CHECK: func.func private @lathe_collective_0(memref<4x3xf32>, !llvm.ptr) attributes {lathe.collective = {count = 12 : i64, dtype = 0 : i32}}
// CHECK: func.func private @lathe_collective_1(memref<5xf64>, !llvm.ptr) attributes {lathe.collective = {count = 5 : i64, dtype = 1 : i32}}
func.func @train_step(%b: memref<4x3xf32>, %d: memref<5xf64>, %context: !llvm.ptr) {
  lathe.all_reduce_mean_buffer %b : memref<4x3xf32>
  lathe.all_reduce_mean_buffer %d : memref<5xf64>
  return
}

// -----

func.func @strided(%b: memref<4x3xf32, strided<[8, 1]>>, %context: !llvm.ptr) {
  // expected-error @+1 {{a collective needs a statically shaped, identity-layout float buffer in a function with a call context}}
  lathe.all_reduce_mean_buffer %b : memref<4x3xf32, strided<[8, 1]>>
  return
}
