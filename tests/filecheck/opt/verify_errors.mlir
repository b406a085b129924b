// Verifier errors name the failing op's file, line and column (the innermost op, in any
// dialect, in every chunk of a split file) and show its source line. Verification runs once
// the whole module is parsed: the vta.load below fails only for the module's configuration.
// RUN: not vtac-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=FIRST
// RUN: vtac-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f(%x: tensor<2xi32>) -> tensor<2xi8> {
  func.return %x : tensor<2xi32>
}
// FIRST:      verify_errors.mlir:8:3: error: func.return: Expected arguments to have the same types as the function output types
// FIRST-NEXT:   func.return %x : tensor<2xi32>
// FIRST-NEXT:   ^
// FIRST-NOT:  error
// CHECK:      verify_errors.mlir:8:3: error: func.return: Expected arguments

// -----

func.func @tile(%y: memref<4x1x16xi8>) {
  %acc = memref.alloc() : memref<64x1x16xi32, #tile.mem<acc>>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c4 step %c1 {
    tile.dma_store %acc[0] -> %y[%i] {y_size = 1, x_size = 5, x_stride = 1} : memref<64x1x16xi32, #tile.mem<acc>>, memref<4x1x16xi8>
  }
  func.return
}
// CHECK:      verify_errors.mlir:24:5: error: tile.dma_store: the pattern spans 5 DRAM elements; the memref holds 4
// CHECK-NEXT:     tile.dma_store %acc[0]
// CHECK-NEXT:     ^

// -----

builtin.module attributes {vta.config = {LOG_INP_BUFF_SIZE = 13 : i64}} {
  vta.buffer @x {role = "input", size = 256}
  vta.program @p {
    vta.load inp @x[0] {sram_base = 1000, y_size = 1, x_size = 1, x_stride = 1}
  }
}
// CHECK:      verify_errors.mlir:37:5: error: vta.load: SRAM entries [1000, 1001) exceed the INP buffer's 512 entries
// CHECK-NEXT:     vta.load inp @x[0]
// CHECK-NEXT:     ^

// -----

vta.program @p {
  vta.finish
  vta.gemm
}
// CHECK:      verify_errors.mlir:46:1: error: vta.program: vta.finish must be the last instruction (it is 1 of 2)
// CHECK-NEXT: vta.program @p {
// CHECK-NEXT: ^

// -----

"builtin.module"() ({
  "func.func"() <{sym_name = "g", function_type = () -> ()}> ({
  ^bb0:
  }) : () -> ()
}) : () -> ()
// CHECK:      verify_errors.mlir:57:3: error: func.func: Operation func.func contains empty block in single-block region that expects at least a terminator
// CHECK-NEXT:   "func.func"()
// CHECK-NEXT:   ^
