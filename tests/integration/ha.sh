#!/bin/bash
# Active and standby controllers (docs/ha.md).  Two cutoverds follow one
# northbound database; the one that holds its lock is active: every
# switch's OpenFlow primary with the generation it claimed in the database,
# and its agents' claimant.  The other is a standby: it computes every
# host's flows and keeps its connections up, as the switches' secondary,
# and changes nothing (no bundle, no flow touched on any switch, nothing
# sent to an agent, migrations refused).  The switches and the agents
# refuse a controller of an older generation.  The active one is killed
# (SIGKILL) after each step of a migration that cutover-hook drives with
# both controllers as its servers (and while a switchover waits for its
# barriers): the standby becomes active, carries the migration on from its
# record, and the hook's next step reaches it.  The
# northbound database is a 3-member Raft cluster; its leader killed during
# a migration, the controllers follow the new one and the migration goes
# on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_cmds python3
HOOK=$top_builddir/controller/cutover-hook
[ -x "$HOOK" ] || skip "$HOOK is not built"
# The northbound database is a 3-member Raft cluster, as deployed.
NB_CLUSTER=3 controller_lab_up 3 --no-neigh
CTL_IP=$(lab_ctl_ip)
PORT_A=$((20000 + $$ % 20000))
PORT_B=$((PORT_A + 1))
SERVERS=tcp:$CTL_IP:$PORT_A,tcp:$CTL_IP:$PORT_B

# start NAME: cutoverd NAME (a or b), without holds (the ingress flows read
# below are those without one).
start() {
    ha_start "$1" "$([ "$1" = a ] && echo "$PORT_A" || echo "$PORT_B")" \
        --hold=off
}
ctl() { ha_ctl "$@"; }
role_of() { ha_role "$1"; }
use() { ha_use "$1"; }
other() { [ "$1" = a ] && echo b || echo a; }
# The hook, as a VMM's host would run it: on another machine than the
# controllers (the controllers' here), with both as its servers.
hook() { ip netns exec "$(lab_ctl_ns "$P")" "$HOOK" -s "$SERVERS" "$@"; }
mig() { hook -t 30 "$@" --port=vm1; }
state() {
    hook show --port=vm1 | sed -n '1s/^vm1: [^,]*, \([a-z]*\).*/\1/p'
}

