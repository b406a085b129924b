// RUN: vtac-opt %s -t vta-asm | filecheck %s
// RUN: vtac-opt %s -t vta-asm > %t.s && vtac asm %t.s -o %t.bin && vtac disasm %t.bin | filecheck %s --check-prefix=ROUND
// RUN: rm -rf %t.img && vtac asm %t.s --image -o %t.img && vtac disasm %t.img | filecheck %s --check-prefix=ROUND
// RUN: vtac disasm %t.img --uops | filecheck %s --check-prefix=UOPS

// The backend places buffers 256-byte aligned in module order, then the micro-op kernels, and
// turns each @buffer[offset] into a dram_base in the buffer's element size (16-byte inputs,
// 256-byte weights, 16-byte outputs, 4-byte micro-ops). The assembly declares that arena with
// .buffer directives and .uops blocks and keeps the references symbolic (dram_base=@x+1), so
// vtac asm --image rebuilds the same layout, instructions and micro-ops.
builtin.module {
  vta.buffer @x {role = "input", size = 32}
  vta.buffer @w {role = "input", size = 256}
  vta.buffer @y {role = "output", size = 32}
  vta.uop_kernel @k [(0, 0, 0), (1, 1, 0)]
  vta.program @main {
    vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1}
    vta.load inp @x[1] {sram_base = 1, y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
    vta.load uop @k[0] {y_size = 1, x_size = 2, x_stride = 2}
    vta.gemm {uop_end = 2, iter_out = 1, iter_in = 1, pop_prev_dep = 1, push_next_dep = 1}
    vta.store out @y[0] {y_size = 1, x_size = 2, x_stride = 2, pop_prev_dep = 1, push_prev_dep = 1}
    vta.load uop {pop_next_dep = 1}
    vta.finish
  }
}
// CHECK:      # vta.program @main
// CHECK:      .buffer x input int8 32  # bytes [0, 32)
// CHECK-NEXT: .buffer w input int8 256  # bytes [256, 512)
// CHECK-NEXT: .buffer y output int8 32  # bytes [512, 544)
// CHECK-NEXT: .uops k  # bytes [768, 776)
// CHECK-NEXT:   0: dst_idx=0 src_idx=0 wgt_idx=0
// CHECK-NEXT:   1: dst_idx=1 src_idx=1 wgt_idx=0
// CHECK-NEXT: 0: LOAD {{.*}} memory_type=WGT sram_base=0 dram_base=@w y_size=1 x_size=1
// CHECK-NEXT: 1: LOAD {{.*}} push_next_dep=1 memory_type=INP sram_base=1 dram_base=@x+1 y_size=1
// CHECK-NEXT: 2: LOAD {{.*}} memory_type=UOP sram_base=0 dram_base=@k y_size=1 x_size=2
// CHECK-NEXT: 3: GEMM pop_prev_dep=1 {{.*}} push_next_dep=1 reset_reg=0 uop_bgn=0 uop_end=2
// CHECK-NEXT: 4: STORE pop_prev_dep=1 pop_next_dep=0 push_prev_dep=1 push_next_dep=0 memory_type=OUT sram_base=0 dram_base=@y y_size=1
// CHECK-NEXT: 5: LOAD pop_prev_dep=0 pop_next_dep=1 {{.*}} memory_type=UOP {{.*}} dram_base=0 y_size=0 x_size=0
// CHECK-NEXT: 6: FINISH

// ROUND:      0: LOAD {{.*}} memory_type=WGT sram_base=0 dram_base=1 y_size=1 x_size=1
// ROUND-NEXT: 1: LOAD {{.*}} memory_type=INP sram_base=1 dram_base=1 y_size=1
// ROUND-NEXT: 2: LOAD {{.*}} memory_type=UOP sram_base=0 dram_base=192 y_size=1 x_size=2
// ROUND-NEXT: 3: GEMM
// ROUND-NEXT: 4: STORE {{.*}} memory_type=OUT sram_base=0 dram_base=32 y_size=1
// ROUND:      6: FINISH

// UOPS:      # buffer k
// UOPS-NEXT: 0: dst_idx=0 src_idx=0 wgt_idx=0
// UOPS-NEXT: 1: dst_idx=1 src_idx=1 wgt_idx=0
