#!/bin/bash
# The underlay: tunnel frames injected on the physical network by an
# attacker (a namespace cabled to the lab's underlay switch, sending raw
# frames with tests/harness/tunnel-frame), from an address of no host or
# with another host's address, VXLAN and Geneve, with forged inner MACs and
# IPs, towards VMs in two VPCs, reach none of them: cutoverd's flows take
# tunnel traffic only from the model's hosts and from each only as the ports
# it may send for, and the drop flows count them (docs/pipeline.md, 'The
# underlay').  What is still open (a known host's address with the inner
# identity of a VM of that host, docs/security.md) does arrive, which also
# shows that the injection works.  Legitimate traffic goes on, and during a
# migration the remote host takes the port's frames from the destination
# from prepare on (before the switchover, so the VM's first frames after its
# resume are not dropped), from the source until complete, and no longer
# from the source after it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_cmds python3 tcpdump tshark
FRAME=$top_srcdir/tests/harness/tunnel-frame
controller_lab_up 3 --no-neigh
cutoverd_start

mig() { cutoverd_ctl "migration/$@"; }
reach() {
    ip netns exec "$1" ping -c 1 -W 2 -q "$2" >/dev/null
}
reach_soon() {
    wait_until 15 "$1 to reach $2" reach "$1" "$2"
    echo "ok: $1 reaches $2"
}

VM1_MAC=02:00:0a:00:00:05 VM2_MAC=02:00:0a:00:00:06
VM3_MAC=02:00:0a:01:00:05 VM4_MAC=02:00:0a:01:00:06

step "3 hosts; vpc1 (VXLAN): vm1 on h1 (its destination instance waits on h2), vm2 on h3; vpc2 (Geneve): vm3 on h2, vm4 on h3"
migration_world
check "vpc2" "$CTL" net-add vpc2 geneve 1002
check "app" "$CTL" subnet-add vpc2 app 10.1.0.0/24 10.1.0.1 02:00:00:00:02:01
check "port vm3" "$CTL" port-add vm3 app "$VM3_MAC" ip=10.1.0.5 home=h2
check "port vm4" "$CTL" port-add vm4 app "$VM4_MAC" ip=10.1.0.6 home=h3
check "vm3 on h2" lab_vm_add "$P" vm3 2 "$VM3_MAC" 10.1.0.5/24
check "vm4 on h3" lab_vm_add "$P" vm4 3 "$VM4_MAC" 10.1.0.6/24
VM1=$(lab_vm_ns "$P" vm1 1) VM1D=$(lab_vm_ns "$P" vm1 2 d)
VM2=$(lab_ns "$P" vm2) VM3=$(lab_ns "$P" vm3) VM4=$(lab_ns "$P" vm4)
wait_until 30 "flows in sync" cutoverd_flows_in_sync 3
reach_soon "$VM2" 10.0.0.5
reach_soon "$VM4" 10.1.0.5
echo "ok: vm2 -> vm1 (vpc1, VXLAN), vm4 -> vm3 (vpc2, Geneve)"

step "an attacker on the physical network"
test_netns_add att
ATT=$(test_ns att)
check "attacker's cable" ip link add eth0 netns "$ATT" type veth \
    peer name att netns "$P-ul"
check "on the underlay switch" ip -n "$P-ul" link set att master phys up
check "attacker's link" ip -n "$ATT" link set eth0 up

# inject OUTER_SRC_IP HOST KIND VNI INNER_SRC_MAC INNER_DST_MAC INNER_SRC_IP
#        INNER_DST_IP SPORT: the attacker sends 5 tunnel frames to host
# HOST's tunnel IP (and MAC) claiming OUTER_SRC_IP; their inner UDP source
# port SPORT tells them apart in the VMs' captures.
inject() {
    local src=$1 h=$2
    shift 2
    ip netns exec "$ATT" python3 "$FRAME" send eth0 "$(lab_host_mac "$h")" \
        "$src" "$(lab_host_ip "$h")" "$@" 5
}
# drops N KEY: what host N's drop flow of the underlay with key KEY
# (1: unknown tunnel key, 2: unknown underlay address, 3: a host not for
# its ports; cookie 0x06<KEY>00000000) has counted.
drops() {
    lab_ofctl "$P" "$1" dump-flows br-int \
        "cookie=$(printf '0x06%06x00000000' "$2")/-1" \
        | grep -o 'n_packets=[0-9]*' | cut -d= -f2 \
        | awk '{n += $1} END {print n + 0}'
}
# expect_drops N KEY BEFORE WHAT: host N's drop KEY counts 5 more than
# BEFORE (flow statistics reach OpenFlow within a second or so).
expect_drops() {
    wait_until 15 "h$1 to drop and count $4" drops_reach "$1" "$2" $(($3 + 5))
    echo "ok: h$1 dropped and counted $4 ($(drops "$1" "$2") so far)"
}
drops_reach() {
    [ "$(drops "$1" "$2")" -ge "$3" ]
}
# arrived CAPTURE SPORT: how many injected frames with SPORT a VM got.
arrived() {
    pcap_count "$1" "udp.dstport == 7777 && udp.srcport == $2"
}

