#!/usr/bin/env bash
# How often the bench stage is right, on this machine: N trials (default 10) of each of
#   - a regression: checksum() does twice the work (route() untouched), and
#   - a neutral commit: a constant added beside the two functions,
# each `rcd bench run --baseline <the fixture's commit>` in the bench fixture, the two kinds
# alternating. Prints each trial's verdicts, then the false-negative rate (the regression not
# found slower), the false-positive rate (anything else found slower) and the stage's time.
# Usage: bench/bench_stage.sh [path/to/rcd] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
trials=${2:-10}
work=$(mktemp -d /tmp/rcd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export RCD_CACHE_DIR="$work/cache"

repo="$work/bench-service"
cp -r tests/fixtures/bench-service "$repo"
rm -rf "$repo/target"
cd "$repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m base
base=$(git rev-parse HEAD)
git checkout -q -b slower
/usr/bin/python3 - src/lib.rs <<'PY'
import sys
text = open(sys.argv[1]).read()
marker = "    sum\n}\n"
extra = ("    for &byte in data {\n        sum ^= u64::from(byte).rotate_left(7);\n"
         "        sum = sum.wrapping_mul(0x0100_0000_01b3);\n    }\n")
open(sys.argv[1], "w").write(text.replace(marker, extra + marker, 1))
PY
git -c user.name=b -c user.email=b@b commit -q -am slower
git checkout -q -b neutral "$base"
printf '\n/// The service'"'"'s name, for logs.\npub const NAME: &str = "bench-service";\n' >>src/lib.rs
git -c user.name=b -c user.email=b@b commit -q -am neutral

# Both target directories warm before counting: the first run builds criterion twice.
git checkout -q neutral
"$RCD" bench run --baseline "$base" >/dev/null 2>&1 || true

fn=0 fp=0 noisy=0 total_ms=0 runs=0
printf '%-6s %-8s %-28s %s\n' trial commit checksum route
for i in $(seq 1 "$trials"); do
  for kind in slower neutral; do
    git checkout -q "$kind"
    start=$(now_ms)
    "$RCD" --json bench run --baseline "$base" >/dev/null 2>"$work/err" || true
    total_ms=$((total_ms + $(now_ms) - start)); runs=$((runs + 1))
    doc=target/rcd/bench/result.json
    c=$(jq -r '.benchmarks[] | select(.id=="checksum") | "\(.verdict) \(.change*1000|round/10)%"' "$doc")
    r=$(jq -r '.benchmarks[] | select(.id=="route") | "\(.verdict) \(.change*1000|round/10)%"' "$doc")
    printf '%-6s %-8s %-28s %s\n' "$i" "$kind" "$c" "$r"
    case "$c $r" in *"too noisy"*) noisy=$((noisy + 1)) ;; esac
    if [ "$kind" = slower ]; then
      [ "${c%% *}" = slower ] || fn=$((fn + 1))
      [ "${r%% *}" != slower ] || fp=$((fp + 1))
    else
      [ "${c%% *}" != slower ] && [ "${r%% *}" != slower ] || fp=$((fp + 1))
    fi
  done
done
echo
echo "false negatives (the regression not found): $fn of $trials"
echo "false positives (a trial with another benchmark called slower): $fp of $((2 * trials))"
echo "trials with a benchmark too noisy to judge: $noisy of $((2 * trials))"
echo "mean time of rcd bench run (3 rounds, 2 benchmarks, warm builds): $((total_ms / runs)) ms"
