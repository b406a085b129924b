// Every verifier message of the nn dialect, one invalid function per chunk.
// RUN: %verify | filecheck %s

func.func @f(%x: tensor<1x3x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must have rank 4 (NCHW), got tensor<1x3x8xi8>

// -----

func.func @f(%x: tensor<1x3x8x8xi32>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi32>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must have element type i8, got i32

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: weights must have rank 4 (OIHW), got tensor<4x3x3xi8>

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xui8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xui8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: weights must have element type i8, got ui8

// -----

func.func @f(%x: tensor<1x3x?x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x?x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must have a static shape, got tensor<1x3x?x8xi8>

// -----

func.func @f(%x: tensor<1x3x0x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x0x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must not have zero-sized dimensions, got tensor<1x3x0x8xi8>

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x2x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x2x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data has 3 input channels (dimension 1) but weights expect 2 (dimension 1)

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must have 2 values, got 1

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: padding must have 4 values, got 2

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i32: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be an array<i64: ...>, got array<i32: 1, 1>

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be positive, got [0, 1]

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, -2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be positive, got [1, -2]

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, -1, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x5xi32>
  func.return
}
// CHECK: left padding must not be negative, got -1

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, -2, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x4x6xi32>
  func.return
}
// CHECK: bottom padding must not be negative, got -2

// -----

// Padding as wide as the kernel or wider is legal (border outputs read zeros only), and the
// result shape counts those outputs.
func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x2xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 4>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x2xi8>) -> tensor<1x4x6x9xi32>
  func.return
}
// CHECK: result type should be tensor<1x4x6x11xi32>, got tensor<1x4x6x9xi32>

// -----

func.func @f(%x: tensor<1x3x2x8xi8>, %w: tensor<4x3x5x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 0, 1, 0>} : (tensor<1x3x2x8xi8>, tensor<4x3x5x3xi8>) -> tensor<1x4x0x6xi32>
  func.return
}
// CHECK: the kernel height 5 exceeds the padded input height 4

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: result type should be tensor<1x4x6x6xi32>, got tensor<1x4x8x8xi32>

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 2, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x4x4xi8>
  func.return
}
// CHECK: result type should be tensor<1x4x4x3xi32>, got tensor<1x4x4x4xi8>

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: attribute 'strides' expected in operation 'nn.conv2d'

// -----