# vm1's instance on h2 is watched once its link is up (switchover).
for vm in VM1 VM2 VM3 VM4; do
    capture_start "$vm" "${!vm}" eth0 "udp dst port 7777"
done

step "from an address of no host: dropped (VXLAN to vm1, Geneve to vm3)"
b1=$(drops 1 2) b2=$(drops 2 2)
check "as vm2, to vm1" inject 172.16.0.99 1 vxlan 1001 "$VM2_MAC" "$VM1_MAC" \
    10.0.0.6 10.0.0.5 30001
check "as vm4, to vm3" inject 172.16.0.99 2 geneve 1002 "$VM4_MAC" \
    "$VM3_MAC" 10.1.0.6 10.1.0.5 30002
expect_drops 1 2 "$b1" "VXLAN from 172.16.0.99"
expect_drops 2 2 "$b2" "Geneve from 172.16.0.99"

step "from another host's address, as a VM that does not live there: dropped"
b1=$(drops 1 3) b2=$(drops 2 3)
check "h2's address, a stranger's MAC and IP, to vm1" \
    inject "$(lab_host_ip 2)" 1 vxlan 1001 02:00:0a:00:00:99 "$VM1_MAC" \
    10.0.0.99 10.0.0.5 30003
check "h2's address, as vm2 (on h3), to vm1" \
    inject "$(lab_host_ip 2)" 1 vxlan 1001 "$VM2_MAC" "$VM1_MAC" \
    10.0.0.6 10.0.0.5 30004
expect_drops 1 3 "$b1" "forged frames from h2's address"
check "h1's address, as vm4 (on h3), to vm3" \
    inject "$(lab_host_ip 1)" 2 geneve 1002 "$VM4_MAC" "$VM3_MAC" \
    10.1.0.6 10.1.0.5 30005
expect_drops 2 3 "$b2" "forged frames from h1's address"
b2=$(drops 2 3)
check "h3's address, as vm4 but in vpc1's VXLAN key, to vm3" \
    inject "$(lab_host_ip 3)" 2 vxlan 1001 "$VM4_MAC" "$VM3_MAC" \
    10.1.0.6 10.1.0.5 30006
expect_drops 2 3 "$b2" "vm4 in the wrong VPC's key"
b1=$(drops 1 1)
check "h2's address, a key of no network" \
    inject "$(lab_host_ip 2)" 1 vxlan 4242 "$VM2_MAC" "$VM1_MAC" \
    10.0.0.6 10.0.0.5 30007
expect_drops 1 1 "$b1" "an unknown tunnel key"

step "what stays open: h3's address as vm2, which lives on h3 (docs/security.md)"
check "h3's address, as vm2, to vm1" \
    inject "$(lab_host_ip 3)" 1 vxlan 1001 "$VM2_MAC" "$VM1_MAC" \
    10.0.0.6 10.0.0.5 30008
wait_until 15 "vm1 to get the frames claiming h3's address" \
    eval '[ "$(arrived VM1 30008)" -ge 1 ]'
echo "ok: the injection works: vm1 got $(arrived VM1 30008) frames"

step "the forged outer addresses reached ovs-vswitchd's tunnel neighbour cache; cutoverd sets it right again"
# ovs-vswitchd learns a peer's MAC from the VXLAN and Geneve packets it
# terminates, forged ones included, before our tables drop them
# (docs/security.md); cutoverd sets every entry again every 5 s.
# neighbours_right N: host N's cache has every other host's MAC.
neighbours_right() {
    local arp j
    arp=$(lab_appctl "$P" "$1" ovs-vswitchd tnl/arp/show)
    for j in 1 2 3; do
        [ "$j" = "$1" ] && continue
        echo "$arp" | grep -Eq "^$(lab_host_ip "$j") +$(lab_host_mac "$j") " || return 1
    done
}
for i in 1 2 3; do
    wait_until 20 "h$i's tunnel neighbours right again" neighbours_right "$i"
