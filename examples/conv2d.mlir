// A 3x3 convolution with ResNet-18's C2 shape (64 input and output channels on 56x56,
// stride 1, padding 1 on every side) and the requantizing epilogue: shift right by 8,
// per-channel bias, clip to [0, 127] (ReLU and saturation in one), cast to int8.
func.func @conv2d(%x: tensor<1x64x56x56xi8>, %w: tensor<64x64x3x3xi8>, %bias: tensor<64xi32>) -> tensor<1x64x56x56xi8> {
  %acc = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>
  %shifted = nn.shr %acc {amount = 8 : i64} : (tensor<1x64x56x56xi32>) -> tensor<1x64x56x56xi32>
  %biased = nn.add %shifted, %bias : (tensor<1x64x56x56xi32>, tensor<64xi32>) -> tensor<1x64x56x56xi32>
  %clipped = nn.clip %biased {min = 0 : i64, max = 127 : i64} : (tensor<1x64x56x56xi32>) -> tensor<1x64x56x56xi32>
  %y = nn.cast %clipped {mode = "wrap"} : (tensor<1x64x56x56xi32>) -> tensor<1x64x56x56xi8>
  func.return %y : tensor<1x64x56x56xi8>
}
