#!/bin/bash
# A 3-host lab comes up; every OVS answers; the hosts reach each other's
# tunnel IPs through the physical switch, which learns their MACs; the edge
# router reaches the internet namespace; a VM attaches as it should; 'down'
# leaves nothing behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"

step "lab -p P up (3 hosts), as docs/lab.md shows it"
require_root
require_cmds ovsdb-server ovs-vswitchd ovs-vsctl ip bridge ethtool
P=$(lab_new_prefix)
TEST_LABS+=("$P")
start=$(date +%s%N)
out=$("$LAB" -p "$P" up) || fail "lab -p $P up failed: $out"
echo "lab $P up in $(( ($(date +%s%N) - start) / 1000000 )) ms"
check_eq "the prefix it prints" "$(echo "$out" | tail -1)" "$P"

step "every OVS answers"
for i in 1 2 3; do
    check "h$i ovsdb-server" lab_appctl "$P" "$i" ovsdb-server version >/dev/null
    check "h$i ovs-vswitchd" lab_appctl "$P" "$i" ovs-vswitchd version >/dev/null
    check_eq "h$i br-int datapath" \
        "$(lab_vsctl "$P" "$i" get bridge br-int datapath_type)" netdev
    check_eq "h$i br-int fail_mode" \
        "$(lab_vsctl "$P" "$i" get bridge br-int fail_mode)" secure
    check_eq "h$i br-phy datapath" \
        "$(lab_vsctl "$P" "$i" get bridge br-phy datapath_type)" netdev
    check "h$i br-int speaks OpenFlow 1.5" \
        lab_ofctl "$P" "$i" show br-int >/dev/null
    check_eq "h$i system-id" \
        "$(lab_vsctl "$P" "$i" get Open_vSwitch . external_ids:system-id)" "h$i"
done
check "lab status -p P" "$LAB" status -p "$P" >/dev/null
check "lab -p P status" "$LAB" -p "$P" status >/dev/null
check "lab --prefix P status" "$LAB" --prefix "$P" status >/dev/null
out=$("$LAB" up --prefix "$P" --hosts 1 2>&1) && fail "a second lab $P came up"
echo "$out" | grep -q "lab '$P' exists already" \
    || fail "lab up --prefix $P, while $P exists, said: $out"
echo "ok: lab up --prefix $P refused while $P exists: $out"

step "hosts reach each other's tunnel IPs"
for i in 1 2 3; do
    for m in 1 2 3; do
        [ "$i" = "$m" ] && continue
        check "h$i -> h$m" ip netns exec "$P-h$i" \
            ping -c 1 -W 2 -q "$(lab_host_ip "$m")" >/dev/null
    done
done
echo "ok: 6 host pairs"

step "the physical switch learned the hosts' MACs on their ports"
fdb=$(bridge -n "$P-ul" fdb show br phys)
for i in 1 2 3; do
    echo "$fdb" | grep -q "^$(lab_host_mac "$i") dev h$i " \
        || fail "no FDB entry for h$i's MAC on port h$i: $fdb"
done
echo "ok: FDB has every host on its own port"

step "OVS knows every tunnel neighbour in advance"
arp=$(lab_appctl "$P" 1 ovs-vswitchd tnl/arp/show)
for m in 2 3; do
    echo "$arp" | grep -q "$(lab_host_ip "$m") *$(lab_host_mac "$m")" \
        || fail "h1 has no tunnel neighbour for h$m: $arp"
done
echo "ok: tunnel neighbours seeded"

step "the edge router connects the provider network and the internet"
check "internet -> edge (provider side)" ip netns exec "$P-inet" \
    ping -c 1 -W 2 -q "$LAB_PROVIDER_NET.1" >/dev/null
check "edge -> internet" ip netns exec "$P-edge" \
    ping -c 1 -W 2 -q "$LAB_INET_NET.2" >/dev/null
check_eq "edge forwards" \
    "$(ip netns exec "$P-edge" sysctl -n net.ipv4.ip_forward)" 1

step "a VM attaches to br-int"
check "vm add" "$LAB" vm add -p "$P" vm1 2 02:00:0a:00:00:01 10.0.0.1/24 \
    --ip6 fd00::1/64
check_eq "iface-id" \
    "$(lab_vsctl "$P" 2 get interface vm1 external_ids:iface-id)" vm1
check_eq "attached-mac" \
    "$(lab_vsctl "$P" 2 get interface vm1 external_ids:attached-mac)" \
    '"02:00:0a:00:00:01"'
ofport=$(lab_vsctl "$P" 2 get interface vm1 ofport)
check_ge "ofport" "$ofport" 1
check_eq "VM MTU" "$(ip -n "$P-vm1-h2" -o link show eth0 | grep -o 'mtu [0-9]*')" \
    "mtu 1400"
check_eq "VM tx checksum offload" \
    "$(ip netns exec "$P-vm1-h2" ethtool -k eth0 | awk '/^tx-checksumming/ {print $2}')" off
check "exec in the VM" "$LAB" exec -p "$P" vm1 ip -6 addr show dev eth0 >/dev/null
"$LAB" vm add -p "$P" vm1 2 02:00:0a:00:00:01 10.0.0.1/24 2>/dev/null \
    && fail "a second vm1 on h2 was accepted"
echo "ok: duplicate VM instance refused"
"$LAB" vm add -p "$P" vm9 7 02:00:0a:00:00:09 10.0.0.9/24 2>/dev/null \
    && fail "a VM on a host that does not exist was accepted"
echo "ok: VM on a missing host refused"

step "lab down leaves nothing behind"
check "lab down" lab_down "$P"
left=$(lab_leftovers "$P")
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left"
