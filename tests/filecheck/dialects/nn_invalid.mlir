// RUN: %verify | filecheck %s

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x2x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x2x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data has 3 input channels but weights expect 2 (dimension 1)

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be positive, got [0, 1]

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 3, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x9x6xi32>
  func.return
}
// CHECK: top padding 3 must be smaller than the kernel (3)

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: result type should be tensor<1x4x6x6xi32>, got tensor<1x4x8x8xi32>

// -----

func.func @f(%x: tensor<1x3x8x8xi32>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi32>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must have element type i8, got i32

// -----

func.func @f(%x: tensor<2x16xi8>, %w: tensor<5x8xi8>) {
  %c = nn.dense %x, %w : (tensor<2x16xi8>, tensor<5x8xi8>) -> tensor<2x5xi32>
  func.return
}
// CHECK: data has K = 16 (dimension 1) but weights have K = 8 (dimension 1)

// -----

func.func @f(%a: tensor<5x7xi8>, %b: tensor<6x3xi8>) {
  %c = nn.matmul %a, %b : (tensor<5x7xi8>, tensor<6x3xi8>) -> tensor<5x3xi32>
  func.return
}
// CHECK: lhs has K = 7 (dimension 1) but rhs has K = 6 (dimension 0)

// -----

func.func @f(%a: tensor<5x7xi32>, %b: tensor<5xi32>) {
  %c = nn.add %a, %b : (tensor<5x7xi32>, tensor<5xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: cannot add a tensor of shape [5] to one of shape [5, 7]

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a {amount = 40 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: shift amount must be in [0, 31], got 40

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.clip %a {min = 5 : i64, max = 1 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: clip min 5 is greater than max 1

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.cast %a {mode = "round"} : (tensor<5x7xi32>) -> tensor<5x7xi8>
  func.return
}
// CHECK: cast mode must be one of ('wrap', 'saturate'), got 'round'

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.relu %a : (tensor<5x7xi32>) -> tensor<5x7xi8>
  func.return
}
// CHECK: result type should be tensor<5x7xi32>, got tensor<5x7xi8>

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 2, 0, 0, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x3x2xi8>
  func.return
}
// CHECK: top padding 2 must be in [0, 2)
