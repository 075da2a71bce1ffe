#!/bin/bash
# The pipeline in real Open vSwitch: hosts provisioned over OVSDB; a
# northbound model of 3 hosts, two VPCs
# (one with two subnets), a provider VLAN and an elastic IP; each host's
# flows computed by the pipeline (tests/harness/compute-flows) and loaded into its
# br-int.  Then real traffic: switching and routing between hosts through
# VXLAN, isolation between VPCs with overlapping addresses, port security,
# the provider VLAN through the edge router, the elastic IP from the
# internet and SNAT on the way out; and all of it again in IPv6, with
# neighbour discovery answered by the pipeline and lies in it dropped.
#
# Until the controller exists, provisioning and the installer are driven
# by the test tools provision-host (OVSDB) and install-flows (one atomic
# bundle per step, confirmed by a barrier).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
CTL=$top_builddir/controller/cutoverctl
INSTALL=$top_builddir/tests/harness/install-flows
PROVISION=$top_builddir/tests/harness/provision-host
NDFRAME=$top_srcdir/tests/harness/nd-frame
[ -x "$CTL" ] || skip "$CTL is not built"
[ -x "$INSTALL" ] || skip "$INSTALL is not built"
[ -x "$PROVISION" ] || skip "$PROVISION is not built"
require_cmds iperf3 python3
test_lab_up 3
P=$LAB_P
nb_start

step "host provisioning over OVSDB: tunnel ports, patch to the uplink bridge"
# br-int as the lab made it, but not secure: provisioning must fix that.
check "fail_mode off" lab_vsctl "$P" 1 set bridge br-int fail_mode=standalone
for i in 1 2 3; do
    out=$("$PROVISION" "unix:$(lab_host_dir "$P" "$i")/run/db.sock") \
        || fail "provisioning h$i failed: $out"
    echo "h$i: $out"
done
for i in 1 2 3; do
    check_eq "h$i vxlan0" "$(lab_vsctl "$P" "$i" get interface vxlan0 type options:remote_ip options:key | tr '\n' ' ')" 'vxlan flow flow '
    check_eq "h$i geneve0" "$(lab_vsctl "$P" "$i" get interface geneve0 type)" geneve
    check_eq "h$i patch" "$(lab_vsctl "$P" "$i" get interface patch-int options:peer)" patch-phy
done
check_eq "h1 br-int fail_mode" "$(lab_vsctl "$P" 1 get bridge br-int fail_mode)" secure
second=$("$PROVISION" "unix:$(lab_host_dir "$P" 1)/run/db.sock")
check_eq "provisioning again changes nothing" "$(lab_vsctl "$P" 1 list-ports br-int | tr '\n' ' ')" "geneve0 patch-phy vxlan0 "

