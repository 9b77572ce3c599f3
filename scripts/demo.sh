#!/usr/bin/env bash
# Installs what rcd needs, builds it, starts a local registry (Debian's docker-registry, on
# loopback) and releases the bundled example service into it: check, build, image, push.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/install-deps.sh
# RCD_DEMO_BIN: an rcd built already (the test suite's), instead of a Release build.
rcd=${RCD_DEMO_BIN:-build/release/rcd}
if [ -z "${RCD_DEMO_BIN:-}" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCD_TESTS=OFF >/dev/null
  cmake --build build/release
fi

work=$(mktemp -d /tmp/rcd-demo.XXXXXX)
port=${RCD_DEMO_PORT:-5000}
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" || {
  echo "rcd demo: the registry did not start on 127.0.0.1:$port (is the port taken? set RCD_DEMO_PORT)" >&2
  cat "$work/registry.log" >&2
  exit 1
}

cp -r examples/hello-api "$work/"
rm -rf "$work/hello-api/target"
git -C "$work/hello-api" init -q -b main
git -C "$work/hello-api" add -A
git -C "$work/hello-api" -c user.name=rcd -c user.email=rcd@example.com commit -q -m "hello-api"

echo "rcd demo: releasing $work/hello-api into 127.0.0.1:$port" >&2
"$rcd" -C "$work/hello-api" release --registry "127.0.0.1:$port/demo"
echo "rcd demo: the registry now has:" >&2
curl -s "http://127.0.0.1:$port/v2/demo/hello-api/tags/list"
echo
