// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=512,block_out=8,block_in=1" vthreads=1}' 2>&1 | filecheck %s

// Forced tiles whose results overflow the accumulator: 512 rows of 8 output blocks are 4096
// entries, the buffer holds 2048 (the input tile, 512 entries, and the weights, 8, fit).
func.func @dense(%x: tensor<512x16xi8>, %w: tensor<128x16xi8>) -> tensor<512x128xi32> {
  %y = nn.dense %x, %w : (tensor<512x16xi8>, tensor<128x16xi8>) -> tensor<512x128xi32>
  func.return %y : tensor<512x128xi32>
}
// CHECK: vtac-opt: error: the forced tile sizes break a limit: accumulator tile exceeds 2048 entries (tiles n=512, block_out=8, block_in=1, vthreads=1)
