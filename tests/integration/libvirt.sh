#!/bin/bash
# cutover-libvirt against real libvirtds: every lab host runs its own
# libvirtd (lab up --libvirt: session mode as an unprivileged user, its own
# identity and directories) and its own cutover-libvirt, which reaches
# cutoverd over TCP on the management network as a deployment's would.  A
# domain running tests/lab/guest-image's guest (TCG) is port vm1 on h1
# (cutover's metadata in its definition), a peer VM on h3 pings it.
# First 'virsh migrate --live' to h2 aborted by 'virsh domjobabort': both
# followers abort the cutover and the guest answers on h1.  Then a live
# migration to h2 that libvirt runs to its end: h2's follower prepares when
# the incoming domain starts, h1's switches over at QEMU's STOP (ungated:
# libvirt sends migrate-continue itself), h2's activates and completes at
# RESUME; the guest answers from h2 and h2's DPDK agent announced it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_root
require_cmds qemu-system-x86_64 cpio gzip apt-get libvirtd virsh setpriv
[ -x /bin/busybox ] || skip "no /bin/busybox (Debian package busybox-static)"
[ -x "$top_builddir/virt/cutover-libvirt" ] \
    || skip "cutover-libvirt not built (configure found no libvirt-dev)"

step "the guest image (built once, cached)"
GUEST=$("$top_srcdir/tests/lab/guest-image" 2>"$TEST_TMP/guest-image.err" | tail -1) \
    || skip "the guest image cannot be built here: $(tail -1 "$TEST_TMP/guest-image.err")"
export LAB_GUEST_DIR=$GUEST

controller_lab_up 3 --libvirt
TCP_PORT=$((20000 + $$ % 20000))
cutoverd_start --remote="ptcp:$TCP_PORT:$(lab_ctl_ip)"
for i in 1 2 3; do
    check "h$i" cutoverd_host_add "$i" br-int.cutover
    TEST_LOGS+=("$(lab_libvirt_dir "$P" "$i")/log/libvirtd.log")
done

step "cutover-libvirt on h1 and h2, reaching cutoverd over TCP"
for i in 1 2; do
    hd=$(lab_host_dir "$P" "$i")
    lab_host_exec "$P" "$i" "$top_builddir/virt/cutover-libvirt" \
        --host="h$i" --connect="$(lab_libvirt_uri "$P" "$i")" \
        --server="tcp:$(lab_ctl_ip):$TCP_PORT" \
        --unixctl="$hd/run/cutover-libvirt.ctl" \
        --pidfile="$hd/run/cutover-libvirt.pid" \
        --log-file="$hd/log/cutover-libvirt.log" --detach --no-chdir \
        -vconsole:off -vfile:info 2>>"$TEST_TMP/cutover-libvirt.stderr" \
        || fail "h$i: cutover-libvirt did not start: $(cat "$TEST_TMP/cutover-libvirt.stderr")"
    test_bg "$(cat "$hd/run/cutover-libvirt.pid")"
    TEST_LOGS+=("$hd/log/cutover-libvirt.log")
done
follower() {
    ovs-appctl --timeout=10 -t "$(lab_host_dir "$P" "$1")/run/cutover-libvirt.ctl" \
        libvirt/show
}
for i in 1 2; do
    wait_until 10 "h$i's cutover-libvirt to follow its libvirtd" eval \
        'follower '"$i"' | grep -q "^cutoverd .*, host h'"$i"', ungated"'
done
follower 1

step "vm1 a libvirt domain on h1, vm2 a namespace on h3"
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
check "port vm1" "$CTL" port-add vm1 web 02:00:0a:00:00:05 ip=10.0.0.5 home=h1
check "port vm2" "$CTL" port-add vm2 web 02:00:0a:00:00:06 ip=10.0.0.6 home=h3
check "domain vm1 on h1" lab_libvirt_add "$P" vm1 1 02:00:0a:00:00:05 10.0.0.5/24
check "vm2 on h3" lab_vm_add "$P" vm2 3 02:00:0a:00:00:06 10.0.0.6/24
check "vm1's tap on h2, for its migrations" \
    lab_libvirt_tap "$P" 2 vm1 vm1 02:00:0a:00:00:05
TEST_LOGS+=("$(lab_host_dir "$P" 1)/log/vm1.console")
wait_until 120 "the guest to boot (TCG)" lab_qemu_ready "$P" vm1 1
wait_until 30 "hosts in sync with vm1's tap" eval \
    'cutoverd_synced 3 && cutoverd_ctl cutoverd/status | grep -q "^host h1: .* 1 VM interfaces"'
answers() {
    ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}
pings() {
    local out
    out=$(ip netns exec "$(lab_ns "$P" vm2)" ping -c 5 -i 0.2 -W 10 10.0.0.5)
    echo "$out" | tail -2
    echo "$out" | grep -q ' 0% packet loss' || fail "pings lost $1: $out"
}
wait_until 30 "vm2 to reach the guest" answers
pings "before migrating"
check_eq "h1 follows vm1" "$(follower 1 | grep -c '^vm1: port vm1')" 1

step "a migration aborted by virsh domjobabort: the guest answers on h1"
# Slow (1 MiB/s), so that it is still copying when it is aborted.
lab_libvirt_migrate "$P" vm1 1 2 --bandwidth 1 >"$TEST_TMP/abort.out" 2>&1 &
MIGRATE_PID=$!
test_bg $MIGRATE_PID
wait_until 60 "h2's cutover-libvirt to prepare vm1" eval \
    'cutoverd_ctl migration/show vm1 2>/dev/null | grep -q "^vm1: h1 -> h2, prepared"'
check "domjobabort" lab_virsh "$P" 1 domjobabort vm1
rc=0
wait $MIGRATE_PID || rc=$?
cat "$TEST_TMP/abort.out"
[ $rc != 0 ] || fail "virsh migrate did not fail after domjobabort"
wait_until 30 "the cutover to be aborted" eval \
    'cutoverd_ctl migration/show vm1 | grep -q "^vm1: h1 -> h2, aborted"'
cutoverd_ctl migration/show vm1
check_eq "vm1 runs on h1" "$(lab_virsh "$P" 1 domstate vm1)" running
check_eq "and not on h2" "$(lab_virsh "$P" 2 list --name)" ""
pings "after the abort"
echo "ok: the guest answers on h1"

step "a live migration to h2, libvirt's migrate-continue and all"
out=$(lab_libvirt_migrate "$P" vm1 1 2 2>&1) \
    || fail "the migration failed: $out"
check_eq "vm1 runs on h2" "$(lab_virsh "$P" 2 domstate vm1)" running
wait_until 30 "the cutover to complete" eval \
    'cutoverd_ctl migration/show vm1 | grep -q "^vm1: h1 -> h2, complete"'
show=$(cutoverd_ctl migration/show vm1)
echo "$show"
echo "$show" | grep -q "announcements: announcer: fired 1 ports" \
    || fail "h2's agent did not announce: $show"
grep -E 'switchover vm1 confirmed|activate vm1 confirmed|complete vm1 confirmed|prepare vm1 confirmed' \
    "$(lab_host_dir "$P" 1)/log/cutover-libvirt.log" \
    "$(lab_host_dir "$P" 2)/log/cutover-libvirt.log" | tail -6
grep -q "switchover vm1 confirmed" "$(lab_host_dir "$P" 1)/log/cutover-libvirt.log" \
    || fail "h1's cutover-libvirt did not switch over"
check "the guest answers from h2" answers
pings "after the migration"
echo "ok: libvirt"
