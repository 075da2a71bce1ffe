#!/bin/bash
# cutoverd's packet-out fallback for announcements, in the lab: ports
# migrate to hosts without an announcer, and cutoverd hands the
# destination's switch the frames as OpenFlow packet-outs on its own
# OpenFlow connection, in QEMU's 5 rounds; the pipeline (table 2) lets them
# out as the VM's own.  A provider VLAN port's RARP, gratuitous ARP and NA
# reach the edge router untagged on the VLAN's cable, in order, 5 rounds,
# and the physical switch's FDB moves to the destination's cable; an
# overlay port's own frames go nowhere (counted by its table 2 flow), its
# elastic IP's reach the edge.  An abort right after activate stops the
# rounds.  Then an announcer that registered the port but died, one that
# refuses to fire and one that never answers: the fallback is used and
# activate's answer says why; a working one is used and no packet-out sent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
FAKE_ANNOUNCER=$top_srcdir/tests/harness/fake-announcer
require_root
require_announce
require_cmds tcpdump tshark bridge python3 ovsdb-client
controller_lab_up 3 --no-agent
RPC=$TEST_TMP/rpc.sock
cutoverd_start --remote="punix:$RPC"

mig() { cutoverd_ctl "migration/$@"; }
VM1_MAC=02:00:0a:00:00:05
VM3_MAC=02:00:cb:00:71:05
EIP_MAC=02:00:cb:00:71:0a
EIP=203.0.113.10

# The physical switch's port for MAC on the provider VLAN.
fdb_port() {
    bridge -n "$P-ul" fdb show br vlan100 | awk -v m="$1" '$1 == m {print $3; exit}'
}
# kinds NAME: capture NAME's frames in order, one word each:
# KIND[:ADDRESS]@SOURCE-MAC, TAGGED for a frame with an 802.1Q tag.
kinds() {
    tshark -r "$TEST_TMP/$1.pcap" -T fields -E separator=, -e eth.src \
        -e vlan.id -e arp.opcode -e arp.dst.proto_ipv4 \
        -e icmpv6.nd.na.target_address 2>/dev/null | awk -F, '{
            if ($2 != "") k = "TAGGED"
            else if ($3 == 3) k = "RARP"
            else if ($3 == 1) k = "GARP:" $4
            else if ($5 != "") k = "NA:" $5
            else k = "OTHER"
            print k "@" $1
        }'
}
# repeat_words N WORDS...: WORDS N times, as one line.
repeat_words() {
    local n=$1 i out=
    shift
    for i in $(seq "$n"); do out="$out $*"; done
    echo $out
}
# table2_packets HOST MAC: packets host HOST's table 2 let out for MAC.
table2_packets() {
    lab_ofctl "$P" "$1" dump-flows br-int "table=2,dl_src=$2" \
        | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p'
}
# h_status N: host hN's block of cutoverd/status.
h_status() {
    cutoverd_ctl cutoverd/status | awk -v h="host h$1:" '
        /^host / {on = index($0, h) == 1} on'
}
# activate PORT: migration/activate PORT's answer (it must succeed), with
# the step's time as the engine measured it.
activate() {
    local out
    out=$(mig activate "$1") || fail "activate $1: $out"
    echo "$out" >&2
    mig show "$1" | grep "^  activate: " >&2
    echo "$out"
}

