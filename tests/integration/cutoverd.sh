#!/bin/bash
# cutoverd, the controller, in the lab: it follows the northbound database
# and programs 3 hosts' Open vSwitch (provisioning over OVSDB, the
# controller listener, flows through atomic bundles).  Real traffic shows
# the flows are right; then the things a controller must survive: VM
# interfaces that come and go, a port that moves, an ovs-vswitchd that
# crashes and comes back empty (flows and tunnel neighbours restored: the
# lab seeds no neighbours, cutoverd sends them to every host's agent, which
# sets them in advance, so even the first packet through a tunnel arrives), the controller itself stopped (flows stay:
# fail_mode=secure) and restarted, a host it cannot program.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 3 --no-neigh
cutoverd_start

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
out=$(cutoverd_ctl version) || fail "version: $out"
echo "$out" | head -1 | grep -qx "cutoverd $version" \
    || fail "ovs-appctl version says '$out', expected cutoverd $version first"
echo "ok: version: $(echo "$out" | tr '\n' ' ')"

hd() { lab_host_dir "$P" "$1"; }

# Flows on host N's br-int (ours have a non-zero cookie class).
n_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats | grep -c cookie=
}
# What cutoverd computes for host N.
n_desired() {
    cutoverd_ctl cutoverd/flows "h$1" | grep -c cookie=
}
# Host N's line of cutoverd/status.
host_status() {
    cutoverd_ctl cutoverd/status | grep "^host h$1:"
}
reach() {
    ip netns exec "$(lab_ns "$P" "$1")" ping -c 1 -W 2 -q "$2" >/dev/null
}
# True once host N's agent has confirmed its 2 tunnel neighbours to
# cutoverd and has them set on both sides, in more than MIN rounds (a round
# per connection to its ovs-vswitchd or change of peers).
neigh_synced() {
    host_neigh "$1" | grep -q "2 peers, set by the agent on br-phy$" \
        && agent_neigh "$1" | grep -q "^neighbours: 2 peers on br-phy, ovs-vswitchd connected at [^:]*:[^:]*: 2 set (.*), kernel: 2 set$" \
        && [ "$(neigh_rounds "$1")" -gt "$2" ]
}
neigh_rounds() {
    agent_neigh "$1" | grep -o '[0-9]* rounds' | grep -o '[0-9]*'
}
host_neigh() {
    cutoverd_ctl cutoverd/status | grep "^  neighbours h$1:"
}
# Host N's agent's own account (neighbours/show).
agent_neigh() {
    ovs-appctl -t "$(lab_agent_ctl "$P" "$1")" neighbours/show
}
# Pings until one answer comes (the first packets after a change may meet
# an empty neighbour cache), within 10 s.
reach_soon() {
    wait_until 10 "$1 to reach $2" reach "$1" "$2"
}

step "hosts: h1 and h2 listen on the management network where cutoverd connects, h3 through br-int.mgmt"
# A foreign flow on h1, there before cutoverd knows h1 (not after: cutoverd
# may reach h1 before the test adds it): its first bundle removes it.
check "a foreign flow" lab_ofctl "$P" 1 add-flow br-int \
    "cookie=0x1234,table=7,priority=5,actions=drop"
check "h1" cutoverd_host_add 1 br-int.cutover
check "h2" cutoverd_host_add 2 br-int.cutover
check "h3" cutoverd_host_add 3 br-int.mgmt
wait_until 30 "3 hosts in sync" cutoverd_synced 3
check_eq "h1's controller target" \
    "$(lab_vsctl "$P" 1 get controller br-int target)" \
    "\"ptcp:6653:$(lab_mgmt_ip 1)\""
check_eq "h3 has no controller target" \
    "$(lab_vsctl "$P" 3 get bridge br-int controller)" "[]"
for i in 1 2 3; do
    wait_until 10 "h$i's neighbours" neigh_synced "$i" 0
done
host_neigh 1
agent_neigh 1
lab_appctl "$P" 1 ovs-vswitchd tnl/arp/show | grep -Eq "^$(lab_host_ip 2) +$(lab_host_mac 2) +br-phy" \
    || fail "h1's ovs-vswitchd has no neighbour entry for h2: $(lab_appctl "$P" 1 ovs-vswitchd tnl/arp/show)"
check_eq "h1's kernel neighbour for h3" \
    "$(ip -n "$P-h1" neigh show "$(lab_host_ip 3)" dev br-phy | xargs)" \
    "$(lab_host_ip 3) lladdr $(lab_host_mac 3) PERMANENT"
echo "ok: tunnel neighbours resolved in advance"
for i in 1 2 3; do
    check_eq "h$i tunnel ports" \
        "$(lab_vsctl "$P" "$i" list-ports br-int | tr '\n' ' ')" \
        "ann0 geneve0 patch-phy vxlan0 "
