// Every vta op in its custom syntax: printed, parsed back, and through the generic syntax.
// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64, TARGET = "sim"}} {
  vta.buffer @a {role = "input", size = 256}
  vta.buffer @w {role = "weight", size = 512}
  vta.buffer @bias {role = "constant", size = 128}
  vta.buffer @out {role = "output", size = 256}
  vta.buffer @tmp {role = "scratch", size = 64, note = "kept"}
  vta.buffer @packed {role = "input", size = 256, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
  vta.buffer @wide {role = "output", size = 1024, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]", planes = 4}
  vta.uop_kernel @k [(0, 0, 0), (1, 16, 1)]
  vta.uop_kernel @one [(3, 2, 1)] {note = "kept"}
  vta.program @main {
    vta.load uop @k[0] {y_size = 1, x_size = 2, x_stride = 2}
    vta.load inp @a {y_size = 1, x_size = 14, x_stride = 14, y_pad_0 = 1, y_pad_1 = 1, x_pad_0 = 1, x_pad_1 = 1}
    vta.load wgt @w[1] {sram_base = 4, y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
    vta.load acc @bias[0] {sram_base = 32, y_size = 2, x_size = 1, x_stride = 1}
    vta.load acc_8bit @tmp[0] {sram_base = 40, y_size = 1, x_size = 4, x_stride = 4}
    vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
    vta.gemm {uop_bgn = 0, uop_end = 2, iter_out = 2, iter_in = 8, dst_factor_out = 8, dst_factor_in = 1, src_factor_out = 8, src_factor_in = 1, wgt_factor_out = 0, wgt_factor_in = 0, pop_prev_dep = 1}
    vta.alu add {uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1, src_factor_in = 0}
    vta.alu shr {use_imm = 1, imm = -4, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
    vta.alu min {use_imm = 1, imm = 127, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
    vta.alu max {use_imm = 1, imm = -128, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
    vta.alu mul {use_imm = 1, imm = 3 : i32, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1, push_next_dep = 1}
    vta.store out @out[0] {y_size = 1, x_size = 16, x_stride = 16, pop_prev_dep = 1, push_prev_dep = 1}
    vta.load uop {pop_next_dep = 1}
    vta.finish
  }
}

// CHECK:      builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64, TARGET = "sim"}} {
// CHECK-NEXT:   vta.buffer @a {role = "input", size = 256}
// CHECK-NEXT:   vta.buffer @w {role = "weight", size = 512}
// CHECK-NEXT:   vta.buffer @bias {role = "constant", size = 128}
// CHECK-NEXT:   vta.buffer @out {role = "output", size = 256}
// CHECK-NEXT:   vta.buffer @tmp {role = "scratch", size = 64, note = "kept"}
// CHECK-NEXT:   vta.buffer @packed {role = "input", size = 256, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
// CHECK-NEXT:   vta.buffer @wide {role = "output", size = 1024, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]", planes = 4}
// CHECK-NEXT:   vta.uop_kernel @k [(0, 0, 0), (1, 16, 1)]
// CHECK-NEXT:   vta.uop_kernel @one [(3, 2, 1)] {note = "kept"}
// CHECK-NEXT:   vta.program @main {
// CHECK-NEXT:     vta.load uop @k[0] {y_size = 1, x_size = 2, x_stride = 2}
// CHECK-NEXT:     vta.load inp @a {y_size = 1, x_size = 14, x_stride = 14, y_pad_0 = 1, y_pad_1 = 1, x_pad_0 = 1, x_pad_1 = 1}
// CHECK-NEXT:     vta.load wgt @w[1] {sram_base = 4, y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
// CHECK-NEXT:     vta.load acc @bias[0] {sram_base = 32, y_size = 2, x_size = 1, x_stride = 1}
// CHECK-NEXT:     vta.load acc_8bit @tmp[0] {sram_base = 40, y_size = 1, x_size = 4, x_stride = 4}
// CHECK-NEXT:     vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
// CHECK-NEXT:     vta.gemm {uop_bgn = 0, uop_end = 2, iter_out = 2, iter_in = 8, dst_factor_out = 8, dst_factor_in = 1, src_factor_out = 8, src_factor_in = 1, wgt_factor_out = 0, wgt_factor_in = 0, pop_prev_dep = 1}
// CHECK-NEXT:     vta.alu add {uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1, src_factor_in = 0}
// CHECK-NEXT:     vta.alu shr {use_imm = 1, imm = -4, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
// CHECK-NEXT:     vta.alu min {use_imm = 1, imm = 127,
// CHECK-NEXT:     vta.alu max {use_imm = 1, imm = -128,
// CHECK-NEXT:     vta.alu mul {use_imm = 1, imm = 3 : i32, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1, push_next_dep = 1}
// CHECK-NEXT:     vta.store out @out[0] {y_size = 1, x_size = 16, x_stride = 16, pop_prev_dep = 1, push_prev_dep = 1}
// CHECK-NEXT:     vta.load uop {pop_next_dep = 1}
// CHECK-NEXT:     vta.finish
// CHECK-NEXT:   }
// CHECK-NEXT: }
