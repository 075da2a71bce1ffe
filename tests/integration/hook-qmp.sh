#!/bin/bash
# cutover-hook's QEMU follower ('cutover-hook qmp') against two QEMU
# stand-ins speaking QMP (tests/harness/fake-qemu) and a stand-in controller
# (tests/harness/fake-cutoverd), all writing one shared log, so the test
# sees the real order of what happened:
#  - a migration that completes: prepare, pre-switchover, switchover,
#    migrate-continue, the destination's RESUME, activate, complete;
#  - a switchover the controller refuses, or does not answer in time:
#    migrate_cancel and abort, and the VM resumes on the source;
#  - a migration that fails on the source: abort;
#  - a QEMU that goes away, sends garbage, or refuses the capabilities: a
#    clear error, the cutover aborted, and never a VM left paused;
#  - a controller that cannot be reached: QEMU is not touched;
#  - every wait bounded (docs/hook.md, "Bounds"), each case ending well
#    within run_case's --limit or failing: no completed after
#    migrate-continue, a RESUME before the switchover's answer, an
#    unfinished or oversized QMP message, a refused migrate-continue, a
#    switchover answer awaited --switchover-timeout; and the pause timed
#    from QEMU's STOP event, whose time goes to the controller.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
HOOK=$top_builddir/controller/cutover-hook
FAKE_CTL=$top_srcdir/tests/harness/fake-cutoverd
FAKE_QEMU=$top_srcdir/tests/harness/fake-qemu
[ -x "$HOOK" ] || skip "$HOOK is not built"
require_cmds python3 timeout

