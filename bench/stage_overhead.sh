#!/usr/bin/env bash
# rcd's own cost, against anchors measured in the same run:
#   1. 20 trivial stages (`true`) through rcd  vs  the same 20 commands from a bash script;
#   2. `rcd check` on the bundled example       vs  the four cargo commands run by hand;
#   3. `rcd check -j 2` vs `-j 1` from a clean target directory (is running cargo stages
#      side by side worth it, given cargo's lock on the target directory?).
# Usage: bench/stage_overhead.sh [path/to/rcd]   (default: build/release/rcd, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
work=$(mktemp -d /tmp/rcd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
REPS=${REPS:-10}

# best_of N CMD...: the fastest of N runs, in ms (the least disturbed by the machine).
best_of() {
  local n=$1 best=999999999 start t
  shift
  for _ in $(seq "$n"); do
    start=$(now_ms)
    "$@" >/dev/null 2>&1
    t=$(( $(now_ms) - start ))
    [ "$t" -lt "$best" ] && best=$t
  done
  echo "$best"
}

# 1. Overhead per stage.
mkdir -p "$work/trivial/pipelines"
{
  echo "language: trivial"
  echo "stages:"
  for i in $(seq 1 20); do echo "  - {name: s$i, run: [\"true\"]}"; done
} >"$work/trivial/pipelines/trivial.yaml"
printf 'name: trivial\nlanguage: trivial\n' >"$work/trivial/rcd.yaml"
{
  echo '#!/usr/bin/env bash'
  echo 'set -e'
  for i in $(seq 1 20); do echo "true_cmd=\$(command -v true); \"\$true_cmd\" > \"$work/trivial/s$i.log\" 2>&1"; done
} >"$work/trivial/script.sh"
rcd_ms=$(best_of "$REPS" "$RCD" -C "$work/trivial" --pipelines "$work/trivial/pipelines" check)
bash_ms=$(best_of "$REPS" bash "$work/trivial/script.sh")
per_stage=$(awk -v r="$rcd_ms" -v b="$bash_ms" 'BEGIN { printf "%.2f", (r - b) / 20 }')
echo "20 trivial stages: rcd ${rcd_ms} ms, bash ${bash_ms} ms, ratio $(ratio "$rcd_ms" "$bash_ms")x, rcd overhead ${per_stage} ms/stage (goal < 5)"

# 2. rcd check against the four cargo commands, warm.
cp -r examples/hello-api "$work/hello"
rm -rf "$work/hello/target"
(cd "$work/hello" && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x)
"$RCD" -C "$work/hello" check >/dev/null 2>&1 # warm the target directory
by_hand() {
  cd "$work/hello" &&
    cargo fmt --all -- --check &&
    cargo clippy --workspace --all-targets --locked -- -D warnings &&
    cargo test --workspace --all-targets --locked &&
    cargo test --workspace --doc --locked
}
check_ms=$(best_of "$REPS" "$RCD" -C "$work/hello" check)
hand_ms=$(best_of "$REPS" by_hand)
echo "check on hello-api (warm): rcd ${check_ms} ms, cargo by hand ${hand_ms} ms, ratio $(ratio "$check_ms" "$hand_ms")x"

# 3. -j 1 against -j 2 from a clean target directory.
cold() { rm -rf "$work/hello/target"; "$RCD" -C "$work/hello" check -j "$1"; }
j1=$(best_of 3 cold 1)
j2=$(best_of 3 cold 2)
echo "check on hello-api (clean target): -j 1 ${j1} ms, -j 2 ${j2} ms, ratio j2/j1 $(ratio "$j2" "$j1")x"
