#!/usr/bin/env bash
# Installs what rcd needs, builds it, and runs its main job on the bundled example service:
# a copy of examples/hello-api, committed in a fresh git repository.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCD_TESTS=OFF >/dev/null
cmake --build build/release

work=$(mktemp -d /tmp/rcd-demo.XXXXXX)
cp -r examples/hello-api "$work/"
rm -rf "$work/hello-api/target"
git -C "$work/hello-api" init -q -b main
git -C "$work/hello-api" add -A
git -C "$work/hello-api" -c user.name=rcd -c user.email=rcd@example.com commit -q -m "hello-api"

echo "rcd: running 'rcd check' on $work/hello-api" >&2
build/release/rcd -C "$work/hello-api" check
