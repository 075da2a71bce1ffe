#!/bin/bash
# cutoverd as the switches' controller in passive mode: it listens where
# Host.openflow_target says (punix:FILE, ptcp:PORT:IP) and provisioning makes
# each integration bridge connect there.  h1 is passive over a unix socket,
# h3 passive over TCP (cutoverd shares h3's network namespace, as a
# controller on that hypervisor would, and h3's switch connects to
# 127.0.0.1), h2 active (cutoverd connects to it) beside them.  Then what a
# passive controller must survive: a switch restarted empty (it connects
# again, flows come back), a newer connection replacing the switch's (the
# switch comes back), cutoverd restarted (the switches connect again), a
# host moved from active to passive mode at run time, h3 moved from TCP to
# SSL (certificates from ovs-pki), a listener that cannot be opened
# (reported, retried, the others carry on).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_cmds ovs-pki
controller_lab_up 3

# SSL: a CA for controllers and one for switches, a certificate each.
test_pki ctl:controller sw:switch
SSL=(--private-key="$PKI/ctl-privkey.pem" --certificate="$PKI/ctl-cert.pem"
     --ca-cert="$PKI/ca/switchca/cacert.pem")
check "h3's switch SSL" lab_vsctl "$P" 3 set-ssl "$PKI/sw-privkey.pem" \
    "$PKI/sw-cert.pem" "$PKI/ca/controllerca/cacert.pem"

CUTOVERD_NETNS=$(lab_host_ns "$P" 3)
cutoverd_start "${SSL[@]}"

hd() { lab_host_dir "$P" "$1"; }
# Open vSwitch connects only to unix sockets in its run directory.
H1_TARGET=punix:$(hd 1)/run/cutoverd.openflow
H3_TARGET=ptcp:6653:127.0.0.1

# Flows on host N's br-int (ours have a non-zero cookie class).
n_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats | grep -c cookie=
}
# What cutoverd computes for host N.
n_desired() {
    cutoverd_ctl cutoverd/status >/dev/null || return 1
    cutoverd_ctl cutoverd/flows "h$1" | grep -c cookie=
}
# Host N's installer line of cutoverd/status.
installer_status() {
    cutoverd_ctl cutoverd/status | grep "^  installer h$1:"
}
# What host N's ovs-vswitchd says of its controller: TARGET CONNECTED.
bridge_controller() {
    echo "$(lab_vsctl "$P" "$1" get controller br-int target)" \
         "$(lab_vsctl "$P" "$1" get controller br-int is_connected)"
}
# bridge_says N TARGET CONNECTED: waits until host N's ovs-vswitchd says
# so of its controller (it updates the database every few seconds).
bridge_says() {
    local bs_n=$1 bs_target=$2 bs_conn=$3
    wait_until 20 "h$bs_n's controller to be $bs_target $bs_conn" eval \
        '[ "$(bridge_controller "$bs_n")" = "\"$bs_target\" $bs_conn" ]'
    echo "ok: h$bs_n's controller: $bs_target, is_connected=$bs_conn"
}
flows_match() {
    [ "$(n_flows "$1")" -gt 0 ] && [ "$(n_flows "$1")" = "$(n_desired "$1")" ]
}
reach() {
    ip netns exec "$(lab_ns "$P" "$1")" ping -c 1 -W 2 -q "$2" >/dev/null
}
reach_soon() {
    wait_until 10 "$1 to reach $2" reach "$1" "$2"
}
# set_openflow_target N TARGET: host N's OpenFlow target becomes TARGET
# (cutoverctl has no command for it).
set_openflow_target() {
    check "h$1's new target $2" ovsdb-client transact "$NB_DB" \
        "[\"Cutover_Northbound\", {\"op\": \"update\", \"table\": \"Host\",
          \"where\": [[\"name\", \"==\", \"h$1\"]],
          \"row\": {\"openflow_target\": \"$2\"}}]" >/dev/null
}
# How many lines of the log match PATTERN (an extended regular expression).
log_count() {
    grep -cE -- "$1" "$CUTOVERD_LOG"
}
REPLACED="h1: connection from unix#[0-9]+ replaces the one from unix#[0-9]+$"

