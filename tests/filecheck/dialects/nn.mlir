// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

func.func @ops(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>, %b: tensor<4xi32>, %d: tensor<2x16xi8>, %dw: tensor<5x16xi8>, %a: tensor<5x7xi8>, %bb: tensor<7x3xi8>) -> (tensor<1x4x4x4xi8>, tensor<2x5xi32>, tensor<5x3xi32>, tensor<1x4x2x2xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x4x4xi32>
  %s = nn.shr %c {amount = 3 : i64} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
  %ab = nn.add %s, %b : (tensor<1x4x4x4xi32>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
  %r = nn.relu %ab : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
  %cl = nn.clip %r {min = 0 : i64, max = 127 : i64} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
  %y = nn.cast %cl {mode = "saturate"} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi8>
  %p = nn.max_pool2d %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x4x4xi8>) -> tensor<1x4x2x2xi8>
  %dn = nn.dense %d, %dw : (tensor<2x16xi8>, tensor<5x16xi8>) -> tensor<2x5xi32>
  %mm = nn.matmul %a, %bb : (tensor<5x7xi8>, tensor<7x3xi8>) -> tensor<5x3xi32>
  func.return %y, %dn, %mm, %p : tensor<1x4x4x4xi8>, tensor<2x5xi32>, tensor<5x3xi32>, tensor<1x4x2x2xi8>
}

// CHECK:      %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x4x4xi32>
// CHECK-NEXT: %s = nn.shr %c {amount = 3 : i64} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
// CHECK-NEXT: %ab = nn.add %s, %b : (tensor<1x4x4x4xi32>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
// CHECK-NEXT: %r = nn.relu %ab : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
// CHECK-NEXT: %cl = nn.clip %r {min = 0 : i64, max = 127 : i64} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi32>
// CHECK-NEXT: %y = nn.cast %cl {mode = "saturate"} : (tensor<1x4x4x4xi32>) -> tensor<1x4x4x4xi8>
// CHECK-NEXT: %p = nn.max_pool2d %y {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x4x4xi8>) -> tensor<1x4x2x2xi8>
// CHECK-NEXT: %dn = nn.dense %d, %dw : (tensor<2x16xi8>, tensor<5x16xi8>) -> tensor<2x5xi32>
// CHECK-NEXT: %mm = nn.matmul %a, %bb : (tensor<5x7xi8>, tensor<7x3xi8>) -> tensor<5x3xi32>
