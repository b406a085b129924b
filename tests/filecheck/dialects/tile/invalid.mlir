// Every verifier message of the tile dialect.
// RUN: %verify | filecheck %s

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[60] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: on-chip entries [60, 68) exceed the buffer's 64

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8, pads = array<i64: 16, 0, 0, 0>} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: pads must be 4 values in [0, 15], got [16, 0, 0, 0]

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8, pads = array<i64: 1, 1>} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: pads must be 4 values in [0, 15], got [1, 1]

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8, pads = array<f32: 1.0, 1.0, 1.0, 1.0>} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: pads must be an integer array, got array<f32: 1.000000e+00,

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %u = memref.alloc() : memref<64x1x16xi8, #tile.mem<uop>>
  tile.dma_load %x[%i] -> %u[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<uop>>
  func.return
}
// CHECK: dma_load fills inp, wgt or acc buffers, not memref<64x1x16xi8, #tile.mem<uop>>

// -----

func.func @f(%x: memref<64x1x16xi8>, %y: memref<64x1x16xi8>, %i: index) {
  tile.dma_load %x[%i] -> %y[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8>
  func.return
}
// CHECK: dma_load fills inp, wgt or acc buffers, not memref<64x1x16xi8>

// -----

func.func @f(%i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %src = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %src[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8, #tile.mem<inp>>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: the source must be a DRAM memref, got memref<64x1x16xi8, #tile.mem<inp>>

// -----

func.func @f(%x: memref<64x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: the source must be a static memref<...x1x16xi8> of VTA elements, got memref<64x16xi8>

// -----

func.func @f(%x: memref<64x1x16xi32>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi32>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: the source must be a static memref<...x1x16xi8> of VTA elements, got memref<64x1x16xi32>

// -----

func.func @f(%x: memref<?x1x16xi32>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.dma_load %x[%i] -> %acc[0] {y_size = 1, x_size = 8, x_stride = 8} : memref<?x1x16xi32>, memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: the source must be a static memref<...x1x16xi32> or memref<...x1x16xi8> of VTA elements, got memref<?x1x16xi32>

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 8, x_size = 8, x_stride = 8} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 2, x_size = 8, x_stride = 57} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: the pattern spans 65 DRAM elements; the memref holds 64

// -----

func.func @f(%x: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_load %x[%i] -> %inp[0] {y_size = 1, x_size = 8, x_stride = 65536} : memref<64x1x16xi8>, memref<64x1x16xi8, #tile.mem<inp>>
  func.return
}
// CHECK: x_stride = 65536 is outside [0, 65535]

// -----

func.func @f(%y: memref<64x1x16xi8>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.dma_store %acc[0] -> %y[%i] {y_size = 0, x_size = 8, x_stride = 8} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8>
  func.return
}
// CHECK: a transfer moves at least one element

// -----

func.func @f(%y: memref<64x1x16xi32>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.dma_store %acc[0] -> %y[%i] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi32>
  func.return
}
// CHECK: the destination must be a static memref<...x1x16xi8> of VTA elements, got memref<64x1x16xi32>

// -----

func.func @f(%y: memref<64x1x16xi8>, %i: index) {
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  tile.dma_store %inp[0] -> %y[%i] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi8, #tile.mem<inp>>, memref<64x1x16xi8>
  func.return
}
// CHECK: the source must be in #tile.mem<acc>, got memref<64x1x16xi8, #tile.mem<inp>>

// -----

func.func @f(%y: memref<64x1x16xi8>, %i: index) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %d = memref.alloc() : memref<64x1x16xi8, 1 : i64>
  tile.dma_store %acc[0] -> %d[%i] {y_size = 1, x_size = 8, x_stride = 8} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, 1 : i64>
  func.return
}
// CHECK: memref<64x1x16xi8, 1 : i64> is in neither DRAM nor a #tile.mem space

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
// CHECK: inp must be in #tile.mem<inp>, got memref<8x16x16xi8, #tile.mem<wgt>>

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi8, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 0, 1>, wgt = array<i64: 0, 0>, reset = true} : memref<64x1x16xi8, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<8x16x16xi8, #tile.mem<wgt>>
  func.return
}
// CHECK: acc must be a memref<Nx1x16xi32, #tile.mem<acc>> (configuration 1x16_i8w8a32_15_15_18_17), got memref<64x1x16xi8, #tile.mem<acc>>

// -----

builtin.module attributes {vta.config = {LOG_BATCH = 1 : i64}} {
  func.func @f() {
    %acc = memref.alloc() : memref<64x2x16xi32, #tile.mem<acc>>
    %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
    %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
    tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 0, 1>, wgt = array<i64: 0, 0>, reset = false} : memref<64x2x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<8x16x16xi8, #tile.mem<wgt>>
    func.return
  }
}
// CHECK: inp must be a memref<Nx2x16xi8, #tile.mem<inp>> (configuration 2x16_i8w8a32_15_15_18_17), got memref<64x1x16xi8, #tile.mem<inp>>

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<1025x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 0, 1>, wgt = array<i64: 0, 0>, reset = false} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<1025x16x16xi8, #tile.mem<wgt>>
  func.return
}
// CHECK: wgt has 1025 entries; the wgt buffer holds 1024

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 4, 0>, dst = array<i64: 0, 1, 1>, src = array<i64: 0, 1, 1>, wgt = array<i64: 0, 0, 0>, reset = false} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<8x16x16xi8, #tile.mem<wgt>>
  func.return
}
// CHECK: loop extents must be positive, got [4, 0]

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %inp = memref.alloc() : memref<64x1x16xi8, #tile.mem<inp>>
  %wgt = memref.alloc() : memref<8x16x16xi8, #tile.mem<wgt>>
  tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 8, -1>, wgt = array<i64: 0, 0>, reset = false} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8, #tile.mem<inp>>, memref<8x16x16xi8, #tile.mem<wgt>>
  func.return
}
// CHECK: src base and coefficients must not be negative

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
  tile.alu %acc {op = "div", imm = 1, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: op must be one of min, max, add, shr, mul, got 'div'

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "add", imm = 1, extents = array<i64: 4, 2>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: dst needs a base and one coefficient per loop (3 values), got 2

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "add", imm = 32768, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: imm 32768 does not fit 16 bits

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "shr", imm = 20, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: shr imm 20 is outside [-16, 15]: the ALU reads a shift amount's low 5 bits as a signed number (shift further in several steps)

// -----

func.func @f() {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  tile.alu %acc {op = "add", src = array<i64: 62, 1>, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
  func.return
}
// CHECK: src reaches entry 65, beyond the buffer's 64

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = "big"}} {
  func.func @f() {
    %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
    tile.alu %acc {op = "add", imm = 1, extents = array<i64: 4>, dst = array<i64: 0, 1>} : memref<64x1x16xi32, #tile.mem<acc>>
    func.return
  }
}
// CHECK: vta.config: LOG_BLOCK must be an integer, got 'big'

// -----

func.func @f(%x: tensor<4x64xi8>) {
  %p = tile.pack %x {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x8xi8>
  func.return
}
// CHECK: the layout packs tensor<4x64xi8> into tensor<4x4x1x16xi8>, not tensor<4x4x1x8xi8>

// -----

func.func @f(%p: tensor<4x4x1x16xi8>) {
  %u = tile.unpack %p {layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x4x1x16xi8> -> tensor<4x64xi32>
  func.return
}
// CHECK: element types differ: i32 and i8

// -----

func.func @f(%x: tensor<4x64xi8>) {
  %p = tile.pack %x {layout = "n=4 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
  func.return
}
// CHECK: the layout uses loops without an extent: k

// -----

func.func @f(%x: tensor<4x64xi8>) {
  %p = tile.pack %x {layout = "n=4, k=64 | dims [n]"} : tensor<4x64xi8> -> tensor<4x4x1x16xi8>
  func.return
}
// CHECK: malformed layout
