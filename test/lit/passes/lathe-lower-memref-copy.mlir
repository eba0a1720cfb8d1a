// RUN: lathe-opt %s --lathe-lower-memref-copy | FileCheck %s

// CHECK-LABEL: func.func @copy
//       CHECK:   linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.*}} : memref<4x8xf32>)
//   CHECK-NOT:   memref.copy
func.func @copy(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}
