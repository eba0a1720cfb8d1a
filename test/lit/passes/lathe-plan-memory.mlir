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

// Booleans take a byte each, as LLVM stores them: two live i1 buffers of
// 2048 elements sit 2048 bytes apart, not 256.
// CHECK-LABEL: func.func @booleans
//       CHECK:   arith.constant 0 : index
//       CHECK:   memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<2048xi1>
//       CHECK:   arith.constant 2048 : index
//       CHECK:   memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<2048xi1>
func.func @booleans(%in: memref<2048xi1>, %out: memref<2048xi1>) {
  %a = memref.alloc() : memref<2048xi1>
  %b = memref.alloc() : memref<2048xi1>
  memref.copy %in, %a : memref<2048xi1> to memref<2048xi1>
  memref.copy %a, %b : memref<2048xi1> to memref<2048xi1>
  memref.copy %b, %out : memref<2048xi1> to memref<2048xi1>
  memref.dealloc %a : memref<2048xi1>
  memref.dealloc %b : memref<2048xi1>
  return
}
