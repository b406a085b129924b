// -p runs vtac's passes and xDSL's own, in order, with their options.
// RUN: vtac-opt %s -p 'canonicalize,vtac-isel{embedding=fixed}' | filecheck %s
// RUN: vtac-opt %s -p 'vtac-isel{config=batch2}' | filecheck %s --check-prefix=CONFIG

func.func @dense(%x: tensor<4x32xi8>, %w: tensor<16x32xi8>) -> tensor<4x16xi32> {
  %a = arith.constant 2 : i64
  %b = arith.constant 3 : i64
  %unused = arith.addi %a, %b : i64
  %y = nn.dense %x, %w : (tensor<4x32xi8>, tensor<16x32xi8>) -> tensor<4x16xi32>
  func.return %y : tensor<4x16xi32>
}

// canonicalize erased the dead arithmetic; vtac-isel recorded the fixed embedding
// CHECK:      func.func @dense(
// CHECK-NOT:  arith.
// CHECK-NEXT: nn.dense %x, %w {vtac.embedding = {
// CHECK-NEXT: func.return

// CONFIG: builtin.module attributes {vta.config = {{{.*}}LOG_BATCH = 1 : i64
