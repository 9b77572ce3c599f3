# Shared by the end-to-end tests: a scratch directory, fixture repositories, assertions.
# Each test script sources this file, then calls its test functions through `run_test`.
set -uo pipefail

: "${RCD_BIN:?set RCD_BIN to the rcd binary}"
: "${RCD_SOURCE_DIR:?set RCD_SOURCE_DIR to the source tree}"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never NO_COLOR=1
unset CARGO_TARGET_DIR
# The suite must behave the same on a developer's terminal and inside any CI runner: clear what
# the runner's environment would change (CI mode, annotations, registry and credentials).
unset CI GITHUB_ACTIONS GITLAB_CI GITHUB_STEP_SUMMARY RCD_REGISTRY RCD_REGISTRY_USERNAME \
  RCD_REGISTRY_PASSWORD
FIXTURES="$RCD_SOURCE_DIR/tests/fixtures"
WORK=$(mktemp -d /tmp/rcd-e2e.XXXXXX)
export RCD_CACHE_DIR="$WORK/cache" # never the user's own; run_test gives each test its own
export DOCKER_CONFIG="$WORK/docker" # no credentials from the machine's own ~/.docker
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
  ( set -e; export RCD_CACHE_DIR="$WORK/cache-$name"; "$name" )
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

# --- A real registry (CNCF distribution) on loopback, one per call.
# Background services are recorded in $WORK/pids, so that the EXIT trap of the top-level
# shell stops them even when a test's subshell started them.
stop_services() {
  local pid
  [ -f "$WORK/pids" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null; done <"$WORK/pids"
  while read -r pid; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done <"$WORK/pids"
}
trap 'stop_services; rm -rf "$WORK"' EXIT

# track_service CMD...: starts CMD in the background and records its PID.
track_service() {
  "$@" &
  echo $! >>"$WORK/pids"
  LAST_SERVICE_PID=$!
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_registry NAME [EXTRA_YAML]: sets REGISTRY_ADDR to host:port. EXTRA_YAML is appended
# to the config; REGISTRY_HTTP_EXTRA goes under http: (for tls).
start_registry() {
  local name=$1 extra=${2:-} port dir
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
  track_service docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1
  wait_for_port "$port" || { cat "$dir/log" >&2; return 1; }
  REGISTRY_ADDR="127.0.0.1:$port"
}

# wait_for_port PORT: up to 10 s for something to accept connections on it.
wait_for_port() {
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1"
}

# start_token_registry NAME USER PASSWORD [READER PASSWORD]: a registry with bearer-token auth
# from tests/e2e/token_server.py, which grants USER every action it asks for and READER only
# pull. Sets REGISTRY_ADDR; the token service logs to $WORK/token-NAME.log.
start_token_registry() {
  local name=$1 tport
  shift
  [ -f "$WORK/token.key" ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/token.key" \
    -out "$WORK/token.crt" -days 1 -subj "/CN=rcd-test-token" >/dev/null 2>&1
  tport=$(free_port)
  track_service /usr/bin/python3 "$RCD_SOURCE_DIR/tests/e2e/token_server.py" "$tport" "$WORK/token.key" \
    "$WORK/token.crt" rcd-issuer "$@" >"$WORK/token-$name.log" 2>&1
  wait_for_port "$tport"
  start_registry "$name" "auth: {token: {realm: http://127.0.0.1:$tport/token, service: rcd-test, issuer: rcd-issuer, rootcertbundle: $WORK/token.crt}}"
}

# A fixture service repository whose rcd.yaml pushes to REGISTRY/team.
make_release_repo() { # NAME REGISTRY
  local repo
  repo=$(make_repo service "$1")
  printf 'registry: %s/team\n' "$2" >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

# make_dynamic_repo NAME REGISTRY: the fixture service without its .cargo/config.toml, so cargo
# links it against the C library at run time, as a new user's crate is; its image is NAME.
make_dynamic_repo() {
  local repo
  repo=$(make_repo service "$1")
  git -C "$repo" rm -q -r .cargo
  printf 'name: %s\nlanguage: rust\nbinary: fixture-service\nregistry: %s/team\n' "$1" "$2" >"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

# push_glibc_base REGISTRY REPO:TAG: an image holding only the C library, laid out as Debian
# 12 and distroless do (/lib -> usr/lib, /lib64/ld-linux... an absolute link into /lib).
push_glibc_base() {
  local root="$WORK/glibc-root" layout="$WORK/glibc-layout" f
  if [ ! -d "$layout" ]; then
    mkdir -p "$root/usr/lib/x86_64-linux-gnu" "$root/lib64"
    for f in libc.so.6 libm.so.6 libgcc_s.so.1 ld-linux-x86-64.so.2; do
      cp -L "/lib/x86_64-linux-gnu/$f" "$root/usr/lib/x86_64-linux-gnu/"
    done
    ln -s usr/lib "$root/lib"
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
    tar -C "$root" -cf "$WORK/glibc.tar" .
    umoci init --layout "$layout" && umoci new --image "$layout:base" &&
      umoci raw add-layer --image "$layout:base" "$WORK/glibc.tar" || return 1
  fi
  skopeo copy -q --dest-tls-verify=false "oci:$layout:base" "docker://$1/$2"
}

# use_podman: points podman at a configuration of the test's own (runc, cgroupfs, vfs storage
# under $WORK), as ENVIRONMENT.md describes; false when podman cannot run a container here.
use_podman() {
  command -v podman >/dev/null || return 1
  mkdir -p "$WORK/podman"
  cat >"$WORK/podman/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  cat >"$WORK/podman/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$WORK/podman/run"
graphroot = "$WORK/podman/graph"
CONF
  # podman reads docker's config for credentials, and DOCKER_CONFIG points into $WORK.
  mkdir -p "$DOCKER_CONFIG"
  [ -e "$DOCKER_CONFIG/config.json" ] || echo '{}' >"$DOCKER_CONFIG/config.json"
  export CONTAINERS_CONF="$WORK/podman/containers.conf"
  export CONTAINERS_STORAGE_CONF="$WORK/podman/storage.conf"
  podman info >/dev/null 2>&1
}
