// Every tile op in its custom syntax: printed, parsed back, and through the generic syntax.
// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

!inp = memref<2048x1x16xi8, #tile.mem<inp>>
!wgt = memref<1024x16x16xi8, #tile.mem<wgt>>
!acc = memref<2048x1x16xi32, #tile.mem<acc>>

func.func @tiles(%x: memref<64x16x1x16xi8>, %w: memref<2x16x16x16xi8>, %b: memref<2x1x16xi32>, %b8: memref<2x1x16xi8>, %y: memref<64x2x1x16xi8>) {
  %inp = memref.alloc() : !inp
  %wgt = memref.alloc() : !wgt
  %acc = memref.alloc() : !acc
  %uop = memref.alloc() : memref<8192xi32, #tile.mem<uop>>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  tile.dma_load %w[%c0] -> %wgt[0] {y_size = 1, x_size = 32, x_stride = 32} : memref<2x16x16x16xi8>, !wgt
  tile.dma_load %b[%c0] -> %acc[64] {y_size = 1, x_size = 2, x_stride = 2} : memref<2x1x16xi32>, !acc
  tile.dma_load %b8[%c0] -> %acc[66] {y_size = 2, x_size = 1, x_stride = 1} : memref<2x1x16xi8>, !acc
  scf.for %t = %c0 to %c4 step %c1 {
    %off = arith.muli %t, %c64 : index
    tile.dma_load %x[%off] -> %inp[0] {y_size = 14, x_size = 14, x_stride = 16, pads = array<i64: 1, 1, 1, 1>} : memref<64x16x1x16xi8>, !inp
    tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>, src = array<i64: 0, 16, 0>, wgt = array<i64: 0, 0, 16>, reset = true} : !acc, !inp, !wgt
    tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 16, 2>, dst = array<i64: 0, 0, 2, 1>, src = array<i64: 0, 1, 16, 0>, wgt = array<i64: 0, 1, 0, 16>, reset = false} : !acc, !inp, !wgt
    tile.alu %acc {op = "add", src = array<i64: 64, 0, 1>, extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>} : !acc
    tile.alu %acc {op = "shr", imm = 8, extents = array<i64: 32>, dst = array<i64: 0, 1>} : !acc
    tile.alu %acc {op = "min", imm = 127, extents = array<i64: 32>, dst = array<i64: 0, 1>} : !acc
    tile.alu %acc {op = "max", imm = -128, extents = array<i64: 32>, dst = array<i64: 0, 1>} : !acc
    tile.alu %acc {op = "mul", imm = 3 : i32, extents = array<i64: 32>, dst = array<i64: 0, 1>, note = "kept"} : !acc
    %yo = arith.muli %t, %c4 : index
    tile.dma_store %acc[0] -> %y[%yo] {y_size = 1, x_size = 32, x_stride = 32} : !acc, memref<64x2x1x16xi8>
  } {tile.vthreads = 1 : i64}
  func.return
}

// CHECK:      func.func @tiles(
// CHECK:        %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
// CHECK-NEXT:   %wgt = memref.alloc() : memref<1024x16x16xi8, #tile.mem<wgt>>
// CHECK-NEXT:   %acc = memref.alloc() : memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:   %uop = memref.alloc() : memref<8192xi32, #tile.mem<uop>>
// CHECK:        tile.dma_load %w[%c0] -> %wgt[0] {y_size = 1, x_size = 32, x_stride = 32} : memref<2x16x16x16xi8>, memref<1024x16x16xi8, #tile.mem<wgt>>
// CHECK-NEXT:   tile.dma_load %b[%c0] -> %acc[64] {y_size = 1, x_size = 2, x_stride = 2} : memref<2x1x16xi32>, memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:   tile.dma_load %b8[%c0] -> %acc[66] {y_size = 2, x_size = 1, x_stride = 1} : memref<2x1x16xi8>, memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:   scf.for %t = %c0 to %c4 step %c1 {
// CHECK-NEXT:     %off = arith.muli %t, %c64 : index
// CHECK-NEXT:     tile.dma_load %x[%off] -> %inp[0] {y_size = 14, x_size = 14, x_stride = 16, pads = array<i64: 1, 1, 1, 1>} : memref<64x16x1x16xi8>, memref<2048x1x16xi8, #tile.mem<inp>>
// CHECK-NEXT:     tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>, src = array<i64: 0, 16, 0>, wgt = array<i64: 0, 0, 16>, reset = true} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<2048x1x16xi8, #tile.mem<inp>>, memref<1024x16x16xi8, #tile.mem<wgt>>
// CHECK-NEXT:     tile.gemm %acc, %inp, %wgt {extents = array<i64: 16, 16, 2>, dst = array<i64: 0, 0, 2, 1>, src = array<i64: 0, 1, 16, 0>, wgt = array<i64: 0, 1, 0, 16>, reset = false}
// CHECK-NEXT:     tile.alu %acc {op = "add", src = array<i64: 64, 0, 1>, extents = array<i64: 16, 2>, dst = array<i64: 0, 2, 1>} : memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:     tile.alu %acc {op = "shr", imm = 8, extents = array<i64: 32>, dst = array<i64: 0, 1>} : memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:     tile.alu %acc {op = "min", imm = 127, extents
// CHECK-NEXT:     tile.alu %acc {op = "max", imm = -128, extents
// CHECK-NEXT:     tile.alu %acc {op = "mul", imm = 3 : i32, extents = array<i64: 32>, dst = array<i64: 0, 1>, note = "kept"}
// CHECK-NEXT:     %yo = arith.muli %t, %c4 : index
// CHECK-NEXT:     tile.dma_store %acc[0] -> %y[%yo] {y_size = 1, x_size = 32, x_stride = 32} : memref<2048x1x16xi32, #tile.mem<acc>>, memref<64x2x1x16xi8>
// CHECK-NEXT:   } {tile.vthreads = 1 : i64}
// CHECK-NEXT:   func.return

// Layout changes at the function boundary (what vtac-layout inserts).

func.func @layouts(%x: tensor<4x64xi8>) -> tensor<4x64xi8> {
  %p = tile.pack %x {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
  %u = tile.unpack %p {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x4x1x16xi8> -> tensor<4x64xi8>
  func.return %u : tensor<4x64xi8>
}

// CHECK:      func.func @layouts(%x: tensor<4x64xi8>) -> tensor<4x64xi8> {
// CHECK-NEXT:   %p = tile.pack %x {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
// CHECK-NEXT:   %u = tile.unpack %p {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x4x1x16xi8> -> tensor<4x64xi8>
// CHECK-NEXT:   func.return %u : tensor<4x64xi8>
