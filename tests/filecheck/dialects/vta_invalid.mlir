// RUN: %verify | filecheck %s

vta.program @p {
  vta.gemm {uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 16384 : i64}
}
// CHECK: GEMM: iter_in = 16384 does not fit its 14-bit field [0, 16383]

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = 3 : i64, LOG_UOP_BUFF_SIZE = 13 : i64, LOG_INP_BUFF_SIZE = 12 : i64, LOG_WGT_BUFF_SIZE = 14 : i64, LOG_ACC_BUFF_SIZE = 14 : i64}} {
  vta.program @p {
    vta.gemm {dst_factor_out = 512 : i64}
  }
}
// CHECK: GEMM: dst_factor_out = 512 does not fit its 9-bit field [0, 511]

// -----

vta.buffer @a {role = "input", size = 64 : i64}
vta.program @p {
  vta.load {memory_type = 2 : i64, buffer = @a, sram_base = 2040 : i64, y_size = 1 : i64, x_size = 16 : i64, x_stride = 16 : i64}
}
// CHECK: SRAM entries [2040, 2056) exceed the INP buffer's 2048 entries

// -----

vta.program @p {
  vta.store {memory_type = 3 : i64, y_size = 1 : i64, x_size = 0 : i64}
}
// CHECK: STORE must use memory type OUT (4)

// -----

vta.program @p {
  vta.load {memory_type = 2 : i64, y_size = 1 : i64, x_size = 4 : i64}
}
// CHECK: a transfer needs a buffer (x_size > 0)

// -----

vta.program @p {
  vta.alu {imm = 40000 : i64}
}
// CHECK: ALU: imm = 40000 does not fit the signed 16-bit field [-32768, 32767]

// -----

vta.buffer @a {role = "cake", size = 64 : i64}
// CHECK: role must be one of ('input', 'output', 'weight', 'constant', 'scratch'), got 'cake'

// -----

vta.uop_kernel @k {uops = array<i64: 0, 0>}
// CHECK: uops holds (dst, src, wgt) triples: 2 values

// -----

vta.uop_kernel @k {uops = array<i64: 0, 0, 1024>}
// CHECK: micro-op 0: wgt index 1024 is outside [0, 1024)

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = -1 : i64}} {
  vta.program @p {
    vta.finish
  }
}
// CHECK: vta.config: LOG_BLOCK = -1 is negative

// -----

vta.program @p {
  vta.gemm {uop_bgn = 5 : i64, uop_end = 2 : i64}
}
// CHECK: uop_bgn must not exceed uop_end

// -----

vta.program @p {
  vta.finish {pop_prev_dep = 2 : i64}
}
// CHECK: FINISH: pop_prev_dep = 2 does not fit its 1-bit field [0, 1]

// -----

vta.program @p {
  vta.buffer @inner {role = "input", size = 16 : i64}
}
// CHECK: a vta.program holds only instructions, found vta.buffer

// -----

vta.uop_kernel @k {uops = array<i64: 0, 0, 0>}
vta.program @p {
  vta.load {memory_type = 2 : i64, buffer = @missing, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
}
// CHECK: @missing is not a vta.buffer or vta.uop_kernel
