// RUN: lathe-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lathe-vectorize-contractions{min-parallel-work=0}),canonicalize,loop-invariant-subset-hoisting,canonicalize)" | FileCheck %s
// RUN: lathe-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(lathe-vectorize-contractions))" | FileCheck %s --check-prefix=SERIAL
// These products are below the default min-parallel-work (2 x 64Ki
// multiply-adds): their tiles run serially, with no thread-pool task.
// SERIAL-NOT: scf.forall
// SERIAL: arith.mulf {{.*}} : vector<
// SERIAL-NOT: scf.forall
// C[m, n] += A[m, k] * B[k, n] becomes a parallel loop over register tiles,
// each an m-tile x 16 block of vector FMAs accumulated across the k loop.

// M = 12 rows: tiles of 6 rows (12 registers / 2 vectors per row); N = 64
// columns: 16 per tile; the larger operand (B, 64x64 > A, 12x64) outside.
// CHECK-LABEL: func.func @matmul
//       CHECK:   scf.forall (%[[N:.*]]) = (0) to (64) step (16)
//       CHECK:     scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
//       CHECK:       %[[ACC0:.*]] = vector.transfer_read {{.*}} : tensor<6x16xf32>, vector<6x16xf32>
//       CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ACC0]]) -> (vector<6x16xf32>)
//       CHECK:         vector.transfer_read {{.*}} : tensor<6x1xf32>, vector<6x1x16xf32>
//       CHECK:         vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<6x1x16xf32>
//       CHECK:         arith.mulf {{.*}} : vector<6x1x16xf32>
//       CHECK:         arith.addf %[[ACC]], {{.*}} : vector<6x16xf32>
//       CHECK:       vector.transfer_write
//       CHECK:     scf.forall.in_parallel
func.func @matmul(%a: tensor<12x64xf32>, %b: tensor<64x64xf32>, %c: tensor<12x64xf32>) -> tensor<12x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x64xf32>, tensor<64x64xf32>) outs(%c : tensor<12x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x64xf32>
  return %0 : tensor<12x64xf32>
}

// -----

// N = 49 is zero-padded to 56 (whole 8-wide vectors); the result is the
// unpadded slice.
// CHECK-LABEL: func.func @matmul_padded
//       CHECK:   tensor.pad %{{.*}} low[0, 0] high[0, 7]
//       CHECK:   scf.forall
//       CHECK:     vector<{{[0-9]+}}x8xf32>
//       CHECK:   tensor.extract_slice %{{.*}}[0, 0] [4, 49] [1, 1] : tensor<4x56xf32> to tensor<4x49xf32>
func.func @matmul_padded(%a: tensor<4x32xf32>, %b: tensor<32x49xf32>, %c: tensor<4x49xf32>) -> tensor<4x49xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x32xf32>, tensor<32x49xf32>) outs(%c : tensor<4x49xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x49xf32>
  return %0 : tensor<4x49xf32>
}

// -----

// A transposed B (a Linear layer's x W^T: n not contiguous in B) is
// copied transposed first, then vectorized as any other.
// CHECK-LABEL: func.func @matmul_transposed_b
//       CHECK:   %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<64x32xf32>) outs(%{{.*}} : tensor<32x64xf32>) permutation = [1, 0]
//       CHECK:   scf.forall
//       CHECK:   arith.mulf %{{.*}} : vector<4x1x16xf32>
func.func @matmul_transposed_b(%a: tensor<4x32xf32>, %b: tensor<64x32xf32>, %c: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x32xf32>, tensor<64x32xf32>) outs(%c : tensor<4x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}
