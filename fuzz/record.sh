#!/usr/bin/env bash
# Writes the figures of one finished fuzz run into docs/testing.md, generated section
# "fuzz-campaigns": one row per target, replaced by the target's next recorded run. Called by
# `MCX_FUZZ_RECORD=1 fuzz/run.sh ...` after each target that passed (a failing run is not
# recorded: it exits first).
#
#   fuzz/record.sh <target> <seconds> <libFuzzer log> <code: a commit, "+ changes" if dirty>
set -euo pipefail
cd "$(dirname "$0")"

target=$1 seconds=$2 log=$3 code=$4
doc=../docs/testing.md

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: I/SIZE lim: L exec/s: E rss: R".
final=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -n 1)
[ -n "$final" ] || { echo "record.sh: no DONE line in $log" >&2; exit 1; }
field() { sed -E "s|.* $1: ([0-9]+).*|\\1|" <<<"$final"; }
# Thousands separated by spaces, as the docs write numbers.
grouped() {
  awk '{ n = $0; s = ""
         while (length(n) > 3) { s = " " substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
         print n s }' <<<"$1"
}
runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$final")
inputs=$(sed -E 's|.* corp: ([0-9]+)/.*|\1|' <<<"$final")
size=$(sed -E 's|.* corp: [0-9]+/([0-9]+)(b\|Kb\|Mb).*|\1 \2|; s/ b$/ B/; s/Kb$/KB/; s/Mb$/MB/' <<<"$final")
row="| \`$target\` | $(date -u -r "$log" +%F) | $seconds s | $(grouped "$runs") | $(grouped "$(field exec/s)") | $(field cov) / $(grouped "$(field ft)") | $(grouped "$inputs") inputs, $size | $code |"

begin="<!-- BEGIN generated: fuzz-campaigns -->"
end="<!-- END generated: fuzz-campaigns -->"
grep -qF "$begin" "$doc" && grep -qF "$end" "$doc" \
  || { echo "record.sh: $doc has no fuzz-campaigns section" >&2; exit 1; }
awk -v begin="$begin" -v end="$end" -v key="| \`$target\` |" -v row="$row" '
  $0 == begin { inside = 1 }
  inside && index($0, key) == 1 { print row; done = 1; next }
  inside && $0 == end { if (!done) print row; inside = 0 }
  { print }
' "$doc" >"$doc.new"
mv "$doc.new" "$doc"
echo "recorded in docs/testing.md: $row"
