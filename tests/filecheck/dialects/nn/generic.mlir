// nn ops written in the generic syntax print in the custom one.
// RUN: vtac-opt %s | filecheck %s

"func.func"() <{sym_name = "g", function_type = (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi8>}> ({
^bb0(%x: tensor<2x3xi8>, %w: tensor<4x3xi8>):
  %d = "nn.dense"(%x, %w) : (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi32>
  %c = "nn.clip"(%d) {min = -128 : i64, max = 127 : i64} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  %y = "nn.cast"(%c) {mode = "wrap"} : (tensor<2x4xi32>) -> tensor<2x4xi8>
  "func.return"(%y) : (tensor<2x4xi8>) -> ()
}) : () -> ()

// CHECK:      func.func @g(%x: tensor<2x3xi8>, %w: tensor<4x3xi8>) -> tensor<2x4xi8> {
// CHECK-NEXT:   %d = nn.dense %x, %w : (tensor<2x3xi8>, tensor<4x3xi8>) -> tensor<2x4xi32>
// CHECK-NEXT:   %c = nn.clip %d {min = -128 : i64, max = 127 : i64} : (tensor<2x4xi32>) -> tensor<2x4xi32>
// CHECK-NEXT:   %y = nn.cast %c {mode = "wrap"} : (tensor<2x4xi32>) -> tensor<2x4xi8>
// CHECK-NEXT:   func.return %y : tensor<2x4xi8>
