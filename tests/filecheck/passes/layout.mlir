// RUN: vtac-opt %s -p vtac-isel,vtac-layout --split-input-file | filecheck %s

// A dense layer: VTA's blocked layouts (NC1n16c for data, OI16o16i for weights, the bias and
// the result blocked by 16 output channels), each as a pack/unpack pair at the boundary.
func.func @dense(%x: tensor<4x64xi8>, %w: tensor<32x64xi8>, %b: tensor<32xi32>) -> tensor<4x32xi8> {
  %acc = nn.dense %x, %w : (tensor<4x64xi8>, tensor<32x64xi8>) -> tensor<4x32xi32>
  %biased = nn.add %acc, %b : (tensor<4x32xi32>, tensor<32xi32>) -> tensor<4x32xi32>
  %y = nn.cast %biased {mode = "wrap"} : (tensor<4x32xi32>) -> tensor<4x32xi8>
  func.return %y : tensor<4x32xi8>
}
// CHECK:      func.func @dense(%x: tensor<4x64xi8>, %w: tensor<32x64xi8>, %b: tensor<32xi32>) -> tensor<4x32xi8> {
// CHECK-NEXT:   %0 = tile.pack %x {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
// CHECK-NEXT:   %1 = tile.unpack %0 {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x4x1x16xi8> -> tensor<4x64xi8>
// CHECK-NEXT:   %2 = tile.pack %w {layout = "m=32, k=64 | dims [m, k] | outer [#block_out, #block_in] | lanes [block_out 16 (m), block_in 16 (k)]"} : tensor<32x64xi8> -> tensor<2x4x16x16xi8>
// CHECK-NEXT:   %3 = tile.unpack %2
// CHECK-NEXT:   %4 = tile.pack %b {layout = "m=32 | dims [m] | outer [#block_out] | lanes [batch 1 (), block_out 16 (m)]"} : tensor<32xi32> -> tensor<2x1x16xi32>
// CHECK-NEXT:   %5 = tile.unpack %4
// CHECK-NEXT:   %acc = nn.dense %1, %3
// CHECK-NEXT:   %biased = nn.add %acc, %5
// CHECK-NEXT:   %y = nn.cast %biased
// CHECK-NEXT:   %6 = tile.pack %y {layout = "n=4, m=32 | dims [n, m] | outer [n, #block_out] | lanes [batch 1 (), block_out 16 (m)]"} : tensor<4x32xi8> -> tensor<4x2x1x16xi8>
// CHECK-NEXT:   %7 = tile.unpack %6
// CHECK-NEXT:   func.return %7 : tensor<4x32xi8>

// -----

// A convolution with 3 input channels: the embedding folds (ic, kh, kw) onto BLOCK_IN, so the
// input's layout is im2col with the stride and padding in its windows.
func.func @c1(%x: tensor<1x3x16x16xi8>, %w: tensor<16x3x3x3xi8>) -> tensor<1x16x8x8xi32> {
  %y = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x16x16xi8>, tensor<16x3x3x3xi8>) -> tensor<1x16x8x8xi32>
  func.return %y : tensor<1x16x8x8xi32>
}
// CHECK:      tile.pack %x {layout = "n=1, oh=8, ow=8, ic=3, kh=3, kw=3 | dims [n, ic, oh*2+kh-1, ow*2+kw-1] | outer [n, #block_in, oh, ow] | lanes [batch 1 (), block_in 16 (ic, kh, kw)]"} : tensor<1x3x16x16xi8> -> tensor<1x2x8x8x1x16xi8>
// CHECK:      tile.pack %w {layout = "oc=16, ic=3, kh=3, kw=3 | dims [oc, ic, kh, kw] | outer [#block_out, #block_in] | lanes [block_out 16 (oc), block_in 16 (ic, kh, kw)]"} : tensor<16x3x3x3xi8> -> tensor<1x2x16x16xi8>

// -----

// Between two kernels, an unpack followed by a pack of the same layout cancels.
func.func @chain(%p: tensor<4x4x1x16xi8>) -> tensor<4x4x1x16xi8> {
  %u = tile.unpack %p {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x4x1x16xi8> -> tensor<4x64xi8>
  %q = tile.pack %u {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
  func.return %q : tensor<4x4x1x16xi8>
}
// CHECK:      func.func @chain(%p: tensor<4x4x1x16xi8>) -> tensor<4x4x1x16xi8> {
// CHECK-NEXT:   func.return %p : tensor<4x4x1x16xi8>
