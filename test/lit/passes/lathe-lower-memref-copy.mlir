// RUN: lathe-opt %s --lathe-lower-memref-copy | FileCheck %s

// CHECK-LABEL: func.func @copy
//       CHECK:   linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.*}} : memref<4x8xf32>)
//   CHECK-NOT:   memref.copy
func.func @copy(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}

// A copy between contiguous buffers (whole rows of a larger one included)
// stays a memref.copy, which lowers to one llvm.memcpy.
// CHECK-LABEL: func.func @contiguous
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<2x16xf32, strided<[16, 1], offset: 32>> to memref<2x16xf32>
//   CHECK-NOT:   linalg.copy
func.func @contiguous(%a: memref<2x16xf32, strided<[16, 1], offset: 32>>, %b: memref<2x16xf32>) {
  memref.copy %a, %b : memref<2x16xf32, strided<[16, 1], offset: 32>> to memref<2x16xf32>
  return
}
