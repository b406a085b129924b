// User errors print `vtac-opt: error:` and a location, and exit with status 1.
// RUN: not vtac-opt %s 2>&1 | filecheck %s --check-prefix=VERIFY
// RUN: vtac-opt %s --verify-diagnostics | filecheck %s --check-prefix=DIAG
// RUN: not vtac-opt %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not vtac-opt %s -p 'vtac-isel{embedding=' 2>&1 | filecheck %s --check-prefix=SPEC
// RUN: not vtac-opt %s -p 'vtac-isel{colour=red}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not vtac-opt %s.missing 2>&1 | filecheck %s --check-prefix=MISSING

vta.program @p {
  vta.gemm {uop_bgn = 3, uop_end = 2}
}

// VERIFY:      vtac-opt: error: uop_bgn must not exceed uop_end
// VERIFY:      vta.gemm
// VERIFY-NEXT: ^^^^^^^^
// VERIFY-NOT:  Traceback

// DIAG: uop_bgn must not exceed uop_end

// PASS:   vtac-opt: error: Unrecognized passes: ['no-such-pass']
// SPEC:   vtac-opt: error: Error parsing pass pipeline specification:
// SPEC:   pass-pipeline:1:21
// OPTION: vtac-opt: error: Provided arguments ["colour"] not found
// MISSING: vtac-opt: error: cannot open {{.*}}errors.mlir.missing: No such file or directory
