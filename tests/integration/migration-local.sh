#!/bin/bash
# A local migration (source = destination: a hypervisor's hot upgrade): VM
# vm1 moves from its old VMM process's interface on h1 to a new one's on h1
# (external_ids:cutover-incoming=true), while its peer vm2 on h2 and the
# internet (through its elastic IP) talk to it.  After each step h1's flows
# say which interface the port lives on and h2's are untouched; the
# complete retires the old interface; an abort restores h1's flows exactly;
# cutoverd killed after the switchover finds the migration switched from
# the switch's flows.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 2 --no-neigh
cutoverd_start

mig() { cutoverd_ctl "migration/$@"; }
MAC=02:00:0a:00:00:05
# The port's location-class flows on host N as "table match actions".
KEY=
loc_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats \
        "cookie=$(printf '0x04%06x00000000' "$KEY")/-1" \
        | sed -n 's/.*table=\([0-9]*\), *priority=[0-9]*,\(.*\) actions=\(.*\)/\1 \2 \3/p' \
        | sort
}
ofport() { lab_vsctl "$P" 1 get Interface "$1" ofport; }
# admission IFACE: vm1's ingress on h1 through interface IFACE.
admission() {
    loc_flows 1 | awk -v p="in_port=$(ofport "$1")" \
        '$1 == 5 && ("," $2 ",") ~ ("," p ",") {print $3}'
}
delivered_to() {
    loc_flows 1 | awk '$1 == 40 {print $3}'
}
# lives_on IFACE [OTHER...]: vm1 delivered and admitted through IFACE only.
lives_on() {
    local i
    wait_until 10 "flows in sync" cutoverd_flows_in_sync 2
    check_eq "vm1 delivered to $1" "$(delivered_to)" "output:$(ofport "$1")"
    check_eq "vm1 admitted from $1" "$(admission "$1")" goto_table:10
    shift
    for i in "$@"; do
        check_eq "vm1's ingress from $i closed" "$(admission "$i")" drop
    done
}
reachable() {
    wait_until 10 "vm2 to reach vm1" \
        ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5
    wait_until 10 "the internet to reach vm1's elastic IP" \
        ip netns exec "$P-inet" ping -c 1 -W 1 -q 203.0.113.10
}
instance() { lab_vm_ns "$P" vm1 1 "${1:-}"; }
# pause TAG / run TAG: an instance stops (its link down, as a paused VM's)
# or runs (link up; the default route, which went with the link, back).
pause() { ip -n "$(instance "${1:-}")" link set eth0 down; }
run() {
    ip -n "$(instance "${1:-}")" link set eth0 up \
        && ip -n "$(instance "${1:-}")" route replace default via 10.0.0.1
}
state() { mig show vm1 | sed -n '1s/^vm1: [^,]*, \([a-z]*\).*/\1/p'; }

