#!/bin/bash
# cutover-hook's one-shot commands: usage errors (exit status 2, checked
# before anything connects), a controller that cannot be reached or never
# answers (exit status 3 within --timeout, naming the server), a step the
# controller refuses (exit status 1 with the controller's own text), steps
# it confirms (exit status 0, its reply on stdout), and a real Open vSwitch
# daemon's control socket, which knows no migration/* command (exit status
# 1 with its "not a valid command").  The controller is the stand-in
# tests/harness/fake-cutoverd until cutoverd's migration commands exist.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
HOOK=$top_builddir/controller/cutover-hook
FAKE_CTL=$top_srcdir/tests/harness/fake-cutoverd
[ -x "$HOOK" ] || skip "$HOOK is not built"
require_cmds python3 timeout

# expect STATUS PATTERN ARGS...: cutover-hook exits with STATUS, saying
# something matching PATTERN on stderr (never hanging: 60 s at most).
expect() {
    expect_exit timeout_hook "$@"
}
timeout_hook() {
    timeout 60 "$HOOK" "$@"
}

# ctl_start NAME [OPTIONS]: a stand-in controller on $TEST_TMP/NAME.ctl,
# logging to $TEST_TMP/NAME.log.
ctl_start() {
    local name=$1
    shift
    "$FAKE_CTL" --socket "$TEST_TMP/$name.ctl" --log "$TEST_TMP/$name.log" \
        "$@" 2>>"$TEST_TMP/$name.stderr" &
    test_bg $!
    wait_for "$TEST_TMP/$name.ctl"
}

step "the front: the C library only; the rest is cutover-hook-full's"
[ -x "$top_builddir/controller/cutover-hook-full" ] || fail "cutover-hook-full is not built"
# (The sanitizer build adds its runtimes and what they need.)
libs=$(ldd "$HOOK" | awk '{print $1}' \
       | grep -v -E '^(linux-vdso|/lib64/ld-linux|libc\.so)' \
       | grep -v -E '^(libasan|libubsan|libm|libgcc_s|libstdc\+\+)\.so' \
       | tr '\n' ' ')
check_eq "cutover-hook's shared libraries besides the C library" "$libs" ""
# Help and errors come from the full program, under the front's name.
"$HOOK" --help | grep -q "^cutover-hook: run the cutover protocol's steps" \
    || fail "--help did not reach the full program"
echo "ok: --help from the full program"

step "usage errors"
export CUTOVER_SERVER=$TEST_TMP/nowhere.ctl
expect 2 "missing command \(expected prepare, switchover, activate, complete, abort, show or qmp\)"
expect 2 "unknown command 'migrate'" migrate --port vm1
expect 2 "switchover: --port is required" switchover
expect 2 "prepare: --to is required \(the destination host\)" prepare --port vm1
expect 2 "switchover: --to is only for prepare and qmp" switchover --port vm1 --to h2
expect 2 "prepare: --prepare-at-pass is only for qmp with --to" \
    prepare --port vm1 --to h2 --prepare-at-pass 2
expect 2 "qmp: --prepare-at-pass is only for qmp with --to" \
    qmp --port vm1 --source a --dest b --prepare-at-pass 2
expect 2 "--prepare-at-pass: '0' is not" qmp --port vm1 --to h2 \
    --source a --dest b --prepare-at-pass 0
expect 2 "--port: port name 'vm 1' has ' ': use letters, digits and - _ . :" \
    abort --port "vm 1"
expect 2 "--port: port name is empty" abort --port ""
expect 2 "--to: host name 'h/2' has '/'" prepare --port vm1 --to h/2
expect 2 "--timeout: '0' is not an integer from 1 to 86400" \
    -t 0 activate --port vm1
expect 2 "--timeout: 'soon' is not an integer" --timeout soon activate --port vm1
expect 2 "--server: 'punix:/tmp/x' is not a connection target \(expected unix:FILE, tcp:IP:PORT, ssl:IP:PORT or a socket's file name\)" \
    --server punix:/tmp/x complete --port vm1
expect 2 "--server: 'udp:1.2.3.4:5' is not a connection target" \
    --server udp:1.2.3.4:5 complete --port vm1
expect 2 "--server: 'unix:' is not a connection target" \
    --server unix: complete --port vm1
expect 2 "unexpected argument 'vm1' \(give the port with --port\)" \
    switchover vm1
expect 2 "qmp: --source and --dest are required" qmp --port vm1 --source s
expect 2 "qmp: --source and --dest must be two different sockets" \
    qmp --port vm1 --source s --dest s
expect 2 "activate: --source and --dest are only for qmp" \
    activate --port vm1 --source s
expect 2 "invalid option" switchover --port vm1 --bogus
expect 2 "--stopped=12.5: expected the time the VM stopped as SECONDS.MICROSECONDS" \
    switchover --port vm1 --stopped=12.5
expect 2 "activate: --stopped is only for switchover" \
    activate --port vm1 --stopped=12.000005
expect 2 "--switchover-timeout: '0' is not an integer from 1 to 60000" \
    switchover --port vm1 --switchover-timeout=0
expect 2 "complete: --switchover-timeout is only for switchover and qmp" \
    complete --port vm1 --switchover-timeout=100
