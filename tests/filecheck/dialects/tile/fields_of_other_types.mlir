// An sram_offset of another type than i64 is not shown in brackets but kept in the attribute
// dictionary, which the custom syntax reads it back from: the same IR again.
// RUN: %roundtrip | filecheck %s
// RUN: %generic-roundtrip | filecheck %s
// RUN: vtac-opt %s | vtac-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

"func.func"() <{sym_name = "f", function_type = (memref<64x1x16xi8>, index) -> ()}> ({
^bb0(%x: memref<64x1x16xi8>, %i: index):
  %acc = "memref.alloc"() <{operandSegmentSizes = array<i32: 0, 0>}> : () -> memref<64x1x16xi32, #tile.mem<acc>>
  "tile.dma_load"(%x, %i, %acc) {sram_offset = 2 : i32, y_size = 1 : i64, x_size = 4 : i64, x_stride = 4 : i64} : (memref<64x1x16xi8>, index, memref<64x1x16xi32, #tile.mem<acc>>) -> ()
  "tile.dma_store"(%acc, %x, %i) {sram_offset = 0 : index, y_size = 1 : i64, x_size = 4 : i64, x_stride = 4 : i64} : (memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8>, index) -> ()
  "func.return"() : () -> ()
}) : () -> ()

// CHECK:      tile.dma_load %x[%i] -> %acc {sram_offset = 2 : i32, y_size = 1, x_size = 4, x_stride = 4} : memref<64x1x16xi8>, memref<64x1x16xi32, #tile.mem<acc>>
// CHECK-NEXT: tile.dma_store %acc -> %x[%i] {sram_offset = 0 : index, y_size = 1, x_size = 4, x_stride = 4} : memref<64x1x16xi32, #tile.mem<acc>>, memref<64x1x16xi8>

// GENERIC:      "tile.dma_load"(%x, %i, %acc) {sram_offset = 2 : i32, y_size = 1 : i64, x_size = 4 : i64, x_stride = 4 : i64}
// GENERIC-NEXT: "tile.dma_store"(%acc, %x, %i) {sram_offset = 0 : index, y_size = 1 : i64, x_size = 4 : i64, x_stride = 4 : i64}
