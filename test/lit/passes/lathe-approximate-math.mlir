// RUN: lathe-opt %s --lathe-approximate-math --split-input-file | FileCheck %s
// f32 transcendental functions become arithmetic (no libm call); f64 keeps
// them; no math.fma is left for a libm fmaf on targets without FMA.

// CHECK-LABEL: func.func @approximated
//   CHECK-NOT:   math.tanh
//   CHECK-NOT:   math.exp
//   CHECK-NOT:   math.fma
//       CHECK:   return
func.func @approximated(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>) {
  %t = math.tanh %x : f32
  %e = math.exp %v : vector<8xf32>
  return %t, %e : f32, vector<8xf32>
}

// -----

// CHECK-LABEL: func.func @f64_kept
//       CHECK:   math.tanh %{{.*}} : f64
//       CHECK:   math.log %{{.*}} : f64
func.func @f64_kept(%x: f64) -> (f64, f64) {
  %t = math.tanh %x : f64
  %l = math.log %x : f64
  return %t, %l : f64, f64
}

// -----

// log of a subnormal: scaled by 2^24 first, 24 ln 2 taken off after.
// CHECK-LABEL: func.func @log_subnormal
//   CHECK-DAG:   %[[MIN:.*]] = arith.constant 1.17549435E-38 : f32
//   CHECK-DAG:   %[[SCALE:.*]] = arith.constant 0x4B800000 : f32
//   CHECK-DAG:   %[[SHIFT:.*]] = arith.constant 16.6355324 : f32
//       CHECK:   %[[SMALL:.*]] = arith.cmpf olt, %[[X:.*]], %[[MIN]] : f32
//       CHECK:   %[[SCALED:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
//       CHECK:   arith.select %[[SMALL]], %[[SCALED]], %[[X]] : f32
//   CHECK-NOT:   math.log
//       CHECK:   %[[SHIFTED:.*]] = arith.subf %[[LOG:[0-9a-z_]+]], %[[SHIFT]] : f32
//       CHECK:   arith.select %[[SMALL]], %[[SHIFTED]], %[[LOG]] : f32
func.func @log_subnormal(%x: f32) -> f32 {
  %l = math.log %x : f32
  return %l : f32
}

// -----

// erf keeps the sign of its argument (of -0 too).
// CHECK-LABEL: func.func @erf_sign
//   CHECK-NOT:   math.erf
//       CHECK:   %[[R:.*]] = math.copysign %{{.*}}, %[[X:.*]] : vector<4xf32>
//       CHECK:   return %[[R]]
func.func @erf_sign(%x: vector<4xf32>) -> vector<4xf32> {
  %e = math.erf %x : vector<4xf32>
  return %e : vector<4xf32>
}
