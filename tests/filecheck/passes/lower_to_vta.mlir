// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=4" vthreads=2 acc_threads=2 refine_layouts=false head=none tail=none},vtac-lower-to-vta' | filecheck %s
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=4,block_out=1,block_in=4" vthreads=2 acc_threads=2 refine_layouts=false head=none tail=none},vtac-lower-to-vta' | filecheck %s --check-prefix=NODEPS

// A dense layer with its epilogue, tiled by output-channel block on two virtual threads: the
// second thread's tile lives in the upper half of every buffer (inp and acc from entry 1024,
// wgt from 512). Accumulators start with a GEMM reset; the bias is one ACC load that serves
// both threads; the epilogue runs as ALU instructions; the micro-op kernels fit in the buffer
// together, so one LOAD brings all of them first and none is reloaded.
func.func @dense(%x: tensor<4x64xi8>, %w: tensor<32x64xi8>, %bias: tensor<32xi32>) -> tensor<4x32xi8> {
  %acc = nn.dense %x, %w : (tensor<4x64xi8>, tensor<32x64xi8>) -> tensor<4x32xi32>
  %shifted = nn.shr %acc {amount = 8 : i64} : (tensor<4x32xi32>) -> tensor<4x32xi32>
  %biased = nn.add %shifted, %bias : (tensor<4x32xi32>, tensor<32xi32>) -> tensor<4x32xi32>
  %clipped = nn.clip %biased {min = -128 : i64, max = 127 : i64} : (tensor<4x32xi32>) -> tensor<4x32xi32>
  %y = nn.cast %clipped {mode = "wrap"} : (tensor<4x32xi32>) -> tensor<4x32xi8>
  func.return %y : tensor<4x32xi8>
}
// CHECK:      builtin.module {
// CHECK-NEXT:   vta.buffer @x {role = "input", size = 256, dtype = "int8", shape = array<i64: 4, 64>, layout = "n=4, k=64 | dims [n, k] | outer [n, #block_in] | lanes [batch 1 (), block_in 16 (k)]"}
// CHECK-NEXT:   vta.buffer @w {role = "input", size = 2048, dtype = "int8", shape = array<i64: 32, 64>
// CHECK-NEXT:   vta.buffer @bias {role = "input", size = 128, dtype = "int32", shape = array<i64: 32>
// CHECK-NEXT:   vta.buffer @result {role = "output", size = 128, dtype = "int8", shape = array<i64: 4, 32>
// CHECK-NEXT:   vta.uop_kernel @dense_uops [(0, 0, 0), (0, 4, 0), (1024, 0, 0), (1024, 1024, 512), (1024, 1024, 0), (1024, 5, 0)]
// CHECK-NEXT:   vta.program @dense {
// CHECK-NEXT:     vta.load uop @dense_uops[0] {y_size = 1, x_size = 6, x_stride = 6}
// CHECK-NEXT:     vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 4, iter_in = 1, dst_factor_out = 1}
// CHECK-NEXT:     vta.load acc @bias[0] {sram_base = 4, y_size = 1, x_size = 2, x_stride = 2}
// CHECK-NEXT:     vta.load inp @x[0] {y_size = 1, x_size = 16, x_stride = 16}
// CHECK-NEXT:     vta.load wgt @w[0] {y_size = 1, x_size = 4, x_stride = 4}
// CHECK-NEXT:     vta.gemm {uop_end = 1, iter_out = 4, iter_in = 4, dst_factor_in = 1, src_factor_out = 1, src_factor_in = 4, wgt_factor_out = 1}
// CHECK-NEXT:     vta.alu shr {uop_end = 1, iter_out = 4, iter_in = 1, dst_factor_out = 1, src_factor_out = 1, use_imm = 1, imm = 8}
// CHECK-NEXT:     vta.alu add {uop_bgn = 1, uop_end = 2, iter_out = 4, iter_in = 1, dst_factor_out = 1}
// CHECK-NEXT:     vta.alu min {{.*}} use_imm = 1, imm = 127}
// CHECK-NEXT:     vta.alu max {{.*}} use_imm = 1, imm = -128}
// CHECK-NEXT:     vta.store out @result[0] {y_size = 4, x_size = 1, x_stride = 2}
// CHECK-NOT:      vta.load uop
// CHECK-NOT:      vta.load acc
// CHECK:          vta.load wgt @w[4] {sram_base = 512, y_size = 1, x_size = 4, x_stride = 4}
// CHECK:          vta.alu add {uop_bgn = 5, uop_end = 6, iter_out = 4, iter_in = 1, dst_factor_out = 1}
// CHECK:          vta.store out @result[1] {sram_base = 1024, y_size = 4, x_size = 1, x_stride = 2}
// CHECK-NEXT:     vta.finish
// CHECK-NEXT:   }
// CHECK-NEXT: }

// Dependency flags come later (vtac-insert-deps).
// NODEPS-NOT: _dep
