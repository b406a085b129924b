// Custom-syntax errors of the nn dialect, reported at their position.
// RUN: vtac-opt %s --split-input-file --parsing-diagnostics | filecheck %s

func.func @f(%x: tensor<2x3xi8>, %w: tensor<4x3xi8>) {
  %y = nn.dense %x %w : (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi32>
  func.return
}
// CHECK: syntax_errors.mlir:5:20
// CHECK: Expected ','

// -----

func.func @f(%x: tensor<2x3xi32>) {
  %y = nn.relu %x : tensor<2x3xi32>
  func.return
}
// CHECK: syntax_errors.mlir:14:21
// CHECK: function type expected

// -----

func.func @f(%x: tensor<2x3xi32>) {
  %y = nn.relu %x : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  func.return
}
// CHECK: syntax_errors.mlir:23:21
// CHECK: Expected 1 operand type, but got 2

// -----

func.func @f(%x: tensor<1x3x8x8xi8>) {
  %y = nn.conv3d %x, %x : (tensor<1x3x8x8xi8>, tensor<1x3x8x8xi8>) -> tensor<1x3x8x8xi32>
  func.return
}
// CHECK: syntax_errors.mlir:32:18
// CHECK: Operation nn.conv3d is not registered

// -----

func.func @f(%x: tensor<2x3xi32>) {
  %y = nn.shr %x {amount = 3 : i64 : (tensor<2x3xi32>) -> tensor<2x3xi32>
  func.return
}
// CHECK: syntax_errors.mlir:41:36
// CHECK: '}' expected
