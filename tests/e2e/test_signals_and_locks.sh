#!/usr/bin/env bash
# Interrupts, timeouts, parallel stages and the one-rcd-per-target-directory lock.
source "$(dirname "$0")/lib.sh"

interrupt_test() { # SIGNAL
  local repo rc=0 pid
  repo=$(make_shell_repo "int$1" '  long: {run: [sh, -c, "sleep 987 & sleep 986; wait"]}
  after: {run: ["true"], needs: [long]}')
  # The binary itself in the background: $! of a backgrounded function would be a subshell.
  "$RCD_BIN" --pipelines "$FIXTURES/shell-pipelines" -C "$repo" check >"$WORK/out$1" 2>&1 &
  pid=$!
  wait_for_text "$WORK/out$1" "==> long"
  sleep 0.3
  kill "-$1" "$pid"
  wait "$pid" || rc=$?
  assert_eq 130 "$rc" "exit code" || { cat "$WORK/out$1"; return 1; }
  ps -eo pid,pgid,ppid,stat,args | grep -E 'sleep 98|sh -c' | grep -v grep >&2 || true
  no_process "sleep 987"
  no_process "sleep 986"
  local r="$repo/target/rcd/result.json"
  assert_eq "interrupted by SIG$1" "$(json "$r" '.stages[] | select(.name=="long") | .reason')" "long stage"
  assert_eq "not run: interrupted by SIG$1" "$(json "$r" '.stages[] | select(.name=="after") | .reason')" "next stage"
  assert_eq 130 "$(json "$r" .exit_code)" "result exit code"
}

test_sigint_exits_130_and_leaves_no_process() { interrupt_test INT; }
test_sigterm_exits_130_and_leaves_no_process() { interrupt_test TERM; }

test_stage_over_its_timeout_is_killed() {
  local repo rc=0 start end
  repo=$(make_shell_repo timeout '  slow: {run: [sleep, "988"], timeout: 1s}')
  start=$(date +%s)
  rcd_shell -C "$repo" check >"$WORK/out" 2>&1 || rc=$?
  end=$(date +%s)
  assert_eq 1 "$rc" "exit code"
  [ $((end - start)) -lt 10 ] || fail "took $((end - start)) s"
  no_process "sleep 988"
  assert_eq "timed out after 1.0s" "$(json "$repo/target/rcd/result.json" '.stages[] | select(.name=="slow") | .reason')" "reason"
  assert_contains "$(cat "$WORK/out")" "slow failed in" "failure line"
}

test_parallel_stages_run_together_with_j2() {
  local repo start end
  repo=$(make_shell_repo parallel '  a: {run: [sleep, "1"]}
  b: {run: [sleep, "1"]}')
  start=$(date +%s%N)
  rcd_shell -C "$repo" check -j 2 >"$WORK/out" 2>&1
  end=$(date +%s%N)
  # "first" and two one-second sleeps: about 1 s together, 2 s one after the other.
  [ $(((end - start) / 1000000)) -lt 1800 ] || fail "took $(((end - start) / 1000000)) ms"
}

test_second_run_waits_or_fails_with_no_wait() {
  local repo rc=0 pid
  repo=$(make_shell_repo lock '  hold: {run: [sleep, "2"]}')
  "$RCD_BIN" --pipelines "$FIXTURES/shell-pipelines" -C "$repo" check >"$WORK/first" 2>&1 &
  pid=$!
  wait_for_text "$WORK/first" "==> hold"
  rcd_shell -C "$repo" check --no-wait >"$WORK/nowait" 2>&1 || rc=$?
  assert_eq 5 "$rc" "--no-wait exit code"
  assert_contains "$(cat "$WORK/nowait")" "another rcd (pid $pid) is using" "--no-wait message"
  rc=0
  rcd_shell -C "$repo" check >"$WORK/second" 2>&1 || rc=$?
  assert_eq 0 "$rc" "waiting run"
  assert_contains "$(cat "$WORK/second")" "waiting for another rcd (pid $pid)" "wait message"
  wait "$pid"
}

run_test test_sigint_exits_130_and_leaves_no_process
run_test test_sigterm_exits_130_and_leaves_no_process
run_test test_stage_over_its_timeout_is_killed
run_test test_parallel_stages_run_together_with_j2
run_test test_second_run_waits_or_fails_with_no_wait
finish
