// RUN: lathe-opt %s --lathe-outline-parallel-loops | FileCheck %s
// scf.forall => a call of the dispatch (defined by code generation) with the
// iteration count, the captures and the new %parallel argument, and a task
// running [begin, end) of the iterations.

// CHECK-LABEL: func.func @scale
//  CHECK-SAME:   (%[[IN:.*]]: memref<64x8xf32>, %[[OUT:.*]]: memref<64x8xf32>, %[[PAR:.*]]: !llvm.ptr)
//       CHECK:   %[[COUNT:.*]] = arith.constant 16 : index
//       CHECK:   call @lathe_dispatch_0(%[[COUNT]], %[[IN]], %[[OUT]], %[[PAR]])
//   CHECK-NOT:   scf.forall
// CHECK-LABEL: func.func private @lathe_task_0
//  CHECK-SAME:   (%[[B:.*]]: index, %[[E:.*]]: index, %{{.*}}: memref<64x8xf32>, %{{.*}}: memref<64x8xf32>)
//       CHECK:   scf.for %[[K:.*]] = %[[B]] to %[[E]]
//       CHECK:     %[[S:.*]] = arith.muli %[[K]], %{{.*}}
//       CHECK:     arith.addi %{{.*}}, %[[S]]
//       CHECK:     memref.subview
// CHECK-LABEL: func.func private @lathe_dispatch_0(index, memref<64x8xf32>, memref<64x8xf32>, !llvm.ptr)
func.func @scale(%in: memref<64x8xf32>, %out: memref<64x8xf32>) {
  %two = arith.constant 2.0 : f32
  scf.forall (%i) = (0) to (64) step (4) {
    %a = memref.subview %in[%i, 0] [4, 8] [1, 1] : memref<64x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
    %b = memref.subview %out[%i, 0] [4, 8] [1, 1] : memref<64x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                    iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x8xf32, strided<[8, 1], offset: ?>>) outs(%b : memref<4x8xf32, strided<[8, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %two : f32
      linalg.yield %m : f32
    }
  }
  return
}
