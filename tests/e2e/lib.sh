# Shared by the end-to-end tests: a scratch directory, fixture repositories, assertions.
# Each test script sources this file, then calls its test functions through `run_test`.
set -uo pipefail

: "${RCD_BIN:?set RCD_BIN to the rcd binary}"
: "${RCD_SOURCE_DIR:?set RCD_SOURCE_DIR to the source tree}"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never NO_COLOR=1
unset CARGO_TARGET_DIR
FIXTURES="$RCD_SOURCE_DIR/tests/fixtures"
WORK=$(mktemp -d /tmp/rcd-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILURES=0
PASSES=0

rcd() { "$RCD_BIN" "$@"; }

# make_repo FIXTURE NAME: a committed copy of a fixture crate; prints its path.
make_repo() {
  local dir="$WORK/$2"
  cp -r "$FIXTURES/$1" "$dir"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" -c user.name=rcd -c user.email=rcd@test commit -q -m initial
  echo "$dir"
}

commit_all() {
  git -C "$1" add -A
  git -C "$1" -c user.name=rcd -c user.email=rcd@test commit -q -m change
}

fail() {
  echo "    FAIL: $*" >&2
  return 1
}

assert_eq() { # expected actual what
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_contains() { # haystack needle what
  case "$1" in *"$2"*) ;; *) fail "$3: '$2' not found in output:"$'\n'"$1" ;; esac
}

assert_not_contains() {
  case "$1" in *"$2"*) fail "$3: '$2' unexpectedly found" ;; *) ;; esac
}

# json FILE FILTER: a jq query on a file.
json() { jq -r "$2" "$1"; }

run_test() {
  local name=$1 rc=0
  echo "--- $name"
  # Not inside `if`: bash ignores set -e in a condition, and a failed assertion must end the test.
  ( set -e; "$name" )
  rc=$?
  if [ "$rc" -eq 0 ]; then
    PASSES=$((PASSES + 1))
  else
    FAILURES=$((FAILURES + 1))
    echo "    FAILED: $name" >&2
  fi
}

finish() {
  echo "$PASSES passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}

# make_shell_repo NAME YAML_STAGES: a repository on the test "shell" pipeline, whose stages
# come from rcd.yaml. Prints its path.
make_shell_repo() {
  local dir="$WORK/$1"
  mkdir -p "$dir"
  printf 'name: %s\nlanguage: shell\nstages:\n%s\n' "$1" "$2" >"$dir/rcd.yaml"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" -c user.name=rcd -c user.email=rcd@test commit -q -m initial
  echo "$dir"
}

rcd_shell() { rcd --pipelines "$FIXTURES/shell-pipelines" "$@"; }

# wait_for_text FILE TEXT: up to 20 s for TEXT to appear in FILE.
wait_for_text() {
  local i
  for i in $(seq 1 200); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "'$2' never appeared in $1"
}

# no_process MATCH: no process whose command line matches MATCH is left (zombies excepted).
no_process() {
  local i
  for i in $(seq 1 50); do
    if ! ps -eo stat=,args= | grep -v '^Z' | grep -v grep | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  fail "a process '$1' was left running: $(ps -eo pid,stat,args | grep -F -- "$1" | grep -v grep)"
}

# --- A real registry (CNCF distribution) on loopback, one per call, stopped by PID at exit.
REGISTRY_PIDS=()
stop_registries() {
  local pid
  for pid in "${REGISTRY_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  return 0
}
trap 'stop_registries; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_registry NAME [EXTRA_YAML]: prints host:port. EXTRA_YAML is appended to the config
# (auth, or tls under http: given as "tls: {...}" via REGISTRY_HTTP_EXTRA).
start_registry() {
  local name=$1 extra=${2:-} port dir i
  port=$(free_port)
  dir="$WORK/registry-$name"
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port${REGISTRY_HTTP_EXTRA:+, $REGISTRY_HTTP_EXTRA}}
$extra
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  REGISTRY_PIDS+=($!)
  for i in $(seq 1 100); do
    curl -s -k -o /dev/null "http://127.0.0.1:$port/v2/" && break
    curl -s -k -o /dev/null "https://127.0.0.1:$port/v2/" && break
    sleep 0.1
  done
  echo "127.0.0.1:$port"
}

# A fixture service repository whose rcd.yaml pushes to REGISTRY/team.
make_release_repo() { # NAME REGISTRY
  local repo
  repo=$(make_repo service "$1")
  printf 'registry: %s/team\n' "$2" >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}
