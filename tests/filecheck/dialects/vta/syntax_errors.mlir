// Custom-syntax errors of the vta dialect, reported at their position.
// RUN: vtac-opt %s --split-input-file --parsing-diagnostics | filecheck %s

vta.program @p {
  vta.load inp @a[x] {y_size = 1}
}
// CHECK: syntax_errors.mlir:5:19
// CHECK: Expected integer literal (DRAM offset)

// -----

vta.program @p {
  vta.load inp @a[0] {memory_type = 2, y_size = 1}
}
// CHECK: syntax_errors.mlir:13:22
// CHECK: memory_type is already given before the attribute dictionary

// -----

vta.program @p {
  vta.alu sub {uop_end = 1}
}
// CHECK: syntax_errors.mlir:21:11
// CHECK: expected an ALU opcode: one of min, max, add, shr, mul

// -----

vta.program @p {
  vta.load inpt @a[0] {y_size = 1}
}
// CHECK: syntax_errors.mlir:29:12
// CHECK: expected a memory type: one of uop, wgt, inp, acc, out, acc_8bit

// -----

vta.uop_kernel @k [(0, 0, 0), (1, 2)]
// CHECK: syntax_errors.mlir:36:19
// CHECK: a micro-op is a (dst, src, wgt) triple

// -----

vta.uop_kernel @k [(0, 0, 0)] {uops = array<i64: 1, 1, 1>}
// CHECK: syntax_errors.mlir:42:31
// CHECK: uops is already given before the attribute dictionary

// -----

vta.buffer {role = "input", size = 16}
// CHECK: syntax_errors.mlir:48:12
// CHECK: expect symbol name