step "h1 passive (unix), h2 active, h3 passive (TCP)"
# A foreign flow on h1: the first bundle on the switch's connection removes
# it, as on a connection cutoverd makes.
check "a foreign flow" lab_ofctl "$P" 1 add-flow br-int \
    "cookie=0x1234,table=7,priority=5,actions=drop"
check "h1" cutoverd_host_add 1 "$H1_TARGET"
check "h2" cutoverd_host_add 2 "unix:$(hd 2)/run/br-int.cutover"
check "h3" cutoverd_host_add 3 "$H3_TARGET"
wait_until 30 "3 hosts in sync" cutoverd_synced 3
bridge_says 1 "unix:$(hd 1)/run/cutoverd.openflow" true
bridge_says 3 "tcp:127.0.0.1:6653" true
check_eq "h2's bridge listens" \
    "$(lab_vsctl "$P" 2 get controller br-int target)" \
    "\"punix:$(hd 2)/run/br-int.cutover\""
check_eq "h1's controller is out of band" \
    "$(lab_vsctl "$P" 1 get controller br-int connection_mode)" "out-of-band"
installer_status 1 | grep -q "h1: listening on $H1_TARGET, connected from unix" \
    || fail "h1's status does not say where it listens: $(installer_status 1)"
installer_status 3 | grep -q "h3: listening on $H3_TARGET, connected from tcp:127.0.0.1:" \
    || fail "h3's status does not say where it listens: $(installer_status 3)"
installer_status 2 | grep -q "h2: connected to unix:" \
    || fail "h2's status does not say it is active: $(installer_status 2)"
installer_status 1
installer_status 3
lab_ofctl "$P" 1 dump-flows br-int | grep -q "cookie=0x1234" \
    && fail "the foreign flow survived the first bundle on h1"
echo "ok: foreign flow removed"

step "the model: one VPC, two subnets, a VM on each host"
routed_world
wait_until 30 "hosts in sync with their VM interfaces" eval \
    'cutoverd_synced 3 && cutoverd_ctl cutoverd/status | grep -q "^host h3: in sync, .* 1 VM interfaces"'
for i in 1 2 3; do
    check_eq "h$i: flows in the switch = flows computed" "$(n_flows "$i")" \
        "$(n_desired "$i")"
done
check "vm1 (h1, passive) -> vm3 (h3, passive), same subnet" reach_soon vm1 10.0.0.6
check "vm1 (h1, passive) -> vm2 (h2, active), routed" reach_soon vm1 10.0.1.5
check "vm3 (h3, passive) -> vm2 (h2, active), routed" reach_soon vm3 10.0.1.5

step "ovs-vswitchd on h1 and h3 restarts empty: it connects to cutoverd again"
for i in 1 3; do
    check "h$i ovs-vswitchd restarted" lab_restart_vswitchd "$P" "$i"
done
for i in 1 3; do
    wait_until 30 "h$i connected again and refilled" flows_match "$i"
done
wait_until 30 "hosts in sync" cutoverd_synced 3
bridge_says 1 "unix:$(hd 1)/run/cutoverd.openflow" true
check "vm1 -> vm3 after the restarts" reach_soon vm1 10.0.0.6
check "vm3 -> vm2 after the restarts" reach_soon vm3 10.0.1.5

step "a newer connection replaces the switch's; the switch comes back"
replaced=$(log_count "$REPLACED")
# Something else on h1's socket: cutoverd takes it for the switch (it
# answers its echo) and drops the switch's connection...
check "a probe on h1's socket" ovs-ofctl -O OpenFlow15 probe \
    "unix:$(hd 1)/run/cutoverd.openflow"
wait_until 10 "the replacement in the log" eval \
    '[ "$(log_count "$REPLACED")" -gt "$replaced" ]'
