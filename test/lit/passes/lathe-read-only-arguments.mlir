// RUN: lathe-opt %s --pass-pipeline='builtin.module(func.func(lathe-read-only-arguments),one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map})' | FileCheck %s
// RUN: lathe-opt %s --pass-pipeline='builtin.module(one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map})' | FileCheck %s --check-prefix=WRITABLE
// A scatter's result starts as its input: with the argument read-only, the
// loop works on a copy instead of the caller's buffer (which bufferization
// would otherwise write into).

// CHECK-LABEL: func.func @scatter
// CHECK-SAME: (%[[X:[a-z0-9]+]]: memref<4xf32>
// CHECK: %[[COPY:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK: memref.copy %[[X]], %[[COPY]]
// CHECK: iter_args(%{{.*}} = %[[COPY]])
// WRITABLE-LABEL: func.func @scatter
// WRITABLE-NOT: memref.copy
// WRITABLE: iter_args(%{{.*}} = %arg0)
func.func @scatter(%x: tensor<4xf32>, %v: f32) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%t = %x) -> tensor<4xf32> {
    %u = tensor.insert %v into %t[%i] : tensor<4xf32>
    scf.yield %u : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
