// RUN: echo '{"TARGET": "sim", "LOG_INP_WIDTH": 3, "LOG_WGT_WIDTH": 3, "LOG_ACC_WIDTH": 5, "LOG_BATCH": 0, "LOG_BLOCK": 4, "LOG_UOP_BUFF_SIZE": 15, "LOG_INP_BUFF_SIZE": 18, "LOG_WGT_BUFF_SIZE": 22, "LOG_ACC_BUFF_SIZE": 10}' > %t.json
// RUN: not vtac-opt %s -p 'vtac-isel{config="%t.json" embedding=fixed},vtac-layout,vtac-tile{tiles="block_in=16384" vthreads=1}' 2>&1 | filecheck %s

// Forced tiles with a loop of more iterations than an instruction's 14-bit count holds: 16384
// input blocks in one tile. Every loop indexes the accumulator or the weights, so only a
// configuration with 16384-entry input and weight buffers (and a 16-entry accumulator, for
// the micro-op and GEMM fields to fit) gets this far: the tile fits both buffers exactly. The
// fixed embedding spares vtac-isel costing the CP-SAT one against it on this huge walk.
func.func @dense(%x: tensor<1x262144xi8>, %w: tensor<16x262144xi8>) -> tensor<1x16xi32> {
  %y = nn.dense %x, %w : (tensor<1x262144xi8>, tensor<16x262144xi8>) -> tensor<1x16xi32>
  func.return %y : tensor<1x16xi32>
}
// CHECK: vtac-opt: error: the forced tile sizes break a limit: tile of block_in exceeds 16383 loop iterations (tiles batch=1, block_out=1, block_in=16384, vthreads=1)
