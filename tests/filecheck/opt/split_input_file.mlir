// --split-input-file: each chunk parses, verifies and prints alone; the three vtac dialects and
// xDSL's builtin, func, arith, scf and memref dialects are all registered.
// RUN: vtac-opt %s --split-input-file | filecheck %s

func.func @nn(%x: tensor<2x16xi32>) -> tensor<2x16xi32> {
  %y = nn.shr %x {amount = 1 : i64} : (tensor<2x16xi32>) -> tensor<2x16xi32>
  func.return %y : tensor<2x16xi32>
}
// CHECK:      func.func @nn
// CHECK-NEXT:   nn.shr %x

// -----

func.func @tile(%y: memref<4x1x16xi8>) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c4 step %c1 {
    tile.dma_store %acc[0] -> %y[%i] {y_size = 1, x_size = 1, x_stride = 1} : memref<64x1x16xi32, #tile.mem<acc>>, memref<4x1x16xi8>
  }
  func.return
}
// CHECK:      // {{-----}}
// CHECK:      func.func @tile
// CHECK:        scf.for %i = %c0 to %c4 step %c1 {
// CHECK-NEXT:     tile.dma_store %acc[0] -> %y[%i]

// -----

vta.program @p {
  vta.finish
}
// CHECK:      // {{-----}}
// CHECK:      vta.program @p {
// CHECK-NEXT:   vta.finish
