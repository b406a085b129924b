// RUN: not vtac-opt %s -p 'vtac-isel{embedding=fixed},vtac-layout,vtac-tile{tiles="batch=4,block_out=8,oh=8,ow=8,block_in=2,kh=8,kw=8" vthreads=1}' 2>&1 | filecheck %s

// Forced tiles whose GEMM needs more micro-ops than the kernel budget: the two largest tile
// loops (8 and 8) fold into iter_out/iter_in, the other five enumerate 4*8*2*8*8 = 4096
// micro-ops; the budget is 2048 (the Chisel design's micro-op buffer). Every buffer fits:
// input 4*2*15*15 = 1800 of 2048 entries, weights 8*2*8*8 = 1024 of 1024, accumulator
// 4*8*8*8 = 2048 of 2048.
func.func @conv(%x: tensor<4x32x15x15xi8>, %w: tensor<128x32x8x8xi8>) -> tensor<4x128x8x8xi32> {
  %y = nn.conv2d %x, %w {strides = [1, 1], padding = [0, 0, 0, 0]} : (tensor<4x32x15x15xi8>, tensor<128x32x8x8xi8>) -> tensor<4x128x8x8xi32>
  func.return %y : tensor<4x128x8x8xi32>
}
// CHECK: vtac-opt: error: the forced tile sizes break a limit: GEMM micro-op kernel exceeds 2048 micro-ops (tiles batch=4, block_out=8, oh=8, ow=8, block_in=2, kh=8, kw=8, vthreads=1)