expect 2 "--resume-timeout: 'x' is not an integer" \
    qmp --port vm1 --source s --dest d --resume-timeout=x

step "--help and --version"
help=$("$HOOK" --help) || fail "--help failed"
for word in prepare switchover activate complete abort show qmp --server \
    --timeout --port --to --source --dest CUTOVER_SERVER --private-key \
    --switchover-timeout --resume-timeout --stopped "Exit status" \
    "^  4  " "^  5  "; do
    echo "$help" | grep -q -- "$word" || fail "--help does not mention $word"
done
echo "ok: --help mentions every command and option"
"$HOOK" --version | grep -q "^cutover-hook (cutover) " || fail "--version"
echo "ok: --version"

step "a controller that cannot be reached: exit status 3, naming it"
expect 3 "switchover vm1: unix:$TEST_TMP/nowhere.ctl: cannot connect: No such file or directory" \
    switchover --port vm1
expect 3 "activate vm1: unix:$TEST_TMP/none.ctl: cannot connect" \
    --server "unix:$TEST_TMP/none.ctl" activate --port vm1
expect 3 "abort vm1: tcp:127.0.0.1:1: cannot connect: Connection refused" \
    --server tcp:127.0.0.1:1 abort --port vm1
# A socket file nobody listens on.
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$TEST_TMP/dead.ctl"
expect 3 "cannot connect: Connection refused" --server "$TEST_TMP/dead.ctl" \
    complete --port vm1

step "steps the controller confirms: exit status 0, its reply on stdout"
ctl_start ok --reply "switchover=vm1: switched over to h2 (2 hosts confirmed in 3 ms)"
export CUTOVER_SERVER=$TEST_TMP/ok.ctl
out=$("$HOOK" prepare --port vm1 --to h2) || fail "prepare failed"
check_eq "prepare's output" "$out" "vm1: prepared on h2"
out=$("$HOOK" switchover --port vm1) || fail "switchover failed"
check_eq "switchover's output" "$out" \
    "vm1: switched over to h2 (2 hosts confirmed in 3 ms)"
# The switchover's options go to the controller as it takes them.
out=$("$HOOK" switchover --port vm1 --stopped=1796283825.462251 \
      --switchover-timeout=250) || fail "switchover with options failed"
for s in activate complete abort; do
    out=$("$HOOK" --server "unix:$TEST_TMP/ok.ctl" $s --port vm1) \
        || fail "$s failed"
    check_eq "$s's output" "$out" "vm1: $s done"
done
"$HOOK" show >/dev/null || fail "show failed"
"$HOOK" show --port vm1 >/dev/null || fail "show --port failed"
calls=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["method"], *r["params"])' "$TEST_TMP/ok.log")
check_eq "what the controller received" "$calls" \
"migration/prepare vm1 h2
migration/switchover vm1
migration/switchover vm1 timeout=250 stopped=1796283825.462251
migration/activate vm1
migration/complete vm1
migration/abort vm1
migration/show
migration/show vm1"

step "a step the controller refuses: exit status 1 with its text"
ctl_start refuse \
    --refuse "switchover=timeout waiting for barrier from h2" \
    --refuse "prepare=port vm1 already migrating to h3" \
    --refuse "activate=unknown port vm9"
export CUTOVER_SERVER=$TEST_TMP/refuse.ctl
expect 1 "^cutover-hook: switchover vm1: timeout waiting for barrier from h2$" \
    switchover --port vm1
expect 1 "^cutover-hook: prepare vm1: port vm1 already migrating to h3$" \
    prepare --port vm1 --to h2
expect 1 "^cutover-hook: activate vm9: unknown port vm9$" activate --port vm9

step "a controller that never answers: exit status 3 after --timeout"
ctl_start silent --silent switchover --close activate --delay complete=0.5
export CUTOVER_SERVER=$TEST_TMP/silent.ctl
expect 3 "switchover vm1: unix:$TEST_TMP/silent.ctl: no answer to migration/switchover within 1 s" \
    --timeout 1 switchover --port vm1
expect 3 "activate vm1: unix:$TEST_TMP/silent.ctl: the server closed the connection before answering migration/activate" \
    activate --port vm1
# A late answer within the timeout is an answer.
out=$("$HOOK" --timeout 30 complete --port vm1) || fail "late complete failed"
check_eq "a late answer" "$out" "vm1: complete done"
# --switchover-timeout=MS bounds the wait for the switchover's answer at
# MS + 1 s, whatever --timeout says.
expect 3 "switchover vm1: unix:$TEST_TMP/silent.ctl: no answer to migration/switchover within 1.2 s" \
    --timeout 30 switchover --port vm1 --switchover-timeout=200

step "a real Open vSwitch control socket: no migration commands (exit 1)"
nb_start
expect 1 "^cutover-hook: switchover vm1: \"migration/switchover\" is not a valid command" \
    --server "$TEST_TMP/nb/nb.ctl" switchover --port vm1
out=$(ovs-appctl -t "$TEST_TMP/ok.ctl" migration/show vm1) \
    || fail "ovs-appctl cannot talk to the stand-in"
check_eq "ovs-appctl through the stand-in" "$out" \
    "vm1: migrating to h2 (switched over)"
echo "PASS"
