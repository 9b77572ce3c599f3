#!/usr/bin/env bash
# Credentials and transport: basic auth through config.json, a refused password that never
# shows, the bearer-token flow, and a TLS registry with a self-signed certificate.
source "$(dirname "$0")/lib.sh"
SECRET="s3cret-Pa55-$RANDOM"

# no_secret_anywhere REPO: the password is in no output, log or result file.
no_secret_anywhere() {
  if grep -rqF -- "$SECRET" "$WORK/out" "$WORK/doc" "$1/target/rcd" 2>/dev/null; then
    fail "the password appears in rcd's output or files"
  fi
  local encoded; encoded=$(printf 'tester:%s' "$SECRET" | base64)
  if grep -rqF -- "$encoded" "$WORK/out" "$WORK/doc" "$1/target/rcd" 2>/dev/null; then
    fail "the base64 credentials appear in rcd's output or files"
  fi
}

docker_config() { # DIR REGISTRY USER PASSWORD
  mkdir -p "$1"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$(printf '%s:%s' "$3" "$4" | base64)" >"$1/config.json"
}


test_basic_auth_through_config_json_works() {
  local reg repo rc=0
  htpasswd -Bbn tester "$SECRET" >"$WORK/htpasswd"
  start_registry basic "auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd}}"
  reg=$REGISTRY_ADDR
  repo=$(make_release_repo basic "$reg")
  docker_config "$WORK/dockercfg" "$reg" tester "$SECRET"
  DOCKER_CONFIG="$WORK/dockercfg" rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/out" || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/out"; return 1; }
  skopeo inspect --tls-verify=false --creds "tester:$SECRET" "docker://$reg/team/fixture-service:latest" >/dev/null || fail "not in the registry"
  no_secret_anywhere "$repo"
}

test_wrong_password_exits_4_and_never_shows() {
  local reg repo rc=0
  htpasswd -Bbn tester "right-password" >"$WORK/htpasswd-right"
  start_registry wrongpw "auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd-right}}"
  reg=$REGISTRY_ADDR
  repo=$(make_release_repo wrongpw "$reg")
  RCD_REGISTRY_USERNAME=tester RCD_REGISTRY_PASSWORD="$SECRET" \
    rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/out" || rc=$?
  assert_eq 4 "$rc" "exit code"
  assert_contains "$(cat "$WORK/out")" "registry $reg" "names the registry"
  assert_contains "$(cat "$WORK/out")" "UNAUTHORIZED" "quotes the registry's error"
  no_secret_anywhere "$repo"
}

test_bearer_token_registry_works() {
  local reg repo rc=0
  start_token_registry bearer tester "$SECRET"
  reg=$REGISTRY_ADDR
  repo=$(make_release_repo bearer "$reg")
  docker_config "$WORK/bearercfg" "$reg" tester "$SECRET"
  DOCKER_CONFIG="$WORK/bearercfg" rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/out" || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/out" "$WORK/token-bearer.log"; return 1; }
  assert_eq 2 "$(json "$WORK/doc" .image.blobs_pushed)" "blobs pushed"
  no_secret_anywhere "$repo"
}

test_self_signed_tls_needs_ca_file() {
  local reg repo rc=0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" -days 1 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
  REGISTRY_HTTP_EXTRA="tls: {certificate: $WORK/tls.crt, key: $WORK/tls.key}" start_registry tls
  reg=$REGISTRY_ADDR
  repo=$(make_release_repo tls "$reg")
  rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "refused without --ca-file"
  assert_contains "$(cat "$WORK/out")" "TLS certificate is not trusted" "message"
  assert_contains "$(cat "$WORK/out")" "--ca-file" "hint"
  rc=0
  rcd -C "$repo" --json release --ca-file "$WORK/tls.crt" >"$WORK/doc" 2>"$WORK/out" || rc=$?
  assert_eq 0 "$rc" "works with --ca-file" || { cat "$WORK/out"; return 1; }
  mkdir -p "$WORK/certs" && cp "$WORK/tls.crt" "$WORK/certs/ca.crt"
  skopeo inspect --cert-dir "$WORK/certs" "docker://$reg/team/fixture-service:latest" >/dev/null || fail "not pushed"
}

run_test test_basic_auth_through_config_json_works
run_test test_wrong_password_exits_4_and_never_shows
run_test test_bearer_token_registry_works
run_test test_self_signed_tls_needs_ca_file
finish
