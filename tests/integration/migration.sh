#!/bin/bash
# Live migration through cutoverd's migration engine, in the lab with real
# Open vSwitch and real traffic: a VM (two instances with one MAC and IP,
# the source's and the destination's, as during a live migration) moves
# from h1 to h2 and back while a peer on h3 and the internet (through its
# elastic IP) talk to it; after every step
# the flows of the port on the source, the destination and the remote host
# are what they must be; abort from every state restores the source; bad
# requests change nothing; cutoverd killed at each step ends consistent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 3 --no-neigh
RPC=$TEST_TMP/rpc.sock
TCP_PORT=$((20000 + $$ % 20000))
# Without holds: this test reads every flow of both sides in every state,
# as the pipeline has them without a hold (migration-hold.sh has them with).
cutoverd_start --remote="punix:$RPC" --remote="ptcp:$TCP_PORT:$(lab_ctl_ip)" \
    --hold=off

mig() { cutoverd_ctl "migration/$@"; }
# The port vm1's location flows on host N (cookie 0x04<<56 | key<<32), as
# "table priority actions" lines.
KEY=
loc_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats \
        "cookie=$(printf '0x04%06x00000000' "$KEY")/-1" \
        | sed -n 's/.*table=\([0-9]*\), *priority=\([0-9]*\).* actions=\(.*\)/\1 \2 \3/p' \
        | sort
}
# Whether vm1 answers vm2 (on h3) and the internet through its elastic IP.
answers() {
    ip netns exec "$(lab_ns "$P" vm2)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null \
        && ip netns exec "$P-inet" ping -c 1 -W 1 -q 203.0.113.10 >/dev/null
}
# pause_instance H / resume_instance H: the vm1 instance on host H stops
# answering (its interface down, as a paused VM) or answers again.
instance_ns() { lab_vm_ns "$P" vm1 "$1" "${2:-}"; }
pause_instance() { ip -n "$(instance_ns "$@")" link set eth0 down; }
resume_instance() {
    ip -n "$(instance_ns "$@")" link set eth0 up \
        && ip -n "$(instance_ns "$@")" route replace default via 10.0.0.1
}
# The host where vm1 must be delivered on host N: "local" or a tunnel IP.
where() {
    local f
    f=$(loc_flows "$1" | awk '$1 == 40 && $2 == 100 {print $3}')
    case $f in
        output:*) echo local ;;
        *tun_dst*) echo "$f" | sed 's/.*load:0x\([0-9a-f]*\)->NXM_NX_TUN_IPV4_DST.*/\1/;s/.*set_field:\([0-9.]*\)->tun_dst.*/\1/' ;;
        *) echo "$f" ;;
    esac
}
admission() {
    loc_flows "$1" | awk '$1 == 5 && $2 == 100 {print $3}'
}
# vm1's drain on host N (table 5, priority 105): goto_table:10 or nothing.
drain() {
    loc_flows "$1" | awk '$1 == 5 && $2 == 105 {print $3}'
}
# expect_placement ACTIVE: vm1 delivered on host ACTIVE, forwarded there by
# the others, ingress open only there.
expect_placement() {
    local a=$1 i
    wait_until 10 "flows in sync" cutoverd_flows_in_sync 3
    for i in 1 2 3; do
        if [ "$i" = "$a" ]; then
            check_eq "h$i delivers vm1 locally" "$(where "$i")" local
            check_eq "h$i admits vm1" "$(admission "$i")" "goto_table:10"
        else
            check_eq "h$i sends vm1 to h$a" "$(where "$i")" "$(lab_host_ip "$a")"
            if [ "$i" != 3 ]; then
                check_eq "h$i: vm1's ingress closed" "$(admission "$i")" drop
            fi
        fi
    done
}
# The physical switch's port for vm1's elastic IP's MAC (hN-v100).
EIP_MAC=02:00:cb:00:71:0a
eip_port() {
    bridge -n "$P-ul" fdb show br vlan100 \
        | awk -v m="$EIP_MAC" '$1 == m {print $3; exit}'
}
state() {
    mig show vm1 | sed -n '1s/^vm1: [^,]*, \([a-z]*\).*/\1/p'
}

