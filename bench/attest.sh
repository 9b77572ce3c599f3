#!/usr/bin/env bash
# What the SBOM and the provenance add to a push, against the same push without them (the
# anchor), measured in the same run: `rcd image --push` of a new commit of the bundled example,
# 7 times each way, interleaved; the medians of the whole command and of its push_ms.
# Usage: bench/attest.sh [path/to/rcd]   (default: build/release/rcd, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
work=$(mktemp -d /tmp/rcd-bench.XXXXXX)
trap 'kill ${REGISTRY_PID:-} 2>/dev/null; rm -rf "$work"' EXIT
bench_registry "$work"

for v in on off; do
  cp -r examples/hello-api "$work/$v"
  rm -rf "$work/$v/target"
  printf 'registry: %s/%s\n' "$REG" "$v" >>"$work/$v/rcd.yaml"
  [ "$v" = on ] || printf 'image: {sbom: false, provenance: false}\n' >>"$work/$v/rcd.yaml"
  (cd "$work/$v" && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x)
  "$RCD" -C "$work/$v" -q release >/dev/null 2>&1
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for i in $(seq 1 7); do
  for v in on off; do
    echo "// $i" >>"$work/$v/src/main.rs"
    git -C "$work/$v" -c user.name=b -c user.email=b@b commit -q -am "c$i"
    "$RCD" -C "$work/$v" -q build --only build >/dev/null 2>&1
    start=$(now_ms)
    "$RCD" -C "$work/$v" --json image --push >"$work/$v.json" 2>/dev/null
    echo $(( $(now_ms) - start )) >>"$work/$v.total"
    jq .image.push_ms "$work/$v.json" >>"$work/$v.push"
  done
done
[ "$(jq '.image.attachments | length' "$work/on.json")" = 2 ] || { echo "no attachments" >&2; exit 1; }
on=$(median <"$work/on.total"); off=$(median <"$work/off.total")
on_push=$(median <"$work/on.push"); off_push=$(median <"$work/off.push")
echo "rcd image --push, median of 7 (ms):   with SBOM + provenance   without   ratio"
printf '  whole command                      %6s                   %6s    %s\n' "$on" "$off" "$(ratio "$on" "$off")"
printf '  push_ms                            %6s                   %6s    %s\n' "$on_push" "$off_push" "$(ratio "$on_push" "$off_push")"
echo "  added: $((on - off)) ms"