grep -E "$REPLACED" "$CUTOVERD_LOG" | tail -1
# ...which the switch notices: it connects again and gets every flow.
wait_until 30 "h1's switch back" eval \
    'installer_status 1 | grep -q "connected from" && cutoverd_synced 3'
wait_until 30 "h1's flows" flows_match 1
bridge_says 1 "unix:$(hd 1)/run/cutoverd.openflow" true
check "vm1 -> vm2" reach_soon vm1 10.0.1.5

step "cutoverd stops (flows stay) and restarts: the switches connect again"
h1_flows=$(n_desired 1)
check "exit" cutoverd_ctl exit
wait_until 10 "cutoverd to exit" eval '! lab_alive "$CUTOVERD_PID"'
bridge_says 1 "unix:$(hd 1)/run/cutoverd.openflow" false
check_eq "h1 keeps its flows" "$(n_flows 1)" "$h1_flows"
check "vm1 -> vm3 without a controller" reach vm1 10.0.0.6
check "a port while it is away" "$CTL" port-add vm4 web \
    02:00:0a:00:00:04 ip=10.0.0.7 home=h2
cutoverd_start "${SSL[@]}"
wait_until 30 "hosts in sync after the controller's restart" cutoverd_synced 3
for i in 1 3; do
    check_eq "h$i: vm4's location flow arrived" \
        "$(lab_ofctl "$P" "$i" dump-flows br-int | grep -c 'dl_dst=02:00:0a:00:00:04')" 1
    check_eq "h$i: flows in the switch = flows computed" "$(n_flows "$i")" \
        "$(n_desired "$i")"
done
bridge_says 3 "tcp:127.0.0.1:6653" true
check "vm1 -> vm3 with the controller back" reach_soon vm1 10.0.0.6

step "h2 moves from active to passive mode at run time"
H2_TARGET=punix:$(hd 2)/run/cutoverd.openflow
set_openflow_target 2 "$H2_TARGET"
wait_until 30 "h2 connected from its switch" eval \
    'installer_status 2 | grep -q "h2: listening on $H2_TARGET, connected from unix"'
wait_until 30 "hosts in sync" cutoverd_synced 3
wait_until 10 "h2's flows" flows_match 2
bridge_says 2 "unix:$(hd 2)/run/cutoverd.openflow" true
check "vm2 -> vm1" reach_soon vm2 10.0.0.5

step "h3 moves from TCP to SSL"
set_openflow_target 3 pssl:6654:127.0.0.1
wait_until 30 "h3 connected from its switch over SSL" eval \
    'installer_status 3 | grep -q "h3: listening on pssl:6654:127.0.0.1, connected from ssl:127.0.0.1:"'
wait_until 30 "hosts in sync" cutoverd_synced 3
wait_until 10 "h3's flows" flows_match 3
bridge_says 3 "ssl:127.0.0.1:6654" true
installer_status 3
check "vm3 -> vm1" reach_soon vm3 10.0.0.5

step "a listener that cannot be opened is reported and retried"
check "h4" "$CTL" host-add h4 172.16.0.99 \
    "ovsdb=unix:$TEST_TMP/later/db.sock" \
    "openflow=punix:$TEST_TMP/later/h4.openflow"
wait_until 10 "h4's listener error in the status" eval \
    'installer_status 4 | grep -q "h4: cannot listen on punix:$TEST_TMP/later/h4.openflow (No such file or directory), the switch is not connected"'
installer_status 4
cutoverd_ctl cutoverd/status | grep -q "^hosts: 4 managed, 3 in sync" \
    || fail "the others are not in sync: $(cutoverd_ctl cutoverd/status)"
check "vm1 -> vm2 still" reach vm1 10.0.1.5
check "its directory appears" mkdir "$TEST_TMP/later"
wait_until 20 "h4 listening" eval \
    'installer_status 4 | grep -q "h4: listening on punix:$TEST_TMP/later/h4.openflow"'
cutoverd_ctl cutoverd/status
echo "PASS"
