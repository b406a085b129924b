// The ops whole networks need around the contractions (ext, rescale, sum_pool2d, reshape) print
// and parse back; their verifiers name what is wrong.
// RUN: vtac-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @host(%x: tensor<1x16x4x4xi8>) -> tensor<1x16xi8> {
  %e = nn.ext %x : (tensor<1x16x4x4xi8>) -> tensor<1x16x4x4xi32>
  %s = nn.sum_pool2d %x {kernel = [4, 4], strides = [1, 1], padding = [0, 0, 0, 0]} : (tensor<1x16x4x4xi8>) -> tensor<1x16x1x1xi32>
  %r = nn.rescale %s {multiplier = 2 : i64, divisor = 49 : i64} : (tensor<1x16x1x1xi32>) -> tensor<1x16x1x1xi32>
  %c = nn.cast %r {mode = "saturate"} : (tensor<1x16x1x1xi32>) -> tensor<1x16x1x1xi8>
  %f = nn.reshape %c : (tensor<1x16x1x1xi8>) -> tensor<1x16xi8>
  func.return %f : tensor<1x16xi8>
}

// CHECK:      %e = nn.ext %x : (tensor<1x16x4x4xi8>) -> tensor<1x16x4x4xi32>
// CHECK-NEXT: %s = nn.sum_pool2d %x {kernel = array<i64: 4, 4>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x16x4x4xi8>) -> tensor<1x16x1x1xi32>
// CHECK-NEXT: %r = nn.rescale %s {multiplier = 2 : i64, divisor = 49 : i64} : (tensor<1x16x1x1xi32>) -> tensor<1x16x1x1xi32>
// CHECK:      %f = nn.reshape %c : (tensor<1x16x1x1xi8>) -> tensor<1x16xi8>

// -----

func.func @bad_reshape(%x: tensor<1x16xi8>) -> tensor<1x15xi8> {
  // expected-error@+1 {{cannot reshape [1, 16] (16 elements) to [1, 15] (15 elements)}}
  %f = nn.reshape %x : (tensor<1x16xi8>) -> tensor<1x15xi8>
  func.return %f : tensor<1x15xi8>
}

// -----

func.func @bad_rescale(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error@+1 {{multiplier and divisor must be positive, got 1 and 0}}
  %r = nn.rescale %x {multiplier = 1 : i64, divisor = 0 : i64} : (tensor<4xi32>) -> tensor<4xi32>
  func.return %r : tensor<4xi32>
}

// -----

func.func @bad_ext(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error@+1 {{input must have element type i8, got i32}}
  %e = nn.ext %x : (tensor<4xi32>) -> tensor<4xi32>
  func.return %e : tensor<4xi32>
}
