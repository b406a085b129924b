// A malformed input reports the file, line and column, and exits with status 1.
// RUN: not vtac-opt %s 2>&1 | filecheck %s
// RUN: not vtac-opt %s --split-input-file 2>&1 | filecheck %s

vta.program @p {
  vta.load inp @a[0 {y_size = 1}
}

// CHECK:      {{^.*}}parse_error.mlir:6:21: error: Expected ']'
// CHECK-NEXT:   vta.load inp @a[0 {y_size = 1}
// CHECK-NEXT:                     ^
// CHECK-NOT: Traceback
