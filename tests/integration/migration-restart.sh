#!/bin/bash
# cutoverd killed (SIGKILL) after each step of a migration and started
# again: the migration carries on from its record and ends consistent, with
# no stale flows anywhere.  A record that lags behind the switches (the
# switchover's record is written in parallel with its bundles) is corrected
# from what the destination's switch has.  The destination's ovs-vswitchd
# restarted during prepare gets its flows back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 3 --no-neigh
# Without holds: this test reads the ingress flows of both sides, which a
# hold changes (its own tests: migration-hold.sh, announcer-hold.sh).
cutoverd_start --hold=off

mig() { cutoverd_ctl "migration/$@"; }
state() { mig show vm1 | sed -n '1s/^vm1: [^,]*, \([a-z]*\).*/\1/p'; }
answers() {
    ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}
# set_recorded STATE: what a controller that died before its record landed
# leaves in the database.
set_recorded() {
    ovsdb-client transact "$NB_DB" \
        "[\"Cutover_Northbound\",{\"op\":\"update\",\"table\":\"Migration\",\"where\":[[\"state\",\"!=\",\"aborted\"],[\"state\",\"!=\",\"complete\"]],\"row\":{\"state\":\"$1\"}}]" \
        >/dev/null || fail "cannot rewrite the Migration row"
}

step "3 hosts; vm1 on h1 (a waiting instance on h2), vm2 on h3"
migration_world
KEY=$VM1_KEY
expect_vm1_open 1 2

step "killed after each step, then the rest of the migration"
for killed_after in prepare switchover activate; do
    check "prepare" mig prepare vm1 h2
    if [ "$killed_after" != prepare ]; then
        ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
        ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
        check "switchover" mig switchover vm1
    fi
    [ "$killed_after" = activate ] && check "activate" mig activate vm1
    before=$(state)
    cutoverd_restart --hold=off
    wait_until 15 "the migration to be recovered" eval '[ "$(state)" = "$before" ]'
    echo "ok: killed after $killed_after, found $(state)"
    if [ "$killed_after" = prepare ]; then
        expect_vm1_open 1 2
        check "switchover after restart" mig switchover vm1
        ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
        ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
    else
        expect_vm1_open 2 1
    fi
    wait_until 10 "vm2 to reach vm1 on h2" answers
    [ "$killed_after" = activate ] || check "activate" mig activate vm1
    check "complete" mig complete vm1
    expect_vm1_open 2 1
    # And back home, without incident, for the next round.
    check "prepare back" mig prepare vm1 h1
    ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 down
    ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 up
    check "switchover back" mig switchover vm1
    check "complete back" mig complete vm1
    expect_vm1_open 1 2
    wait_until 10 "vm2 to reach vm1 on h1" answers
done

step "a record behind the switches: the switches say switched"
check "prepare" mig prepare vm1 h2
check "switchover" mig switchover vm1
kill -KILL "$CUTOVERD_PID"
set_recorded prepared
cutoverd_restart --hold=off
wait_until 15 "the migration to be recovered" eval '[ "$(state)" = switched ]'
grep -q "recorded prepared, the destination's switch says switched: switched" "$CUTOVERD_LOG" \
    || fail "no recovery from the switches in the log"
expect_vm1_open 2 1
check "abort" mig abort vm1
expect_vm1_open 1 2

step "a record ahead of the switches: recorded switching, not switched"
check "prepare" mig prepare vm1 h2
kill -KILL "$CUTOVERD_PID"
set_recorded switching
cutoverd_restart --hold=off
wait_until 15 "the migration to be recovered" eval '[ "$(state)" = prepared ]'
expect_vm1_open 1 2
check "abort" mig abort vm1

step "the destination's ovs-vswitchd restarted during prepare"
lab_restart_vswitchd "$P" 2 &
check "prepare while h2 restarts" mig prepare vm1 h2
wait
expect_vm1_open 1 2
check "switchover" mig switchover vm1
expect_vm1_open 2 1
check "abort" mig abort vm1
expect_vm1_open 1 2
echo "ok: migration-restart"
