#!/bin/bash
# cutover-announce against real peers: a Linux bridge (a learning switch)
# and a kernel router, in network namespaces.
#
#   old (VM's old place, MAC M_OLD, 192.0.2.10, 2001:db8::10) --+
#   new (the destination, where cutover-announce runs) ---------+-- br0 (sw)
#   rt  (kernel router, 192.0.2.1, 2001:db8::1, forwarding on) -+
#
# Asserts what the peers do with the frames, and what the kernel settings
# change (docs/announcements.md, "What peers do with them"):
#   - the RARP moves the MAC's FDB entry to the new port;
#   - a gratuitous ARP (request, and reply form) moves an existing
#     neighbour entry to the new MAC at once, whatever arp_accept, even
#     within locktime, and completes one being resolved; it creates a missing entry only with arp_accept=1
#     (any address) or 2 (addresses in the interface's subnets);
#   - an unsolicited NA moves an existing IPv6 entry, unless
#     drop_unsolicited_na=1; it creates a missing entry only on a router
#     (forwarding=1) with accept_untracked_na=1 (any) or 2 (same subnet).
#
# Some settings are younger than others: accept_untracked_na came with
# Linux 5.19, arp_accept=2 and accept_untracked_na=2 with 6.0.  On an older
# kernel the steps that need them are skipped, the others run, and the test
# ends as skipped (exit 77) naming what it could not check.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_root
require_cmds ip bridge ping
require_announce

M_OLD=02:00:0a:00:01:01
M_NEW=02:00:0a:00:02:02
SW=$(test_ns sw)
OLD=$(test_ns old)
NEW=$(test_ns new)
RT=$(test_ns rt)

step "a bridge with three ports: old, new, rt"
for n in sw old new rt; do
    test_netns_add $n
done
check "bridge" ip -n "$SW" link add br0 type bridge
check "bridge up" ip -n "$SW" link set br0 up
for n in old new rt; do
    check "cable $n" ip link add "p-$n" netns "$SW" type veth \
        peer name eth0 netns "$(test_ns $n)"
    check "port $n" ip -n "$SW" link set "p-$n" master br0 up
done
check "old MAC" ip -n "$OLD" link set eth0 address $M_OLD up
check "new MAC" ip -n "$NEW" link set eth0 address $M_NEW up
check "rt up" ip -n "$RT" link set eth0 up
check "old IPv4" ip -n "$OLD" addr add 192.0.2.10/24 dev eth0
check "old IPv6" ip -n "$OLD" addr add 2001:db8::10/64 dev eth0 nodad
check "rt IPv4" ip -n "$RT" addr add 192.0.2.1/24 dev eth0
check "rt IPv6" ip -n "$RT" addr add 2001:db8::1/64 dev eth0 nodad
check "rt forwards" ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1 \
    net.ipv6.conf.all.forwarding=1

# rt_sysctl NAME=VALUE...: sets net.* settings of the router's eth0.
rt_sysctl() {
    local kv
    for kv in "$@"; do
        ip netns exec "$RT" sysctl -qw "net.$kv" >/dev/null \
            || fail "cannot set $kv on the router"
    done
}

KERNEL=$(uname -r)
SKIPPED=()

