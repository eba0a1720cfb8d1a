// RUN: lathe-opt %s --lathe-lower-to-linalg --lathe-signless-integers --split-input-file | FileCheck %s
// Lowering picks unsigned arith ops by the lathe types; afterwards no
// unsigned type and no signless-view cast is left.

// CHECK-LABEL: func.func @div_compare
//  CHECK-SAME: (%{{.*}}: tensor<4xi8>, %{{.*}}: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi1>)
//       CHECK:   arith.divui
//       CHECK:   arith.cmpi ult
//   CHECK-NOT:   unrealized_conversion_cast
//   CHECK-NOT:   ui8
func.func @div_compare(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xi1>) {
  %q = lathe.div %a, %b : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  %l = lathe.less %a, %b : tensor<4xui8>, tensor<4xui8> -> tensor<4xi1>
  return %q, %l : tensor<4xui8>, tensor<4xi1>
}

// -----

// Unsigned widening and conversion; signed ones stay signed.
// CHECK-LABEL: func.func @casts
//       CHECK:   arith.uitofp %{{.*}} : i8 to f32
//       CHECK:   arith.extui %{{.*}} : i16 to i64
//       CHECK:   arith.extsi %{{.*}} : i16 to i64
//       CHECK:   arith.fptoui %{{.*}} : f32 to i32
//   CHECK-NOT:   ui
func.func @casts(%a: tensor<4xui8>, %b: tensor<4xui16>, %c: tensor<4xi16>, %d: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xi64>, tensor<4xi64>, tensor<4xui32>) {
  %0 = lathe.cast %a : tensor<4xui8> to tensor<4xf32>
  %1 = lathe.cast %b : tensor<4xui16> to tensor<4xi64>
  %2 = lathe.cast %c : tensor<4xi16> to tensor<4xi64>
  %3 = lathe.cast %d : tensor<4xf32> to tensor<4xui32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xi64>, tensor<4xi64>, tensor<4xui32>
}

// -----

// Right shifts: logical on unsigned elements, arithmetic on signed ones.
// Unsigned constants (255 is -1 as i8) and data movement keep their bits.
// CHECK-LABEL: func.func @shifts
//       CHECK:   arith.constant dense<[1, 2, 3, -1]> : tensor<4xi8>
//       CHECK:   arith.shrui
//       CHECK:   arith.shrsi
//       CHECK:   tensor.expand_shape {{.*}} : tensor<4xi8> into tensor<2x2xi8>
func.func @shifts(%a: tensor<4xui8>, %b: tensor<4xi8>) -> (tensor<4xui8>, tensor<4xi8>, tensor<2x2xui8>) {
  %c = lathe.constant dense<[1, 2, 3, 255]> : tensor<4xui8>
  %0 = lathe.shift_right %a, %c : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  %1 = lathe.shift_right %b, %b : tensor<4xi8>, tensor<4xi8> -> tensor<4xi8>
  %2 = lathe.reshape %0 : tensor<4xui8> -> tensor<2x2xui8>
  return %0, %1, %2 : tensor<4xui8>, tensor<4xi8>, tensor<2x2xui8>
}

// -----

// Pooling and reductions over unsigned elements: the padding and the
// identity of max are 0 (the lowest unsigned value), of min all ones;
// maxima and orderings are unsigned.
// CHECK-LABEL: func.func @pool_reduce
//       CHECK:   tensor.pad
//       CHECK:     tensor.yield %c0_i8 : i8
//       CHECK:   arith.maxui
//       CHECK:   arith.constant -1 : i8
//       CHECK:   arith.minui
//       CHECK:   arith.cmpi ugt
//   CHECK-NOT:   unrealized_conversion_cast
//   CHECK-NOT:   ui8
func.func @pool_reduce(%x: tensor<1x1x4x4xui8>)
    -> (tensor<1x1x2x2xui8>, tensor<1x1x4xui8>, tensor<1x1x4x1xi64>) {
  %p = lathe.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
      pads = array<i64: 1, 1, 0, 0>} : tensor<1x1x4x4xui8> -> tensor<1x1x2x2xui8>
  %m = lathe.reduce_min %x {axes = array<i64: 3>, keepdims = false}
      : tensor<1x1x4x4xui8> -> tensor<1x1x4xui8>
  %a = lathe.argmax %x {axis = 3 : i64} : tensor<1x1x4x4xui8> -> tensor<1x1x4x1xi64>
  return %p, %m, %a : tensor<1x1x2x2xui8>, tensor<1x1x4xui8>, tensor<1x1x4x1xi64>
}
