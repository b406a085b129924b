// RUN: not vtac-opt %s -p vtac-lower-to-vta 2>&1 | filecheck %s

// vtac-lower-to-vta lowers tile kernels: nn ops left in its input are an error naming the op,
// not a module returned unchanged.
func.func @dense(%x: tensor<16x64xi8>, %w: tensor<32x64xi8>) -> tensor<16x32xi32> {
  %y = nn.dense %x, %w : (tensor<16x64xi8>, tensor<32x64xi8>) -> tensor<16x32xi32>
  func.return %y : tensor<16x32xi32>
}

// CHECK: vtac-opt: error: nn.dense in @dense: vtac-lower-to-vta lowers tile kernels; run vtac-isel, vtac-layout and vtac-tile first
