// Errors in the input print `FILE:LINE:COL: error:` with the source line, other user errors
// `vtac-opt: error:`; both exit with status 1.
// RUN: not vtac-opt %s 2>&1 | filecheck %s --check-prefix=VERIFY
// RUN: vtac-opt %s --verify-diagnostics | filecheck %s --check-prefix=DIAG
// RUN: not vtac-opt %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not vtac-opt %s -p 'vtac-isel{embedding=' 2>&1 | filecheck %s --check-prefix=SPEC
// RUN: not vtac-opt %s -p 'vtac-isel{colour=red}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not vtac-opt %s.missing 2>&1 | filecheck %s --check-prefix=MISSING

vta.program @p {
  vta.gemm {uop_bgn = 3, uop_end = 2}
}

// VERIFY:      errors.mlir:11:3: error: vta.gemm: uop_bgn must not exceed uop_end
// VERIFY-NEXT:   vta.gemm {uop_bgn = 3, uop_end = 2}
// VERIFY-NEXT:   ^
// VERIFY-NOT:  Traceback

// DIAG: errors.mlir:11:3: error: vta.gemm: uop_bgn must not exceed uop_end

// PASS:   vtac-opt: error: Unrecognized passes: ['no-such-pass']
// SPEC:   vtac-opt: error: Error parsing pass pipeline specification:
// SPEC:   pass-pipeline:1:21
// OPTION: vtac-opt: error: Provided arguments ["colour"] not found
// MISSING: vtac-opt: error: cannot open {{.*}}errors.mlir.missing: No such file or directory
