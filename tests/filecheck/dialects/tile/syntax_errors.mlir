// Custom-syntax errors of the tile dialect, reported at their position.
// RUN: vtac-opt %s --split-input-file --parsing-diagnostics | filecheck %s

func.func @f() {
  %b = memref.alloc() : memref<4x1x16xi8, #tile.mem<sram>>
  func.return
}
// CHECK: syntax_errors.mlir:5:53
// CHECK: expected a memory space: one of inp, wgt, acc, uop

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[%i] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: syntax_errors.mlir:15:32
// CHECK: Expected integer literal (on-chip entry)

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {sram_offset = 4, y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: syntax_errors.mlir:25:35
// CHECK: sram_offset is already given before the attribute dictionary

// -----

func.func @f(%y: memref<64x1x16xi8>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.dma_store %acc[0] -> %y[%i] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: syntax_errors.mlir:36:3
// CHECK: Expected ','

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "add", imm = 1, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32>
  func.return
}
// CHECK: syntax_errors.mlir:45:12
// CHECK: operand is used with type memref<64x1x16xi32>, but has been previously used or defined with type memref<64x1x16xi32, #tile.mem<acc>>
