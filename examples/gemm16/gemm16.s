# A 16x16x16 int8 GEMM followed by a shift right by 4 and a clip to [-128, 127],
# hand-written for VTA's default configuration (1x16_i8w8a32_15_15_18_17).
#
#   C = clip((A @ W^T) >> 4, -128, 127)     A, W: int8 [16, 16]    C: int8 [16, 16]
#
# DRAM arena (byte offsets; dram_base is in elements of each memory type):
#   micro-ops   0     (UOP elements are 4 bytes:    dram_base 0)
#   A         256     (INP elements are 16 bytes:   dram_base 16)   row m is one element
#   W         512     (WGT elements are 256 bytes:  dram_base 2)    one 16x16 block
#   C         768     (OUT elements are 16 bytes:   dram_base 48)
#
# One micro-op (dst 0, src 0, wgt 0) walks all 16 rows through iter_in with factor 1.

0: LOAD memory_type=UOP sram_base=0 dram_base=0 y_size=1 x_size=1 x_stride=1
1: LOAD memory_type=INP sram_base=0 dram_base=16 y_size=1 x_size=16 x_stride=16
# the last load tells the compute module that A and W are on chip
2: LOAD memory_type=WGT sram_base=0 dram_base=2 y_size=1 x_size=1 x_stride=1 push_next_dep=1
3: GEMM reset_reg=1 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1
4: GEMM pop_prev_dep=1 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
5: ALU alu_opcode=SHR use_imm=1 imm=4 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
6: ALU alu_opcode=MIN use_imm=1 imm=127 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1
# the last ALU tells the store module that C is ready
7: ALU alu_opcode=MAX use_imm=1 imm=-128 uop_bgn=0 uop_end=1 iter_out=1 iter_in=16 dst_factor_in=1 src_factor_in=1 push_next_dep=1
8: STORE memory_type=OUT pop_prev_dep=1 push_prev_dep=1 sram_base=0 dram_base=48 y_size=1 x_size=16 x_stride=16
# end of program: a compute no-op waits for the store, then FINISH
9: LOAD memory_type=UOP pop_next_dep=1
10: FINISH
