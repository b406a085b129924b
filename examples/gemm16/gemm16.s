# A 16x16x16 int8 GEMM followed by a shift right by 4 and a clip to [-128, 127],
# hand-written for VTA's default configuration (1x16_i8w8a32_15_15_18_17).
#
#   C = clip((A @ W^T) >> 4, -128, 127)     A, W: int8 [16, 16]    C: int8 [16, 16]
#
# Build the program image and run it:
#   vtac asm examples/gemm16/gemm16.s --image -o /tmp/gemm16
#   vtac sim /tmp/gemm16 --stats --check out=examples/gemm16/expected.npy
#
# The DRAM arena, laid out in this order, each buffer on a 256-byte boundary:
.buffer uops uop uint32 1 uops.s        # bytes 0-3: the one micro-op
.buffer a input int8 16x16 a.npy        # bytes 256-511: row m of A is one 16-byte INP element
.buffer w weight int8 16x16 w.npy       # bytes 512-767: W is one 256-byte WGT element
.buffer out output int8 16x16           # bytes 768-1023: row m of C is one 16-byte OUT element
#
# dram_base is in elements of each instruction's memory type: @a is 256 / 16 = 16, @w is
# 512 / 256 = 2, @out is 768 / 16 = 48 (vtac disasm shows the numbers).
#
# One micro-op (dst 0, src 0, wgt 0) walks all 16 rows through iter_in with factor 1.

0: LOAD memory_type=UOP sram_base=0 dram_base=@uops y_size=1 x_size=1 x_stride=1
1: LOAD memory_type=INP sram_base=0 dram_base=@a y_size=1 x_size=16 x_stride=16
# the last load tells the compute module that A and W are on chip
2: LOAD memory_type=WGT sram_base=0 dram_base=@w y_size=1 x_size=1 x_stride=1 push_next_dep=1
3: GEMM reset_reg=1 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1
4: GEMM pop_prev_dep=1 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
5: ALU alu_opcode=SHR use_imm=1 imm=4 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
6: ALU alu_opcode=MIN use_imm=1 imm=127 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
# the last ALU tells the store module that C is ready
7: ALU alu_opcode=MAX use_imm=1 imm=-128 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1 push_next_dep=1
8: STORE memory_type=OUT pop_prev_dep=1 push_prev_dep=1 sram_base=0 dram_base=@out y_size=1 x_size=16 x_stride=16
# end of program: a compute no-op waits for the store, then FINISH
9: LOAD memory_type=UOP pop_next_dep=1
10: FINISH
