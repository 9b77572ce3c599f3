# Shared by the benchmarks: the rcd binary to measure, and timing helpers.
# Source it after `cd` to the project root; $1 of the script may name the rcd binary.
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
RCD=${1:-build/release/rcd}
if [ ! -x "$RCD" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCD_TESTS=OFF >/dev/null
  cmake --build build/release >/dev/null
fi
RCD=$(realpath "$RCD")

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_registry DIR: a docker-registry on a free loopback port storing under DIR/data, up
# and answering; sets REG (127.0.0.1:PORT) and REGISTRY_PID for the caller's EXIT trap.
bench_registry() {
  local port
  port=$(free_port)
  cat >"$1/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $1/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YAML
  docker-registry serve "$1/registry.yml" >"$1/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  REG="127.0.0.1:$port"
}
