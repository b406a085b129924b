// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=4" vthreads=2 acc_threads=2 refine_layouts=false head=none tail=none}' | filecheck %s
// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile | filecheck %s --check-prefix=AUTO
// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile | vtac-opt | filecheck %s --check-prefix=AUTO
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="block_in=65"}' 2>&1 | filecheck %s --check-prefix=RANGE
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="q=1"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not vtac-opt %s -p vtac-tile 2>&1 | filecheck %s --check-prefix=ORDER
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=4" vthreads=2 acc_threads=2}' | filecheck %s --check-prefix=REFINED
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=2" vthreads=2 acc_threads=1 epilogue=whole order="n,block_out,block_in"}' | filecheck %s --check-prefix=ONEACC
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{order="block_in,n,block_out"}' 2>&1 | filecheck %s --check-prefix=LOOPS
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{epilogue=maybe}' 2>&1 | filecheck %s --check-prefix=TAIL
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=2" vthreads=2 acc_threads=2 refine_layouts=false head="n:1" tail="n:3"}' | filecheck %s --check-prefix=SPLITS
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=2" head="block_in:1"}' 2>&1 | filecheck %s --check-prefix=SPLITLOOP
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=2" head="n:4"}' 2>&1 | filecheck %s --check-prefix=SPLITSIZE
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=2" vthreads=2 acc_threads=2 refine_layouts=false head="n:1+1@2" tail="n:2+1"}' | filecheck %s --check-prefix=MANY
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{head="n:1+x"}' 2>&1 | filecheck %s --check-prefix=MANYBAD
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,n=2"}' 2>&1 | filecheck %s --check-prefix=TWICE

// vtac-tile replaces the kernel by its tile program: a function over the packed DRAM tensors
// (the result passed last), whose vtac.buffer attributes tell the host their logical shapes
// and layouts. The body is the tile walk: on-chip buffers, DMA in and out, GEMM and ALU steps
// over small loop nests. Forced here: one output-channel block per tile, on two virtual
// threads that split every buffer, accumulators included, so the second tile uses the upper
// half of each. The whole bias (two entries) is loaded once, beside the first part's output
// tile, and serves both threads.
func.func @dense(%x: tensor<4x64xi8>, %w: tensor<32x64xi8>, %bias: tensor<32xi32>) -> tensor<4x32xi8> {
  %acc = nn.dense %x, %w : (tensor<4x64xi8>, tensor<32x64xi8>) -> tensor<4x32xi32>
  %shifted = nn.shr %acc {amount = 8 : i64} : (tensor<4x32xi32>) -> tensor<4x32xi32>
  %biased = nn.add %shifted, %bias : (tensor<4x32xi32>, tensor<32xi32>) -> tensor<4x32xi32>
  %clipped = nn.clip %biased {min = -128 : i64, max = 127 : i64} : (tensor<4x32xi32>) -> tensor<4x32xi32>
  %y = nn.cast %clipped {mode = "wrap"} : (tensor<4x32xi32>) -> tensor<4x32xi8>
  func.return %y : tensor<4x32xi8>
}
// CHECK:      func.func @dense(%x: memref<4x4x1x16xi8> {vtac.buffer = {name = "x", role = "input", dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}},
// CHECK-SAME:   %w: memref<2x4x16x16xi8> {vtac.buffer = {name = "w", role = "input", dtype = "int8", shape = array<i64: 32, 64>,
// CHECK-SAME:   %bias: memref<2x1x16xi32> {vtac.buffer = {name = "bias", role = "input", dtype = "int32", shape = array<i64: 32>,
// CHECK-SAME:   %result: memref<4x2x1x16xi8> {vtac.buffer = {name = "result", role = "output", dtype = "int8", shape = array<i64: 4, 32>,
// CHECK-SAME:   attributes {vtac.embedding = {inp = "data", wgt = "weights", batch = [], block_out = ["m"], block_in = ["k"], useful_macs = 8192 : i64, issued_macs = 8192 : i64, utilization = "1.0000"},
// CHECK-SAME:   vtac.schedule = {tiles = {n = 4 : i64, block_out = 1 : i64, block_in = 4 : i64}, order = ["block_out", "n", "block_in"], vthreads = 2 : i64, acc_threads = 2 : i64, split_tail = {{true|false}}, refined_layouts = false, est_cycles = {{[0-9]+}} : i64, est_dram_bytes = {{[0-9]+}} : i64, extents = {n = 4 : i64, block_out = 2 : i64, block_in = 4 : i64}}}
// CHECK-NEXT:   %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
// CHECK-NEXT:   %wgt = memref.alloc() : memref<1024x16x16xi8, #tile.mem<wgt>>
// CHECK-NEXT:   %acc = memref.alloc() : memref<2048x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, src = array<i64: 0, 0>, wgt = array<i64: 0, 0>, reset = true}
// CHECK-NEXT:   %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT:   tile.dma_load %bias[%[[ZERO]]] -> %acc[4] {y_size = 1, x_size = 2, x_stride = 2}
// CHECK-NEXT:   tile.dma_load %x[%[[ZERO]]] -> %inp[0] {y_size = 1, x_size = 16, x_stride = 16}
// CHECK-NEXT:   tile.dma_load %w[%[[ZERO]]] -> %wgt[0] {y_size = 1, x_size = 4, x_stride = 4}
// CHECK-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 4, 1, 4>, dst = array<i64: 0, 1, 1, 0>, src = array<i64: 0, 4, 0, 1>, wgt = array<i64: 0, 0, 4, 1>, reset = false}
// CHECK-NEXT:   tile.alu %acc {op = "shr", extents = array<i64: 4>, dst = array<i64: 0, 1>, imm = 8}
// CHECK-NEXT:   tile.alu %acc {op = "add", extents = array<i64: 4, 1>, dst = array<i64: 0, 1, 1>, src = array<i64: 4, 0, 1>}
// CHECK-NEXT:   tile.alu %acc {op = "min", extents = array<i64: 4>, dst = array<i64: 0, 1>, imm = 127}
// CHECK-NEXT:   tile.alu %acc {op = "max", extents = array<i64: 4>, dst = array<i64: 0, 1>, imm = -128}
// CHECK-NEXT:   tile.dma_store %acc[0] -> %result[%[[ZERO]]] {y_size = 4, x_size = 1, x_stride = 2}
// The second thread: the upper halves of inp and acc (from 1024) and wgt (from 512).
// CHECK-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 1024, 1>
// CHECK-NOT:    %bias
// CHECK:        tile.dma_load %x[%[[ZERO]]] -> %inp[1024]
// CHECK:        tile.dma_load %w[{{%.*}}] -> %wgt[512] {y_size = 1, x_size = 4, x_stride = 4}
// CHECK:        tile.alu %acc {op = "add", extents = array<i64: 4, 1>, dst = array<i64: 1024, 1, 1>, src = array<i64: 5, 0, 1>}
// CHECK:        tile.dma_store %acc[1024] -> %result[{{%.*}}] {y_size = 4, x_size = 1, x_stride = 2}
// CHECK-NEXT:   func.return
// CHECK-NOT:    nn.

