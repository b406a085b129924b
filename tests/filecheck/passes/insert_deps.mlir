// RUN: vtac-opt %s -p vtac-insert-deps --split-input-file | filecheck %s

// Load, compute, store: the weight load (the last load) hands over to the GEMM, the GEMM to
// the store, and the program ends with a compute no-op waiting for the store, then FINISH.
// Flags already present are recomputed.
vta.buffer @x {role = "input", size = 16}
vta.buffer @w {role = "input", size = 256}
vta.buffer @y {role = "output", size = 16}
vta.uop_kernel @k [(0, 0, 0)]
vta.program @main {
  vta.load inp @x[0] {y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
  vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1}
  vta.load uop @k[0] {y_size = 1, x_size = 1, x_stride = 1}
  vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 1, iter_in = 1}
  vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1}
  vta.store out @y[0] {y_size = 1, x_size = 1, x_stride = 1}
  vta.finish
}
// CHECK:      vta.program @main {
// CHECK-NEXT:   vta.load inp @x[0] {y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
// CHECK-NEXT:   vta.load uop @k[0] {y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 1, iter_in = 1}
// CHECK-NEXT:   vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1, pop_prev_dep = 1, push_next_dep = 1}
// CHECK-NEXT:   vta.store out @y[0] {y_size = 1, x_size = 1, x_stride = 1, pop_prev_dep = 1, push_prev_dep = 1}
// CHECK-NEXT:   vta.load uop {pop_next_dep = 1}
// CHECK-NEXT:   vta.finish
// CHECK-NEXT: }

// -----

// Write-after-read: the second input load reuses entry 0, so it waits until the GEMM that
// read the first one is done (a compute->load token).
vta.buffer @x {role = "input", size = 32}
vta.buffer @w {role = "input", size = 256}
vta.buffer @y {role = "output", size = 32}
vta.uop_kernel @k [(0, 0, 0), (1, 0, 0)]
vta.program @main {
  vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1}
  vta.load inp @x[0] {y_size = 1, x_size = 1, x_stride = 1}
  vta.load uop @k[0] {y_size = 1, x_size = 2, x_stride = 2}
  vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1}
  vta.load inp @x[1] {y_size = 1, x_size = 1, x_stride = 1}
  vta.gemm {uop_bgn = 1, uop_end = 2, iter_out = 1, iter_in = 1}
  vta.store out @y[0] {y_size = 1, x_size = 2, x_stride = 2}
}
// CHECK:      vta.program @main {
// CHECK-NEXT:   vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1}
// CHECK-NEXT:   vta.load inp @x[0] {y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
// CHECK-NEXT:   vta.load uop @k[0] {y_size = 1, x_size = 2, x_stride = 2}
// CHECK-NEXT:   vta.gemm {uop_end = 1, iter_out = 1, iter_in = 1, pop_prev_dep = 1, push_prev_dep = 1}
// CHECK-NEXT:   vta.load inp @x[1] {y_size = 1, x_size = 1, x_stride = 1, pop_next_dep = 1, push_next_dep = 1}
// CHECK-NEXT:   vta.gemm {uop_bgn = 1, uop_end = 2, iter_out = 1, iter_in = 1, pop_prev_dep = 1, push_next_dep = 1}
// CHECK-NEXT:   vta.store out @y[0] {y_size = 1, x_size = 2, x_stride = 2, pop_prev_dep = 1, push_prev_dep = 1}
// CHECK-NEXT:   vta.load uop {pop_next_dep = 1}
// CHECK-NEXT:   vta.finish
// CHECK-NEXT: }

