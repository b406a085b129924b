// Fields whose value no keyword or bracket shows (integers of another type than i64) stay in
// the attribute dictionary, which the custom syntax reads them back from: the same IR again.
// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s
// RUN: vtac-opt %s | vtac-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

"builtin.module"() ({
  "vta.buffer"() {sym_name = "a", role = "output", size = 256 : i64} : () -> ()
  "vta.buffer"() {sym_name = "x", role = "input", size = 256 : i64} : () -> ()
  "vta.program"() ({
    "vta.load"() {memory_type = 2 : i32, buffer = @x, dram_offset = 0 : i64, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64} : () -> ()
    "vta.load"() {memory_type = 2 : i64, buffer = @x, dram_offset = 1 : i32, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64} : () -> ()
    "vta.alu"() {alu_opcode = 3 : i32, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 1 : i64} : () -> ()
    "vta.alu"() {alu_opcode = 0 : index, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 1 : i64} : () -> ()
    "vta.store"() {memory_type = 4 : i32, buffer = @a, dram_offset = 0 : i64, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64} : () -> ()
  }) {sym_name = "main"} : () -> ()
}) : () -> ()

// CHECK:      vta.program @main {
// CHECK-NEXT:   vta.load @x[0] {memory_type = 2 : i32, y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.load inp @x {dram_offset = 1 : i32, y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.alu {alu_opcode = 3 : i32, uop_end = 1, iter_out = 1, iter_in = 1}
// CHECK-NEXT:   vta.alu {alu_opcode = 0 : index, uop_end = 1, iter_out = 1, iter_in = 1}
// CHECK-NEXT:   vta.store @a[0] {memory_type = 4 : i32, y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT: }

// GENERIC:      "vta.load"() {buffer = @x, dram_offset = 0 : i64, memory_type = 2 : i32, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
// GENERIC-NEXT: "vta.load"() {memory_type = 2 : i64, buffer = @x, dram_offset = 1 : i32, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
// GENERIC-NEXT: "vta.alu"() {alu_opcode = 3 : i32, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 1 : i64}
// GENERIC-NEXT: "vta.alu"() {alu_opcode = 0 : index, uop_end = 1 : i64, iter_out = 1 : i64, iter_in = 1 : i64}
// GENERIC-NEXT: "vta.store"() {buffer = @a, dram_offset = 0 : i64, memory_type = 4 : i32, y_size = 1 : i64, x_size = 1 : i64, x_stride = 1 : i64}
