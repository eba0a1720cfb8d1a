// RUN: lathe-opt %s --lathe-cpu-pipeline | FileCheck %s
// The whole CPU pipeline: results become out-params, every memref is a bare
// pointer, and nothing but malloc/free is called (no MLIR runtime library).

// CHECK-NOT: memrefCopy
// CHECK-LABEL: llvm.func @forward(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
//   CHECK-NOT:   lathe.
//   CHECK-NOT:   linalg.
//       CHECK:   llvm.return
func.func @forward(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %y = lathe.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %r = lathe.relu %y : tensor<1x4x8x8xf32>
  %p = lathe.max_pool2d %r {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  return %p : tensor<1x4x4x4xf32>
}
