// Every verifier message of the vta dialect.
// RUN: %verify | filecheck %s

vta.program @p {
  vta.gemm {uop_end = 1, iter_out = 1, iter_in = 16384}
}
// CHECK: GEMM: iter_in = 16384 does not fit its 14-bit field [0, 16383]

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = 3 : i64, LOG_UOP_BUFF_SIZE = 13 : i64, LOG_INP_BUFF_SIZE = 12 : i64, LOG_WGT_BUFF_SIZE = 14 : i64, LOG_ACC_BUFF_SIZE = 14 : i64}} {
  vta.program @p {
    vta.gemm {dst_factor_out = 512}
  }
}
// CHECK: GEMM: dst_factor_out = 512 does not fit its 9-bit field [0, 511]

// -----

vta.program @p {
  vta.alu shr {use_imm = 1, imm = 40000}
}
// CHECK: ALU: imm = 40000 does not fit the signed 16-bit field [-32768, 32767]

// -----

vta.program @p {
  vta.finish {pop_prev_dep = 2}
}
// CHECK: FINISH: pop_prev_dep = 2 does not fit its 1-bit field [0, 1]

// -----

vta.buffer @a {role = "input", size = 65536}
vta.program @p {
  vta.load inp @a[0] {sram_base = 2040, y_size = 1, x_size = 16, x_stride = 16}
}
// CHECK: SRAM entries [2040, 2056) exceed the INP buffer's 2048 entries

// -----

vta.buffer @a {role = "input", size = 65536}
vta.program @p {
  vta.load inp @a[0] {sram_base = 2000, y_size = 2, x_size = 14, x_stride = 16, y_pad_0 = 1, y_pad_1 = 1, x_pad_0 = 1, x_pad_1 = 1}
}
// CHECK: SRAM entries [2000, 2064) exceed the INP buffer's 2048 entries

// -----

vta.buffer @a {role = "input", size = 256}
vta.program @p {
  vta.load inp @a[4] {y_size = 2, x_size = 4, x_stride = 9}
}
// CHECK: DRAM elements [4, 17) exceed @a's 16 INP elements

// -----

vta.uop_kernel @k [(0, 0, 0), (1, 1, 1)]
vta.program @p {
  vta.load uop @k[1] {y_size = 1, x_size = 2, x_stride = 2}
}
// CHECK: DRAM elements [1, 3) exceed @k's 2 UOP elements

// -----

vta.program @p {
  vta.load inp {y_size = 1, x_size = 4, x_stride = 4}
}
// CHECK: a transfer needs a buffer (x_size > 0)

// -----

"vta.program"() ({
  "vta.load"() {memory_type = 2 : i64, dram_offset = 3 : i64} : () -> ()
}) {sym_name = "p"} : () -> ()
// CHECK: dram_offset needs a buffer

// -----