step "the model"
edge_mac=$(ip -n "$P-edge" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
for i in 1 2 3; do
    check "host-add h$i" "$CTL" host-add "h$i" "$(lab_host_ip "$i")"
done
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "vpc2" "$CTL" net-add vpc2 geneve 1002
check "provider" "$CTL" net-add provider vlan 100
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01 \
    cidr6=fd00:0:0:1::/64 gateway6=fd00:0:0:1::1
check "db" "$CTL" subnet-add vpc1 db 10.0.1.0/24 10.0.1.1 02:00:00:00:01:02 \
    cidr6=fd00:0:0:2::/64 gateway6=fd00:0:0:2::1
check "app" "$CTL" subnet-add vpc2 app 10.0.0.0/24 10.0.0.1 02:00:00:00:02:01 \
    cidr6=fd00:0:0:1::/64 gateway6=fd00:0:0:1::1
# The edge router has 2001:db8:cafe::1 on the provider VLAN.
check "public" "$CTL" subnet-add provider public 203.0.113.0/24 203.0.113.1 \
    "$edge_mac" cidr6=2001:db8:cafe::/64 gateway6=2001:db8:cafe::1
# name subnet mac ip gateway ip6 gateway6 host
VMS="vm1 web 02:00:0a:00:00:01 10.0.0.5 10.0.0.1 fd00:0:0:1::5 fd00:0:0:1::1 1
vm2 db 02:00:0a:00:01:02 10.0.1.5 10.0.1.1 fd00:0:0:2::5 fd00:0:0:2::1 2
vm3 app 02:00:0a:00:02:03 10.0.0.5 10.0.0.1 fd00:0:0:1::5 fd00:0:0:1::1 3
vm4 web 02:00:0a:00:00:04 10.0.0.6 10.0.0.1 fd00:0:0:1::6 fd00:0:0:1::1 3
vm5 public 02:00:cb:00:71:05 203.0.113.50 203.0.113.1 2001:db8:cafe::50 2001:db8:cafe::1 2"
while read -r vm subnet mac ip gw ip6 gw6 h; do
    check "port $vm" "$CTL" port-add "$vm" "$subnet" "$mac" "ip=$ip" \
        "ip=$ip6" "home=h$h"
    check "VM $vm" lab_vm_add "$P" "$vm" "$h" "$mac" "$ip/24" --gw "$gw" \
        --ip6 "$ip6/64"
    check "VM $vm IPv6 route" ip -n "$(lab_ns "$P" "$vm")" -6 route add \
        default via "$gw6"
done <<< "$VMS"
check "elastic IP" "$CTL" eip-add 203.0.113.10 02:00:cb:00:71:0a provider port=vm1

# flows_for N [SUFFIX]: host N's flows from the pipeline, given the ofports
# provisioning reports for its switch, into $TEST_TMP/hN.flowsSUFFIX.
flows_for() {
    local i=$1 ports
    ports=$("$PROVISION" "unix:$(lab_host_dir "$P" "$i")/run/db.sock") \
        || fail "provisioning h$i: $ports"
    # shellcheck disable=SC2086
    "$top_builddir/tests/harness/compute-flows" --db="$NB_DB" "h$i" $ports \
        > "$TEST_TMP/h$i.flows${2:-}" || fail "compute-flows h$i failed"
}

mgmt() {
    echo "unix:$(lab_host_dir "$P" "$1")/run/br-int.mgmt"
}

step "each host's flows, computed by the pipeline, installed in one bundle"
# Someone else's flow: the first (full) bundle must remove it.
check "a foreign flow" lab_ofctl "$P" 1 add-flow br-int \
    "cookie=0x1234,table=7,priority=5,actions=drop"
for i in 1 2 3; do
    flows_for "$i"
    out=$("$INSTALL" "$(mgmt "$i")" "$TEST_TMP/h$i.flows" "$TEST_TMP/h$i.flows") \
        || fail "installing h$i's flows failed: $out"
    echo "$out"
    # The second, identical desired state costs no flow mod.
    echo "$out" | tail -1 | grep -q ", 0 flow mods," \
        || fail "re-installing the same flows sent flow mods: $out"
done
check_eq "h1 flows installed" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | grep -c cookie=)" \
    "$(wc -l < "$TEST_TMP/h1.flows")"
lab_ofctl "$P" 1 dump-flows br-int | grep -q "cookie=0x1234" \
    && fail "the foreign flow survived the full bundle"
echo "ok: foreign flow removed"

# reach FROM TO: FROM (a VM) pings TO.
reach() {
    ip netns exec "$(lab_ns "$P" "$1")" ping -c 2 -i 0.2 -W 2 -q "$2" >/dev/null
}

step "switching and routing through VXLAN"
check "vm1 (h1) -> vm4 (h3), same subnet" reach vm1 10.0.0.6
check "vm1 (h1) -> vm2 (h2), routed web -> db" reach vm1 10.0.1.5
check "vm2 (h2) -> vm4 (h3), routed db -> web" reach vm2 10.0.0.6
check_eq "vm1's ARP answer for its gateway" \
    "$(ip -n "$P-vm1-h1" neigh show 10.0.0.1 | awk '{print $5}')" 02:00:00:00:01:01
echo "ok: pings"
ip netns exec "$P-vm2-h2" iperf3 -s -1 -D -p 5201 || fail "iperf3 server"
for _ in $(seq 50); do
    ip netns exec "$P-vm2-h2" ss -ltn | grep -q ':5201 ' && break
    sleep 0.1
done
check "TCP vm1 -> vm2 across subnets and hosts" ip netns exec "$P-vm1-h1" \
    iperf3 -c 10.0.1.5 -p 5201 -t 1 >/dev/null