# of_client HOST ROLE GENERATION [flow-mod]: an OpenFlow 1.5 connection to
# host HOST's switch that asks for ROLE (primary or secondary) with
# GENERATION, then, with flow-mod, adds a flow; prints what the switch
# answered to each ("role: primary", "role: error 11,0", "flow-mod: error
# 1,10", "flow-mod: ok").
of_client() {
    ip netns exec "$(lab_ctl_ns "$P")" python3 - "$(lab_mgmt_ip "$1")" \
        6653 "$2" "$3" "${4:-}" <<'PY'
import socket, struct, sys
host, port, role, gen, flow_mod = (sys.argv[1], int(sys.argv[2]),
                                   sys.argv[3], int(sys.argv[4]),
                                   sys.argv[5] == "flow-mod")
s = socket.create_connection((host, port), timeout=10)
def send(kind, body, xid):
    s.sendall(struct.pack("!BBHI", 6, kind, 8 + len(body), xid) + body)
def read(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise SystemExit("the switch closed the connection")
        data += chunk
    return data
send(0, b"", 1)                                    # HELLO
roles = {"primary": 2, "secondary": 3}
send(24, struct.pack("!I4xQ", roles[role], gen), 2)  # ROLE_REQUEST
if flow_mod:
    # FLOW_MOD add, table 0, priority 1, no instructions, an empty match.
    body = struct.pack("!QQBBHHHIIIHH", 0, 0, 0, 0, 0, 0, 1,
                       0xffffffff, 0xffffffff, 0xffffffff, 0, 0)
    body += struct.pack("!HH4x", 1, 4)
    send(14, body, 3)
send(20, b"", 4)                                   # BARRIER_REQUEST
names = {2: "role", 3: "flow-mod"}
answered = set()
while True:
    version, kind, length, xid = struct.unpack("!BBHI", read(8))
    body = read(length - 8)
    if kind == 2:                                  # ECHO_REQUEST
        send(3, body, xid)
    elif kind == 1 and xid in names:               # ERROR
        print("%s: error %d,%d" % ((names[xid],) + struct.unpack("!HH", body[:4])))
        answered.add(xid)
    elif kind == 25 and xid == 2:                  # ROLE_REPLY
        print("role: %s" % {2: "primary", 3: "secondary"}.get(
            struct.unpack("!I", body[:4])[0], "other"))
        answered.add(xid)
    elif kind == 21 and xid == 4:                  # BARRIER_REPLY
        if flow_mod and 3 not in answered:
            print("flow-mod: ok")
        break
PY
}

# agent_rpc HOST REQUEST...: JSON-RPC requests to host HOST's agent over one
# connection, from the controller's machine; prints each answer.
agent_rpc() {
    local h=$1
    shift
    ip netns exec "$(lab_ctl_ns "$P")" python3 - "$(lab_mgmt_ip "$h")" \
        "$LAB_AGENT_PORT" "$@" <<'PY'
import json, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
f = s.makefile("rb")
buf = b""
dec = json.JSONDecoder()
for i, req in enumerate(sys.argv[3:]):
    method, *params = req.split()
    s.sendall(json.dumps({"method": method, "params": params,
                          "id": i}).encode())
    while True:
        try:
            msg, end = dec.raw_decode(buf.decode())
            buf = buf[end:]
            break
        except ValueError:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit("the agent closed the connection")
            buf += chunk
    print("%s: %s" % (method, msg["error"] if msg.get("error") is not None
                      else "ok: " + str(msg["result"]).strip()))
PY
}

# back_home: vm1, complete on h2, migrates back to h1.
back_home() {
    check "prepare back" mig prepare --to=h1
    ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 down
    ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 up
    check "switchover back" mig switchover
    check "complete back" mig complete
    expect_vm1_open 1 2
}

step "one cutoverd: active, generation 1, every switch's primary"
start a
wait_until 15 "a to be active" eval '[ "$(role_of a)" = active ]'
check_eq "the generation in the database" "$(ha_generation)" 1
migration_world
KEY=$VM1_KEY
use a
expect_vm1_open 1 2
status=$(ctl a cutoverd/status)
check_eq "a's first line" "$(echo "$status" | head -1)" "Status: active"
check_eq "a is the primary of 3 switches" \
    "$(echo "$status" | grep -c '^  installer h[0-9]: .*, primary (generation 1)')" 3
echo "$status" | grep -q "^lock cutoverd: held, generation 1, active since " \
    || fail "a's status says nothing of its lock: $status"

step "a second cutoverd is a standby: it changes nothing"
# Flows older than this were not touched by b.
sleep 1
b_start=$(date +%s.%N)
start b
wait_until 15 "b to answer" eval '[ -n "$(role_of b)" ]'
check_eq "b" "$(role_of b)" standby
wait_until 15 "b to be the secondary of 3 switches" eval \
    '[ "$(ctl b cutoverd/status | grep -c "^  installer h[0-9]: connected.*, secondary (generation 1)")" = 3 ]'
ctl b cutoverd/status | grep -q "^lock cutoverd: held by another cutoverd, generation 1" \
    || fail "b's status: $(ctl b cutoverd/status)"
check "b computes anyway" ctl b cutoverd/recompute
expect_exit ctl 2 "this cutoverd is a standby .another holds the northbound database's lock.: ask the active controller" \
    b migration/prepare vm1 h2
expect_exit ctl 2 "this cutoverd is a standby: the active controller audits" b cutoverd/audit
sleep 2
check_eq "b sent no bundle" \
    "$(ctl b cutoverd/status | grep -c '^  installer h[0-9]: .*, 0 bundles (0 failed)')" 3
for i in 1 2 3; do
    # Every flow of ours on the switch is older than b: b replaced none.
    young=$(lab_ofctl "$P" "$i" dump-flows br-int | python3 -c '
import re, sys, time
since = time.time() - float(sys.argv[1])
print(sum(1 for line in sys.stdin
          if "cookie=0x" in line and not line.lstrip().startswith("cookie=0x0,")
          and float(re.search(r"duration=([0-9.]+)s", line).group(1)) < since))' "$b_start")
    check_eq "h$i: flows younger than b" "$young" 0
done
check_eq "h2's agent was claimed once, by a" \
    "$(grep -c 'the controller of generation [0-9]* claimed this' "$(lab_host_dir "$P" 2)/log/cutover-agent.log")" 1

step "the switches and the agents refuse an older generation"
check_eq "a primary of generation 0 is stale" "$(of_client 1 primary 0)" \
    "role: error 11,0"
check_eq "a secondary changes no flow" \
    "$(of_client 1 secondary 1 flow-mod | tr '\n' ' ')" \
    "role: secondary flow-mod: error 1,10 "
out=$(agent_rpc 2 "controller/claim 0" "neighbours/set br-phy" "neighbours/show")
echo "$out"
echo "$out" | grep -q "^controller/claim: stale controller: generation 0 is older than 1" \
    || fail "a stale claim: $out"
echo "$out" | grep -q "^neighbours/set: neighbours/set: refused: the controller of generation 1 holds this cutover-announcer" \
    || fail "a change from a stale controller: $out"
echo "$out" | grep -q "^neighbours/show: ok" || fail "a look from anyone: $out"
# What a restarted a would do: reclaim the agent, as a standby it cannot.
expect_vm1_open 1 2

step "the active one killed after each step: the standby takes over"
active=a
gen=1
for killed_after in prepare switchover activate; do
    check "prepare" mig prepare --to=h2
    if [ "$killed_after" != prepare ]; then
        ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
        ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
        check "switchover" mig switchover
    fi
    [ "$killed_after" = activate ] && check "activate" mig activate
    before=$(state)
    kill -KILL "${HA_PID[$active]}"
    standby=$(other "$active")
    wait_until 15 "$standby to become active" eval \
        '[ "$(role_of "$standby")" = active ]'
    gen=$((gen + 1))
    check_eq "generation after the kill" "$(ha_generation)" "$gen"
    use "$standby"
    wait_until 15 "the migration to be recovered" eval '[ "$(state)" = "$before" ]'
    echo "ok: $active killed after $killed_after, $standby found it $(state)"
    check_eq "$standby is the primary of 3 switches" \
        "$(ctl "$standby" cutoverd/status | grep -c "^  installer h[0-9]: .*, primary (generation $gen)")" 3
    # The switches had the flows right: the takeover sent none.  Finding
    # them right compared every flow, so it was the hosts' check too: in
    # the same status, every host that was found right is in sync.
    status=$(ctl "$standby" cutoverd/status)
    check_eq "$standby found the flows of 3 switches right" \
        "$(echo "$status" | grep -c "^  installer h[0-9]: .*, 1 connections found right, ")" 3
    check_eq "$standby has the 3 hosts in sync by that reading" \
        "$(echo "$status" | grep -c "^host h[0-9]: .*in sync, checked")" 3
    # The killed one comes back, as a standby.
    start "$active"
    wait_until 15 "$active to answer" eval '[ "$(role_of "$active")" = standby ]'
    active=$standby
    if [ "$killed_after" = prepare ]; then
        expect_vm1_open 1 2
        ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
        ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
        check "switchover through the hook's list" mig switchover
    fi
    expect_vm1_open 2 1
    [ "$killed_after" = activate ] || check "activate" mig activate
    check "complete" mig complete
    expect_vm1_open 2 1
    back_home
done
step "the active one killed while a switchover waits for its barriers"
# h2's switch frozen: the switchover waits for its barrier; the active one
# dies meanwhile.  The hook's call goes to the new active one; once the
# switch is back, the migration ends on one side or the other, every host
# consistent with it.
h2_vswitchd=$(cat "$(lab_host_dir "$P" 2)/run/ovs-vswitchd.pid")
check "prepare" mig prepare --to=h2
kill -STOP "$h2_vswitchd"
ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
mig switchover > "$TEST_TMP/switchover.out" 2>&1 &
hook_pid=$!
wait_until 15 "the switchover to wait" eval \
    'ctl "$active" migration/show vm1 | grep -q "^vm1: .*, switching"'
kill -KILL "${HA_PID[$active]}"
standby=$(other "$active")
wait_until 15 "$standby to become active" eval \
    '[ "$(role_of "$standby")" = active ]'
use "$standby"
kill -CONT "$h2_vswitchd"
wait "$hook_pid"
echo "the hook's switchover: $(cat "$TEST_TMP/switchover.out")"
start "$active"
active=$standby
wait_until 20 "the migration to be decided" eval \
    'case $(state) in switched|prepared) true ;; *) false ;; esac'
echo "ok: recovered as $(state)"
if [ "$(state)" = switched ]; then
    check "activate" mig activate
    check "complete" mig complete
    expect_vm1_open 2 1
    back_home
else
    check "abort" mig abort
    ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 down
    ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 up
    expect_vm1_open 1 2
fi

step "the database's leader killed during a migration: the migration goes on"
# The one of a and b that is active now, once one is.
the_active() {
    local n
    for n in a b; do
        [ "$(role_of "$n")" = active ] && { echo "$n"; return 0; }
    done
    return 1
}
check "prepare" mig prepare --to=h2
leader=$(nb_leader) || fail "the cluster has no leader"
kill -KILL "${NB_MEMBER_PIDS[$((leader - 1))]}"
wait_until 30 "a new leader" eval 'new=$(nb_leader) && [ "$new" != "$leader" ]'
echo "ok: member $leader killed, member $(nb_leader) leads"
wait_until 30 "an active cutoverd" the_active
use "$(the_active)"
wait_until 15 "the migration to be where it was" eval '[ "$(state)" = prepared ]'
ip -n "$(lab_vm_ns "$P" vm1 1)" link set eth0 down
ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 up
check "switchover" mig switchover
check "activate" mig activate
check "complete" mig complete
expect_vm1_open 2 1
# The member comes back and catches up.
d=$TEST_TMP/nb/$leader
ip netns exec "$(lab_ctl_ns "$P")" ovsdb-server "$d/nb.db" \
    --remote="punix:$d/nb.sock" --remote="ptcp:$((6640 + leader)):$CTL_IP" \
    --pidfile="$d/nb.pid" --unixctl="$d/nb.ctl" --log-file="$d/nb.log" \
    --detach --no-chdir -vconsole:off 2>>"$d/nb.stderr" \
    || fail "member $leader does not start again"
test_bg "$(cat "$d/nb.pid")"
wait_until 30 "member $leader back in the cluster" eval \
    'ovs-appctl -t "$d/nb.ctl" cluster/status Cutover_Northbound | grep -q "^Status: cluster member"'
back_home

h2_claims=$(grep -c 'the controller of generation [0-9]* claimed this' \
    "$(lab_host_dir "$P" 2)/log/cutover-agent.log")
check_ge "h2's agent was claimed by each active one" "$h2_claims" 4
echo "ok: ha"
