# The example's single micro-op: accumulator entry 0, input entry 0, weight entry 0.
0: dst_idx=0 src_idx=0 wgt_idx=0
