// RUN: not vtac-opt %s -p vtac-insert-deps 2>&1 | filecheck %s

// A GEMM whose micro-ops were never loaded cannot be ordered.
vta.program @main {
  vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1}
}
// CHECK: vtac-opt: error: instruction 0: micro-ops [0, 1) were never loaded on chip
