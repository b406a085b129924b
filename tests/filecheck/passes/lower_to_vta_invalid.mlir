// RUN: not vtac-opt %s -p vtac-lower-to-vta 2>&1 | filecheck %s

// DRAM offsets must be constants: vtac lowers straight-line tile programs.
func.func @dynamic(%x: memref<16x1x1x16xi8> {vtac.buffer = {name = "x", role = "input", dtype = "int8", shape = array<i64: 16, 16>, layout = "n=16, k=16 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}}) {
  %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
  %c1 = arith.constant 1 : index
  %i = arith.addi %c1, %c1 : index
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 15, x_stride = 15} : memref<16x1x1x16xi8>, memref<2048x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: vtac-opt: error: arith.addi in @dynamic: not part of a straight-line tile program