done
echo "ok: every host's tunnel neighbours are right again"

step "legitimate traffic goes on"
reach_soon "$VM2" 10.0.0.5
reach_soon "$VM1" 10.0.0.6
reach_soon "$VM4" 10.1.0.5
reach_soon "$VM3" 10.1.0.6

step "a migration of vm1 to h2: h3 takes vm1's frames from h2 from prepare on"
b3=$(drops 3 3)
check "h2's address, as vm1 (on h1), to vm2" \
    inject "$(lab_host_ip 2)" 3 vxlan 1001 "$VM1_MAC" "$VM2_MAC" \
    10.0.0.5 10.0.0.6 31001
expect_drops 3 3 "$b3" "vm1's frames from h2 before the migration"
# Without a hold: the new instance must get answers at once, before
# activate (a hold would keep them until then: migration-hold.sh).
out=$(mig prepare vm1 h2 hold=off) || fail "prepare: $out"
echo "$out"
# prepare answers once h3 has confirmed: the flow is there now.
lab_ofctl "$P" 3 dump-flows br-int --no-stats table=3 \
    | grep -q "tun_src=$(lab_host_ip 2),.*dl_src=$VM1_MAC" \
    || fail "h3 does not take vm1's frames from h2 after prepare:" \
            "$(lab_ofctl "$P" 3 dump-flows br-int --no-stats table=3)"
echo "ok: h3 takes vm1's frames from h2 once prepare answered"
check "h2's address, as vm1, to vm2 (prepared)" \
    inject "$(lab_host_ip 2)" 3 vxlan 1001 "$VM1_MAC" "$VM2_MAC" \
    10.0.0.5 10.0.0.6 31002
wait_until 15 "vm2 to get vm1's frames from h2 while prepared" \
    eval '[ "$(arrived VM2 31002)" -ge 1 ]'
echo "ok: prepared: vm2 got vm1's frames from h2"

step "switchover: the new instance talks at once; the old one's frames in flight still arrive"
ip -n "$VM1" link set eth0 down
ip -n "$VM1D" link set eth0 up
capture_start VM1D "$VM1D" eth0 "udp dst port 7777"
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out"
reach_soon "$VM1D" 10.0.0.6
reach_soon "$VM2" 10.0.0.5
check "h1's address, as vm1, to vm2 (switched)" \
    inject "$(lab_host_ip 1)" 3 vxlan 1001 "$VM1_MAC" "$VM2_MAC" \
    10.0.0.5 10.0.0.6 31003
wait_until 15 "vm2 to get vm1's frames from h1 while switched" \
    eval '[ "$(arrived VM2 31003)" -ge 1 ]'
echo "ok: switched: vm2 got vm1's frames from h1"
# The switchover still hands the remote host one flow mod: where vm1 lives.
wait_until 15 "hosts in sync after the switchover" cutoverd_synced 3
h3_mods=$(cutoverd_ctl cutoverd/status | sed -n '/^host h3:/,/^host /p' \
          | grep -o 'last [0-9]* flow mods' | grep -o '[0-9]*')
check_eq "flow mods on h3 for the switchover" "$h3_mods" 1

step "complete: h1 may no longer send as vm1"
check "activate" mig activate vm1
out=$(mig complete vm1) || fail "complete: $out"
echo "$out"
wait_until 15 "flows in sync after complete" cutoverd_flows_in_sync 3
b3=$(drops 3 3)
check "h1's address, as vm1, to vm2 (complete)" \
    inject "$(lab_host_ip 1)" 3 vxlan 1001 "$VM1_MAC" "$VM2_MAC" \
    10.0.0.5 10.0.0.6 31004
expect_drops 3 3 "$b3" "vm1's frames from h1 after complete"
reach_soon "$VM1D" 10.0.0.6
reach_soon "$VM2" 10.0.0.5

step "nothing forged reached a VM"
for vm in VM1 VM1D VM2 VM3 VM4; do
    capture_stop "$vm"
done
for c in "VM1 30001" "VM3 30002" "VM1 30003" "VM1 30004" "VM3 30005" \
         "VM3 30006" "VM1 30007" "VM2 31001" "VM2 31004"; do
    set -- $c
    check_eq "frames with source port $2 that reached $1" "$(arrived "$1" "$2")" 0
done
for vm in VM1 VM1D VM2 VM3 VM4; do
    n=$(pcap_count "$vm" "udp.dstport == 7777 && !(udp.srcport in {30008 31002 31003})")
    check_eq "forged frames that reached $vm" "$n" 0
done
echo "ok: none of the forged frames reached a VM"
