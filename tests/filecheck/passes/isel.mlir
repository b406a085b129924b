// RUN: vtac-opt %s -p vtac-isel --split-input-file | filecheck %s
// RUN: vtac-opt %s -p 'vtac-isel{embedding=fixed}' --split-input-file | filecheck %s --check-prefix=FIXED
// RUN: vtac-opt %s -p 'vtac-isel{config=batch2}' --split-input-file | filecheck %s --check-prefix=BATCH2

// ResNet-18 C1: 3 input channels. The flexible embedding folds (ic, kh, kw) onto BLOCK_IN.
func.func @c1(%x: tensor<1x3x224x224xi8>, %w: tensor<64x3x7x7xi8>) -> tensor<1x64x112x112xi32> {
  %y = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x3x224x224xi8>, tensor<64x3x7x7xi8>) -> tensor<1x64x112x112xi32>
  func.return %y : tensor<1x64x112x112xi32>
}
// CHECK:  vtac.embedding = {inp = "data", wgt = "weights", batch = [], block_out = ["oc"], block_in = ["ic", "kh", "kw"], useful_macs = 118013952 : i64, issued_macs = 128450560 : i64, utilization = "0.9187"}
// FIXED:  vtac.embedding = {inp = "data", wgt = "weights", batch = ["n"], block_out = ["oc"], block_in = ["ic"], useful_macs = 118013952 : i64, issued_macs = 629407744 : i64, utilization = "0.1875"}
// BATCH2: builtin.module attributes {vta.config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 1 : i64
// BATCH2: batch = ["ow"], block_out = ["oc"], block_in = ["ic", "kh", "kw"]

// -----

// C = A B with M = 5124: the roles swap so that M pads to 5136 on BLOCK_OUT (C^T = B^T A^T).
func.func @swap(%a: tensor<5124x64xi8>, %b: tensor<64x700xi8>) -> tensor<5124x700xi32> {
  %c = nn.matmul %a, %b : (tensor<5124x64xi8>, tensor<64x700xi8>) -> tensor<5124x700xi32>
  func.return %c : tensor<5124x700xi32>
}
// CHECK:  vtac.embedding = {inp = "rhs", wgt = "lhs", batch = [], block_out = ["m"], block_in = ["k"]
// FIXED:  vtac.embedding = {inp = "lhs", wgt = "rhs", batch = ["m"], block_out = ["n"], block_in = ["k"]

// -----

// Epilogues select to ALU instructions; a shift by more than 15 is split (FPGA limit).
func.func @epilogue(%x: tensor<4x32xi8>, %w: tensor<16x32xi8>, %b: tensor<16xi32>) -> tensor<4x16xi8> {
  %acc = nn.dense %x, %w : (tensor<4x32xi8>, tensor<16x32xi8>) -> tensor<4x16xi32>
  %s = nn.shr %acc {amount = 20 : i64} : (tensor<4x16xi32>) -> tensor<4x16xi32>
  %a = nn.add %s, %b : (tensor<4x16xi32>, tensor<16xi32>) -> tensor<4x16xi32>
  %r = nn.relu %a : (tensor<4x16xi32>) -> tensor<4x16xi32>
  %c = nn.clip %r {min = -100 : i64, max = 100 : i64} : (tensor<4x16xi32>) -> tensor<4x16xi32>
  %y = nn.cast %c {mode = "saturate"} : (tensor<4x16xi32>) -> tensor<4x16xi8>
  func.return %y : tensor<4x16xi8>
}
// CHECK:      nn.dense %x, %w {vtac.embedding = {inp = "data", wgt = "weights", batch = [], block_out = ["m"], block_in = ["k"]
// CHECK-NEXT: nn.shr %acc {amount = 20 : i64, vtac.alu = ["SHR 15", "SHR 5"]}
// CHECK-NEXT: nn.add %s, %b {vtac.alu = ["ADD tensor"]}
// CHECK-NEXT: nn.relu %a {vtac.alu = ["MAX 0"]}
// CHECK-NEXT: nn.clip %r {min = -100 : i64, max = 100 : i64, vtac.alu = ["MIN 100", "MAX -100"]}
// CHECK-NEXT: nn.cast %c {mode = "saturate", vtac.alu = ["MIN 127", "MAX -128"]}
