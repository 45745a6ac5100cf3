# Shared by scripts/fuzz and scripts/fuzz-campaign (sourced, not run): builds the
# libFuzzer binaries with coverage instrumentation on the stable toolchain and writes the
# seed corpora. See docs/FUZZING.md.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The instrumented build has a target dir of its own (different RUSTFLAGS).
fuzz_target_dir="${KENPO_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
host="$(rustc -vV | sed -n 's/^host: //p')"
all_targets=(ber cms cert crl ocsp tsa_request tsa_response pdf xml)

# SanitizerCoverage through stable rustc codegen flags (what cargo-fuzz passes, minus the
# nightly-only -Zsanitizer): inline 8-bit counters + PC table for libFuzzer's coverage,
# trace-compares for its value profile; --cfg fuzzing for libfuzzer-sys. (Debug assertions
# and overflow checks are on in fuzz/libfuzzer's release profile.) `--target` keeps the
# flags off build scripts and proc macros.
fuzz_rustflags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"

fuzz_build() {
  echo "== building the fuzz targets (instrumented, $fuzz_target_dir)"
  (cd "$root/fuzz/libfuzzer" &&
    RUSTFLAGS="$fuzz_rustflags" CARGO_TARGET_DIR="$fuzz_target_dir" \
      cargo build --release --locked --target "$host" --bins) || {
    echo "error: the fuzz build failed; if fuzz/libfuzzer/Cargo.lock is stale, refresh it" \
      "from the workspace's (docs/FUZZING.md, 'Its lock file')" >&2
    return 1
  }
  fuzz_bin_dir="$fuzz_target_dir/$host/release"
}

# fuzz_seeds DIR: writes DIR/<target>/ (generated inputs, plus ../shared when present).
fuzz_seeds() {
  local shared=()
  [ -d "$root/../shared/conformance" ] && shared=("$root/../shared")
  echo "== writing seed corpora to $1"
  # Built as scripts/test builds it (same features: nothing to compile after a test run).
  (cd "$root" && cargo build -q --workspace --all-features --examples)
  "${CARGO_TARGET_DIR:-$root/target}/debug/examples/seeds" "$1" "${shared[@]}"
}

# fuzz_check_instrumented LOG: fails unless libFuzzer saw coverage counters.
fuzz_check_instrumented() {
  local n
  n="$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$1" | head -1)"
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then
    echo "error: the fuzz binary has no coverage counters (instrumentation missing); see $1" >&2
    return 1
  fi
  echo "   instrumented: $n inline 8-bit counters"
}

fuzz_how_to_keep() {
  local target="$1" artifact="$2"
  cat >&2 <<MSG
   input saved: $artifact
   reproduce:   $fuzz_bin_dir/$target $artifact
   minimise:    $fuzz_bin_dir/$target -minimize_crash=1 -runs=100000 -exact_artifact_path=$artifact.min $artifact
   keep it as a regression test (then fix the parser until it passes):
     cp $artifact.min fuzz/regressions/$target/<what-it-is>   # or the unminimised file
     cargo test -p kenpo-fuzz-targets --test regressions
MSG
}
