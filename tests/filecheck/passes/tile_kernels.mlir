// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile --split-input-file | filecheck %s
// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile --split-input-file --print-op-generic | vtac-opt --split-input-file | filecheck %s

// Constant weights are packed at compile time into a memref.global (the packed contents of
// the 16x16 weight element); the function then has only the input and the result.
func.func @constant(%x: tensor<2x4xi8>) -> tensor<2x2xi32> {
  %w = arith.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -128]]> : tensor<2x4xi8>
  %acc = nn.dense %x, %w : (tensor<2x4xi8>, tensor<2x4xi8>) -> tensor<2x2xi32>
  func.return %acc : tensor<2x2xi32>
}
// CHECK:      "memref.global"() <{sym_name = "constant_w", type = memref<1x1x16x16xi8>, initial_value = dense<"0x01020304000000000000000000000000FFFEFD80{{0+}}"> : tensor<1x1x16x16xi8>, sym_visibility = "private", constant}> {vtac.buffer = {name = "w", role = "weight", dtype = "int8", shape = array<i64: 2, 4>
// CHECK:      func.func @constant(%x: memref<2x1x1x16xi8> {{.*}}, %result: memref<4x2x1x1x16xi8> {vtac.buffer = {name = "result", role = "output", dtype = "int8", shape = array<i64: 2, 2>, {{.*}}, planes = 4 : i64}})
// CHECK-NEXT:   %w = memref.get_global @constant_w : memref<1x1x16x16xi8>
// An int32 result leaves as four byte planes: store, shift right by 8, store the next plane.
// CHECK:        tile.dma_store %acc[0] -> %result[{{%.*}}] {y_size = 1, x_size = 2, x_stride = 2}
// CHECK-NEXT:   tile.alu %acc {op = "shr", extents = array<i64: 2>, dst = array<i64: 0, 1>, imm = 8}
// CHECK-NEXT:   %[[PLANE:.*]] = arith.constant 2 : index
// CHECK-NEXT:   tile.dma_store %acc[0] -> %result[%[[PLANE]]]

// -----

// A 3x3 convolution keeps whole input rows on chip: the LOAD's zero padding supplies the
// border (pads = top, bottom, left, right); here the first tile of rows gets the top row and
// the left and right columns of zeros.
func.func @conv(%x: tensor<1x16x8x8xi8>, %w: tensor<16x16x3x3xi8>) -> tensor<1x16x8x8xi32> {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xi8>, tensor<16x16x3x3xi8>) -> tensor<1x16x8x8xi32>
  func.return %y : tensor<1x16x8x8xi32>
}
// CHECK:      func.func @conv(
// CHECK:        tile.dma_load %x[{{%.*}}] -> %inp[{{[0-9]+}}] {{{.*}}pads = array<i64: 1, 0, 1, 1>}
