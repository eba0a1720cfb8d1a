// RUN: lathe-opt %s --pass-pipeline="builtin.module(func.func(lathe-parallelize-linalg{min-iterations=1024}))" | FileCheck %s

// The outermost parallel dimension with more than one element (dim 1: 64
// channels) becomes an scf.forall; a small op stays as it is.
// CHECK-LABEL: func.func @relu
//       CHECK:   scf.forall (%[[C:.*]]) in (64)
//       CHECK:     linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x32x32xf32>)
//       CHECK:   linalg.generic {{.*}} ins(%{{.*}} : tensor<4x4xf32>)
func.func @relu(%x: tensor<1x64x32x32xf32>, %s: tensor<4x4xf32>) -> (tensor<1x64x32x32xf32>, tensor<4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x64x32x32xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x64x32x32xf32>) outs(%e : tensor<1x64x32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<1x64x32x32xf32>
  %e2 = tensor.empty() : tensor<4x4xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x4xf32>) outs(%e2 : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %0, %1 : tensor<1x64x32x32xf32>, tensor<4x4xf32>
}
