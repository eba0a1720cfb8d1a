// RUN: lathe-opt %s --lathe-plan-memory | FileCheck %s
// Buffers never live together share bytes; each becomes a view of the arena,
// a new last argument; the module records the arena's size.

// CHECK: module attributes {lathe.scratch_bytes = 8192 : i64}
// CHECK-LABEL: func.func @chain
//  CHECK-SAME:   (%{{.*}}: memref<1024xf32>, %{{.*}}: memref<1024xf32>, %[[ARENA:.*]]: memref<8192xi8>)
//       CHECK:   %[[O1:.*]] = arith.constant 0 : index
//       CHECK:   %[[A:.*]] = memref.view %[[ARENA]][%[[O1]]][] : memref<8192xi8> to memref<1024xf32>
//       CHECK:   %[[O2:.*]] = arith.constant 4096 : index
//       CHECK:   %[[B:.*]] = memref.view %[[ARENA]][%[[O2]]][] : memref<8192xi8> to memref<1024xf32>
//       CHECK:   %[[O3:.*]] = arith.constant 0 : index
//       CHECK:   %[[C:.*]] = memref.view %[[ARENA]][%[[O3]]][] : memref<8192xi8> to memref<1024xf32>
//       CHECK:   memref.copy %{{.*}}, %[[A]]
//       CHECK:   memref.copy %[[A]], %[[B]]
//       CHECK:   memref.copy %[[B]], %[[C]]
//   CHECK-NOT:   memref.alloc
//   CHECK-NOT:   memref.dealloc
func.func @chain(%in: memref<1024xf32>, %out: memref<1024xf32>) {
  // a and b are live together; c starts after a's last use and reuses it.
  %a = memref.alloc() : memref<1024xf32>
  %b = memref.alloc() : memref<1024xf32>
  %c = memref.alloc() : memref<1024xf32>
  memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
  memref.copy %a, %b : memref<1024xf32> to memref<1024xf32>
  memref.copy %b, %c : memref<1024xf32> to memref<1024xf32>
  memref.copy %c, %out : memref<1024xf32> to memref<1024xf32>
  memref.dealloc %a : memref<1024xf32>
  memref.dealloc %b : memref<1024xf32>
  memref.dealloc %c : memref<1024xf32>
  return
}

// A buffer that is returned keeps its allocation.
// CHECK-LABEL: func.func @escapes
//       CHECK:   memref.alloc() : memref<16xf32>
func.func @escapes() -> memref<16xf32> {
  %a = memref.alloc() : memref<16xf32>
  return %a : memref<16xf32>
}
