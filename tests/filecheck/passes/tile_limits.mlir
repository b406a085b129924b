// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=512,block_in=64" vthreads=1}' 2>&1 | filecheck %s

// Forced tile sizes that overflow an on-chip buffer are refused, naming the limit and the
// numbers: 512 rows of 64 input blocks are 32768 input entries, the buffer holds 2048.
func.func @dense(%x: tensor<512x1024xi8>, %w: tensor<64x1024xi8>) -> tensor<512x64xi32> {
  %y = nn.dense %x, %w : (tensor<512x1024xi8>, tensor<64x1024xi8>) -> tensor<512x64xi32>
  func.return %y : tensor<512x64xi32>
}
// CHECK: vtac-opt: error: the forced tile sizes break a limit: input tile exceeds 2048 entries (tiles n=512, block_out={{[0-9]+}}, block_in=64, vthreads=1)
