// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s

builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64}} {
  vta.buffer @a {role = "input", size = 256 : i64}
  vta.buffer @out {role = "output", size = 256 : i64}
  vta.uop_kernel @k {uops = array<i64: 0, 0, 0>}
  vta.program @main {
    vta.load {memory_type = 0 : i64, buffer = @k, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
    vta.load {memory_type = 2 : i64, buffer = @a, y_size = 1 : i64, x_size = 16 : i64, x_stride = 16 : i64, push_next_dep = 1 : i64}
    vta.gemm {reset_reg = 1 : i64, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 16 : i64, dst_factor_in = 1 : i64}
    vta.alu {alu_opcode = 3 : i64, use_imm = 1 : i64, imm = -4 : i64, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 16 : i64, dst_factor_in = 1 : i64, pop_prev_dep = 1 : i64, push_next_dep = 1 : i64}
    vta.store {memory_type = 4 : i64, buffer = @out, y_size = 1 : i64, x_size = 16 : i64, x_stride = 16 : i64, pop_prev_dep = 1 : i64, push_prev_dep = 1 : i64}
    vta.load {memory_type = 0 : i64, pop_next_dep = 1 : i64}
    vta.finish
  }
}

// CHECK:      builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64}} {
// CHECK-NEXT:   vta.buffer @a {role = "input", size = 256 : i64}
// CHECK-NEXT:   vta.buffer @out {role = "output", size = 256 : i64}
// CHECK-NEXT:   vta.uop_kernel @k {uops = array<i64: 0, 0, 0>}
// CHECK-NEXT:   vta.program @main {
// CHECK-NEXT:     vta.load {memory_type = 0 : i64, buffer = @k, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
// CHECK-NEXT:     vta.load {memory_type = 2 : i64, buffer = @a, y_size = 1 : i64, x_size = 16 : i64, x_stride = 16 : i64, push_next_dep = 1 : i64}
// CHECK-NEXT:     vta.gemm {reset_reg = 1 : i64, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 16 : i64, dst_factor_in = 1 : i64}
// CHECK-NEXT:     vta.alu {alu_opcode = 3 : i64, use_imm = 1 : i64, imm = -4 : i64, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 16 : i64, dst_factor_in = 1 : i64, pop_prev_dep = 1 : i64, push_next_dep = 1 : i64}
// CHECK-NEXT:     vta.store {memory_type = 4 : i64, buffer = @out, y_size = 1 : i64, x_size = 16 : i64, x_stride = 16 : i64, pop_prev_dep = 1 : i64, push_prev_dep = 1 : i64}
// CHECK-NEXT:     vta.load {memory_type = 0 : i64, pop_next_dep = 1 : i64}
// CHECK-NEXT:     vta.finish
// CHECK-NEXT:   }
// CHECK-NEXT: }