done
lab_ofctl "$P" 1 dump-flows br-int | grep -q "cookie=0x1234" \
    && fail "the foreign flow survived the controller's first bundle"
echo "ok: foreign flow removed"

step "the model: one VPC, two subnets; VMs come after their ports"
routed_world
wait_until 30 "hosts in sync with 3 VM interfaces" eval \
    'cutoverd_synced 3 && host_status 3 | grep -q "1 VM interfaces"'
for i in 1 2 3; do
    check_eq "h$i: flows in the switch = flows computed" "$(n_flows "$i")" \
        "$(n_desired "$i")"
done
# One packet each way, no retry: with the neighbours known in advance the
# first packet through each tunnel arrives.
check "vm1 (h1) -> vm3 (h3), same subnet, first ping" reach vm1 10.0.0.6
check "vm1 (h1) -> vm2 (h2), routed, first ping" reach vm1 10.0.1.5
check "vm3 (h3) -> vm2 (h2), routed, first ping" reach vm3 10.0.1.5

step "a VM interface that goes away and comes back (new ofport)"
before=$(n_flows 2)
check "vm2 goes" lab_vm_del "$P" vm2 2
wait_until 30 "h2 without VM interfaces" eval \
    'host_status 2 | grep -q "in sync, .* 0 VM interfaces"'
check_le "h2 flows without vm2's interface" "$(n_flows 2)" $((before - 1))
reach vm1 10.0.1.5 && fail "vm1 reached vm2 with its interface gone"
check "vm2 is back" lab_vm_add "$P" vm2 2 02:00:0a:00:01:02 10.0.1.5/24 \
    --gw 10.0.1.1
wait_until 30 "h2 with vm2's interface again" eval \
    'host_status 2 | grep -q "in sync, .* 1 VM interfaces"'
check_eq "h2 flows with vm2's interface again" "$(n_flows 2)" "$before"
check "vm1 -> vm2 again" reach_soon vm1 10.0.1.5

step "a port moves: its VM now lives on h1"
check "vm3 leaves h3" lab_vm_del "$P" vm3 3
check "vm3 on h1" lab_vm_add "$P" vm3 1 02:00:0a:00:00:03 10.0.0.6/24 \
    --gw 10.0.0.1
check "home h1" "$CTL" port-set-home vm3 h1
wait_until 30 "hosts in sync after the move" eval \
    'cutoverd_synced 3 && host_status 1 | grep -q "2 VM interfaces"'
check "vm2 (h2) -> vm3 (now h1)" reach_soon vm2 10.0.0.6
check "vm1 -> vm3, both on h1" reach_soon vm1 10.0.0.6
# h2 only learns where vm3 lives: its location flow, and whom it takes
# vm3's tunnel traffic from (its MAC and its address from h1 now, not from
# h3: 2 flows deleted, 2 added), five flow mods.
check "h2's last bundle" eval 'host_status 2 >/dev/null'
h2_mods=$(cutoverd_ctl cutoverd/status | sed -n '/^host h2:/,/^host /p' \
          | grep -o 'last [0-9]* flow mods' | grep -o '[0-9]*')
check_eq "flow mods on h2 for vm3's move" "$h2_mods" 5
# Only vm3's flows were computed again, not every host's.
check "the move applied port by port" eval \
    'cutoverd_ctl cutoverd/status | grep -q "[1-9][0-9]* of them changing only some ports"'

step "ovs-vswitchd on h2 crashes and restarts with an empty flow table"
rounds=$(neigh_rounds 2)
check "h2 ovs-vswitchd restarted" lab_restart_vswitchd "$P" 2
wait_until 30 "h2 reconnected and refilled" eval \
    '[ "$(n_flows 2)" -gt 0 ] && cutoverd_synced 3'
check_eq "h2: flows refilled" "$(n_flows 2)" "$(n_desired 2)"
wait_until 30 "h2's neighbours set again" neigh_synced 2 "$rounds"
agent_neigh 2
check "vm1 -> vm2 after the restart, first ping" reach vm1 10.0.1.5
check "vm2 -> vm3 after the restart, first ping" reach vm2 10.0.0.6

step "cutoverd stops: flows stay (fail_mode=secure), traffic goes on"
h1_flows=$(n_desired 1)
check "exit" cutoverd_ctl exit
wait_until 10 "cutoverd to exit" eval '! lab_alive "$CUTOVERD_PID"'
sleep 1
check_eq "h1 keeps its flows a second later" "$(n_flows 1)" "$h1_flows"
check "vm1 -> vm2 without a controller" reach vm1 10.0.1.5
check "a port while it is away" "$CTL" port-add vm4 web \
    02:00:0a:00:00:04 ip=10.0.0.7 home=h3
cutoverd_start
wait_until 30 "hosts in sync after the controller's restart" cutoverd_synced 3
check_eq "h1: vm4's location flow arrived" \
    "$(lab_ofctl "$P" 1 dump-flows br-int | grep -c 'dl_dst=02:00:0a:00:00:04')" 1
