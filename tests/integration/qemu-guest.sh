#!/bin/bash
# A real QEMU guest in the lab (TCG; tests/lab/guest-image's guest: a
# Debian kernel and a busybox initramfs, built once) as port vm1's VM on h1,
# on a tap in br-int with vm1's iface-id: cutoverd's pipeline carries the
# pings of a peer VM on h3 to it, through the VXLAN tunnel, and back.  Then
# a real live migration of the guest to h2 (a QEMU waiting with -incoming
# defer, the migration stream over a unix socket), cutover driven by
# cutover-hook qmp as a deployment drives it: the guest answers the peer
# from h2, and h2's DPDK agent announced it.  Before it, a migration
# cancelled at pre-switchover (the hook's migrate_cancel when the
# switchover is refused): the guest answers on h1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_root
require_cmds qemu-system-x86_64 cpio gzip apt-get
[ -x /bin/busybox ] || skip "no /bin/busybox (Debian package busybox-static)"

step "the guest image (built once, cached)"
GUEST=$("$top_srcdir/tests/lab/guest-image" 2>"$TEST_TMP/guest-image.err" | tail -1) \
    || skip "the guest image cannot be built here: $(tail -1 "$TEST_TMP/guest-image.err")"
export LAB_GUEST_DIR=$GUEST
ls -la "$GUEST"

controller_lab_up 3
cutoverd_start
step "vm1 a QEMU guest on h1, vm2 a namespace on h3"
for i in 1 2 3; do
    check "h$i" cutoverd_host_add "$i" br-int.cutover
done
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
check "port vm1" "$CTL" port-add vm1 web 02:00:0a:00:00:05 ip=10.0.0.5 home=h1
check "port vm2" "$CTL" port-add vm2 web 02:00:0a:00:00:06 ip=10.0.0.6 home=h3
check "vm1's QEMU on h1" lab_qemu_add "$P" vm1 1 02:00:0a:00:00:05 10.0.0.5/24
check "vm2 on h3" lab_vm_add "$P" vm2 3 02:00:0a:00:00:06 10.0.0.6/24
TEST_LOGS+=("$(lab_host_dir "$P" 1)/log/vm1.console")
wait_until 120 "the guest to boot (TCG)" lab_qemu_ready "$P" vm1 1
echo "ok: $(grep 'cutover-guest: ready' "$(lab_host_dir "$P" 1)/log/vm1.console")"
wait_until 30 "hosts in sync with vm1's tap" eval \
    'cutoverd_synced 3 && cutoverd_ctl cutoverd/status | grep -q "^host h1: .* 1 VM interfaces"'

step "the peer pings the guest through the pipeline"
answers() {
    ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}
wait_until 30 "vm2 to reach the guest" answers
out=$(ip netns exec "$(lab_ns "$P" vm2)" ping -c 5 -i 0.2 -W 10 10.0.0.5)
echo "$out" | tail -2
echo "$out" | grep -q ' 0% packet loss' || fail "pings lost: $out"
H1=$(lab_host_dir "$P" 1)
H2=$(lab_host_dir "$P" 2)

step "a migration cancelled at pre-switchover: the guest answers on h1"
# h2's switch frozen once prepared: the switchover times out, the hook
# cancels the migration (migrate_cancel at pre-switchover) and aborts the
# cutover; the source QEMU resumes the guest with its network on h1.
check "an incoming QEMU on h2" lab_qemu_add "$P" vm1 2 02:00:0a:00:00:05 \
    10.0.0.5/24 --incoming --tag c --iface vm1c
wait_until 10 "the QMP sockets" eval '[ -S "$H2/run/vm1-c.qmp" ] && [ -S "$H1/run/vm1.qmp" ]'
"$top_builddir/controller/cutover-hook" --server "unix:$CUTOVERD_CTL" \
    --timeout 20 qmp --port vm1 --source "$H1/run/vm1.qmp" \
    --dest "$H2/run/vm1-c.qmp" --to h2 --switchover-timeout 500 \
    >"$TEST_TMP/cancel.out" 2>"$TEST_TMP/cancel.err" &
