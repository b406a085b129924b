// RUN: not vtac-opt %s -p "vtac-isel{embedding=fixed},vtac-layout,vtac-tile" 2>&1 | filecheck %s

// The second product reads the first one's result as its right-hand side: as weights, in
// 16x16 blocks, a layout the first product cannot write (it writes accumulator rows), and
// vtac does not re-layout tensors between stages.
func.func @mm(%a: tensor<20x48xi8>, %b: tensor<48x40xi8>, %c: tensor<24x20xi8>) -> tensor<24x40xi32> {
  %p = nn.matmul %a, %b : (tensor<20x48xi8>, tensor<48x40xi8>) -> tensor<20x40xi32>
  %r = nn.cast %p {mode = "saturate"} : (tensor<20x40xi32>) -> tensor<20x40xi8>
  %y = nn.matmul %c, %r : (tensor<24x20xi8>, tensor<20x40xi8>) -> tensor<24x40xi32>
  func.return %y : tensor<24x40xi32>
}
// CHECK: vtac-opt: error: stage 1 (nn.matmul) reads the result of stage 0 in another layout than the one it is written in; vtac does not re-layout tensors between stages, and no embedding of the two agrees on one
