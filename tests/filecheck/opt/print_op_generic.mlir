// --print-op-generic prints every op of vtac's dialects in the generic syntax.
// RUN: vtac-opt %s --print-op-generic | filecheck %s

func.func @f(%x: memref<4x1x16xi8>) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %c0 = arith.constant 0 : index
  tile.dma_load %x[%c0] -> %inp[2] {y_size = 1, x_size = 4, x_stride = 4, pads = array<i64: 0, 0, 1, 1>} : memref<4x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
vta.program @p {
  vta.alu max {use_imm = 1, imm = 0, uop_end = 1, iter_out = 1, iter_in = 1}
  vta.finish
}

// CHECK: "tile.dma_load"(%{{.*}}, %{{.*}}, %{{.*}}) {sram_offset = 2 : i64, y_size = 1 : i64, x_size = 4 : i64, x_stride = 4 : i64, pads = array<i64: 0, 0, 1, 1>} : (memref<4x1x16xi8>, index, memref<64x1x16xi8, #tile.mem<inp>>) -> ()
// CHECK: "vta.program"() ({
// CHECK-NEXT: "vta.alu"() {alu_opcode = 1 : i64, use_imm = 1 : i64, imm = 0 : i64, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 1 : i64} : () -> ()
// CHECK-NEXT: "vta.finish"() : () -> ()
// CHECK-NEXT: }) {sym_name = "p"} : () -> ()
