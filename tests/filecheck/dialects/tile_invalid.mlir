// RUN: vtac-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @f(%x: memref<64x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i], %inp {sram_offset = 60 : i64, y_size = 1 : i64, x_size = 8 : i64, x_stride = 8 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<64x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: on-chip entries [60, 68) exceed the buffer's 64

// -----

func.func @f(%x: memref<64x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i], %inp {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 8 : i64, x_stride = 8 : i64, pads = array<i64: 16, 0, 0, 0>} : memref<64x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: pads must be 4 values in [0, 15], got [16, 0, 0, 0]

// -----

func.func @f(%x: memref<64x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<uop>>
  tile.dma_load %x[%i], %inp {sram_offset = 0 : i64, y_size = 1 : i64, x_size = 8 : i64, x_stride = 8 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<64x16xi8>, memref<64x1x16xi8, #tile.mem<uop>>
  func.return
}
// CHECK: dma_load fills inp, wgt or acc buffers

// -----

func.func @f(%x: memref<64x16xi8>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.dma_store %acc, %x[%i] {sram_offset = 0 : i64, y_size = 0 : i64, x_size = 8 : i64, x_stride = 8 : i64} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x16xi8>
  func.return
}
// CHECK: a transfer moves at least one element

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 4, 4>, dst = array<i64: 0, 4, 1>, src = array<i64: 0, 1, 0>, wgt = array<i64: 0, 0, 3>, reset = false} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<8x16x16xi8, #tile.mem<wgt>>
  func.return
}
// CHECK: wgt reaches entry 9, beyond the buffer's 8

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %wgt, %inp {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 0, 1>, wgt = array<i64: 0, 0>, reset = false} : memref<64x1x16xi32, #tile.mem<acc>>, memref<8x16x16xi8, #tile.mem<wgt>>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: inp must be in #tile.mem<inp>

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "shr", extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: give exactly one operand: src (a tensor) or imm

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "div", imm = 1 : i64, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: op must be one of ('min', 'max', 'add', 'shr', 'mul'), got 'div'

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "add", imm = 1 : i64, extents = array<i64: 4, 2>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: dst needs a base and one coefficient per loop (3 values), got 2

// -----

func.func @f() {
  %b = memref.alloc() : memref<4x1x16xi8, #tile.mem<sram>>
  func.return
}
// CHECK: expected a memory space: one of inp, wgt, acc, uop