echo "ok: TCP"

step "isolation: vpc2 shares vpc1's addresses and reaches none of it"
reach vm3 10.0.0.6 && fail "vm3 (vpc2) reached vm4 (vpc1)"
echo "ok: vm3 cannot reach 10.0.0.6"
check "vm4 reaches 10.0.0.5" reach vm4 10.0.0.5
check_eq "10.0.0.5 for vm4 is vm1, not vm3" \
    "$(ip -n "$P-vm4-h3" neigh show 10.0.0.5 | awk '{print $5}')" 02:00:0a:00:00:01

step "port security: no other source IP or MAC"
ip -n "$P-vm1-h1" addr add 10.0.0.99/24 dev eth0
ip netns exec "$P-vm1-h1" ping -c 2 -i 0.2 -W 1 -q -I 10.0.0.99 10.0.0.6 >/dev/null \
    && fail "vm1 sent with a source IP not its own"
ip -n "$P-vm1-h1" addr del 10.0.0.99/24 dev eth0
echo "ok: spoofed source IP dropped"
ip -n "$P-vm1-h1" link set eth0 address 02:00:0a:00:00:99
ip -n "$P-vm4-h3" neigh flush all
reach vm1 10.0.0.6 && fail "vm1 sent with a MAC not its own"
ip -n "$P-vm1-h1" link set eth0 address 02:00:0a:00:00:01
echo "ok: spoofed MAC dropped"
check "vm1 works again with its own addresses" reach vm1 10.0.0.6

step "the provider VLAN, through the edge router"
check "vm5 (h2) -> edge router" reach vm5 203.0.113.1
check "vm5 -> internet" reach vm5 198.51.100.2
# The edge router must learn vm5's MAC from the answer to its own ARP
# request (answered tagged, by vm5's host only).
ip -n "$P-edge" neigh flush dev eth0
check "internet -> vm5" ip netns exec "$P-inet" ping -c 2 -i 0.2 -W 2 -q 203.0.113.50
check_eq "the edge router learned vm5's MAC" \
    "$(ip -n "$P-edge" neigh show 203.0.113.50 | awk '{print $5}')" 02:00:cb:00:71:05

step "port security for ARP: lies to the edge router are dropped"
# arp_request VM SENDER_MAC SENDER_IP: VM sends the edge router an ARP
# request for 203.0.113.1 from its own Ethernet address, with the given
# sender addresses inside.  The router's kernel makes a neighbour entry for
# the sender of a request for its address: the lie would stick.
arp_request() {
    ip netns exec "$(lab_ns "$P" "$1")" python3 - "$2" "$3" <<'PY'
import socket, sys
mac = lambda m: bytes(int(x, 16) for x in m.split(':'))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
own = s.getsockname()[4]
arp = (b'\x00\x01\x08\x00\x06\x04\x00\x01' + mac(sys.argv[1])
       + socket.inet_aton(sys.argv[2]) + b'\0' * 6
       + socket.inet_aton('203.0.113.1'))
s.send(b'\xff' * 6 + own + b'\x08\x06' + arp)
PY
}
edge_neigh() {
    ip -n "$P-edge" neigh show "$1" dev eth0 | awk '{print $3}'
}
ip -n "$P-edge" neigh flush dev eth0
check "vm5 claims 203.0.113.77" arp_request vm5 02:00:cb:00:71:05 203.0.113.77
check "vm5 claims .50 for another MAC" arp_request vm5 02:00:cb:00:71:99 203.0.113.50
sleep 0.5
check_eq "the edge router has no entry for the stolen address" \
    "$(edge_neigh 203.0.113.77)" ""
check_eq "the edge router has no entry from the forged sender MAC" \
    "$(edge_neigh 203.0.113.50)" ""
# The same frame with the truth arrives: the checks above can fail.
check "vm5 tells the truth" arp_request vm5 02:00:cb:00:71:05 203.0.113.50
wait_until 5 "the edge router to learn vm5 from its request" eval \
    '[ "$(edge_neigh 203.0.113.50)" = 02:00:cb:00:71:05 ]'
echo "ok: spoofed ARP dropped, genuine ARP passes"