func.func @f(%x: memref<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (memref<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: data must be a tensor, got memref<1x3x8x8xi8>

// -----

func.func @f(%x: tensor<2x16x1xi8>, %w: tensor<5x16xi8>) {
  %c = nn.dense %x, %w : (tensor<2x16x1xi8>, tensor<5x16xi8>) -> tensor<2x5xi32>
  func.return
}
// CHECK: data must have rank 2 (N x K), got tensor<2x16x1xi8>

// -----

func.func @f(%x: tensor<2x16xi8>, %w: tensor<5x16xi32>) {
  %c = nn.dense %x, %w : (tensor<2x16xi8>, tensor<5x16xi32>) -> tensor<2x5xi32>
  func.return
}
// CHECK: weights must have element type i8, got i32

// -----

func.func @f(%x: tensor<2x16xi8>, %w: tensor<5x8xi8>) {
  %c = nn.dense %x, %w : (tensor<2x16xi8>, tensor<5x8xi8>) -> tensor<2x5xi32>
  func.return
}
// CHECK: data has K = 16 (dimension 1) but weights have K = 8 (dimension 1)

// -----

func.func @f(%x: tensor<2x16xi8>, %w: tensor<5x16xi8>) {
  %c = nn.dense %x, %w : (tensor<2x16xi8>, tensor<5x16xi8>) -> tensor<5x2xi32>
  func.return
}
// CHECK: result type should be tensor<2x5xi32>, got tensor<5x2xi32>

// -----

func.func @f(%a: tensor<5x7xi8>, %b: tensor<6x3xi8>) {
  %c = nn.matmul %a, %b : (tensor<5x7xi8>, tensor<6x3xi8>) -> tensor<5x3xi32>
  func.return
}
// CHECK: lhs has K = 7 (dimension 1) but rhs has K = 6 (dimension 0)

// -----

func.func @f(%a: tensor<7xi8>, %b: tensor<7x3xi8>) {
  %c = nn.matmul %a, %b : (tensor<7xi8>, tensor<7x3xi8>) -> tensor<3xi32>
  func.return
}
// CHECK: lhs must have rank 2 (M x K), got tensor<7xi8>

// -----

func.func @f(%a: tensor<5x7xi8>, %b: tensor<7x3xi8>) {
  %c = nn.matmul %a, %b : (tensor<5x7xi8>, tensor<7x3xi8>) -> tensor<5x3xi8>
  func.return
}
// CHECK: result type should be tensor<5x3xi32>, got tensor<5x3xi8>

// -----

func.func @f(%a: tensor<5x7xi32>, %b: tensor<5xi32>) {
  %c = nn.add %a, %b : (tensor<5x7xi32>, tensor<5xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: cannot add a tensor of shape [5] to one of shape [5, 7]: expected the same shape or a per-channel bias along dimension 1 ([7] or [1, 7])

// -----

func.func @f(%a: tensor<1x4x2x2xi32>, %b: tensor<4x1x1xi32>) {
  %c = nn.add %a, %b : (tensor<1x4x2x2xi32>, tensor<4x1x1xi32>) -> tensor<1x4x2x2xi32>
  func.return
}
// CHECK: cannot add a tensor of shape [4, 1, 1] to one of shape [1, 4, 2, 2]: expected the same shape or a per-channel bias along dimension 1 ([4] or [1, 4, 1, 1])

// -----

func.func @f(%a: tensor<6xi32>, %b: tensor<1xi32>) {
  %c = nn.add %a, %b : (tensor<6xi32>, tensor<1xi32>) -> tensor<6xi32>
  func.return
}
// CHECK: cannot add a tensor of shape [1] to one of shape [6]: expected the same shape

// -----

func.func @f(%a: tensor<5x7xi8>, %b: tensor<7xi32>) {
  %c = nn.add %a, %b : (tensor<5x7xi8>, tensor<7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: lhs must have element type i32, got i8

// -----

func.func @f(%a: tensor<5x7xi32>, %b: tensor<7xi8>) {
  %c = nn.add %a, %b : (tensor<5x7xi32>, tensor<7xi8>) -> tensor<5x7xi32>
  func.return
}
// CHECK: rhs must have element type i32, got i8

// -----

func.func @f(%a: tensor<5x7xi32>, %b: tensor<7xi32>) {
  %c = nn.add %a, %b : (tensor<5x7xi32>, tensor<7xi32>) -> tensor<7xi32>
  func.return
}
// CHECK: result type should be tensor<5x7xi32>, got tensor<7xi32>

// -----

func.func @f(%a: tensor<5x7xi8>) {
  %c = nn.relu %a : (tensor<5x7xi8>) -> tensor<5x7xi8>
  func.return
}
// CHECK: input must have element type i32, got i8

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.relu %a : (tensor<5x7xi32>) -> tensor<5x7xi8>
  func.return
}
// CHECK: result type should be tensor<5x7xi32>, got tensor<5x7xi8>

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a {amount = 32 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: shift amount must be in [0, 31], got 32

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a {amount = -1 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: shift amount must be in [0, 31], got -1

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a {amount = 2 : i64} : (tensor<5x7xi32>) -> tensor<5x1xi32>
  func.return
}
// CHECK: result type should be tensor<5x7xi32>, got tensor<5x1xi32>

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: attribute 'amount' expected in operation 'nn.shr'

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.clip %a {min = 5 : i64, max = 1 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: clip min 5 is greater than max 1

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.clip %a {min = 0 : i64, max = 2147483648 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: clip bounds [0, 2147483648] leave the i32 range [-2147483648, 2147483647]

// -----

func.func @f(%a: tensor<5x7xi16>) {
  %c = nn.clip %a {min = 0 : i64, max = 1 : i64} : (tensor<5x7xi16>) -> tensor<5x7xi16>
  func.return
}
// CHECK: input must have element type i32, got i16

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.cast %a {mode = "round"} : (tensor<5x7xi32>) -> tensor<5x7xi8>
  func.return
}
// CHECK: cast mode must be one of wrap, saturate, got "round"

// -----

func.func @f(%a: tensor<5x7xi8>) {
  %c = nn.cast %a {mode = "wrap"} : (tensor<5x7xi8>) -> tensor<5x7xi8>
  func.return
}
// CHECK: input must have element type i32, got i8

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.cast %a {mode = "saturate"} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: result type should be tensor<5x7xi8>, got tensor<5x7xi32>

// -----

func.func @f(%a: tensor<2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<2x4x4xi8>) -> tensor<2x2x2xi8>
  func.return
}
// CHECK: input must have rank 4 (NCHW), got tensor<2x4x4xi8>

// -----

func.func @f(%a: tensor<1x2x4x4xi16>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xi16>) -> tensor<1x2x2x2xi16>
  func.return
}
// CHECK: input must have element type i8 or i32, got i16

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 0, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
  func.return
}
// CHECK: pooling window extents must be positive, got [0, 2]

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 0>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
  func.return
}
// CHECK: strides must be positive, got [2, 0]

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
  func.return
}
// CHECK: kernel must have 2 values, got 3

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 2, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x3x2xi8>
  func.return
}
// CHECK: bottom padding 2 must be smaller than the pooling window (2)

// -----

func.func @f(%a: tensor<1x2x1x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 3, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 1, 0>} : (tensor<1x2x1x4xi8>) -> tensor<1x2x1x3xi8>
  func.return
}
// CHECK: the kernel height 3 exceeds the padded input height 2

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi32>
  func.return
}
// CHECK: result type should be tensor<1x2x2x2xi8>, got tensor<1x2x2x2xi32>
// -----

