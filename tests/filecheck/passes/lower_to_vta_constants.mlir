// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile,vtac-lower-to-vta | filecheck %s

// Constant weights and bias become buffers that hold their values packed in their layouts
// (roles weight and constant; vtac-tile packs them into memref.globals, the backend places them
// in the program image). Only %x is an input.
func.func @dense(%x: tensor<2x4xi8>) -> tensor<2x2xi32> {
  %w = arith.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -128]]> : tensor<2x4xi8>
  %b = arith.constant dense<[10, -10]> : tensor<2xi32>
  %acc = nn.dense %x, %w : (tensor<2x4xi8>, tensor<2x4xi8>) -> tensor<2x2xi32>
  %y = nn.add %acc, %b : (tensor<2x2xi32>, tensor<2xi32>) -> tensor<2x2xi32>
  func.return %y : tensor<2x2xi32>
}
// CHECK:      vta.buffer @x {role = "input", size = 32, dtype = "int8", shape = array<i64: 2, 4>
// CHECK-NEXT: vta.buffer @w {role = "weight", size = 256, dtype = "int8", shape = array<i64: 2, 4>, layout = "m=2, k=4 | dims [m, k] | outer [#block_out, #block_in] | lanes [block_out 16 (m), block_in 16 (k)]", value = dense<"0x01020304000000000000000000000000FFFEFD80{{0+}}"> : tensor<1x1x16x16xi8>}
// CHECK-NEXT: vta.buffer @b {role = "constant", size = 64, dtype = "int32", shape = array<i64: 2>, {{.*}} value = dense<{{\[\[\[}}10, -10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x1x16xi32>}
// CHECK-NEXT: vta.buffer @result {role = "output", size = 128, dtype = "int8", shape = array<i64: 2, 2>, {{.*}} planes = 4}
// CHECK:      vta.program @dense
// CHECK-NOT:  arith.constant
