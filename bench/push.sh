#!/usr/bin/env bash
# Pushing images, against anchors measured in the same run:
#   1. push of an image with a 64 MiB random-content layer: rcd vs `skopeo copy` of the
#      identical OCI layout (written by rcd) to a fresh repository;
#   2. the no-op re-push of that image (goal: under 100 ms);
#   3. layer packing throughput: rcd's assembly vs `tar | gzip -n` of the same files.
#   4. the image step for a 10 MB binary (goal: 100 ms) vs `gzip -1` and `gzip -6`, and its
#      digest over 5 runs.
# Usage: bench/push.sh [path/to/rcd]   (default: build/release/rcd, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
work=$(mktemp -d /tmp/rcd-bench.XXXXXX)
trap 'kill ${REGISTRY_PID:-} 2>/dev/null; rm -rf "$work"' EXIT
bench_registry "$work"


app="$work/app"
cp -r tests/fixtures/service "$app"
head -c $((64 << 20)) /dev/urandom >"$app/blob.bin"
printf 'blob.bin\n' >>"$app/.gitignore"
printf 'image:\n  files: [{src: blob.bin, dst: /data/blob.bin}]\n' >>"$app/rcd.yaml"
(cd "$app" && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x)
"$RCD" -C "$app" -q build >/dev/null 2>&1
tag=$(git -C "$app" rev-parse HEAD)

# 3. Packing: rcd assembles the layers (and writes the layout skopeo will push).
"$RCD" -C "$app" -q --json image --output "oci:$work/layout" >"$work/pack.json"
pack_ms=$(jq .image.assemble_ms "$work/pack.json")
binary=$(find "$app/target/release" -maxdepth 1 -type f -name fixture-service)
start=$(now_ms)
tar -cf - -C "$app" blob.bin -C "$(dirname "$binary")" fixture-service | gzip -n >/dev/null
targz_ms=$(( $(now_ms) - start ))
mb=$(du -m --apparent-size "$app/blob.bin" "$binary" | awk '{s += $1} END {print s}')
echo "packing ${mb} MB: rcd ${pack_ms} ms ($(awk -v m="$mb" -v t="$pack_ms" 'BEGIN{printf "%.0f", m/(t/1000)}') MB/s), tar | gzip -n ${targz_ms} ms ($(awk -v m="$mb" -v t="$targz_ms" 'BEGIN{printf "%.0f", m/(t/1000)}') MB/s), ratio $(ratio "$pack_ms" "$targz_ms")x"

# 1. Push to fresh repositories: rcd's push time against skopeo copy of the same layout.
"$RCD" -C "$app" -q --json image --push --registry "$REG/rcd" >"$work/push.json"
push_ms=$(jq .image.push_ms "$work/push.json")
start=$(now_ms)
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:$tag" "docker://$REG/skopeo/fixture-service:$tag"
skopeo_ms=$(( $(now_ms) - start ))
echo "push of a 64 MiB layer: rcd ${push_ms} ms, skopeo copy ${skopeo_ms} ms, ratio $(ratio "$push_ms" "$skopeo_ms")x (goal <= 1.0)"
[ "$(jq -r .image.digest "$work/push.json")" = "$(skopeo inspect --tls-verify=false "docker://$REG/skopeo/fixture-service:$tag" | jq -r .Digest)" ] ||
  echo "warning: rcd and skopeo pushed different digests"

# 2. The no-op re-push.
"$RCD" -C "$app" -q --json image --push --registry "$REG/rcd" >"$work/noop.json"
echo "no-op re-push: $(jq .image.push_ms "$work/noop.json") ms (goal < 100), blobs pushed $(jq .image.blobs_pushed "$work/noop.json")"

# 4. The image step for a 10 MB binary: the fixture with 10 MiB of real machine code (from
#    rustc's LLVM library) compiled in, goal <= 100 ms for rcd's assembly (reading, tar, gzip
#    level 1 on every core, digests, config, manifest; asking cargo where the binary is comes
#    apart, as locate_ms), against `gzip -1` and `gzip -6` of the same tar on one core.
big="$work/big"
cp -r tests/fixtures/service "$big"
code=$(find "$HOME/.rustup/toolchains" -name 'libLLVM*.so*' -size +20M | head -1)
head -c $((10 << 20)) "$code" >"$big/code.bin"
cat >"$big/src/main.rs" <<'RUST'
static CODE: &[u8] = include_bytes!("../code.bin");
fn main() {
    println!("fixture-service {} {}", fixture_service::add(40, 2), std::hint::black_box(CODE).len());
}
RUST
(cd "$big" && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x)
(cd "$big" && cargo build --release --locked -q)
big_binary=$(find "$big/target" -type f -name fixture-service -path '*release*' | head -1)
for i in 1 2 3 4 5; do
  "$RCD" -C "$big" -q --json image --output "oci:$work/big-layout-$i" >"$work/big-$i.json"
  jq .image.assemble_ms "$work/big-$i.json"
done | sort -n | sed -n 3p >"$work/big.ms"
tar -cf "$work/big.tar" -C "$(dirname "$big_binary")" fixture-service
start=$(now_ms); gzip -1 -n -c "$work/big.tar" >/dev/null; gzip1_ms=$(( $(now_ms) - start ))
start=$(now_ms); gzip -6 -n -c "$work/big.tar" >/dev/null; gzip6_ms=$(( $(now_ms) - start ))
digests=$(for i in 1 2 3 4 5; do jq -r '.manifests[0].digest' "$work/big-layout-$i/index.json"; done | sort -u | wc -l)
echo "image step, a $(awk -v b="$(stat -c %s "$big_binary")" 'BEGIN { printf "%.1f", b / 1e6 }') MB binary: rcd $(cat "$work/big.ms") ms (median of 5; goal <= 100; locate_ms apart: $(jq .image.locate_ms "$work/big-1.json") ms), gzip -1 ${gzip1_ms} ms, gzip -6 ${gzip6_ms} ms; $digests distinct digest(s) in 5 runs"
