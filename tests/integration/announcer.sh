#!/bin/bash
# cutover-announcer, the DPDK fast path, in the lab: host h2's announcer
# (DPDK net_af_packet on a veth whose other end is in br-int with iface-id
# cutover-announcer) announces VLAN port vm1 and an elastic IP; cutoverd
# programs the pipeline that lets the frames out as the VMs' own.  A
# capture on the edge router (the far end of the provider VLAN's cable)
# sees RARP, gratuitous ARP and NA, untagged, in order, round after round;
# the physical switch's FDB moves the MAC to h2's cable; an overlay port's
# frames go nowhere.  Then the control protocol's counts and errors, a
# registration replaced, the mempool full, and a clean stop on SIGTERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_announcer
require_root
require_announce
require_cmds tcpdump bridge

# The EAL's run-time directory: made even with --no-shconf (as root); the
# announcer removes it when it stops, the trap in any case.
DPDK_PREFIX=ct$$-announcer
trap 'rc=$?; rm -rf "/var/run/dpdk/$DPDK_PREFIX"; (exit $rc); test_cleanup' EXIT
require_dpdk_af_packet

controller_lab_up 3 --no-agent --no-neigh
cutoverd_start

VM1_MAC=02:00:cb:00:71:05
VM2_MAC=02:00:0a:00:00:02
EIP_MAC=02:00:cb:00:71:0a
EIP=203.0.113.10
H2=$(lab_host_ns "$P" 2)

step "the model: vm1 on the provider VLAN, vm2 in a VPC with an elastic IP, both on h2"
for i in 1 2 3; do
    check "h$i" cutoverd_host_add "$i" br-int.cutover