step "the model: vm1 in a VPC with an elastic IP, vm3 on the provider VLAN; no host has an announcer"
migration_world
edge_mac=$(ip -n "$P-edge" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
check "provider" "$CTL" net-add provider vlan 100
check "public" "$CTL" subnet-add provider public 203.0.113.0/24 203.0.113.1 \
    "$edge_mac" cidr6=2001:db8:cafe::/64 gateway6=2001:db8:cafe::1
check "vm3" "$CTL" port-add vm3 public "$VM3_MAC" ip=203.0.113.50 \
    ip=2001:db8:cafe::50 home=h1
check "elastic IP" "$CTL" eip-add "$EIP" "$EIP_MAC" provider port=vm1
# vm3's interfaces on h1 and h2: attached and silent (their peers stay
# down), so that every frame with its MAC on the VLAN is an announcement.
for i in 1 2; do
    ns=$(lab_host_ns "$P" "$i")
    check "vm3's interface on h$i" ip -n "$ns" link add vm3 type veth peer \
        name vm3-p
    check "vm3 up on h$i" ip -n "$ns" link set vm3 up
    check "vm3 in h$i's br-int" lab_vsctl "$P" "$i" add-port br-int vm3 \
        -- set interface vm3 external_ids:iface-id=vm3
done
wait_until 30 "3 hosts in sync" cutoverd_synced 3
wait_until 30 "h2's announcement flows" eval \
    '[ -n "$(table2_packets 2 "$VM3_MAC")" ] && [ -n "$(table2_packets 2 "$EIP_MAC")" ] && cutoverd_synced 3'
cutoverd_ctl cutoverd/status | grep -q "^  agent " \
    && fail "a host has an agent: $(cutoverd_ctl cutoverd/status)"

# The physical switch first knows vm3's and the elastic IP's MACs on h1's
# cable: where they lived before they moved.
H1=$(lab_host_ns "$P" 1)
for mac in "$VM3_MAC" "$EIP_MAC"; do
    check "$mac from h1" ip netns exec "$H1" "$ANNOUNCE" -i eth1 -m "$mac" \
        --rounds 1 -q
    wait_until 5 "the FDB to learn $mac" eval '[ -n "$(fdb_port "$mac")" ]'
    check_eq "$mac before the move" "$(fdb_port "$mac")" h1-v100
done

step "the overlay port vm1 to h2: its elastic IP announced on the VLAN, its own frames nowhere"
check "prepare vm1" mig prepare vm1 h2
check "switchover vm1" mig switchover vm1
capture_start ovl "$P-edge" eth0 "ether src $VM1_MAC or ether src $EIP_MAC"
before=$(table2_packets 2 "$VM1_MAC")
out=$(activate vm1)
check_eq "activate's answer" "$out" \
    "vm1 active on h2 (packet-out: round 1 of 5, 4 frames (fallback: no announcer on h2))"
wait_until 10 "5 rounds of vm1's frames through h2's table 2" eval \
    '[ "$(table2_packets 2 "$VM1_MAC")" -ge $((before + 10)) ]'
wait_until 10 "10 frames of the elastic IP at the edge" eval \
    '[ "$(pcap_count ovl "eth.src == $EIP_MAC")" -ge 10 ]'
capture_stop ovl
check_eq "vm1's own packet-outs through table 2 (2 frames, 5 rounds)" \
    "$(table2_packets 2 "$VM1_MAC")" $((before + 10))
check_eq "frames at the edge: the elastic IP's only, in order, 5 rounds" \
    "$(kinds ovl | xargs)" "$(repeat_words 5 "RARP@$EIP_MAC" "GARP:$EIP@$EIP_MAC")"
check_eq "the elastic IP's MAC on the physical switch" "$(fdb_port "$EIP_MAC")" h2-v100
check "complete vm1" mig complete vm1

step "the provider VLAN port vm3 to h2: RARP, gratuitous ARP, NA at the edge, 5 rounds; the FDB moves"
check "prepare vm3" mig prepare vm3 h2
check "switchover vm3" mig switchover vm3
capture_start vlan "$P-edge" eth0 "ether src $VM3_MAC"
out=$(activate vm3)
check_eq "activate's answer" "$out" \
    "vm3 active on h2 (packet-out: round 1 of 5, 3 frames (fallback: no announcer on h2))"
wait_until 10 "15 frames of vm3 at the edge" eval \
    '[ "$(pcap_count vlan "eth.src == $VM3_MAC")" -ge 15 ]'
capture_stop vlan
check_eq "frames at the edge: untagged on the VLAN's cable, in order, 5 rounds" \
    "$(kinds vlan | xargs)" \
    "$(repeat_words 5 "RARP@$VM3_MAC" "GARP:203.0.113.50@$VM3_MAC" "NA:2001:db8:cafe::50@$VM3_MAC")"
# For the log only (no timing is asserted: the unit test checks the
# schedule against a fake clock): the fifth round goes 800 ms after the
# first.
echo "first to last frame at the edge: $(tshark -r "$TEST_TMP/vlan.pcap" \
    -T fields -e frame.time_relative 2>/dev/null | tail -1) s"
check_eq "vm3's MAC on the physical switch" "$(fdb_port "$VM3_MAC")" h2-v100
show=$(mig show vm3)
echo "$show"
echo "$show" | grep -qx "  announcements: packet-out: round 1 of 5, 3 frames (fallback: no announcer on h2)" \
    || fail "migration/show does not tell how vm3 was announced"
wait_until 10 "h2's rounds all sent" eval \
    'h_status 2 | grep -q "^  packet-out announcements: 2 started (0 cancelled), 10 rounds, 35 frames handed to the switch, 0 not sent, 0 refused$"'
h_status 2
check "complete vm3" mig complete vm3

step "abort right after activate: the rounds to come are cancelled"
check "prepare vm3 back to h1" mig prepare vm3 h1
check "switchover vm3" mig switchover vm3
capture_start abort "$P-edge" eth0 "ether src $VM3_MAC"
# activate and abort in one write on one connection: cutoverd reads the
# abort as soon as activate has answered.
replies=$(python3 - "$RPC" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(30)
s.sendall(b'{"method":"migration/activate","params":["vm3"],"id":1}'
          b'{"method":"migration/abort","params":["vm3"],"id":2}')
decoder, buf, replies = json.JSONDecoder(), "", []
while len(replies) < 2:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk.decode()
    while buf.strip():
        try:
            msg, end = decoder.raw_decode(buf.lstrip())
        except ValueError:
            break
        buf = buf.lstrip()[end:]
        replies.append(msg)
for r in replies:
    print(r.get("result") or "error: %s" % r.get("error"))
PY
)
echo "$replies"
check_eq "activate's answer" "$(echo "$replies" | sed -n 1p)" \
    "vm3 active on h1 (packet-out: round 1 of 5, 3 frames (fallback: no announcer on h1))"
check_eq "abort's answer" "$(echo "$replies" | sed -n 2p)" \
    "vm3 aborted: back on h2 as before"
status=$(h_status 1 | grep "packet-out announcements:")
echo "$status"
echo "$status" | grep -Eq "^  packet-out announcements: 1 started \(1 cancelled\), [1-4] rounds, " \
    || fail "h1 did not cancel the rounds: $status"
# Well past the fifth round's time.
sleep 1.5
capture_stop abort
n=$(pcap_count abort "arp.opcode == 3")
echo "vm3's rounds seen at the edge: $n"
[ "$n" -ge 1 ] && [ "$n" -lt 5 ] || fail "$n of vm3's rounds went out: expected 1 to 4"
check_eq "h1 sent no more" "$(h_status 1 | grep "packet-out announcements:")" "$status"

step "h1's announcer registered vm1 and then died: packet-outs, and the answer says why"
ANN=$TEST_TMP/announcer.ctl
ANN_LOG=$TEST_TMP/announcer.log
ANN_PID=
# fake_announcer MODE: a stand-in announcer for h1 (tests/harness/
# fake-announcer) whose announcer/fire answers as MODE says.
fake_announcer() {
    [ -n "$ANN_PID" ] && kill "$ANN_PID" && wait "$ANN_PID" 2>/dev/null
    "$FAKE_ANNOUNCER" --socket "$ANN" --fire "$1" --log "$ANN_LOG" &
    ANN_PID=$!
    test_bg "$ANN_PID"
    wait_for "$ANN"
    wait_until 30 "h1's announcer connected" eval \
        'h_status 1 | grep -q "^  agent unix:$ANN connected"'
}
check "h1's announcer in the northbound database" ovsdb-client transact "$NB_DB" \
    "[\"Cutover_Northbound\",{\"op\":\"update\",\"table\":\"Host\",\"where\":[[\"name\",\"==\",\"h1\"]],\"row\":{\"agent\":\"$ANN\"}}]"
fake_announcer ok
out=$(mig prepare vm1 h1) || fail "prepare: $out"
echo "$out" | grep -q "announcements registered" || fail "prepare said: $out"
check "switchover vm1" mig switchover vm1
kill "$ANN_PID"
wait "$ANN_PID" 2>/dev/null
ANN_PID=
wait_until 10 "h1's announcer gone" eval \
    'h_status 1 | grep -q "^  agent unix:$ANN not connected"'
out=$(activate vm1)
check_eq "activate's answer" "$out" \
    "vm1 active on h1 (packet-out: round 1 of 5, 4 frames (fallback: announcer of h1 not connected))"
check "abort" mig abort vm1
out=$(mig prepare vm1 h1) || fail "prepare with the announcer away: $out"
echo "$out" | grep -q "announcer of h1 not connected: packet-outs at activate" \
    || fail "prepare said: $out"
check "abort" mig abort vm1

step "an announcer that refuses to fire, one that does not answer"
fake_announcer error
check "prepare vm1" mig prepare vm1 h1
check "switchover vm1" mig switchover vm1
out=$(activate vm1)
check_eq "activate's answer" "$out" \
    "vm1 active on h1 (packet-out: round 1 of 5, 4 frames (fallback: announcer of h1 failed: the fake announcer refuses to fire))"
check "abort" mig abort vm1
fake_announcer silent
check "prepare vm1" mig prepare vm1 h1
check "switchover vm1" mig switchover vm1
out=$(activate vm1)
check_eq "activate's answer" "$out" \
    "vm1 active on h1 (packet-out: round 1 of 5, 4 frames (fallback: announcer of h1 did not answer within 1000 ms))"
check "abort" mig abort vm1
grep -c '"announcer/fire"' "$ANN_LOG" | grep -qx 2 \
    || fail "the announcers were not asked to fire twice: $(cat "$ANN_LOG")"

step "a working announcer is used, and no packet-out is sent"
fake_announcer ok
started=$(h_status 1 | sed -n 's/.*packet-out announcements: \([0-9]*\) started.*/\1/p')
check_eq "h1's packet-out announcements so far" "$started" 4
check "prepare vm1" mig prepare vm1 h1
check "switchover vm1" mig switchover vm1
out=$(activate vm1)
# vm1's own frames and its elastic IP's: 2 registrations fired at once.
check_eq "activate's answer" "$out" \
    "vm1 active on h1 (announcer: fired 2 ports, 4 frames in 1.000 us)"
check "complete vm1" mig complete vm1
check_eq "h1's packet-out announcements" \
    "$(h_status 1 | sed -n 's/.*packet-out announcements: \([0-9]*\) started.*/\1/p')" 4
kill "$ANN_PID"
wait "$ANN_PID" 2>/dev/null

echo "ok: migration-packet-out"
