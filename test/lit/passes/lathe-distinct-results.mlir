// RUN: lathe-opt %s --pass-pipeline="builtin.module(func.func(lathe-distinct-results))" \
// RUN:   | FileCheck %s
// A buffer returned more than once gets a copy for every repeat, so that
// each result can become its own out-parameter; a buffer returned once is
// left alone.

// CHECK-LABEL: func.func @twice
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[C]]
// CHECK: return %[[A]], %[[C]], %{{.*}}
func.func @twice(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  return %a, %a, %x : memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// CHECK-LABEL: func.func @once
// CHECK-NOT: memref.copy
// CHECK: return
func.func @once(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  return %a, %x : memref<4xf32>, memref<4xf32>
}