step "3 hosts, a VPC, vm1 on h1 with a second instance waiting on h2, vm2 on h3"
migration_world
KEY=$VM1_KEY
edge_mac=$(ip -n "$P-edge" -o link show eth0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
check "provider" "$CTL" net-add provider vlan 100
check "public" "$CTL" subnet-add provider public 203.0.113.0/24 203.0.113.1 \
    "$edge_mac"
check "vm1's elastic IP" "$CTL" eip-add 203.0.113.10 02:00:cb:00:71:0a \
    provider port=vm1
check "vm1's route on h1" ip -n "$(instance_ns 1)" route add default via 10.0.0.1
expect_placement 1
for i in 1 2 3; do
    # No MAC learning on the provider VLAN: a drop flow learned there
    # would outlive a migration back (docs/migration.md).
    wait_until 10 "h$i's uplink bridge to flood VLAN 100" eval \
        "[ \"\$(lab_vsctl $P $i get bridge br-phy flood_vlans)\" = '[100]' ]"
done
wait_until 10 "vm2 and the internet to reach vm1 on h1" answers
echo "ok: vm1 reachable on h1"

step "bad requests are refused and change nothing"
before=$(nb_dump)
expect_exit cutoverd_ctl 2 "unknown port vm9" migration/prepare vm9 h2
expect_exit cutoverd_ctl 2 "unknown host h9" migration/prepare vm1 h9

expect_exit cutoverd_ctl 2 "vm1 is not migrating" migration/switchover vm1
expect_exit cutoverd_ctl 2 "at least 1 argument" migration/switchover
# The JSON-RPC listeners: the same commands, and garbage is refused.
rpc() {
    python3 - "$RPC" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
s.settimeout(10)
out = b""
try:
    while not out.endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
except socket.timeout:
    pass
print(out.decode() or "(connection closed)")
PY
}
out=$(rpc '{"method":"migration/prepare","params":["vm9","h2"],"id":1}')
echo "$out" | grep -q '"error":"unknown port vm9"' || fail "JSON-RPC prepare vm9: $out"
out=$(rpc '{"method":"migration/prepare","params":["vm1",7],"id":2}')
echo "$out" | grep -q 'argument 2 is not a string' || fail "JSON-RPC number: $out"
out=$(rpc '{"method":"migration/fly","params":[],"id":3}')
echo "$out" | grep -q 'is not a valid command' || fail "JSON-RPC unknown: $out"
out=$(rpc 'this is not JSON at all')
check_eq "garbage closes the connection" "$out" "(connection closed)"
# Bounds: a huge request closes its connection (and costs nothing
# lasting), a long argument is refused with a short echo, and a listener
# takes at most 64 connections.
out=$(python3 - "$RPC" <<'PY'
import json, socket, sys, time
path = sys.argv[1]
def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(10)
    return s
def answer(s):
    out = b""
    try:
        while not out.endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out.decode(errors="replace")
# 8 MB of one name: refused long before the end.
s = connect()
sent = 0
try:
    s.sendall(b'{"method":"migration/show","params":["')
    chunk = b"x" * 65536
    while sent < 8 << 20:
        s.sendall(chunk)
        sent += len(chunk)
except (BrokenPipeError, ConnectionResetError):
    pass
print("huge:", answer(s)[:200], "sent", sent < 8 << 20 and "cut" or "all")
s.close()
s = connect()
s.sendall(json.dumps({"method": "migration/show", "params": ["y" * 2000],
                      "id": 1}).encode())
print("long:", answer(s))
s.close()
conns = [connect() for _ in range(64)]
time.sleep(1)
extra = connect()
print("65th:", answer(extra) or "(closed)")
for c in conns:
    c.close()
time.sleep(1)
s = connect()
s.sendall(b'{"method":"migration/show","params":[],"id":2}')
print("after:", answer(s))
PY
)
echo "$out"
echo "$out" | grep -q '^huge: .*request too large' || fail "a huge request: $out"
echo "$out" | grep -q '^long: .*argument 1 is 2000 bytes long (at most 1024): \\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\\"' \
    || fail "a long argument: $out"
check_le "the long argument's echo" "$(echo "$out" | sed -n 's/^long: //p' | wc -c)" 200
echo "$out" | grep -q '^65th: (closed)' || fail "the 65th connection: $out"
echo "$out" | grep -q '^after: .*no migrations' || fail "after the bounds: $out"
check "cutoverd still answers" cutoverd_ctl migration/show
expect_exit cutoverd_ctl 2 "argument 1 is 2000 bytes long" migration/show "$(printf 'z%.0s' $(seq 2000))"
# From a hypervisor (h1), over the management network, as a VMM's hook.
out=$(ip netns exec "$(lab_host_ns "$P" 1)" \
    "$top_builddir/controller/cutover-hook" \
    --server "tcp:$(lab_ctl_ip):$TCP_PORT" show 2>&1) \
    || fail "migration/show over TCP: $out"
check_eq "over TCP from h1" "$out" "no migrations"
check_eq "database unchanged" "$(nb_dump)" "$before"
expect_placement 1

step "prepare: h2 confirms vm1's standby flows"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
echo "$out"
echo "$out" | grep -q "vm1 prepared on h2" || fail "prepare said: $out"
# h2's agent has vm1's frames and its elastic IP's.
echo "$out" | grep -q "announcements registered (with eip:203.0.113.10)" \
    || fail "prepare said: $out"
check_eq "h2's agent's registrations" \
    "$(ovs-appctl -t "$(lab_agent_ctl "$P" 2)" announcer/list | xargs)" \
    "eip:203.0.113.10 vm1"
check_eq "state" "$(state)" prepared
check_eq "recorded" "$(ovsdb-client --no-headings -f csv query "$NB_DB" \
    '["Cutover_Northbound",{"op":"select","table":"Migration","where":[],"columns":["state"]}]' | grep -o 'prepared')" prepared
expect_placement 1
check_eq "h1 drains vm1's interface from prepare on" "$(drain 1)" goto_table:10
check_eq "h2 does not" "$(drain 2)" ""
expect_exit cutoverd_ctl 2 "already migrating to h2" migration/prepare vm1 h3
out=$(mig prepare vm1 h2) || fail "prepare again: $out"
echo "$out" | grep -q "already prepared" || fail "prepare again said: $out"

step "switchover: answered once h1 and h2 confirmed; traffic follows"
pause_instance 1
resume_instance 2 d
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out"
echo "$out" | grep -Eq "vm1 switched over from h1 to h2: confirmed in [0-9]+ us" \
    || fail "switchover said: $out"
expect_placement 2
# What the paused VM sent before it stopped and h1's switch had not taken
# in still goes: h1's drain stays until activate.
check_eq "h1 still drains vm1's interface" "$(drain 1)" goto_table:10
# Nothing has left vm1's instance on h2 with the elastic IP's MAC yet: the
# switch learns the move from h2's claim that follows the answer.
wait_until 5 "the physical switch to learn the elastic IP's MAC on h2" \
    eval '[ "$(eip_port)" = h2-v100 ]'
wait_until 10 "vm2 and the internet to reach vm1 on h2" answers
check_eq "state" "$(state)" switched
out=$(mig switchover vm1) || fail "switchover again: $out"
echo "$out" | grep -q "already switched" || fail "switchover again said: $out"

step "activate, complete: vm1's home is h2"
# The claim at the switchover was a RARP: a gratuitous ARP for the elastic
# IP comes from h2's agent's burst.
capture_start eip "$P-edge" eth0 "arp and ether src $EIP_MAC"
out=$(mig activate vm1) || fail "activate: $out"
echo "$out"
echo "$out" | grep -q "announcer: fired 2 ports" || fail "activate said: $out"
wait_until 5 "h1's drain to go once vm1 runs on h2" eval '[ -z "$(drain 1)" ]'
wait_until 5 "the elastic IP's gratuitous ARP at the edge" eval \
    '[ -n "$(pcap_fields eip "arp.opcode == 1 && arp.src.proto_ipv4 == 203.0.113.10 && arp.dst.proto_ipv4 == 203.0.113.10" arp.src.hw_mac)" ]'
capture_stop eip
check_eq "its sender" "$(pcap_fields eip "arp.opcode == 1" arp.src.hw_mac)" \
    "$EIP_MAC"
out=$(mig complete vm1) || fail "complete: $out"
echo "$out"
echo "$out" | grep -q "vm1 complete: its home is now h2" || fail "complete said: $out"
wait_until 5 "h2's agent to forget vm1 and its elastic IP" eval \
    '[ -z "$(ovs-appctl -t "$(lab_agent_ctl "$P" 2)" announcer/list)" ]'
check_eq "home" "$("$CTL" -f csv port-list | awk -F, '$1 == "vm1"' | grep -o h2)" h2
expect_placement 2
answers || fail "vm1 unreachable after complete"
mig show vm1

step "and back to h1"
check "prepare back" mig prepare vm1 h1
pause_instance 2 d
resume_instance 1
check "switchover back" mig switchover vm1
expect_placement 1
wait_until 10 "vm2 and the internet to reach vm1 on h1" answers
check "activate back" mig activate vm1
check "complete back" mig complete vm1
expect_placement 1

step "abort from each state restores the source exactly"
flows_h() { lab_ofctl "$P" "$1" dump-flows br-int --no-stats | sed 's/ *duration=[^,]*,//' | sort; }
ref1=$(flows_h 1); ref2=$(flows_h 2); ref3=$(flows_h 3)
for upto in prepare switchover activate; do
    check "prepare ($upto)" mig prepare vm1 h2
    [ "$upto" = prepare ] || check "switchover ($upto)" mig switchover vm1
    [ "$upto" = activate ] && check "activate ($upto)" mig activate vm1
    out=$(mig abort vm1) || fail "abort after $upto: $out"
    echo "$out" | grep -q "vm1 aborted: back on h1" || fail "abort said: $out"
    expect_placement 1
    [ "$upto" = prepare ] \
        || wait_until 5 "the elastic IP's MAC back on h1 (abort after $upto)" \
               eval '[ "$(eip_port)" = h1-v100 ]'
    check_eq "h1 as before (abort after $upto)" "$(flows_h 1)" "$ref1"
    check_eq "h2 as before (abort after $upto)" "$(flows_h 2)" "$ref2"
    check_eq "h3 as before (abort after $upto)" "$(flows_h 3)" "$ref3"
    check_eq "state" "$(state)" aborted
done
wait_until 10 "vm2 and the internet to reach vm1 on h1 after the aborts" answers

step "a destination that is not connected is refused"
# h2's ovs-vswitchd stops: its OpenFlow connection goes.
lab_stop_vswitchd() { kill "$(cat "$(lab_host_dir "$P" 2)/run/ovs-vswitchd.pid")"; }
check "stop h2's ovs-vswitchd" lab_stop_vswitchd
wait_until 10 "h2 disconnected" eval '! cutoverd_ctl cutoverd/status | grep -q "installer h2: connected"'
expect_exit cutoverd_ctl 2 "destination host h2 not connected" migration/prepare vm1 h2
check "restart h2's ovs-vswitchd" lab_start_vswitchd "$P" 2
expect_placement 1

step "switchover options: bad ones are refused by name"
expect_exit cutoverd_ctl 2 "timeout=0: expected milliseconds, 1 to 60000" \
    migration/switchover vm1 timeout=0
expect_exit cutoverd_ctl 2 "stopped=12: expected the time the VM stopped" \
    migration/switchover vm1 stopped=12
expect_exit cutoverd_ctl 2 'unknown option "speed=9"' \
    migration/switchover vm1 speed=9

step "Port.status: up where the VM interface is, migrating during a migration"
port_status() {
    "$CTL" -f csv port-list | awk -F, -v p="$1" '$1 == p {print $NF}'
}
wait_until 10 "vm1 up" eval '[ "$(port_status vm1)" = up ]'
wait_until 10 "vm2 up" eval '[ "$(port_status vm2)" = up ]'
check "prepare" mig prepare vm1 h2
wait_until 10 "vm1 migrating" eval '[ "$(port_status vm1)" = migrating ]'

step "the switchover tells how long after the VM stopped it was confirmed"
out=$(mig switchover vm1 "stopped=$(date +%s.%6N)") || fail "switchover: $out"
mig show vm1 | grep -Eq "the VM stopped [0-9]+ us before both switches confirmed" \
    || fail "show: $(mig show vm1)"
mig show vm1 | grep -q "claim: on h2: round 1 of 1, 1 frame" \
    || fail "show has no claim: $(mig show vm1)"
check "abort" mig abort vm1
wait_until 10 "vm1 up again" eval '[ "$(port_status vm1)" = up ]'

step "a frozen destination: the switchover gives up after its timeout"
check "prepare" mig prepare vm1 h2
h2_vswitchd=$(cat "$(lab_host_dir "$P" 2)/run/ovs-vswitchd.pid")
kill -STOP "$h2_vswitchd"
expect_exit cutoverd_ctl 2 "timeout waiting for barrier from h2 after 300 ms: switchover undone, vm1 stays on h1" \
    migration/switchover vm1 timeout=300
kill -CONT "$h2_vswitchd"
check_eq "state" "$(state)" prepared
expect_placement 1
check "abort" mig abort vm1
expect_placement 1

step "history: at most 5 finished migrations of vm1 are kept"
n=$(ovsdb-client --no-headings -f csv query "$NB_DB" \
        '["Cutover_Northbound",{"op":"select","table":"Migration","where":[],"columns":["state"]}]' \
    | grep -c .)
check_le "Migration rows" "$n" 5

step "exit: a waiting request is answered, then cutoverd leaves nothing behind"
kill -STOP "$h2_vswitchd"
(cutoverd_ctl migration/prepare vm1 h2 > "$TEST_TMP/prepare.out" 2>&1; \
 echo "rc=$?" >> "$TEST_TMP/prepare.out") &
wait_until 10 "the prepare to wait" eval 'mig show vm1 | grep -q "prepare under way"'
check "exit" cutoverd_ctl exit
wait_until 10 "cutoverd to exit" eval '! lab_alive "$CUTOVERD_PID"'
wait_until 10 "the prepare's answer" grep -q "rc=" "$TEST_TMP/prepare.out"
kill -CONT "$h2_vswitchd"
grep -q "cutoverd is exiting" "$TEST_TMP/prepare.out" \
    || fail "the waiting prepare got: $(cat "$TEST_TMP/prepare.out")"
check "no pidfile left" test ! -e "$TEST_TMP/cutoverd/cutoverd.pid"
check "no control socket left" test ! -e "$CUTOVERD_CTL"
check "no crash" eval '! grep -q "EMER\|assertion\|signal" "$CUTOVERD_LOG"'

echo "ok: migration"
