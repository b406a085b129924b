// RUN: not vtac-opt %s -p vtac-isel 2>&1 | filecheck %s
// RUN: not vtac-opt %s -p 'vtac-isel{embedding=magic}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not vtac-opt %s -p 'vtac-isel{config=nope}' 2>&1 | filecheck %s --check-prefix=CONFIG

func.func @f(%a: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %c = nn.clip %a {min = 0 : i64, max = 100000 : i64} : (tensor<4x16xi32>) -> tensor<4x16xi32>
  func.return %c : tensor<4x16xi32>
}
// CHECK: vtac-opt: error: nn.clip: clip maximum 100000 does not fit the ALU's 16-bit immediate
// OPTION: embedding must be 'auto' or 'fixed', got 'magic'
// CONFIG: config: no shipped configuration named 'nope'
