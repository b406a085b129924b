// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=1,block_out=64,block_in=64" vthreads=1}' 2>&1 | filecheck %s
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=1,block_out=64,block_in=64" vthreads=2 acc_threads=1}' 2>&1 | filecheck %s --check-prefix=TWO

// Forced tiles whose weights overflow the weight buffer: 64 x 64 blocks are 4096 entries, the
// buffer holds 1024 (the input tile, 64 entries, and the accumulator tile, 64, fit). With two
// virtual threads each thread gets half the buffer (here with one accumulator part shared).
func.func @dense(%x: tensor<16x1024xi8>, %w: tensor<1024x1024xi8>) -> tensor<16x1024xi32> {
  %y = nn.dense %x, %w : (tensor<16x1024xi8>, tensor<1024x1024xi8>) -> tensor<16x1024xi32>
  func.return %y : tensor<16x1024xi32>
}
// CHECK: vtac-opt: error: the forced tile sizes break a limit: weight tile exceeds 1024 entries (tiles n=1, block_out=64, block_in=64, vthreads=1)
// TWO: vtac-opt: error: the forced tile sizes break a limit: weight tile exceeds 512 entries (tiles n=1, block_out=64, block_in=64, vthreads=2, acc_threads=1)