step "the elastic IP: reachable from the internet, SNAT on the way out"
check "internet -> 203.0.113.10 (vm1)" ip netns exec "$P-inet" \
    ping -c 2 -i 0.2 -W 2 -q 203.0.113.10
check_eq "the edge router learned the elastic IP's MAC" \
    "$(ip -n "$P-edge" neigh show 203.0.113.10 | awk '{print $5}')" 02:00:cb:00:71:0a
check "vm1 -> internet (leaves as 203.0.113.10)" reach vm1 198.51.100.2
reach vm2 198.51.100.2 && fail "vm2 (no elastic IP) reached the internet"
echo "ok: vm2 has no way out"

# reach6 FROM TO: FROM (a VM) pings TO over IPv6.  Neighbour discovery
# comes first; a loaded machine may take its time: up to 3 tries.
reach6() {
    local i
    for i in 1 2 3; do
        ip netns exec "$(lab_ns "$P" "$1")" ping -6 -c 2 -i 0.2 -W 2 -q "$2" \
            >/dev/null && return 0
    done
    return 1
}

# no_reach6 FROM TO [PING OPTIONS]: FROM's pings to TO get no answer.
no_reach6() {
    local from=$1 to=$2
    shift 2
    ! ip netns exec "$(lab_ns "$P" "$from")" ping -6 -c 2 -i 0.2 -W 1 -q \
        "$@" "$to" >/dev/null
}

# neigh6 VM ADDR: the MAC VM's neighbour cache has for ADDR.
neigh6() {
    ip -n "$(lab_ns "$P" "$1")" -6 neigh show "$2" | awk '{print $5}'
}

step "IPv6: neighbour discovery answered by the pipeline, switching, routing"
check "vm1 (h1) -> vm4 (h3) over IPv6, same subnet" reach6 vm1 fd00:0:0:1::6
check_eq "vm1's neighbour entry for vm4" "$(neigh6 vm1 fd00:0:0:1::6)" \
    02:00:0a:00:00:04
check "vm1 (h1) -> vm2 (h2) over IPv6, routed web -> db" \
    reach6 vm1 fd00:0:0:2::5
check_eq "vm1's neighbour entry for its IPv6 gateway" \
    "$(neigh6 vm1 fd00:0:0:1::1)" 02:00:00:00:01:01
ip -n "$P-vm1-h1" -6 neigh show fd00:0:0:1::1 | grep -qw router \
    || fail "the gateway's advertisement had no router flag"
echo "ok: the gateway is a router"
check "vm2 (h2) -> vm4 (h3) over IPv6, routed db -> web" \
    reach6 vm2 fd00:0:0:1::6
check_eq "vm2's neighbour entry for its IPv6 gateway" \
    "$(neigh6 vm2 fd00:0:0:2::1)" 02:00:00:00:01:02
# The routed packets had their hop limit decremented once (64 -> 63).
hops=$(ip netns exec "$P-vm1-h1" ping -6 -c 1 -W 2 fd00:0:0:2::5 \
    | grep -o 'ttl=[0-9]*')
check_eq "hop limit of vm2's answer, routed once" "$hops" ttl=63

step "IPv6 isolation: vpc2 shares vpc1's prefix and reaches none of it"
check "vm3 (vpc2) has no way to vm4 (vpc1)" no_reach6 vm3 fd00:0:0:1::6
check_eq "the MAC vm3 learned for vm4's address" \
    "$(neigh6 vm3 fd00:0:0:1::6)" ""
check "vm3 (vpc2) has no way to vm2 (vpc1)" no_reach6 vm3 fd00:0:0:2::5
echo "ok: vm3 reaches nothing of vpc1"
check "vm4 reaches fd00:0:0:1::5" reach6 vm4 fd00:0:0:1::5
check_eq "fd00:0:0:1::5 for vm4 is vm1, not vm3" \
    "$(neigh6 vm4 fd00:0:0:1::5)" 02:00:0a:00:00:01

step "IPv6 port security: no other source, no lies in neighbour discovery"
ip -n "$P-vm1-h1" addr add fd00:0:0:1::99/64 dev eth0 nodad
check "vm1 sends with an IPv6 source not its own" \
    no_reach6 vm1 fd00:0:0:1::6 -I fd00:0:0:1::99
