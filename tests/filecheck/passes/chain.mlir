// RUN: vtac-opt %s -p vtac-isel,vtac-layout | filecheck %s --check-prefix=LAYOUT
// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile | filecheck %s --check-prefix=TILE
// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile | vtac-opt -p vtac-lower-to-vta | filecheck %s --check-prefix=LOWER

// A chain of two dense layers: the first one's int8 result feeds the second.
func.func @mlp(%x: tensor<8x64xi8>, %w1: tensor<32x64xi8>, %w2: tensor<16x32xi8>) -> tensor<8x16xi8> {
  %a = nn.dense %x, %w1 : (tensor<8x64xi8>, tensor<32x64xi8>) -> tensor<8x32xi32>
  %s = nn.shr %a {amount = 8 : i64} : (tensor<8x32xi32>) -> tensor<8x32xi32>
  %c = nn.clip %s {min = 0 : i64, max = 127 : i64} : (tensor<8x32xi32>) -> tensor<8x32xi32>
  %h = nn.cast %c {mode = "wrap"} : (tensor<8x32xi32>) -> tensor<8x32xi8>
  %b = nn.dense %h, %w2 : (tensor<8x32xi8>, tensor<16x32xi8>) -> tensor<8x16xi32>
  %s2 = nn.shr %b {amount = 6 : i64} : (tensor<8x16xi32>) -> tensor<8x16xi32>
  %c2 = nn.clip %s2 {min = -128 : i64, max = 127 : i64} : (tensor<8x16xi32>) -> tensor<8x16xi32>
  %y = nn.cast %c2 {mode = "wrap"} : (tensor<8x16xi32>) -> tensor<8x16xi8>
  func.return %y : tensor<8x16xi8>
}

// The first layer writes its result (8 rows, 32 output channels as 2 blocks) in the very
// layout the second reads its input (32 input channels as 2 blocks), though the loops are
// named differently: the unpack/pack pair between them cancels.
// LAYOUT:      %h = nn.cast
// LAYOUT-NEXT: %[[P:.*]] = tile.pack %h {layout = "n=8, m=32 | dims [n, m] | outer [n, #block_out] | lanes [batch 1 (), block_out 16 (m)]"} : tensor<8x32xi8> -> tensor<8x2x1x16xi8>
// LAYOUT-NEXT: %[[U:.*]] = tile.unpack %[[P]] {layout = "n=8, k=32 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"} : tensor<8x2x1x16xi8> -> tensor<8x32xi8>
// LAYOUT-NEXT: %b = nn.dense %[[U]], {{%.*}}

// vtac-tile makes one kernel per stage and a host function that allocates the intermediate
// in DRAM and calls the kernels in order.
// TILE:      func.func @mlp_stage0(%x: memref<8x4x1x16xi8> {{.*}}, %w1: memref<2x4x16x16xi8> {{.*}}, %stage0_result: memref<8x2x1x16xi8> {vtac.buffer = {name = "stage0_result", role = "output"
// TILE:      func.func @mlp_stage1(%stage0_result: memref<8x2x1x16xi8> {vtac.buffer = {name = "stage0_result", role = "input"
// TILE:      func.func @mlp(%x: memref<8x4x1x16xi8> {{.*}}, %w1: {{.*}}, %w2: {{.*}}, %result: memref<8x1x1x16xi8> {{.*}}) attributes {vtac.stages = 2 : i64} {
// TILE-NEXT:   %stage0_result = memref.alloc() {vtac.buffer = {name = "stage0_result", role = "scratch", dtype = "int8", shape = array<i64: 8, 32>
// TILE-NEXT:   func.call @mlp_stage0(%x, %w1, %stage0_result)
// TILE-NEXT:   func.call @mlp_stage1(%stage0_result, %w2, %result)
// TILE-NEXT:   func.return

// One program: the first kernel's instructions, a compute no-op (a barrier: every STORE of
// the first kernel is ordered before every LOAD of the second), the second kernel's.
// LOWER:      vta.buffer @stage0_result {role = "scratch", size = 256
// LOWER:      vta.program @mlp {
// LOWER:        vta.store out @stage0_result
// LOWER:        vta.load uop{{$}}
// LOWER-NEXT:   vta.gemm {reset_reg = 1
// LOWER:        vta.load inp @stage0_result[0]
// LOWER:        vta.store out @result
// LOWER:        vta.finish
// LOWER-NOT:  func.func
