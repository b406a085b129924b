// RUN: vtac-opt %s -p vtac-isel,vtac-layout,vtac-tile | filecheck %s
// RUN: vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="block_in=2" vthreads=2}' | filecheck %s --check-prefix=FORCED
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="block_in=65"}' 2>&1 | filecheck %s --check-prefix=RANGE
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="q=1"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not vtac-opt %s -p 'vtac-isel,vtac-layout,vtac-tile{tiles="n=512,block_in=64" vthreads=1}' 2>&1 | filecheck %s --check-prefix=LIMIT
// RUN: not vtac-opt %s -p vtac-tile 2>&1 | filecheck %s --check-prefix=ORDER

// The whole problem fits on chip: one tile per loop. Loops are the blocked ones (block_in
// counts 16-wide blocks of k).
func.func @dense(%x: tensor<512x1024xi8>, %w: tensor<64x1024xi8>) -> tensor<512x64xi32> {
  %y = nn.dense %x, %w : (tensor<512x1024xi8>, tensor<64x1024xi8>) -> tensor<512x64xi32>
  func.return %y : tensor<512x64xi32>
}
// CHECK:      vtac.schedule = {tiles = {n = [[N:[0-9]+]] : i64, block_out = [[O:[0-9]+]] : i64, block_in = [[I:[0-9]+]] : i64}, order = [{{.*}}], vthreads = {{[12]}} : i64, est_cycles = {{[0-9]+}} : i64, est_dram_bytes = {{[0-9]+}} : i64}
// FORCED:     vtac.schedule = {tiles = {n = {{[0-9]+}} : i64, block_out = {{[0-9]+}} : i64, block_in = 2 : i64}, order = [{{.*}}], vthreads = 2 : i64
// RANGE:      vtac-opt: error: forced tile block_in=65 is outside [1, 64] (the loop's extent)
// UNKNOWN:    vtac-opt: error: forced tile for unknown loop 'q'; loops: n, block_out, block_in
// LIMIT:      vtac-opt: error: the forced tile sizes break a limit: input tile exceeds 2048 entries (tiles n=512, block_out={{[0-9]+}}, block_in=64, vthreads=1)
// ORDER:      vtac-opt: error: nn.dense has no vtac.embedding: run vtac-isel first