step "2 hosts; vm1 on h1 (VPC, elastic IP), vm2 on h2"
check "h1" cutoverd_host_add 1 br-int.cutover
check "h2" cutoverd_host_add 2 br-int.cutover
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "provider" "$CTL" net-add provider vlan 100
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
edge_mac=$(ip -n "$P-edge" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
check "public" "$CTL" subnet-add provider public 203.0.113.0/24 203.0.113.1 \
    "$edge_mac"
check "port vm1" "$CTL" port-add vm1 web "$MAC" ip=10.0.0.5 home=h1
check "port vm2" "$CTL" port-add vm2 web 02:00:0a:00:00:06 ip=10.0.0.6 home=h2
check "elastic IP" "$CTL" eip-add 203.0.113.10 02:00:cb:00:71:0a provider \
    port=vm1
check "vm1 (old VMM)" lab_vm_add "$P" vm1 1 "$MAC" 10.0.0.5/24 --gw 10.0.0.1
check "vm2" lab_vm_add "$P" vm2 2 02:00:0a:00:00:06 10.0.0.6/24 --gw 10.0.0.1
KEY=$("$CTL" -f csv port-list | awk -F, '$1 == "vm1" {print $2}')
lives_on vm1
reachable
H2_BEFORE=$(lab_ofctl "$P" 2 dump-flows br-int --no-stats | sort)

step "a local migration needs the new VMM's interface: refused at prepare"
before=$(nb_dump)
expect_exit cutoverd_ctl 2 "vm1 is already on host h1, which has no incoming interface for it" \
    migration/prepare vm1 h1
expect_exit cutoverd_ctl 2 "vm1 is not migrating" migration/switchover vm1
check_eq "nothing recorded" "$(nb_dump)" "$before"
lives_on vm1

step "the new VMM's interface arrives (marked incoming), waiting"
check "vm1 (new VMM)" lab_vm_add "$P" vm1 1 "$MAC" 10.0.0.5/24 --gw 10.0.0.1 \
    --tag n --iface vm1n --external-id cutover-incoming=true
check "the new instance waits" pause n
lives_on vm1 vm1n
reachable

step "prepare and switchover on h1: the port moves to vm1n"
out=$(mig prepare vm1 h1) || fail "prepare: $out"
echo "$out"
check_eq "prepared" "$(state)" prepared
lives_on vm1 vm1n
check "the old VMM pauses" pause
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out"
echo "$out" | grep -q "switched over from h1 to h1: confirmed" \
    || fail "switchover said: $out"
check "the new VMM runs" run n
lives_on vm1n vm1
reachable
check_eq "h2's flows untouched" \
    "$(lab_ofctl "$P" 2 dump-flows br-int --no-stats | sort)" "$H2_BEFORE"

step "activate and complete: the old interface is retired"
check "activate" mig activate vm1
out=$(mig complete vm1) || fail "complete: $out"
echo "$out"
check_eq "complete" "$(state)" complete
check_eq "new interface no longer marked" \
    "$(lab_vsctl "$P" 1 get Interface vm1n external_ids:cutover-incoming 2>&1 \
       | grep -c 'no key')" 1
check_eq "old interface retired" \
    "$(lab_vsctl "$P" 1 get Interface vm1 external_ids:cutover-retired)" \
    '"true"'
lives_on vm1n
check_eq "no flow for the old interface" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats \
       "in_port=$(ofport vm1)" | grep -c cookie=)" 0
reachable
check "the old VMM exits" lab_vm_del "$P" vm1 1
lives_on vm1n
reachable
check_eq "h2's flows untouched" \
    "$(lab_ofctl "$P" 2 dump-flows br-int --no-stats | sort)" "$H2_BEFORE"

step "another upgrade, aborted after the switchover: h1 exactly as before"
check "vm1 (newer VMM)" lab_vm_add "$P" vm1 1 "$MAC" 10.0.0.5/24 --gw 10.0.0.1 \
    --tag m --iface vm1m --external-id cutover-incoming=true
check "the newer instance waits" pause m
lives_on vm1n vm1m
H1_BEFORE=$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | sort)
check "prepare" mig prepare vm1 h1
check "switchover" mig switchover vm1
lives_on vm1m vm1n
out=$(mig abort vm1) || fail "abort: $out"
echo "$out"
wait_until 10 "flows in sync" cutoverd_flows_in_sync 2
check_eq "h1's flows as before" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | sort)" "$H1_BEFORE"
reachable

step "cutoverd killed after the switchover: recovered from h1's flows"
check "prepare" mig prepare vm1 h1
check "the current VMM pauses" pause n
check "switchover" mig switchover vm1
check "the newer VMM runs" run m
# The record says prepared: only the switch knows it switched.
ovsdb-client transact "$NB_DB" \
    '["Cutover_Northbound",{"op":"update","table":"Migration","where":[["state","==","switched"]],"row":{"state":"prepared"}}]' \
    >/dev/null || fail "cannot rewrite the Migration row"
cutoverd_restart
wait_until 15 "the migration to be recovered" eval '[ "$(state)" = switched ]'
grep -q "recovered migration of vm1 (h1 -> h1): recorded prepared, the destination's switch says switched" \
    "$CUTOVERD_LOG" || fail "no recovery in the log"
lives_on vm1m vm1n
reachable
check "activate" mig activate vm1
check "complete" mig complete vm1
lives_on vm1m
check_eq "vm1n retired" \
    "$(lab_vsctl "$P" 1 get Interface vm1n external_ids:cutover-retired)" \
    '"true"'
reachable
echo "ok: local migrations"