vta.buffer @a {role = "input", size = 256}
vta.program @p {
  vta.load inp @a[-1] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: dram_offset -1 is outside [0, 2^32)

// -----

"vta.program"() ({
  "vta.load"() {y_size = 1 : i64} : () -> ()
}) {sym_name = "p"} : () -> ()
// CHECK: vta.load needs a memory type

// -----

// without the keyword, the custom syntax reads the memory type from the dictionary
vta.program @p {
  vta.load @a[0] {y_size = 1}
}
// CHECK: vta.load needs a memory type

// -----

"vta.program"() ({
  "vta.load"() {memory_type = 7 : i64} : () -> ()
}) {sym_name = "p"} : () -> ()
// CHECK: memory_type 7 is not a VTA memory type

// -----

vta.buffer @a {role = "output", size = 256}
vta.program @p {
  vta.load out @a[0] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: LOAD cannot target the OUT memory type

// -----

vta.buffer @a {role = "output", size = 256}
vta.program @p {
  vta.store acc @a[0] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: STORE must use memory type OUT (4)

// -----

vta.buffer @a {role = "output", size = 256}
vta.program @p {
  vta.store out @a[0] {y_size = 1, x_size = 1, x_stride = 1, x_pad_0 = 1}
}
// CHECK: STORE cannot be padded

// -----

vta.buffer @a {role = "input", size = 256}
vta.program @p {
  vta.load uop @a[0] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: a UOP load reads a vta.uop_kernel, not @a

// -----

vta.uop_kernel @k [(0, 0, 0)]
vta.program @p {
  vta.load inp @k[0] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: @k is a micro-op kernel: only UOP loads read it

// -----

vta.uop_kernel @k [(0, 0, 0)]
vta.program @p {
  vta.load inp @missing[0] {y_size = 1, x_size = 1, x_stride = 1}
}
// CHECK: @missing is not a vta.buffer or vta.uop_kernel

// -----

vta.buffer @a {role = "input", size = 256}
vta.program @p {
  vta.load inp @a[0] {y_size = 1, x_size = 1, x_stride = 1, pop_prev_dep = 1}
}
// CHECK: pop_prev_dep must be 0: this instruction runs on the load module, which has no previous module

// -----

vta.buffer @a {role = "input", size = 256}
vta.program @p {
  vta.load wgt {push_prev_dep = 1}
}
// CHECK: push_prev_dep must be 0: this instruction runs on the load module, which has no previous module

// -----

vta.program @p {
  vta.store out {pop_next_dep = 1}
}
// CHECK: pop_next_dep must be 0: this instruction runs on the store module, which has no next module

// -----

vta.program @p {
  vta.store out {push_next_dep = 1}
}
// CHECK: push_next_dep must be 0: this instruction runs on the store module, which has no next module

// -----

vta.program @p {
  vta.gemm {uop_end = 8193}
}
// CHECK: uop_end 8193 exceeds the micro-op buffer (8192)

// -----

builtin.module attributes {vta.config = {LOG_UOP_BUFF_SIZE = 10 : i64}} {
  vta.program @p {
    vta.gemm {uop_bgn = 0, uop_end = 257}
  }
}
// CHECK: uop_end 257 exceeds the micro-op buffer (256)

// -----

vta.program @p {
  vta.gemm {uop_bgn = 5, uop_end = 2}
}
// CHECK: uop_bgn must not exceed uop_end

// -----

"vta.program"() ({
  "vta.alu"() {uop_end = 1 : i64} : () -> ()
}) {sym_name = "p"} : () -> ()
// CHECK: vta.alu needs an opcode (min, max, add, shr or mul)

// -----

"vta.program"() ({
  "vta.alu"() {alu_opcode = 6 : i64} : () -> ()
}) {sym_name = "p"} : () -> ()
// CHECK: alu_opcode 6 is not a VTA ALU opcode

// -----

vta.buffer @a {role = "cake", size = 64}
// CHECK: role must be one of input, output, weight, constant, scratch; got 'cake'

// -----

vta.buffer @a {role = "input", size = 0}
// CHECK: buffer size must be positive, got 0

// -----

"vta.uop_kernel"() {sym_name = "k", uops = array<i64: 0, 0>} : () -> ()
// CHECK: uops holds (dst, src, wgt) triples: 2 values

// -----

"vta.uop_kernel"() {sym_name = "k", uops = array<f32: 0.0, 0.0, 0.0>} : () -> ()
// CHECK: uops must be an integer array

// -----

vta.uop_kernel @k [(0, 0, 1024)]
// CHECK: micro-op 0: wgt index 1024 is outside [0, 1024)

// -----

vta.uop_kernel @k [(0, 0, 0), (2048, 0, 0)]
// CHECK: micro-op 1: dst index 2048 is outside [0, 2048)

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = -1 : i64}} {
  vta.program @p {
    vta.finish
  }
}
// CHECK: vta.config: LOG_BLOCK = -1 is negative

// -----

builtin.module attributes {vta.config = {LOG_SIZE = 3 : i64}} {
  vta.program @p {
    vta.finish
  }
}
// CHECK: vta.config: unknown configuration key(s) LOG_SIZE

// -----

builtin.module attributes {vta.config = {LOG_BLOCK = [4]}} {
  vta.program @p {
    vta.finish
  }
}
// CHECK: vta.config: LOG_BLOCK must be an integer or a string

// -----

builtin.module attributes {vta.config = "default"} {
  vta.program @p {
    vta.finish
  }
}
// CHECK: vta.config must be a dictionary of vta_config.json values

// -----

vta.program @p {
  vta.buffer @inner {role = "input", size = 16}
}
// CHECK: a vta.program holds only instructions, found vta.buffer

// -----

vta.program @p {
  vta.finish
  vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1}
}
// CHECK: vta.finish must be the last instruction (it is 1 of 2)

// -----

vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1}
// CHECK: vta.gemm must be inside a vta.program

// -----

vta.buffer @x {role = "input", size = 128, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
// CHECK: buffer size 128 is below the 256 bytes its layout holds

// -----

vta.buffer @x {role = "input", size = 256, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
// CHECK: a buffer with a layout needs the logical shape

// -----

vta.buffer @x {role = "input", size = 256, dtype = "f32", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
// CHECK: dtype must be one of int8, int32, uint32, got 'f32'