// AUTO:       func.func @dense(
// AUTO-SAME:    vtac.schedule = {tiles = {n = {{[0-9]+}} : i64, block_out = {{[0-9]+}} : i64, block_in = {{[0-9]+}} : i64}, order = [{{.*}}], vthreads = {{[12]}} : i64
// AUTO:         tile.dma_store

// With one accumulator part, the two threads still ping-pong the input and weight buffers
// (the reduction's second step loads into the upper halves), but both output tiles
// accumulate from entry 0.
// ONEACC:      order = ["n", "block_out", "block_in"], vthreads = 2 : i64, acc_threads = 1 : i64, split_tail = false
// ONEACC:      tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, {{.*}} reset = true}
// ONEACC:      tile.dma_load %x[{{%.*}}] -> %inp[1024]
// ONEACC:      tile.dma_store %acc[0]
// ONEACC:      tile.gemm %acc, %inp, %wgt {extents = array<i64: 4>, dst = array<i64: 0, 1>, {{.*}} reset = true}
// ONEACC:      tile.dma_store %acc[0]

// By default the layouts are refined for the tiles: a tile holds one of the two channel
// blocks and all four rows of the result, so the rows go innermost and each tile's STORE is
// one contiguous row of four elements instead of four rows of one.
// REFINED:     %result: memref<2x4x1x16xi8> {vtac.buffer = {name = "result", role = "output", dtype = "int8", shape = array<i64: 4, 32>, layout = "n=4, m=32 | dims [n, m] | outer [#block_out, n] | lanes [batch 1 (), block_out 16 (m)]"}}
// REFINED:     refined_layouts = true
// REFINED:     tile.dma_store %acc[0] -> %result[{{%.*}}] {y_size = 1, x_size = 4, x_stride = 4}
// REFINED:     tile.dma_store %acc[1024] -> %result[{{%.*}}] {y_size = 1, x_size = 4, x_stride = 4}