// a plain list is custom syntax only: the generic form holds the canonical array<i64: ...>
func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = "nn.conv2d"(%x, %w) {strides = [1, 1], padding = array<i64: 0, 0, 0, 0>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be an array<i64: ...>, got [1 : i64, 1 : i64]

// -----

func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  %c = nn.conv2d %x, %w {strides = [1 : i32, 1 : i32], padding = [0, 0, 0, 0]} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi32>
  func.return
}
// CHECK: strides must be an array<i64: ...>, got [1 : i32, 1 : i32]

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.shr %a {amount = "8"} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: amount must be an integer, got "8"

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.clip %a {min = 0.0 : f32, max = 1 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
  func.return
}
// CHECK: min must be an integer, got 0.000000e+00 : f32

// -----

func.func @f(%a: tensor<5x7xi32>) {
  %c = nn.cast %a {mode = 3} : (tensor<5x7xi32>) -> tensor<5x7xi8>
  func.return
}
// CHECK: cast mode must be one of wrap, saturate, got 3 : i64

// -----

func.func @f(%a: tensor<1x2x4x4xi8>) {
  %c = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
  func.return
}
// CHECK: attribute 'padding' expected in operation 'nn.max_pool2d'

// -----

// attributes vtac would not honour are refused, never ignored
func.func @f(%x: tensor<1x4x8x8xi8>, %w: tensor<4x4x3x3xi8>) {
  %y = nn.conv2d %x, %w {strides = [1, 1], padding = [1, 1, 1, 1], dilation = [2, 2]} : (tensor<1x4x8x8xi8>, tensor<4x4x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: nn.conv2d: dilation [2, 2] is not supported (only 1)

// -----

func.func @f(%x: tensor<1x4x8x8xi8>, %w: tensor<4x4x3x3xi8>) {
  %y = nn.conv2d %x, %w {strides = [1, 1], padding = [1, 1, 1, 1], groups = 2} : (tensor<1x4x8x8xi8>, tensor<4x4x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: nn.conv2d: groups = 2 is not supported (only 1)

// -----

func.func @f(%x: tensor<1x4x8x8xi8>, %w: tensor<4x4x3x3xi8>) {
  %y = nn.conv2d %x, %w {strides = [1, 1], padding = [1, 1, 1, 1], dilation = 2} : (tensor<1x4x8x8xi8>, tensor<4x4x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: nn.conv2d: dilation must be an array<i64: ...>, got 2 : i64

// -----

func.func @f(%x: tensor<1x4x8x8xi8>, %w: tensor<4x4x3x3xi8>) {
  %y = "nn.conv2d"(%x, %w) {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xi8>, tensor<4x4x3x3xi8>) -> tensor<1x4x8x8xi32>
  func.return
}
// CHECK: nn.conv2d: unknown attribute 'dilations' (allowed: strides, padding, dilation, groups, discardable vtac.* ones)

// -----

func.func @f(%x: tensor<1x4x8x8xi8>) {
  %p = nn.max_pool2d %x {kernel = [2, 2], strides = [2, 2], padding = [0, 0, 0, 0], dilation = [2, 1]} : (tensor<1x4x8x8xi8>) -> tensor<1x4x4x4xi8>
  func.return
}
// CHECK: nn.max_pool2d: dilation [2, 1] is not supported (only 1)

// -----

func.func @f(%x: tensor<1x4x8x8xi8>) {
  %p = nn.max_pool2d %x {kernel = [2, 2], strides = [2, 2], padding = [0, 0, 0, 0], ceil_mode = true} : (tensor<1x4x8x8xi8>) -> tensor<1x4x4x4xi8>
  func.return
}
// CHECK: nn.max_pool2d: unknown attribute 'ceil_mode' (allowed: kernel, strides, padding, dilation, discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x3xi8>, %w: tensor<4x3xi8>) {
  %y = nn.dense %x, %w {transpose_b = false} : (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.dense: unknown attribute 'transpose_b' (allowed: discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x4xi32>, %b: tensor<4xi32>) {
  %y = nn.add %x, %b {axis = 1} : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>
  %z = nn.relu %y {max = 6} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.add: unknown attribute 'axis' (allowed: discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x4xi32>) {
  %z = nn.relu %x {max = 6} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.relu: unknown attribute 'max' (allowed: discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x4xi32>) {
  %z = nn.shr %x {amount = 2, rounding = "nearest"} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.shr: unknown attribute 'rounding' (allowed: amount, discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x4xi32>) {
  %z = nn.clip %x {min = 0, max = 6, scale = 2} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.clip: unknown attribute 'scale' (allowed: min, max, discardable vtac.* ones)

// -----

func.func @f(%x: tensor<2x4xi32>) {
  %z = nn.cast %x {mode = "wrap", zero_point = 3} : (tensor<2x4xi32>) -> tensor<2x4xi8>
  func.return
}
// CHECK: nn.cast: unknown attribute 'zero_point' (allowed: mode, discardable vtac.* ones)

// -----

func.func @f(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) {
  %z = nn.matmul %a, %b {vtac.embedding = "kept", tile.note = 1} : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
  func.return
}
// CHECK: nn.matmul: unknown attribute 'tile.note' (allowed: discardable vtac.* ones)
