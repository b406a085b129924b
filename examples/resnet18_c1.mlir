// ResNet-18 layer C1 (3 input channels, 7x7, stride 2) with the requantizing epilogue.
// vtac folds (ic, kh, kw) onto BLOCK_IN (im2col) instead of padding 3 channels to 16.
func.func @conv(%x: tensor<1x3x224x224xi8>, %w: tensor<64x3x7x7xi8>, %b: tensor<64xi32>) -> tensor<1x64x112x112xi8> {
  %a = nn.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x3x224x224xi8>, tensor<64x3x7x7xi8>) -> tensor<1x64x112x112xi32>
  %s = nn.shr %a {amount = 8 : i64} : (tensor<1x64x112x112xi32>) -> tensor<1x64x112x112xi32>
  %d = nn.add %s, %b : (tensor<1x64x112x112xi32>, tensor<64xi32>) -> tensor<1x64x112x112xi32>
  %e = nn.clip %d {min = 0 : i64, max = 127 : i64} : (tensor<1x64x112x112xi32>) -> tensor<1x64x112x112xi32>
  %o = nn.cast %e {mode = "wrap"} : (tensor<1x64x112x112xi32>) -> tensor<1x64x112x112xi8>
  func.return %o : tensor<1x64x112x112xi8>
}