ip -n "$P-vm1-h1" addr del fd00:0:0:1::99/64 dev eth0
echo "ok: spoofed IPv6 source dropped"

# nd_watch VM STOP_TARGET STOP_LLADDR: watches VM's neighbour discovery
# frames (in the background, into $TEST_TMP/VM.nd) until one about
# STOP_TARGET with link-layer address STOP_LLADDR arrives.
nd_watch() {
    rm -f "$TEST_TMP/$1.ready"
    ip netns exec "$(lab_ns "$P" "$1")" python3 "$NDFRAME" watch eth0 20 \
        "$TEST_TMP/$1.ready" "$2" "$3" > "$TEST_TMP/$1.nd" &
    ND_WATCH=$!
    test_bg "$ND_WATCH"
    wait_for "$TEST_TMP/$1.ready"
}

# nd_send VM ARGS...: VM sends a neighbour discovery frame (nd-frame send).
nd_send() {
    local vm=$1
    shift
    ip netns exec "$(lab_ns "$P" "$vm")" python3 "$NDFRAME" send eth0 "$@"
}

# vm1 and vm4 forget their neighbours, so that their own kernels stay
# quiet (no solicitations, no answers to them) while they are watched; vm4
# keeps one stale entry: its gateway, what a lie below tries to change.
ip -n "$P-vm1-h1" -6 neigh flush all
ip -n "$P-vm4-h3" -6 neigh flush all
check "vm4's gateway entry" ip -n "$P-vm4-h3" -6 neigh replace fd00:0:0:1::1 \
    lladdr 02:00:00:00:01:01 dev eth0 nud stale

# Lying advertisements from vm1, to vm4 (on h3): "the gateway is at vm1's
# MAC", "vm1's address is at vm2's MAC"; then a true one, "fd00:0:0:1::5
# (vm1) is at vm1's MAC", that must arrive, and after the lies if they got
# through.
nd_watch vm4 fd00:0:0:1::5 02:00:0a:00:00:01
check "vm1 sends a lying advertisement" nd_send vm1 02:00:0a:00:00:04 \
    fd00:0:0:1::5 fd00:0:0:1::6 na fd00:0:0:1::1 02:00:0a:00:00:01
check "vm1 sends a lying advertisement (another's MAC)" nd_send vm1 \
    02:00:0a:00:00:04 fd00:0:0:1::5 fd00:0:0:1::6 na fd00:0:0:1::5 \
    02:00:0a:00:01:02
check "vm1 sends a true advertisement" nd_send vm1 02:00:0a:00:00:04 \
    fd00:0:0:1::5 fd00:0:0:1::6 na fd00:0:0:1::5 02:00:0a:00:00:01
wait "$ND_WATCH" \
    || fail "vm4 did not get vm1's true advertisement:" \
            "$(cat "$TEST_TMP/vm4.nd")"
check_eq "what vm4 got of vm1's advertisements" \
    "$(grep -v '^ns' "$TEST_TMP/vm4.nd" | tr '\n' ' ')" \
    "na fd00:0:0:1::5 02:00:0a:00:00:01 "
check_eq "vm4's neighbour entry for its gateway" \
    "$(neigh6 vm4 fd00:0:0:1::1)" 02:00:00:00:01:01

# A solicitation from vm1 with vm2's MAC as its source link-layer address:
# dropped, so the pipeline does not answer it; then a true one, answered.
nd_watch vm1 fd00:0:0:1::6 02:00:0a:00:00:04
check "vm1 sends a solicitation with another's MAC" nd_send vm1 \
    33:33:ff:00:00:05 fd00:0:0:1::5 ff02::1:ff00:5 ns fd00:0:0:2::5 \
    02:00:0a:00:01:02
check "vm1 sends a true solicitation" nd_send vm1 33:33:ff:00:00:06 \
    fd00:0:0:1::5 ff02::1:ff00:6 ns fd00:0:0:1::6 02:00:0a:00:00:01
wait "$ND_WATCH" || fail "the pipeline did not answer vm1's solicitation:" \
    "$(cat "$TEST_TMP/vm1.nd")"