# kernel_at_least MAJOR MINOR: whether this kernel is MAJOR.MINOR or newer.
kernel_at_least() {
    local major=${KERNEL%%.*} minor=${KERNEL#*.}
    minor=${minor%%[!0-9]*}
    [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# has_untracked_na: whether this kernel has accept_untracked_na (5.19).
has_untracked_na() {
    [ -e /proc/sys/net/ipv6/conf/all/accept_untracked_na ]
}

# has_subnet_modes: whether arp_accept=2 and accept_untracked_na=2 (create
# entries for addresses in the interface's subnets only) exist: Linux 6.0.
# Older kernels take arp_accept=2 all the same and act as with 1.
has_subnet_modes() {
    kernel_at_least 6 0
}

# skip_step WHAT WHY: WHAT is not checked on this kernel, because WHY.
skip_step() {
    echo "skipped: $1: $2 (this is Linux $KERNEL)"
    SKIPPED+=("$1 ($2)")
}

# announce MAC ARGS...: cutover-announce, one round, from 'new'.
announce() {
    local mac=$1
    shift
    ip netns exec "$NEW" "$ANNOUNCE" -q --iface eth0 --mac "$mac" \
        --rounds 1 "$@" || fail "cutover-announce --mac $mac $* failed"
}

# neigh ADDR: the router's entry for ADDR as "MAC STATE", or "none".
neigh() {
    local out
    out=$(ip -n "$RT" neigh show to "$1" dev eth0 \
          | awk '$2 == "lladdr" { print $3, $NF }')
    echo "${out:-none}"
}

# expect WHAT CMD WANT: checks that CMD (a function above) prints WANT,
# giving the peer up to 2 s to process what was sent.  A check that something
# did NOT happen follows the check of a positive control sent after it in
# the same announcement (frames go out in order), or settle().
expect() {
    local what=$1 cmd=$2 want=$3 i got
    for i in $(seq 40); do
        got=$($cmd)
        [ "$got" = "$want" ] && break
        sleep 0.05
    done
    check_eq "$what" "$got" "$want"
}

# settle: time for the peers to process the last frames, when no positive
# control can follow them.
settle() {
    sleep 0.3
}

# neigh_mac ADDR: the MAC of the router's entry for ADDR, whatever its state.
neigh_mac() {
    neigh "$1" | cut -d' ' -f1
}

# neigh_state ADDR: the state of the router's entry for ADDR.
neigh_state() {
    ip -n "$RT" neigh show to "$1" dev eth0 | awk '{print $NF}'
}

# fdb_port MAC: the bridge port MAC was learned on.
fdb_port() {
    bridge -n "$SW" fdb show br br0 \
        | awk -v mac="$1" '$1 == mac && $2 == "dev" { print $3 }'
}

step "defaults on this kernel ($(uname -r))"
check_eq "arp_accept" \
    "$(ip netns exec "$RT" sysctl -n net.ipv4.conf.eth0.arp_accept)" 0
check_eq "drop_unsolicited_na" \
    "$(ip netns exec "$RT" sysctl -n net.ipv6.conf.eth0.drop_unsolicited_na)" 0
if has_untracked_na; then
    check_eq "accept_untracked_na" \
        "$(ip netns exec "$RT" sysctl -n net.ipv6.conf.eth0.accept_untracked_na)" 0
else
    skip_step "accept_untracked_na's default" "no accept_untracked_na before Linux 5.19"
fi

step "the VM talks from its old port; the router knows it"
check "old -> rt" ip netns exec "$OLD" ping -c 1 -W 2 -q 192.0.2.1 >/dev/null
check "rt -> old (IPv4)" ip netns exec "$RT" ping -c 1 -W 2 -q 192.0.2.10 \
    >/dev/null
check "rt -> old (IPv6)" ip netns exec "$RT" ping -c 1 -W 2 -q 2001:db8::10 \
    >/dev/null
check_eq "FDB port of $M_OLD" "$(fdb_port $M_OLD)" p-old
check_eq "router's 192.0.2.10" "$(neigh_mac 192.0.2.10)" $M_OLD
check_eq "router's 2001:db8::10" "$(neigh_mac 2001:db8::10)" $M_OLD

step "RARP from the new port: the bridge moves the MAC"
# The VM left its old port: nothing from there (a late neighbour
# discovery answer of the old namespace) may teach the bridge otherwise.
check "the old port goes quiet" ip -n "$OLD" link set eth0 down
announce $M_OLD
expect "FDB port of $M_OLD" "fdb_port $M_OLD" p-new

step "gratuitous ARP, existing entry, arp_accept=0: moved at once"
announce $M_NEW --no-rarp --ip 192.0.2.10
expect "router's 192.0.2.10" "neigh 192.0.2.10" "$M_NEW STALE"
# The entry was updated a moment ago, well within locktime (1 s): a
# gratuitous ARP overrides it all the same, here in its reply form.
check_eq "locktime" \
    "$(ip netns exec "$RT" sysctl -n net.ipv4.neigh.eth0.locktime)" 100
announce $M_OLD --no-rarp --reply --ip 192.0.2.10
expect "router's 192.0.2.10 (reply form)" "neigh 192.0.2.10" "$M_OLD STALE"

step "gratuitous ARP, no entry: arp_accept decides"
announce $M_NEW --no-rarp --ip 192.0.2.20 --ip 192.0.2.10
expect "control: existing 192.0.2.10" "neigh 192.0.2.10" "$M_NEW STALE"
check_eq "arp_accept=0, 192.0.2.20" "$(neigh 192.0.2.20)" none
rt_sysctl ipv4.conf.eth0.arp_accept=1
announce $M_NEW --no-rarp --ip 192.0.2.21 --ip 198.51.100.21
expect "arp_accept=1, 192.0.2.21" "neigh 192.0.2.21" "$M_NEW STALE"
expect "arp_accept=1, 198.51.100.21 (other subnet)" "neigh 198.51.100.21" \
    "$M_NEW STALE"
if has_subnet_modes; then
    rt_sysctl ipv4.conf.eth0.arp_accept=2
    announce $M_NEW --no-rarp --ip 198.51.100.22 --ip 192.0.2.22
    expect "arp_accept=2, 192.0.2.22" "neigh 192.0.2.22" "$M_NEW STALE"
    check_eq "arp_accept=2, 198.51.100.22 (other subnet)" \
        "$(neigh 198.51.100.22)" none
else
    skip_step "arp_accept=2" "no arp_accept=2 before Linux 6.0"
fi
rt_sysctl ipv4.conf.eth0.arp_accept=0

step "gratuitous ARP, entry being resolved (INCOMPLETE), arp_accept=0"
ip netns exec "$RT" ping -c 1 -W 1 -q 192.0.2.60 >/dev/null 2>&1 &
test_bg $!
expect "router's 192.0.2.60 before" "neigh_state 192.0.2.60" INCOMPLETE
announce $M_NEW --no-rarp --ip 192.0.2.60
expect "router's 192.0.2.60 MAC" "neigh_mac 192.0.2.60" $M_NEW

step "unsolicited NA, existing entry: moved, unless drop_unsolicited_na"
announce $M_NEW --no-rarp --ip 2001:db8::10
expect "router's 2001:db8::10" "neigh 2001:db8::10" "$M_NEW STALE"
rt_sysctl ipv6.conf.eth0.drop_unsolicited_na=1
announce $M_OLD --no-rarp --ip 2001:db8::10
settle
check_eq "drop_unsolicited_na=1, 2001:db8::10" "$(neigh 2001:db8::10)" \
    "$M_NEW STALE"
rt_sysctl ipv6.conf.eth0.drop_unsolicited_na=0
announce $M_OLD --no-rarp --ip 2001:db8::10
expect "drop_unsolicited_na=0, 2001:db8::10" "neigh 2001:db8::10" \
    "$M_OLD STALE"

step "unsolicited NA, no entry: accept_untracked_na decides, on a router"
announce $M_NEW --no-rarp --ip 2001:db8::20 --ip 2001:db8::10
expect "control: existing 2001:db8::10" "neigh 2001:db8::10" "$M_NEW STALE"
# Without accept_untracked_na (or with 0) nothing is created: any kernel.
check_eq "accept_untracked_na=0, 2001:db8::20" "$(neigh 2001:db8::20)" none
if has_untracked_na; then
    rt_sysctl ipv6.conf.eth0.accept_untracked_na=1
    announce $M_NEW --no-rarp --ip 2001:db8::21 --ip 2001:db8:ffff::21
    expect "accept_untracked_na=1, 2001:db8::21" "neigh 2001:db8::21" \
        "$M_NEW STALE"
    expect "accept_untracked_na=1, 2001:db8:ffff::21 (other subnet)" \
        "neigh 2001:db8:ffff::21" "$M_NEW STALE"
else
    skip_step "accept_untracked_na=1" "no accept_untracked_na before Linux 5.19"
fi
if has_subnet_modes; then
    rt_sysctl ipv6.conf.eth0.accept_untracked_na=2
    announce $M_NEW --no-rarp --ip 2001:db8:ffff::22 --ip 2001:db8::22
    expect "accept_untracked_na=2, 2001:db8::22" "neigh 2001:db8::22" \
        "$M_NEW STALE"
    check_eq "accept_untracked_na=2, 2001:db8:ffff::22 (other subnet)" \
        "$(neigh 2001:db8:ffff::22)" none
    rt_sysctl ipv6.conf.eth0.drop_unsolicited_na=1
    announce $M_NEW --no-rarp --ip 2001:db8::23
    settle
    check_eq "drop_unsolicited_na=1 wins over accept_untracked_na=2" \
        "$(neigh 2001:db8::23)" none
    rt_sysctl ipv6.conf.eth0.drop_unsolicited_na=0
else
    skip_step "accept_untracked_na=2" "no accept_untracked_na=2 before Linux 6.0"
fi
if has_untracked_na; then
    rt_sysctl ipv6.conf.all.forwarding=0 ipv6.conf.eth0.accept_untracked_na=1
    announce $M_OLD --no-rarp --ip 2001:db8::24 --ip 2001:db8::10
    expect "control: existing 2001:db8::10" "neigh 2001:db8::10" "$M_OLD STALE"
    check_eq "forwarding=0 (a host), accept_untracked_na=1, 2001:db8::24" \
        "$(neigh 2001:db8::24)" none
else
    skip_step "accept_untracked_na on a host" "no accept_untracked_na before Linux 5.19"
fi

if [ ${#SKIPPED[@]} -gt 0 ]; then
    skip "not checked on Linux $KERNEL (every other step passed): $(printf '%s; ' "${SKIPPED[@]}" | sed 's/; $//')"
fi