// The first step in two parts along n: the first row of x, its GEMM, then the other three
// rows (the GEMM of the first part need not wait for them). The last step in two parts too:
// three rows, their epilogue and STORE, then the last row's.
// SPLITS:      head = "n:1", tail = "n:3"
// SPLITS:      tile.dma_load %x[{{%.*}}] -> %inp[0] {y_size = 1, x_size = 2, x_stride = 2}
// SPLITS-NEXT: tile.gemm %acc, %inp, %wgt {extents = array<i64: 1, 1, 2>, dst = array<i64: 0, 1, 1, 0>, src = array<i64: 0, 2, 0, 1>
// SPLITS:      tile.dma_load %x[{{%.*}}] -> %inp[2] {y_size = 3, x_size = 2, x_stride = 4}
// SPLITS-NEXT: tile.gemm %acc, %inp, %wgt {extents = array<i64: 3, 1, 2>, dst = array<i64: 1, 1, 1, 0>, src = array<i64: 2, 2, 0, 1>
// SPLITS:      tile.gemm %acc, %inp, %wgt {extents = array<i64: 3, 1, 2>, dst = array<i64: 1024, 1, 1, 0>
// SPLITS:      tile.alu %acc {op = "max", extents = array<i64: 3>, dst = array<i64: 1024, 1>, imm = -128}
// SPLITS:      tile.dma_store %acc[1024] -> %result[{{%.*}}] {y_size = 3, x_size = 1, x_stride = 2}
// SPLITS:      tile.gemm %acc, %inp, %wgt {extents = array<i64: 1, 1, 2>, dst = array<i64: 1027, 1, 1, 0>
// SPLITS:      tile.dma_store %acc[1027] -> %result[{{%.*}}] {y_size = 1, x_size = 1, x_stride = 1}
// SPLITS-NEXT: func.return
// SPLITLOOP:   vtac-opt: error: head split block_in:1: 'block_in' is not a parallel loop (n, block_out)
// SPLITSIZE:   vtac-opt: error: head split n:4: the head step has 4 iterations of n, the parts before the last must add up to 1 to 3

// More parts, and a head over the first two steps: rows 0, 1 and 2-3 of each of the first
// two steps (one per thread) load and multiply apart; the last step's rows 0-1, 2 and 3 each
// finish on their own.
// MANY:        head = "n:1+1@2", tail = "n:2+1"
// MANY:        tile.dma_load %x[{{%.*}}] -> %inp[0] {y_size = 1, x_size = 2, x_stride = 2}
// MANY-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 1, 1, 2>, dst = array<i64: 0, 1, 1, 0>
// MANY:        tile.dma_load %x[{{%.*}}] -> %inp[2] {y_size = 1, x_size = 2, x_stride = 2}
// MANY-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 1, 1, 2>, dst = array<i64: 1, 1, 1, 0>
// MANY:        tile.dma_load %x[{{%.*}}] -> %inp[4] {y_size = 2, x_size = 2, x_stride = 4}
// MANY-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 2, 1, 2>, dst = array<i64: 2, 1, 1, 0>
// MANY:        tile.dma_load %x[{{%.*}}] -> %inp[1024] {y_size = 1, x_size = 2, x_stride = 2}
// MANY-NEXT:   tile.gemm %acc, %inp, %wgt {extents = array<i64: 1, 1, 2>, dst = array<i64: 0, 1, 1, 0>
// MANY:        tile.dma_store %acc[1024] -> %result[{{%.*}}] {y_size = 2, x_size = 1, x_stride = 2}
// MANY:        tile.dma_store %acc[1026] -> %result[{{%.*}}] {y_size = 1, x_size = 1, x_stride = 1}
// MANY:        tile.dma_store %acc[1027] -> %result[{{%.*}}] {y_size = 1, x_size = 1, x_stride = 1}
// MANY-NEXT:   func.return
// MANYBAD:     vtac-opt: error: split 'n:1+x': expected LOOP:SIZE, LOOP:SIZE+SIZE+... or LOOP:SIZE+...@STEPS with positive numbers
// TWICE:        vtac-opt: error: tile sizes 'n=4,n=2': loop n is given twice

// LOOPS:      vtac-opt: error: forced order block_in, n, block_out: reduction loops (block_in) must be innermost, n is inside them
// TAIL:       vtac-opt: error: epilogue must be one of auto, split, whole, got 'maybe'
// RANGE:      vtac-opt: error: forced tile block_in=65 is outside [1, 4] (the loop's extent)
// UNKNOWN:    vtac-opt: error: forced tile for unknown loop 'q'; loops: n, block_out, block_in
// ORDER:      vtac-opt: error: nn.dense has no vtac.embedding: run vtac-isel first