done
edge_mac=$(ip -n "$P-edge" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
check "provider" "$CTL" net-add provider vlan 100
check "public" "$CTL" subnet-add provider public 203.0.113.0/24 203.0.113.1 \
    "$edge_mac" cidr6=2001:db8:cafe::/64 gateway6=2001:db8:cafe::1
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
check "vm1" "$CTL" port-add vm1 public "$VM1_MAC" ip=203.0.113.50 \
    ip=2001:db8:cafe::50 home=h2
check "vm2" "$CTL" port-add vm2 web "$VM2_MAC" ip=10.0.0.5 home=h2
check "elastic IP" "$CTL" eip-add "$EIP" "$EIP_MAC" provider port=vm2
out=$("$CTL" port-add cutover-announcer public 02:00:cb:00:71:99 2>&1) \
    && fail "cutoverctl created a port named cutover-announcer"
echo "$out" | grep -q "port name 'cutover-announcer' is reserved for the host's announcer" \
    || fail "cutoverctl's refusal does not say why: $out"
echo "ok: cutoverctl refuses the reserved name: $out"

# The VMs' interfaces on h2, as at a migration's destination: attached,
# silent (their peers stay down), so that every frame with their MACs on
# the VLAN is the announcer's.
for vm in vm1 vm2; do
    check "$vm's interface" ip -n "$H2" link add "$vm" type veth peer \
        name "$vm-p"
    check "$vm up" ip -n "$H2" link set "$vm" up
    check "$vm in br-int" lab_vsctl "$P" 2 add-port br-int "$vm" \
        -- set interface "$vm" external_ids:iface-id="$vm"
done

step "h2's announcer: DPDK net_af_packet on ann1, ann0 in br-int as cutover-announcer"
A=$(lab_host_dir "$P" 2)
announcer_host_start 2 --max-frames=64
check_eq "the announcer's DPDK run-time directory" \
    "$(ls -d "/var/run/dpdk/$DPDK_PREFIX")" "/var/run/dpdk/$DPDK_PREFIX"

ann0=$(lab_vsctl "$P" 2 get interface ann0 ofport)
# The announcement table's flows on h2: from ann0, and for vm1.
announcer_flows() {
    lab_ofctl "$P" 2 dump-flows br-int --no-names --no-stats \
        | grep -q "in_port=$ann0 actions=goto_table:2" \
        && lab_ofctl "$P" 2 dump-flows br-int table=2 --no-stats \
        | grep -q "dl_src=$VM1_MAC"
}
wait_until 30 "3 hosts in sync" cutoverd_synced 3
wait_until 30 "h2's announcement flows" eval 'announcer_flows && cutoverd_synced 3'
lab_ofctl "$P" 2 dump-flows br-int table=2 --no-stats

# The physical switch first knows vm1's MAC on h1's cable: where the VM
# lived before it moved.
H1=$(lab_host_ns "$P" 1)
check "vm1's MAC from h1" ip netns exec "$H1" "$ANNOUNCE" -i eth1 \
    -m "$VM1_MAC" --rounds 1 -q
fdb_port() {
    bridge -n "$P-ul" fdb show br vlan100 | awk -v m="$1" '$1 == m {print $3; exit}'
}
wait_until 5 "the FDB to learn vm1's MAC" eval '[ -n "$(fdb_port "$VM1_MAC")" ]'
check_eq "vm1's MAC before the announcement" "$(fdb_port "$VM1_MAC")" h1-v100

# capture_start NAME FILTER: tcpdump on the edge router's provider cable.
capture_start() {
    local i
    ip netns exec "$P-edge" tcpdump -i eth0 -U --immediate-mode -s 200 \
        -w "$TEST_TMP/$1.pcap" "$2" 2>"$TEST_TMP/$1.tcpdump" &
    CAP_PID=$!
    test_bg "$CAP_PID"
    for i in $(seq 100); do
        grep -q "listening on" "$TEST_TMP/$1.tcpdump" && return 0
        sleep 0.05
    done
    fail "tcpdump did not start: $(cat "$TEST_TMP/$1.tcpdump")"
}
# frames NAME: the frames captured so far, one line each (tcpdump -e).
frames() {
    tcpdump -r "$TEST_TMP/$1.pcap" -nn -e 2>/dev/null
}
capture_stop() {
    kill -INT "$CAP_PID"
    wait "$CAP_PID"
}
# kinds NAME: the frames' kinds in order, one word each.
kinds() {
    frames "$1" | sed -E \
        -e 's/.*802\.1Q.*/TAGGED/' \
        -e 's/.*Reverse ARP.*Reverse Request who-is ([^ ]*) tell.*/RARP:\1/' \
        -e 's/.*ethertype ARP.*Request who-has ([^ ]*) tell ([^ ,]*).*/GARP:\1:\2/' \
        -e 's/.*IPv6.* ([^ ]*) > ff02::1: ICMP6, neighbor advertisement, tgt is ([^ ,]*).*/NA:\1:\2/'
}

step "register vm1 and fire: RARP, gratuitous ARP, NA arrive untagged on the VLAN, 5 rounds"
check_eq "register vm1" "$(ann announcer/register vm1 "$VM1_MAC" \
    203.0.113.50 2001:db8:cafe::50)" "registered vm1: 3 frames"
capture_start vm1 "ether src $VM1_MAC"
out=$(ann announcer/fire vm1) || fail "fire: $out"
echo "$out"
echo "$out" | grep -Eq '^fired 1 ports, 3 frames in [0-9]+\.[0-9]{3} us$' \
    || fail "fire's reply: '$out'"
wait_until 10 "15 frames at the edge" eval '[ "$(frames vm1 | wc -l)" -ge 15 ]'
sleep 0.2
capture_stop
frames vm1 | head -3
round="RARP:$VM1_MAC GARP:203.0.113.50:203.0.113.50 NA:2001:db8:cafe::50:2001:db8:cafe::50"
check_eq "frames at the edge, in order" "$(kinds vm1 | xargs)" \
    "$round $round $round $round $round"
check_eq "vm1's MAC after the announcement" "$(fdb_port "$VM1_MAC")" h2-v100
show=$(ann announcer/show)
echo "$show"
echo "$show" | grep -q "^  fires 1, rounds sent 5, frames sent 15, failed 0, last fire " \
    || fail "announcer/show does not count vm1's rounds"
echo "$show" | grep -q "^totals: 1 ports, 3 frames registered, 1 fires, 5 rounds, 15 frames sent, 0 failed$" \
    || fail "announcer/show's totals"
echo "$show" | grep -Eq "^fire latency over the last 1 fires: min .*, median .*, p99 .*, max " \
    || fail "announcer/show's latencies"

step "an elastic IP goes out on the VLAN with its MAC; an overlay port's frames go nowhere"
check_eq "register the elastic IP" \
    "$(ann announcer/register "eip:$EIP" "$EIP_MAC" "$EIP" rounds=2)" \
    "registered eip:$EIP: 2 frames"
check_eq "register vm2" "$(ann announcer/register vm2 "$VM2_MAC" 10.0.0.5 \
    rounds=2)" "registered vm2: 2 frames"
capture_start eip "ether src $EIP_MAC or ether src $VM2_MAC"
# vm2 first: in each burst its frames go before the elastic IP's.
out=$(ann announcer/fire vm2 "eip:$EIP") || fail "fire: $out"
echo "$out" | grep -Eq '^fired 2 ports, 4 frames in ' || fail "fire's reply: '$out'"
wait_until 10 "4 frames of the elastic IP at the edge" eval \
    '[ "$(frames eip | grep -c "$EIP_MAC")" -ge 4 ]'
sleep 0.2
capture_stop
round="RARP:$EIP_MAC GARP:$EIP:$EIP"
check_eq "frames at the edge" "$(kinds eip | xargs)" "$round $round"
check_eq "the elastic IP's MAC on the physical switch" "$(fdb_port "$EIP_MAC")" h2-v100

step "errors"
before=$(ann announcer/show vm1 | grep "^  fires")
msg=$(ann_err announcer/fire vm1 nosuch)
check_eq "fire with an unknown port" "$msg" "no port 'nosuch' registered: nothing fired"
check_eq "nothing fired" "$(ann announcer/show vm1 | grep "^  fires")" "$before"
msg=$(ann_err announcer/register vm3 02:00:0a:00:00)
echo "$msg" | grep -q "'02:00:0a:00:00' is not a MAC address" || fail "bad MAC: $msg"
msg=$(ann_err announcer/register vm3 02:00:0a:00:00:03 10.0.0.7 speed=9)
echo "$msg" | grep -q "unknown option 'speed' (expected ADDR, vlan=VID" || fail "bad option: $msg"
msg=$(ann_err announcer/register vm3 02:00:0a:00:00:03 rounds=0)
echo "$msg" | grep -q "rounds: 0 is out of range (expected 1 to 1000)" || fail "bad rounds: $msg"
msg=$(ann_err announcer/register vm3 02:00:0a:00:00:03 10.0.0.300)
echo "$msg" | grep -q "10.0.0.300" || fail "bad address: $msg"
check_eq "withdraw an unknown port" "$(ann_err announcer/withdraw nosuch)" \
    "no port 'nosuch' registered"
# 64 frames, 7 of them registered: a port with 64 addresses (65 frames)
# does not fit, and the old registration stays.
addrs=$(for i in $(seq 64); do echo "10.0.1.$i"; done | xargs)
# shellcheck disable=SC2086
msg=$(ann_err announcer/register vm2 "$VM2_MAC" $addrs)
check_eq "mempool full" "$msg" \
    "mempool full: 7 frames registered, raise --max-frames (now 64)"
ann announcer/show vm2 | grep -q "^  2 frames" || fail "vm2's registration changed"

step "a registration replaced: new frames and schedule, counters kept"
check_eq "register vm1 again" "$(ann announcer/register vm1 "$VM1_MAC" \
    203.0.113.50 rounds=2 initial=20)" "registered vm1: 2 frames"
show=$(ann announcer/show vm1)
echo "$show"
echo "$show" | grep -q "^port vm1: $VM1_MAC 203.0.113.50$" || fail "vm1's new spec"
echo "$show" | grep -q "^  2 frames, 2 rounds at 0, 20 ms$" || fail "vm1's new schedule"
echo "$show" | grep -q "^  fires 1, rounds sent 5, frames sent 15" || fail "vm1's counters"
echo "$show" | grep -q "^  frame 2: gratuitous ARP request 203.0.113.50 is-at $VM1_MAC, 60 bytes$" \
    || fail "vm1's frames in their mbufs"
check_eq "withdraw vm2" "$(ann announcer/withdraw vm2)" "withdrew vm2: 2 frames freed"
check_eq "the ports left" "$(ann announcer/list | xargs)" "eip:$EIP vm1"

step "SIGTERM: a clean stop"
check "SIGTERM" kill -TERM "$ANN_PID"
wait_until 10 "the announcer to stop" eval '! lab_alive "$ANN_PID"'
[ -e "$ANN_CTL" ] && fail "the control socket is still there"
[ -e "$A/run/cutover-agent.pid" ] && fail "the pidfile is still there"
[ -e "/var/run/dpdk/$DPDK_PREFIX" ] && fail "/var/run/dpdk/$DPDK_PREFIX is still there"
grep -q "terminating with signal 15" "$A/log/cutover-agent.log" \
    || fail "the announcer's log does not say why it stopped"
echo "ok: process, socket, pidfile and DPDK run-time directory gone"
echo "PASS"
