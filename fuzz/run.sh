#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time (default 60 s), starting from the
# committed seed corpus in fuzz/corpus/<target>/. Inputs libFuzzer finds are written to
# fuzz/work/<target>/ (git-ignored), never into the committed seeds; libFuzzer's log goes to
# fuzz/work/<target>.log. A failing input is saved under fuzz/artifacts/<target>/, the end of the
# log is printed and the script exits non-zero.
#
#   fuzz/run.sh [seconds-per-target] [target...]
#
# With MCX_FUZZ_RECORD=1, each target that passes has its figures (executions, coverage, corpus)
# written into docs/testing.md's "fuzz-campaigns" table by fuzz/record.sh: how a long campaign
# is recorded.
#
# Needs the nightly toolchain and cargo-fuzz (`.ci/run` installs both when missing).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # The targets without AddressSanitizer last: switching the build flags rebuilds, once each.
  targets=(decode_any roundtrip c_api table_model client)
fi

# table_model and client exercise only the core, which forbids unsafe code, so they run without
# AddressSanitizer: about four times the executions per second (docs/testing.md). The others
# reach the C ABI's pointer code and keep it. table_model also runs without comparison tracing:
# its inputs pick identifiers from pools, so traced comparisons guide nothing, yet tracing the
# table's byte-wise loops took half its time (docs/testing.md).
flags() {
  case "$1" in
    table_model) echo "-s none --no-trace-compares" ;;
    client) echo "-s none" ;;
    *) echo "-s address" ;;
  esac
}

# The code under test, as the record names it.
code=$(git describe --always --dirty=' + changes' 2>/dev/null || echo unknown)

cargo +nightly fuzz build
for target in "${targets[@]}"; do
  mkdir -p "work/$target" "corpus/$target"
  log="work/$target.log"
  printf '\n--- fuzz %s for %ss (log: fuzz/%s)\n' "$target" "$seconds" "$log"
  # -max_len covers the longest message (MAX_FRAME_LEN, ~1.3 KiB with the default capacities)
  # with a margin; -timeout flags any input that takes more than 10 s.
  # shellcheck disable=SC2046 # flags() prints separate words on purpose
  if ! cargo +nightly fuzz run $(flags "$target") "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "fuzz target $target FAILED; the input is under fuzz/artifacts/$target/" \
      "(replay: cargo +nightly fuzz run $(flags "$target") $target <file>)" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [ "${MCX_FUZZ_RECORD:-}" = 1 ]; then
    ./record.sh "$target" "$seconds" "$log" "$code"
  fi
done
