#!/bin/bash
# End to end, as a VMM runs it: cutover-hook's QEMU follower between two
# QEMU stand-ins (tests/harness/fake-qemu, speaking QMP as QEMU does) and
# the real cutoverd, which programs real Open vSwitch hosts of the lab and
# has h2's real DPDK announcer (cutover-announcer) register the port's
# frames at prepare and fire them at activate.  Then the way back with the
# hook's one-shot steps, and a source that never completes after
# migrate-continue: the hook settles at its --resume-timeout, the VM back
# on the source and cutoverd's migration aborted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
CTL=$top_builddir/controller/cutoverctl
HOOK=$top_builddir/controller/cutover-hook
ANNOUNCER=$top_builddir/gratuitous/cutover-announcer
FAKE_QEMU=$top_srcdir/tests/harness/fake-qemu
for f in "$CTL" "$HOOK" "$ANNOUNCER" "$top_builddir/controller/cutoverd"; do
    [ -x "$f" ] || skip "$f is not built"
done
require_cmds python3 timeout
controller_lab_up 3 --no-neigh
H2=$(lab_host_ns "$P" 2)
cutoverd_start

mig() { cutoverd_ctl "migration/$@"; }
hook() { "$HOOK" --server "unix:$CUTOVERD_CTL" --timeout 10 "$@"; }
answers() {
    ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}

agent_use 2

step "3 hosts, each with its agent, vm1 on h1 and waiting on h2, vm2 on h3"
migration_world
wait_until 30 "hosts in sync" eval 'cutoverd_ctl cutoverd/status | grep -q "^hosts: 3 managed, 3 in sync"'
wait_until 10 "h2's announcer connected" eval 'cutoverd_ctl cutoverd/status | grep -q "agent tcp:$(lab_mgmt_ip 2):6655 connected"'
wait_until 10 "vm2 to reach vm1 on h1" answers

step "cutover-hook qmp follows QEMU: prepare, switchover, migrate-continue, activate, complete"
D=$TEST_TMP/qmp
mkdir -p "$D"
"$FAKE_QEMU" --role source --socket "$D/src" --log "$D/log" \
    --done-file "$D/done" 2>>"$D/src.stderr" &
SRC_PID=$!
test_bg $SRC_PID
"$FAKE_QEMU" --role dest --socket "$D/dst" --log "$D/log" \
    --resume-on "$D/done" 2>>"$D/dst.stderr" &
test_bg $!
wait_for "$D/src"
wait_for "$D/dst"
timeout 60 "$HOOK" --server "unix:$CUTOVERD_CTL" --timeout 10 qmp --port vm1 \
    --source "$D/src" --dest "$D/dst" --to h2 >"$D/out" 2>"$D/err" &
HOOK_PID=$!
test_bg $HOOK_PID
TEST_LOGS+=("$D/err")
wait_until 20 "the follower to be ready" grep -q "^ready" "$D/out"
check_eq "prepared, announcements registered" \
    "$(mig show vm1 | sed -n '1s/^vm1: h1 -> h2, \([a-z]*\).*/\1/p')" prepared
ann_show=$(ovs-appctl -t "$ANN_CTL" announcer/show)
echo "$ann_show" | grep -q "vm1" || fail "the announcer has no vm1: $ann_show"
kill -USR1 $SRC_PID
wait $HOOK_PID
rc=$?
cat "$D/out" "$D/err"
check_eq "the follower's exit status" "$rc" 0
show=$(mig show vm1)
echo "$show"
echo "$show" | grep -q "^vm1: h1 -> h2, complete" || fail "vm1 not complete: $show"
echo "$show" | grep -Eq "announcements: announcer: fired 1 ports, [0-9]+ frames in [0-9.]+ us" \
    || fail "no announcement in: $show"
# The follower passed QEMU's STOP time with the switchover.
echo "$show" | grep -Eq "the VM stopped [0-9]+ us before both switches confirmed" \
    || fail "no stop time in: $show"
grep -q '"migrate-continue"' "$D/log" || fail "no migrate-continue sent to the source"
ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
wait_until 10 "vm2 to reach vm1 on h2" answers
check_eq "home" "$("$CTL" -f csv port-list | awk -F, '$1 == "vm1" {print $8}')" h2
ovs-appctl -t "$ANN_CTL" announcer/show | grep -q "vm1" \
    && fail "vm1's frames are still registered after complete"
echo "ok: the follower drove the migration"

step "back with the one-shot hook"
expect_exit hook 2 "prepare needs --to|--to" prepare --port vm1
expect_exit hook 1 "unknown port vm9" switchover --port vm9
check "prepare" hook prepare --port vm1 --to h1
ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 down
ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 up
out=$(hook switchover --port vm1) || fail "switchover: $out"
echo "$out" | grep -q "vm1 switched over from h2 to h1" || fail "switchover said: $out"
check "activate" hook activate --port vm1
check "complete" hook complete --port vm1
wait_until 10 "vm2 to reach vm1 on h1" answers

step "a source QEMU that never completes: the hook settles at --resume-timeout"
D=$TEST_TMP/stuck
mkdir -p "$D"
"$FAKE_QEMU" --role source --socket "$D/src" --log "$D/log" --no-complete \
    --done-file "$D/done" 2>>"$D/src.stderr" &
SRC_PID=$!
test_bg $SRC_PID
"$FAKE_QEMU" --role dest --socket "$D/dst" --log "$D/log" \
    --resume-on "$D/done" 2>>"$D/dst.stderr" &
test_bg $!
wait_for "$D/src"
wait_for "$D/dst"
timeout 60 "$HOOK" --server "unix:$CUTOVERD_CTL" --timeout 10 qmp --port vm1 \
    --source "$D/src" --dest "$D/dst" --to h2 --resume-timeout 2 \
    >"$D/out" 2>"$D/err" &
HOOK_PID=$!
test_bg $HOOK_PID
TEST_LOGS+=("$D/err")
wait_until 20 "the follower to be ready" grep -q "^ready" "$D/out"
kill -USR1 $SRC_PID
wait $HOOK_PID
rc=$?
cat "$D/out" "$D/err"
check_eq "the follower's exit status" "$rc" 4
grep -q "decided: the VM runs on the source" "$D/err" || fail "no decision logged"
show=$(mig show vm1)
echo "$show"
echo "$show" | grep -q "^vm1: h1 -> h2, aborted" || fail "vm1 not aborted: $show"
check_eq "home" "$("$CTL" -f csv port-list | awk -F, '$1 == "vm1" {print $8}')" h1
wait_until 10 "vm2 to reach vm1 on h1" answers
echo "ok: migration-hook"