check_eq "the answers vm1 got" \
    "$(grep '^na' "$TEST_TMP/vm1.nd" | tr '\n' ' ')" \
    "na fd00:0:0:1::6 02:00:0a:00:00:04 "
check "vm1 works again over IPv6" reach6 vm1 fd00:0:0:1::6

step "IPv6 on the provider VLAN, through the edge router"
check "vm5 (h2) -> edge router over IPv6" reach6 vm5 2001:db8:cafe::1
check "vm5 -> internet over IPv6" reach6 vm5 2001:db8:ffff::2
# The edge router learns vm5's MAC from the answer to its own solicitation
# (answered tagged, by vm5's host only).
ip -n "$P-edge" -6 neigh flush dev eth0
check "internet -> vm5 over IPv6" ip netns exec "$P-inet" \
    ping -6 -c 2 -i 0.2 -W 2 -q 2001:db8:cafe::50
check_eq "the edge router learned vm5's MAC" \
    "$(ip -n "$P-edge" -6 neigh show 2001:db8:cafe::50 | awk '{print $5}')" \
    02:00:cb:00:71:05

step "moving a port costs a few flow mods per host, in one bundle each"
# Outside a migration the move also changes whom each host takes vm1's
# tunnel traffic from (its MAC, IPv4 and IPv6 addresses: 3 flows from h1
# go, 3 from h2 come, docs/pipeline.md 'The underlay'): h1 6 (3 location
# flows, 3 added), h2 5 (2 location flows, 3 deleted), h3 7 (1 location
# flow, 3 deleted, 3 added).  A migration's switchover changes none of
# them (its remote hosts learn the destination at prepare).
check "vm1's home becomes h2" "$CTL" port-set-home vm1 h2
for i in 1 2 3; do
    flows_for "$i" .moved
    out=$("$INSTALL" "$(mgmt "$i")" "$TEST_TMP/h$i.flows" "$TEST_TMP/h$i.flows.moved") \
        || fail "h$i: $out"
    mods=$(echo "$out" | tail -1 | sed 's/.*flows, \([0-9]*\) flow mods.*/\1/')
    echo "h$i: $(echo "$out" | tail -1)"
    check_le "h$i flow mods for the move" "$mods" 7
    check_ge "h$i flow mods for the move" "$mods" 5
done
check_eq "h3 now tunnels vm1's traffic to h2" \
    "$(lab_ofctl "$P" 3 dump-flows br-int --no-stats table=40,reg5=1 | grep -o 'set_field:[0-9.]*->tun_dst')" \
    "set_field:172.16.0.12->tun_dst"

step "bundles back to back: several in flight; one the switch refuses"
# Three desired states sent without waiting for each other's barrier: the
# second has a flow the switch refuses (a meter it does not have), so the
# third, a difference from the second, is forgotten too, and a full bundle
# makes the switch's table the third state exactly.
f=$TEST_TMP/b2b
printf '%s\n' \
    "table=0,priority=10,cookie=0x100000000000000 actions=drop" \
    "table=5,priority=10,cookie=0x100000000000000 actions=drop" > "$f.1"
{ cat "$f.1"
  echo "table=5,priority=20,cookie=0x100000000000000,reg7=0x7 actions=meter:5,goto_table:10"; } > "$f.2"
{ cat "$f.1"
  echo "table=5,priority=30,cookie=0x100000000000000,reg7=0x8 actions=goto_table:10"; } > "$f.3"
out=$("$INSTALL" --back-to-back "$(mgmt 1)" "$f.1" "$f.2" "$f.3") || fail "$out"
echo "$out" | tail -1
check_eq "the refused bundle" "$(echo "$out" | tail -1 | sed 's/.*confirmed, \([0-9]*\) refused.*/\1/')" 1
check_eq "bundles in flight at once" "$(echo "$out" | tail -1 | sed 's/.*at most \([0-9]*\) in flight.*/\1/')" 2
check_eq "h1 has the third state's 3 flows" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | grep -c 'cookie=0x100000000000000')" 3
check_eq "h1 has the third state's own flow" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | grep -c 'priority=30,reg7=0x8')" 1
check_eq "and not the refused one" \
    "$(lab_ofctl "$P" 1 dump-flows br-int --no-stats | grep -c 'meter')" 0
