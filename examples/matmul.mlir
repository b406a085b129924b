// C = A B with int8 operands and int32 results; M = 35 and K = 100 are not multiples of 16.
func.func @matmul(%a: tensor<35x100xi8>, %b: tensor<100x64xi8>) -> tensor<35x64xi32> {
  %c = nn.matmul %a, %b : (tensor<35x100xi8>, tensor<100x64xi8>) -> tensor<35x64xi32>
  func.return %c : tensor<35x64xi32>
}
