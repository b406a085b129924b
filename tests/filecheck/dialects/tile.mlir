// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

func.func @tiles(%x: memref<64x16x1x16xi8>, %w: memref<2x16x16x16xi8>, %y: memref<64x2x1x16xi8>) {
  %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<1024x16x16xi8, #tile.mem<wgt>>
  %acc = memref.alloc() : memref<2048x1x16xi32, #tile.mem<acc>>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  tile.dma_load %w[%c0], %wgt {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 32 : i64, x_stride = 32 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<2x16x16x16xi8>, memref<1024x16x16xi8, #tile.mem<wgt>>
  scf.for %t = %c0 to %c4 step %c1 {
    %off = arith.muli %t, %c64 : index
    tile.dma_load %x[%off], %inp {sram_offset = 0 : i64, y_size = 16 : i64, x_size = 16 : i64, x_stride = 16 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<64x16x1x16xi8>, memref<2048x1x16xi8, #tile.mem<inp>>
    tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>, src = array<i64: 0, 16, 0>, wgt = array<i64: 0, 0, 16>, reset = true} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<2048x1x16xi8, #tile.mem<inp>>, memref<1024x16x16xi8, #tile.mem<wgt>>
    tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 16, 2>, dst = array<i64: 0, 0, 2, 1>, src = array<i64: 0, 1, 16, 0>, wgt = array<i64: 0, 1, 0, 16>, reset = false} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<2048x1x16xi8, #tile.mem<inp>>, memref<1024x16x16xi8, #tile.mem<wgt>>
    tile.alu %acc {op = "shr", imm = 8 : i64, extents = array<i64: 32>, dst = array<i64: 0, 1>} : memref<2048x1x16xi32, #tile.mem<acc>>
    %yo = arith.muli %t, %c4 : index
    tile.dma_store %acc, %y[%yo] {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 32 : i64, x_stride = 32 : i64} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<64x2x1x16xi8>
  } {tile.vthreads = 1 : i64}
  func.return
}

// CHECK:      %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
// CHECK:      tile.dma_load %w[%c0], %wgt {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 32 : i64, x_stride = 32 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<2x16x16x16xi8>, memref<1024x16x16xi8, #tile.mem<wgt>>
// CHECK:      scf.for %t = %c0 to %c4 step %c1 {
// CHECK:        tile.dma_load %x[%off], %inp
// CHECK-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>, src = array<i64: 0, 16, 0>, wgt = array<i64: 0, 0, 16>, reset = true}
// CHECK-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 16, 2>
// CHECK-NEXT:   tile.alu %acc {op = "shr", imm = 8 : i64, extents = array<i64: 32>, dst = array<i64: 0, 1>} : memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK:        tile.dma_store %acc, %y[%yo] {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 32 : i64, x_stride = 32 : i64}
// CHECK:      } {tile.vthreads = 1 : i64}