# run_case NAME [--ctl OPTION]... [--src OPTION]... [--dst OPTION]...
#          [--no-ctl] [--no-migrate] [--kill-dst] [--term-hook]
#          [--limit SECS] [-- HOOK OPTIONS]:
# starts a stand-in controller and two fake QEMUs in $TEST_TMP/NAME, the
# follower for port vm1 (prepare to h2 unless HOOK OPTIONS say otherwise),
# waits until it is ready, starts the migration on the source (SIGUSR1),
# and waits for the follower to exit, killing it after SECS (default 120:
# exit status 124).  Sets D (the case's directory), RC,
# OUT and ERR (its exit status, stdout and stderr) and SEQ (the shared log
# as lines: "controller METHOD PARAMS", "WHO COMMAND ARGUMENTS", "WHO event
# EVENT [STATUS]"; a switchover's "stopped=S.US" that is the source's STOP
# event's timestamp reads "stopped=STOP").
run_case() {
    local name=$1 ctl_opts=() src_opts=() dst_opts=() no_ctl="" migrate=1
    local kill_dst="" term_hook="" hook_pid i limit=120
    shift
    while [ $# -gt 0 ]; do
        case $1 in
            --ctl) ctl_opts+=("$2"); shift 2 ;;
            --src) src_opts+=("$2"); shift 2 ;;
            --dst) dst_opts+=("$2"); shift 2 ;;
            --no-ctl) no_ctl=1; shift ;;
            --no-migrate) migrate=""; shift ;;
            --kill-dst) kill_dst=1; migrate=""; shift ;;
            --term-hook) term_hook=1; migrate=""; shift ;;
            --limit) limit=$2; shift 2 ;;
            --) shift; break ;;
            *) fail "run_case: unknown option $1" ;;
        esac
    done
    [ $# -gt 0 ] || set -- --to h2
    step "$name"
    D=$TEST_TMP/$name
    mkdir -p "$D"
    if [ -z "$no_ctl" ]; then
        "$FAKE_CTL" --socket "$D/ctl" --log "$D/log" "${ctl_opts[@]}" \
            2>>"$D/ctl.stderr" &
        test_bg $!
        wait_for "$D/ctl"
    fi
    "$FAKE_QEMU" --role source --socket "$D/src" --log "$D/log" \
        --done-file "$D/done" "${src_opts[@]}" 2>>"$D/src.stderr" &
    SRC_PID=$!
    test_bg $SRC_PID
    "$FAKE_QEMU" --role dest --socket "$D/dst" --log "$D/log" \
        --resume-on "$D/done" "${dst_opts[@]}" 2>>"$D/dst.stderr" &
    DST_PID=$!
    test_bg $DST_PID
    wait_for "$D/src"
    wait_for "$D/dst"

    timeout "$limit" "$HOOK" --server "$D/ctl" --timeout 2 qmp --port vm1 \
        --source "$D/src" --dest "$D/dst" "$@" >"$D/out" 2>"$D/err" &
    hook_pid=$!
    test_bg $hook_pid
    TEST_LOGS=("$D/err")
    # The follower says "ready" once it set the capabilities (and
    # prepared); it may also have given up before.
    for i in $(seq 600); do
        grep -q "^ready" "$D/out" 2>/dev/null && break
        kill -0 $hook_pid 2>/dev/null || break
        sleep 0.05
    done
    if [ -n "$kill_dst" ]; then
        kill -KILL "$DST_PID"
    fi
    if [ -n "$term_hook" ]; then
        kill -TERM $hook_pid
    fi
    if [ -n "$migrate" ] && grep -q "^ready" "$D/out"; then
        kill -USR1 "$SRC_PID"
    fi
    wait $hook_pid
    RC=$?
    OUT=$(cat "$D/out")
    ERR=$(cat "$D/err")
    SEQ=$(python3 -c '
import json, sys
try:
    lines = open(sys.argv[1]).readlines()
except FileNotFoundError:
    lines = []
stop = None
for line in lines:
    r = json.loads(line)
    who = r["who"]
    if "method" in r:
        # The time the VM stopped, as the STOP event said it.
        print(who, r["method"], *["stopped=STOP" if stop and p == "stopped=" + stop
                                  else p for p in r["params"]])
    elif r.get("event") == "STOP" and who == "source":
        stop = r.get("timestamp")
        print(who, "event", "STOP")
    elif "command" in r:
        args = r["arguments"]
        print(who, r["command"], json.dumps(args, sort_keys=True) if args else "")
    elif "event" in r:
        data = r["data"] or {}
        status = data.get("status", data.get("pass", ""))
        print(who, "event", r["event"], status)
    else:
        print(who, json.dumps(r, sort_keys=True))' "$D/log" | sed 's/ *$//')
    echo "exit status $RC"
    echo "$SEQ" | sed 's/^/  | /'
}

# in_order LINE...: the log has these lines, in this order (others may come
# between).
in_order() {
    python3 - "$SEQ" "$@" <<'EOF' || fail "log order: expected ${*} in order"
import sys
seq = sys.argv[1].split("\n")
want = sys.argv[2:]
i = 0
for line in seq:
    if i < len(want) and line == want[i]:
        i += 1
if i < len(want):
    print("missing (in order): %r" % want[i])
    sys.exit(1)
EOF
    echo "ok: in order: $(printf '%s; ' "$@")"
}

# absent PATTERN: no line of the log matches PATTERN.
absent() {
    if echo "$SEQ" | grep -qE -- "$1"; then
        fail "the log has /$1/: $(echo "$SEQ" | grep -E -- "$1" | head -1)"
    fi
    echo "ok: no /$1/"
}

# said PATTERN: the follower's stderr matches PATTERN.
said() {
    echo "$ERR" | grep -qE -- "$1" || fail "stderr does not match /$1/"
    echo "ok: said /$1/"
}

CAPS_ON='source migrate-set-capabilities {"capabilities": [{"capability": "events", "state": true}, {"capability": "pause-before-switchover", "state": true}]}'
CAPS_OFF='source migrate-set-capabilities {"capabilities": [{"capability": "events", "state": true}, {"capability": "pause-before-switchover", "state": false}]}'
CONTINUE='source migrate-continue {"state": "pre-switchover"}'

run_case completed
check_eq "exit status" "$RC" 0
check_eq "outcome" "$(echo "$OUT" | tail -1 | sed 's/ (.*//')" \
    "port vm1: migration completed, network followed"
in_order "source qmp_capabilities" "dest qmp_capabilities" "$CAPS_ON" \
    "controller migration/prepare vm1 h2" \
    "source event MIGRATION setup" "source event MIGRATION active" \
    "source event STOP" "source event MIGRATION pre-switchover" \
    "controller migration/switchover vm1 stopped=STOP" "$CONTINUE" \
    "source event MIGRATION completed" "dest event RESUME" \
    "controller migration/activate vm1" "controller migration/complete vm1"
absent "migration/abort|migrate_cancel"
said "switchover vm1 confirmed in [0-9]+ ms"
said "destination QEMU \($D/dst\): MIGRATION completed \(QEMU time [0-9]+\.[0-9]{6}\)"
said "migration continued [0-9]+\.[0-9]{3} ms after the VM stopped \(timed from QEMU's STOP event\)"

run_case prepare-late -- --to h2 --prepare-at-pass 2
check_eq "exit status" "$RC" 0
in_order "$CAPS_ON" "source event MIGRATION_PASS 1" "source event MIGRATION_PASS 2" \
    "controller migration/prepare vm1 h2" \
    "controller migration/switchover vm1 stopped=STOP" "$CONTINUE" \
    "controller migration/activate vm1" "controller migration/complete vm1"
said "preparing now: the source's pass 2"

run_case prepare-at-the-pause -- --to h2 --prepare-at-pass 9
check_eq "exit status" "$RC" 0
in_order "$CAPS_ON" "source event STOP" "source event MIGRATION pre-switchover" \
    "controller migration/prepare vm1 h2" \
    "controller migration/switchover vm1 stopped=STOP" "$CONTINUE"
said "the source paused before its pass 9: preparing now"

run_case no-prepare -- --timeout 5
check_eq "exit status" "$RC" 0
in_order "$CAPS_ON" "controller migration/switchover vm1 stopped=STOP" "$CONTINUE" \
    "controller migration/activate vm1" "controller migration/complete vm1"
absent "migration/prepare"

run_case switchover-refused \
    --ctl "--refuse=switchover=destination host h2 not connected"
check_eq "exit status" "$RC" 1
in_order "source event MIGRATION pre-switchover" \
    "controller migration/switchover vm1 stopped=STOP" "source migrate_cancel" \
    "controller migration/abort vm1" "source event MIGRATION cancelled" \
    "source event RESUME"
absent "migrate-continue|migration/activate|migration/complete"
said "^cutover-hook: qmp vm1: switchover vm1: destination host h2 not connected; migration cancelled, the VM stays on the source, the cutover aborted \(the network stays on the source\)$"

run_case switchover-no-answer --ctl --silent=switchover
check_eq "exit status" "$RC" 3
in_order "controller migration/switchover vm1 stopped=STOP" "source migrate_cancel" \
    "controller migration/abort vm1" "source event MIGRATION cancelled" \
    "source event RESUME"
absent "migrate-continue|migration/activate|migration/complete"
said "switchover vm1: unix:$D/ctl: no answer to migration/switchover within 2 s; migration cancelled, the VM stays on the source"

run_case source-failed --src --outcome=failed
check_eq "exit status" "$RC" 1
in_order "controller migration/prepare vm1 h2" "source event MIGRATION failed" \
    "controller migration/abort vm1"
absent "migration/switchover|migrate-continue|migration/activate|migration/complete"
said "qmp vm1: the migration failed on the source; the VM stays there and the cutover was aborted"

run_case prepare-refused --ctl "--refuse=prepare=unknown port vm1"
check_eq "exit status" "$RC" 1
in_order "$CAPS_ON" "controller migration/prepare vm1 h2" "$CAPS_OFF"
absent "migration/abort|migration/switchover"
said "qmp vm1: prepare vm1: unknown port vm1; no migration under way$"

run_case controller-unreachable --no-ctl
check_eq "exit status" "$RC" 3
absent "migrate-set-capabilities"
said "qmp vm1: unix:$D/ctl: cannot connect: No such file or directory"

run_case source-disconnects --src --close-at=pre-switchover
check_eq "exit status" "$RC" 4
in_order "controller migration/prepare vm1 h2" "source event MIGRATION active" \
    "controller migration/abort vm1"
absent "migration/switchover|migration/activate"
said "qmp vm1: source QEMU \($D/src\): closed its QMP connection; no connection to the source QEMU is left to cancel its migration with, the cutover aborted"

run_case dest-disconnects --kill-dst
check_eq "exit status" "$RC" 4
in_order "$CAPS_ON" "controller migration/prepare vm1 h2" "$CAPS_OFF" \
    "controller migration/abort vm1"
said "qmp vm1: destination QEMU \($D/dst\): closed its QMP connection; no migration under way, the cutover aborted"

run_case hook-stopped --term-hook
check_eq "exit status" "$RC" 1
in_order "$CAPS_ON" "controller migration/prepare vm1 h2" "$CAPS_OFF" \
    "controller migration/abort vm1"
said "qmp vm1: stopped by signal 15 before the switchover; no migration under way, the cutover aborted"

run_case source-garbage --src --garbage-at=active
check_eq "exit status" "$RC" 4
in_order "source event MIGRATION setup" "controller migration/abort vm1"
absent "migration/switchover"
said "qmp vm1: source QEMU \($D/src\): received something that is not JSON \(line [0-9]+, column [0-9]+, byte [0-9]+: invalid keyword 'this'\)"

run_case greeting-garbage --dst --garbage-greeting --no-migrate
check_eq "exit status" "$RC" 4
absent "migration/prepare|migrate-set-capabilities"
said "qmp vm1: destination QEMU \($D/dst\): received something that is not JSON .* \(before its QMP greeting\)"
# A socket that accepts and says nothing is not a QMP monitor either.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(60)' "$D/mute" &
test_bg $!
wait_for "$D/mute"
expect_exit timeout 4 "^cutover-hook: qmp vm1: destination QEMU \($D/mute\): no QMP greeting within 1 s$" \
    60 "$HOOK" --server "$D/ctl" --timeout 1 qmp --port vm1 \
    --source "$D/src" --dest "$D/mute"

run_case source-busy --src --busy --no-migrate
check_eq "exit status" "$RC" 4
absent "migration/prepare"
said "qmp vm1: source QEMU \($D/src\): cannot enable the migration capabilities 'events' and 'pause-before-switchover': GenericError: There's a migration process in progress"

# --- Bounds (docs/hook.md): every case ends well within its --limit. ---

run_case stop-time --src --stop-gap=0.3
check_eq "exit status" "$RC" 0
in_order "source event STOP" "source event MIGRATION pre-switchover" \
    "controller migration/switchover vm1 stopped=STOP" "$CONTINUE"
# The pause is timed from the VM's STOP (300 ms before pre-switchover
# here), not from pre-switchover's arrival.
said "migration continued ([3-9][0-9]{2}|[0-9]{4,})\.[0-9]{3} ms after the VM stopped \(timed from QEMU's STOP event\)"

run_case switchover-timeout --ctl --silent=switchover --limit 20 \
    -- --to h2 --timeout 30 --switchover-timeout 500
check_eq "exit status" "$RC" 3
in_order "controller migration/switchover vm1 timeout=500 stopped=STOP" \
    "source migrate_cancel" "controller migration/abort vm1" \
    "source event MIGRATION cancelled" "source event RESUME"
absent "migrate-continue|migration/activate"
said "qmp vm1: switchover vm1: unix:$D/ctl: no answer to migration/switchover within 1.5 s; migration cancelled, the VM stays on the source, the cutover aborted"

run_case no-completed --src --no-complete --limit 60 -- --to h2 --resume-timeout 2
check_eq "exit status" "$RC" 4
in_order "$CONTINUE" "source event MIGRATION device" "dest query-status" \
    "source query-status" "source query-migrate" "source migrate_cancel" \
    "source event MIGRATION cancelled" "source event RESUME" \
    "controller migration/abort vm1"
absent "migration/activate|migration/complete"
said "decided: the destination QEMU is inmigrate, the source QEMU is finish-migrate, its migration device and the VM runs nowhere: cancelling the migration"
said "decided: the VM runs on the source"
said "^cutover-hook: qmp vm1: no RESUME from the destination within 2 s of migrate-continue \(the source's migration: device\); .*after migrate_cancel: .*the source QEMU sent RESUME: the VM runs on the source, the cutover was aborted \(the network is back there\)$"

run_case resume-early --src --stop-gap=0.5 \
    --src "--stopped-file=$TEST_TMP/resume-early/stopped" \
    --dst "--resume-on=$TEST_TMP/resume-early/stopped" --limit 60
check_eq "exit status" "$RC" 0
in_order "dest event RESUME" "source event MIGRATION pre-switchover" \
    "controller migration/switchover vm1 stopped=STOP" "$CONTINUE" \
    "controller migration/activate vm1" "controller migration/complete vm1"
absent "migrate_cancel|migration/abort"
said "destination QEMU \($D/dst\) resumed before the switchover was confirmed: remembered"

run_case partial-line --src --partial-at=pre-switchover --limit 60
check_eq "exit status" "$RC" 4
in_order "source event STOP" "source {\"partial\": \"pre-switchover\", \"who\": \"source\"}" \
    "source migrate_cancel" "controller migration/abort vm1" \
    "source event MIGRATION cancelled" "source event RESUME"
absent "migration/switchover|migrate-continue"
said "reconnected to source QEMU"
said "^cutover-hook: qmp vm1: source QEMU \($D/src\): sent 64 bytes of a message but not its end within 2 s; migration cancelled, the VM stays on the source, the cutover aborted \(the network stays on the source\)$"

run_case huge-line --src --partial-at=pre-switchover \
    --src --partial-bytes=2000000 --limit 60
check_eq "exit status" "$RC" 4
in_order "source {\"partial\": \"pre-switchover\", \"who\": \"source\"}" "source migrate_cancel" \
    "controller migration/abort vm1" "source event RESUME"
said "^cutover-hook: qmp vm1: source QEMU \($D/src\): sent a message longer than 1048576 bytes; migration cancelled, the VM stays on the source"

run_case continue-refused --src --refuse-continue --limit 60
check_eq "exit status" "$RC" 4
in_order "controller migration/switchover vm1 stopped=STOP" "$CONTINUE" \
    "source query-migrate" "source migrate_cancel" \
    "source event MIGRATION cancelled" "source event RESUME" \
    "controller migration/abort vm1"
absent "migration/activate"
said "^cutover-hook: qmp vm1: migrate-continue: GenericError: Refused by fake-qemu --refuse-continue; .*its migration pre-switchover; after migrate_cancel: .*: the VM runs on the source, the cutover was aborted \(the network is back there\)$"

echo "PASS"
