// RUN: vtac-opt %s -p vtac-lower-to-vta | filecheck %s

// A tile program written by hand: y = x W^T for one 16x16 block, shifted right by 4. The
// two-step loop nest of the GEMM folds into iter_out/iter_in around a single micro-op, which
// is loaded before everything else (the program's micro-ops all fit in the buffer).
func.func @block(%x: memref<16x1x1x16xi8> {vtac.buffer = {name = "x", role = "input", dtype = "int8", shape = array<i64: 16, 16>, layout = "n=16, k=16 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}},
                 %w: memref<1x1x16x16xi8> {vtac.buffer = {name = "w", role = "input", dtype = "int8", shape = array<i64: 16, 16>, layout = "m=16, k=16 | dims [m, k] | outer [#block_out, #block_in] | lanes [block_out 16 (m), block_in 16 (k)]"}},
                 %y: memref<16x1x1x16xi8> {vtac.buffer = {name = "y", role = "output", dtype = "int8", shape = array<i64: 16, 16>, layout = "n=16, m=16 | dims [n, m] | outer [n, #block_out] | lanes [batch 1 (), block_out 16 (m)]"}}) {
  %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<1024x16x16xi8, #tile.mem<wgt>>
  %acc = memref.alloc() : memref<2048x1x16xi32, #tile.mem<acc>>
  %c0 = arith.constant 0 : index
  tile.dma_load %x[%c0] -> %inp[0] {y_size = 1, x_size = 16, x_stride = 16} : memref<16x1x1x16xi8>, memref<2048x1x16xi8, #tile.mem<inp>>
  tile.dma_load %w[%c0] -> %wgt[0] {y_size = 1, x_size = 1, x_stride = 1} : memref<1x1x16x16xi8>, memref<1024x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 16>, dst = array<i64: 0, 1>, src = array<i64: 0, 0>, wgt = array<i64: 0, 0>, reset = true} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<2048x1x16xi8, #tile.mem<inp>>, memref<1024x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 16>, dst = array<i64: 0, 1>, src = array<i64: 0, 1>, wgt = array<i64: 0, 0>, reset = false} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<2048x1x16xi8, #tile.mem<inp>>, memref<1024x16x16xi8, #tile.mem<wgt>>
  tile.alu %acc {op = "shr", imm = 4, extents = array<i64: 16>, dst = array<i64: 0, 1>} : memref<2048x1x16xi32, #tile.mem<acc>>
  tile.dma_store %acc[0] -> %y[%c0] {y_size = 1, x_size = 16, x_stride = 16} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<16x1x1x16xi8>
  func.return
}
// CHECK:      vta.buffer @x {role = "input", size = 256, dtype = "int8", shape = array<i64: 16, 16>
// CHECK-NEXT: vta.buffer @w {role = "input", size = 256, dtype = "int8", shape = array<i64: 16, 16>
// CHECK-NEXT: vta.buffer @y {role = "output", size = 256, dtype = "int8", shape = array<i64: 16, 16>
// CHECK-NEXT: vta.uop_kernel @block_uops [(0, 0, 0)]
// CHECK-NEXT: vta.program @block {
// CHECK-NEXT:   vta.load uop @block_uops[0] {y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.load inp @x[0] {y_size = 1, x_size = 16, x_stride = 16}
// CHECK-NEXT:   vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 16, iter_in = 1, dst_factor_out = 1}
// CHECK-NEXT:   vta.gemm {uop_end = 1, iter_out = 16, iter_in = 1, dst_factor_out = 1, src_factor_out = 1}
// CHECK-NEXT:   vta.alu shr {uop_end = 1, iter_out = 16, iter_in = 1, dst_factor_out = 1, src_factor_out = 1, use_imm = 1, imm = 4}
// CHECK-NEXT:   vta.store out @y[0] {y_size = 1, x_size = 16, x_stride = 16}
// CHECK-NEXT:   vta.finish
// CHECK-NEXT: }
