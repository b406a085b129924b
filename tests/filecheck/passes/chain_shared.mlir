// RUN: vtac-opt %s --split-input-file -p vtac-isel,vtac-layout | filecheck %s --check-prefix=LAYOUT
// RUN: vtac-opt %s --split-input-file -p vtac-isel,vtac-layout,vtac-tile | filecheck %s --check-prefix=TILE
// RUN: vtac-opt %s --split-input-file -p vtac-isel,vtac-layout,vtac-tile,vtac-lower-to-vta | filecheck %s --check-prefix=LOWER

// Values feeding several operands (issue 14). Both stages read %w as weights, each in the
// layout its own tiles want: the host function takes %w once per layout, the second copy
// naming its source, and each stage gets the copy in its layout (never one buffer in two
// layouts).
func.func @f(%x: tensor<16x64xi8>, %w: tensor<64x64xi8>) -> tensor<16x64xi32> {
  %a = nn.dense %x, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  %s = nn.shr %a {amount = 8 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %c = nn.clip %s {min = -128 : i64, max = 127 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %h = nn.cast %c {mode = "wrap"} : (tensor<16x64xi32>) -> tensor<16x64xi8>
  %b = nn.dense %h, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  func.return %b : tensor<16x64xi32>
}
// TILE-LABEL: func.func @f_stage0(
// TILE-SAME:  %w: memref<4x4x16x16xi8> {vtac.buffer = {name = "w", role = "input", dtype = "int8", shape = array<i64: 64, 64>, layout = "[[W0:[^"]*]]"}}
// TILE-LABEL: func.func @f_stage1(
// TILE-SAME:  memref<4x4x16x16xi8> {vtac.buffer = {name = "w_1", role = "input", dtype = "int8", shape = array<i64: 64, 64>, layout = "[[W1:[^"]*]]", source = "w"}}
// TILE-LABEL: func.func @f(
// TILE-SAME:  %w: memref<4x4x16x16xi8> {vtac.buffer = {name = "w", {{.*}} layout = "[[W0]]"}}, %w_1: memref<4x4x16x16xi8> {vtac.buffer = {name = "w_1", {{.*}} layout = "[[W1]]", source = "w"}}
// TILE:         func.call @f_stage0(%x, %w, %stage0_result)
// TILE-NEXT:    func.call @f_stage1(%stage0_result, %w_1, %result)

// LOWER:      vta.buffer @w {role = "input", {{.*}}layout = "[[LW0:[^"]*]]"
// LOWER:      vta.buffer @w_1 {role = "input", {{.*}}source = "w"

// -----

// The first stage's data as the second stage's weights: two layouts of %x, two buffers; the
// host's calls type-check against the kernels (the IR vtac-tile writes verifies).
func.func @g(%x: tensor<16x64xi8>, %w: tensor<64x64xi8>) -> tensor<16x16xi32> {
  %a = nn.dense %x, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  %h = nn.cast %a {mode = "wrap"} : (tensor<16x64xi32>) -> tensor<16x64xi8>
  %b = nn.dense %h, %x : (tensor<16x64xi8>, tensor<16x64xi8>) -> tensor<16x16xi32>
  func.return %b : tensor<16x16xi32>
}
// TILE-LABEL: func.func @g(
// TILE-SAME:  %x: memref<{{[0-9x]+}}xi8> {vtac.buffer = {name = "x", role = "input"
// TILE-SAME:  %x_1: memref<1x4x16x16xi8> {vtac.buffer = {name = "x_1", role = "input", {{.*}}source = "x"}}
// TILE:         func.call @g_stage0(%x, %w, %stage0_result)
// TILE-NEXT:    func.call @g_stage1(%stage0_result, %x_1, %result) : (memref<16x4x1x16xi8>, memref<1x4x16x16xi8>, memref<4x16x1x1x16xi8>) -> ()

// -----

// One op reading one value twice: vtac-layout gives each operand its own pack/unpack pair
// (data in input elements, weights in weight elements) ...
func.func @square(%x: tensor<16x64xi8>) -> tensor<16x16xi32> {
  %a = nn.dense %x, %x : (tensor<16x64xi8>, tensor<16x64xi8>) -> tensor<16x16xi32>
  func.return %a : tensor<16x16xi32>
}
// LAYOUT-LABEL: func.func @square(
// LAYOUT:       %[[P0:.*]] = tile.pack %x {layout = "n=16, k=64 | {{.*}} | lanes [batch 1 (), block_in 16 (k)]"}
// LAYOUT-NEXT:  %[[U0:.*]] = tile.unpack %[[P0]]
// LAYOUT-NEXT:  %[[P1:.*]] = tile.pack %x {layout = "m=16, k=64 | {{.*}} | lanes [block_out 16 (m), block_in 16 (k)]"}
// LAYOUT-NEXT:  %[[U1:.*]] = tile.unpack %[[P1]]
// LAYOUT-NEXT:  %a = nn.dense %[[U0]], %[[U1]]

// ... and the kernel takes %x twice, once per layout.
// TILE-LABEL: func.func @square(
// TILE-SAME:  %x: memref<16x4x1x16xi8> {vtac.buffer = {name = "x", role = "input"
// TILE-SAME:  %x_1: memref<1x4x16x16xi8> {vtac.buffer = {name = "x_1", role = "input", {{.*}}source = "x"}}
