#!/usr/bin/env bash
# Writes the figures of one finished fuzz run into docs/testing.md, generated section
# "fuzz-campaigns": one row per target, replaced by the target's next recorded run. Called by
# `MCX_FUZZ_RECORD=1 fuzz/run.sh ...` after each target that passed (a failing run is not
# recorded: it exits first).
#
#   fuzz/record.sh <target> <seconds> <libFuzzer log> <code: a commit, "+ changes" if dirty>
set -euo pipefail

target=$1 seconds=$2 code=$4
log=$(realpath "$3")
doc=$(realpath "$(dirname "$0")/../docs/testing.md")
fail() { echo "record.sh: $*" >&2; exit 1; }

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: I/SIZE lim: L exec/s: E rss: R".
final=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -n 1 || true)
[ -n "$final" ] || fail "no DONE line in $log"
# The value after "name: " in that line; fails unless it is a number.
field() {
  local value
  value=$(sed -nE "s|.* $1: ([0-9]+).*|\\1|p" <<<"$final")
  [ -n "$value" ] || fail "no '$1' figure in: $final"
  echo "$value"
}
# Thousands separated by spaces, as the docs write numbers.
grouped() {
  awk '{ n = $0; s = ""
         while (length(n) > 3) { s = " " substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
         print n s }' <<<"$1"
}
runs=$(sed -nE 's|^#([0-9]+).*|\1|p' <<<"$final")
inputs=$(field corp)
size=$(sed -nE 's|.* corp: [0-9]+/([0-9]+)(b\|Kb\|Mb) .*|\1 \2|p' <<<"$final" \
  | sed -E 's/ b$/ B/; s/Kb$/KB/; s/Mb$/MB/')
[ -n "$size" ] || fail "no corpus size in: $final"
row="| \`$target\` | $(date -u -r "$log" +%F) | $seconds s | $(grouped "$runs") | $(grouped "$(field exec/s)") | $(field cov) / $(grouped "$(field ft)") | $(grouped "$inputs") inputs, $size | $code |"

begin="<!-- BEGIN generated: fuzz-campaigns -->"
end="<!-- END generated: fuzz-campaigns -->"
grep -qF "$begin" "$doc" && grep -qF "$end" "$doc" || fail "$doc has no fuzz-campaigns section"
# Its own temporary file, so that two recorders (one target per shell) do not share one.
tmp=$(mktemp "$doc.XXXXXX")
awk -v begin="$begin" -v end="$end" -v key="| \`$target\` |" -v row="$row" '
  $0 == begin { inside = 1 }
  inside && index($0, key) == 1 { print row; done = 1; next }
  inside && $0 == end { if (!done) print row; inside = 0 }
  { print }
' "$doc" >"$tmp"
# Copied back rather than moved: the doc keeps its own permissions.
cat "$tmp" >"$doc"
rm -f "$tmp"
echo "recorded in docs/testing.md: $row"
