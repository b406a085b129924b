// Every nn op in its custom syntax: printed, parsed back, and through the generic syntax.
// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

func.func @conv(%x: tensor<2x3x9x8xi8>, %w: tensor<4x3x3x2xi8>, %b: tensor<4xi32>, %b4: tensor<1x4x1x1xi32>) -> tensor<2x4x4x4xi8> {
  %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 0, 1>} : (tensor<2x3x9x8xi8>, tensor<4x3x3x2xi8>) -> tensor<2x4x4x4xi32>
  %s = nn.shr %c {amount = 31 : i64} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
  %ab = nn.add %s, %b : (tensor<2x4x4x4xi32>, tensor<4xi32>) -> tensor<2x4x4x4xi32>
  %ab4 = nn.add %ab, %b4 : (tensor<2x4x4x4xi32>, tensor<1x4x1x1xi32>) -> tensor<2x4x4x4xi32>
  %sum = nn.add %ab4, %c : (tensor<2x4x4x4xi32>, tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
  %r = nn.relu %sum : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
  %cl = nn.clip %r {min = -2147483648 : i64, max = 2147483647 : i64} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
  %y = nn.cast %cl {mode = "saturate"} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi8>
  func.return %y : tensor<2x4x4x4xi8>
}

// CHECK-LABEL: func.func @conv(
// CHECK-NEXT:    %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 0, 1>} : (tensor<2x3x9x8xi8>, tensor<4x3x3x2xi8>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %s = nn.shr %c {amount = 31 : i64} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %ab = nn.add %s, %b : (tensor<2x4x4x4xi32>, tensor<4xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %ab4 = nn.add %ab, %b4 : (tensor<2x4x4x4xi32>, tensor<1x4x1x1xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %sum = nn.add %ab4, %c : (tensor<2x4x4x4xi32>, tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %r = nn.relu %sum : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %cl = nn.clip %r {min = -2147483648 : i64, max = 2147483647 : i64} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi32>
// CHECK-NEXT:    %y = nn.cast %cl {mode = "saturate"} : (tensor<2x4x4x4xi32>) -> tensor<2x4x4x4xi8>
// CHECK-NEXT:    func.return %y : tensor<2x4x4x4xi8>

func.func @linear(%d: tensor<2x16xi8>, %dw: tensor<5x16xi8>, %a: tensor<5x7xi8>, %bb: tensor<7x3xi8>, %bias: tensor<1x5xi32>, %col: tensor<3xi32>) -> (tensor<2x5xi8>, tensor<5x3xi32>) {
  %dn = nn.dense %d, %dw : (tensor<2x16xi8>, tensor<5x16xi8>) -> tensor<2x5xi32>
  %db = nn.add %dn, %bias : (tensor<2x5xi32>, tensor<1x5xi32>) -> tensor<2x5xi32>
  %dc = nn.cast %db {mode = "wrap"} : (tensor<2x5xi32>) -> tensor<2x5xi8>
  %mm = nn.matmul %a, %bb : (tensor<5x7xi8>, tensor<7x3xi8>) -> tensor<5x3xi32>
  %mb = nn.add %mm, %col : (tensor<5x3xi32>, tensor<3xi32>) -> tensor<5x3xi32>
  func.return %dc, %mb : tensor<2x5xi8>, tensor<5x3xi32>
}

// CHECK-LABEL: func.func @linear(
// CHECK-NEXT:    %dn = nn.dense %d, %dw : (tensor<2x16xi8>, tensor<5x16xi8>) -> tensor<2x5xi32>
// CHECK-NEXT:    %db = nn.add %dn, %bias : (tensor<2x5xi32>, tensor<1x5xi32>) -> tensor<2x5xi32>
// CHECK-NEXT:    %dc = nn.cast %db {mode = "wrap"} : (tensor<2x5xi32>) -> tensor<2x5xi8>
// CHECK-NEXT:    %mm = nn.matmul %a, %bb : (tensor<5x7xi8>, tensor<7x3xi8>) -> tensor<5x3xi32>
// CHECK-NEXT:    %mb = nn.add %mm, %col : (tensor<5x3xi32>, tensor<3xi32>) -> tensor<5x3xi32>
// CHECK-NEXT:    func.return %dc, %mb : tensor<2x5xi8>, tensor<5x3xi32>

func.func @pool(%x: tensor<1x4x7x7xi8>, %a: tensor<1x2x5x6xi32>) -> (tensor<1x4x4x4xi8>, tensor<1x2x2x3xi32>) {
  %p = nn.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x4x7x7xi8>) -> tensor<1x4x4x4xi8>
  %q = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x5x6xi32>) -> tensor<1x2x2x3xi32>
  func.return %p, %q : tensor<1x4x4x4xi8>, tensor<1x2x2x3xi32>
}

// CHECK-LABEL: func.func @pool(
// CHECK-NEXT:    %p = nn.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x4x7x7xi8>) -> tensor<1x4x4x4xi8>
// CHECK-NEXT:    %q = nn.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x5x6xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT:    func.return %p, %q : tensor<1x4x4x4xi8>, tensor<1x2x2x3xi32>

// Padding wider than the kernel: the border outputs read zeros only.
func.func @wide_padding(%x: tensor<1x8x7x7xi8>, %w: tensor<4x8x1x1xi8>) -> tensor<1x4x7x7xi32> {
  %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x8x7x7xi8>, tensor<4x8x1x1xi8>) -> tensor<1x4x7x7xi32>
  func.return %c : tensor<1x4x7x7xi32>
}

// CHECK-LABEL: func.func @wide_padding(
// CHECK-NEXT:    %c = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x8x7x7xi8>, tensor<4x8x1x1xi8>) -> tensor<1x4x7x7xi32>
// CHECK-NEXT:    func.return %c : tensor<1x4x7x7xi32>

// Discardable vtac.* attributes (those later passes record) are kept.
func.func @extra(%x: tensor<4xi32>) -> tensor<4xi32> {
  %s = nn.shr %x {amount = 3 : i64, vtac.alu = ["SHR 3"]} : (tensor<4xi32>) -> tensor<4xi32>
  func.return %s : tensor<4xi32>
}

// CHECK-LABEL: func.func @extra(
// CHECK-NEXT:    %s = nn.shr %x {amount = 3 : i64, vtac.alu = ["SHR 3"]} : (tensor<4xi32>) -> tensor<4xi32>

// Integer lists stand for array<i64: ...> (the issue's own example, as written); dilation and
// groups may be given at their only supported value, 1.
func.func @lists(%x: tensor<1x64x56x56xi8>, %w: tensor<64x64x3x3xi8>) -> (tensor<1x64x56x56xi32>, tensor<1x64x28x28xi8>) {
  %y = nn.conv2d %x, %w {strides = [1, 1], padding = [1, 1, 1, 1]} : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>
  %z = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>
  %p = nn.max_pool2d %x {kernel = [2, 2], strides = [2, 2], padding = [0, 0, 0, 0], dilation = [1, 1]} : (tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8>
  func.return %y, %p : tensor<1x64x56x56xi32>, tensor<1x64x28x28xi8>
}

// CHECK-LABEL: func.func @lists(
// CHECK-NEXT:    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>
// CHECK-NEXT:    %z = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>
// CHECK-NEXT:    %p = nn.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8>
