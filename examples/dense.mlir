// A dense layer, y = x W^T, requantized to int8: shift, per-output bias, clip, cast.
func.func @dense(%x: tensor<16x256xi8>, %w: tensor<128x256xi8>, %bias: tensor<128xi32>) -> tensor<16x128xi8> {
  %acc = nn.dense %x, %w : (tensor<16x256xi8>, tensor<128x256xi8>) -> tensor<16x128xi32>
  %shifted = nn.shr %acc {amount = 8 : i64} : (tensor<16x128xi32>) -> tensor<16x128xi32>
  %biased = nn.add %shifted, %bias : (tensor<16x128xi32>, tensor<128xi32>) -> tensor<16x128xi32>
  %clipped = nn.clip %biased {min = -128 : i64, max = 127 : i64} : (tensor<16x128xi32>) -> tensor<16x128xi32>
  %y = nn.cast %clipped {mode = "wrap"} : (tensor<16x128xi32>) -> tensor<16x128xi8>
  func.return %y : tensor<16x128xi8>
}