HOOK_PID=$!
test_bg $HOOK_PID
TEST_LOGS+=("$TEST_TMP/cancel.err")
wait_until 30 "the hook to be ready" grep -q "^ready" "$TEST_TMP/cancel.out"
check_eq "prepared" "$(cutoverd_ctl migration/show vm1 | sed -n '1s/^vm1: h1 -> h2, \([a-z]*\).*/\1/p')" prepared
h2_vswitchd=$(cat "$H2/run/ovs-vswitchd.pid")
kill -STOP "$h2_vswitchd"
out=$("$top_srcdir/tests/harness/qmp-migrate" --source "$H1/run/vm1.qmp2" \
      --dest "$H2/run/vm1-c.qmp2" --uri "unix:$TEST_TMP/cancel.sock")
rc=$?
kill -CONT "$h2_vswitchd"
echo "QEMU: $out"
[ $rc = 1 ] && echo "$out" | grep -q '"status": "cancelled"' \
    || fail "the migration was not cancelled: $out"
hook_rc=0
wait $HOOK_PID || hook_rc=$?
cat "$TEST_TMP/cancel.out" "$TEST_TMP/cancel.err"
check_eq "the hook's exit status" "$hook_rc" 1
grep -q "migrate_cancel" "$TEST_TMP/cancel.err" \
    || fail "the hook did not say it cancelled: $(cat "$TEST_TMP/cancel.err")"
show=$(cutoverd_ctl migration/show vm1)
echo "$show"
echo "$show" | grep -q "^vm1: h1 -> h2, aborted" || fail "vm1 not aborted: $show"
out=$(ip netns exec "$(lab_ns "$P" vm2)" ping -c 5 -i 0.2 -W 10 10.0.0.5)
echo "$out" | grep -q ' 0% packet loss' || fail "pings lost after the cancel: $out"
echo "ok: the guest answers on h1"
# The incoming QEMU left when its migration failed; its tap goes too.
wait_until 10 "h2's cancelled QEMU to leave" eval \
    '! lab_alive "$(lab_pidfile_pid "$(lab_dir "$P")/pids/qemu-vm1-c-h2.pid")"'
check "its tap" lab_vsctl "$P" 2 del-port br-int vm1c
check "its tap device" lab_host_exec "$P" 2 ip tuntap del vm1c mode tap

step "a live migration of the guest to h2, followed by cutover-hook qmp"
check "vm1's incoming QEMU on h2" lab_qemu_add "$P" vm1 2 02:00:0a:00:00:05 \
    10.0.0.5/24 --incoming
wait_until 10 "the QMP sockets" eval '[ -S "$H2/run/vm1.qmp" ] && [ -S "$H1/run/vm1.qmp" ]'
"$top_builddir/controller/cutover-hook" --server "unix:$CUTOVERD_CTL" \
    --timeout 20 qmp --port vm1 --source "$H1/run/vm1.qmp" \
    --dest "$H2/run/vm1.qmp" --to h2 >"$TEST_TMP/hook.out" \
    2>"$TEST_TMP/hook.err" &
HOOK_PID=$!
test_bg $HOOK_PID
TEST_LOGS+=("$TEST_TMP/hook.err")
wait_until 30 "the hook to be ready" grep -q "^ready" "$TEST_TMP/hook.out"
out=$("$top_srcdir/tests/harness/qmp-migrate" --source "$H1/run/vm1.qmp2" \
      --dest "$H2/run/vm1.qmp2" --uri "unix:$TEST_TMP/migration.sock") \
    || fail "the migration did not complete: $out"
echo "QEMU: $out"
wait $HOOK_PID || fail "the hook failed: $(cat "$TEST_TMP/hook.out" "$TEST_TMP/hook.err")"
cat "$TEST_TMP/hook.out"
show=$(cutoverd_ctl migration/show vm1)
echo "$show"
echo "$show" | grep -q "^vm1: h1 -> h2, complete" || fail "vm1 not complete: $show"
echo "$show" | grep -q "announcements: announcer: fired 1 ports" \
    || fail "h2's agent did not announce: $show"
check "the guest answers from h2" answers
out=$(ip netns exec "$(lab_ns "$P" vm2)" ping -c 5 -i 0.2 -W 10 10.0.0.5)
echo "$out" | grep -q ' 0% packet loss' || fail "pings lost after the migration: $out"
echo "ok: qemu-guest"