check "vm1 -> vm2 with the controller back" reach vm1 10.0.1.5

step "an inconsistency another writer made is named (cutoverctl's generic set skips its checks)"
check "vm4 given vm3's address" "$CTL" set Port vm4 ipv4=10.0.0.6
check "vm2 given an address outside its subnet" "$CTL" set Port vm2 ipv4=10.0.9.7
wait_until 10 "cutoverd to name both" eval \
    'cutoverd_ctl cutoverd/status | grep -q "^  2 inconsistencies in the northbound database:"'
status=$(cutoverd_ctl cutoverd/status)
echo "$status" | grep -Eqx "    address 10.0.0.6 is both port vm[34]'s and port vm[34]'s \(network vpc1\)" \
    || fail "the address of two ports is not named: $status"
echo "$status" | grep -qx "    port vm2: port address 10.0.9.7 is outside subnet db (10.0.1.0/24)" \
    || fail "the address outside its subnet is not named: $status"
grep -q "the northbound database is inconsistent: port vm2: port address 10.0.9.7 is outside subnet db" \
    "$CUTOVERD_LOG" || fail "the log does not name the address outside its subnet"
echo "$status" | sed -n '/inconsistencies/,/^hosts/p'
check "vm4's address back" "$CTL" set Port vm4 ipv4=10.0.0.7
check "vm2's address back" "$CTL" set Port vm2 ipv4=10.0.1.5
wait_until 10 "the inconsistencies to be gone" eval \
    '! cutoverd_ctl cutoverd/status | grep -q inconsistencies'
wait_until 30 "hosts in sync again" cutoverd_synced 3
check "vm1 -> vm2 again" reach_soon vm1 10.0.1.5

step "cutoverctl --wait=hv returns once every host has the change"
check "port vm5, --wait=hv" "$CTL" --wait=hv port-add vm5 web \
    02:00:0a:00:00:08 ip=10.0.0.8 home=h2
# Read at once, no waiting: the switches have it already.
for i in 1 2 3; do
    check_eq "h$i: vm5's location flow, at once" \
        "$(lab_ofctl "$P" "$i" dump-flows br-int | grep -c 'dl_dst=02:00:0a:00:00:08')" 1
done
check "vm5 gone, --wait=hv" "$CTL" --wait=hv port-del vm5
check_eq "h1: vm5's flow gone, at once" \
    "$(lab_ofctl "$P" 1 dump-flows br-int | grep -c 'dl_dst=02:00:0a:00:00:08')" 0

step "a host it cannot program is reported, the others carry on"
"$CTL" host-add h4 172.16.0.99 openflow=ptcp:6653 2>&1 \
    | grep -q "OpenFlow target 'ptcp:6653' has no IP address" \
    || fail "cutoverctl took a passive OpenFlow target without an address"
# Written by something other than cutoverctl: cutoverd says what is wrong.
check "h4 listens passively" ovsdb-client transact "$NB_DB" \
    '["Cutover_Northbound", {"op": "insert", "table": "Host", "row":
      {"name": "h4", "tunnel_ip": "172.16.0.99",
       "ovsdb_target": "unix:/nonexistent/db.sock",
       "openflow_target": "ptcp:6653"}}]' >/dev/null
wait_until 10 "h4's error in the status" eval \
    'cutoverd_ctl cutoverd/status | grep -q "^host h4: OpenFlow target .ptcp:6653. has no IP address: the switch must be told where to connect"'
cutoverd_ctl cutoverd/flows h4 2>&1 | grep -q "has no IP address" \
    || fail "cutoverd/flows h4 does not say why"
cutoverd_ctl cutoverd/flows nosuch 2>&1 | grep -q "no such host" \
    || fail "cutoverd/flows nosuch does not say so"
check "h5 without targets" "$CTL" host-add h5 172.16.0.98
wait_until 10 "h5 reported unmanaged" eval \
    'cutoverd_ctl cutoverd/status | grep -q "^host h5: not managed: it needs an ovsdb_target"'
check "vm1 -> vm2 still" reach vm1 10.0.1.5
cutoverd_ctl cutoverd/status

step "--wait=hv without cutoverd: a bounded wait, and a message that says why"
check "exit" cutoverd_ctl exit
wait_until 10 "cutoverd to exit" eval '! lab_alive "$CUTOVERD_PID"'
out=$("$CTL" --wait=hv -t 2 net-add vpc9 vxlan 1009 2>&1) \
    && fail "--wait=hv returned without cutoverd: $out"
echo "$out" | grep -q "the change is in the database, but not every host has it after 2 s" \
    || fail "--wait=hv's message: $out"
echo "ok: $out"
check "the change itself is there" "$CTL" get Network vpc9 vni
echo "PASS"
