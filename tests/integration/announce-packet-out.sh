#!/bin/bash
# cutover-announce through an OpenFlow switch (--emitter packet-out): a
# one-host lab whose br-int has the flow 'in_port=CONTROLLER
# actions=output:peer', tcpdump on the far end of 'peer'.  The frames leave
# in order in every round, through the flow table (the flow counts them),
# and tshark decodes them with the VM's MAC; without the flow the switch
# drops them; ',out_port=N' bypasses the table; a packet-out the switch
# refuses is reported with the OpenFlow error's name; a switch that speaks
# no OpenFlow 1.3-1.5, a switch that is gone, and one that restarts during
# an announcement get clear errors, and the rounds after a restart go out
# again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_root
require_cmds tcpdump tshark ip
require_announce

MAC=02:00:0a:00:00:01
PEER_MAC=02:00:0a:00:00:99

step "a one-host lab; 'peer' on br-int is where frames are captured"
test_lab_up 1
check "peer" lab_vm_add "$LAB_P" peer 1 $PEER_MAC 10.0.0.99/24
PEER_NS=$(lab_vm_ns "$LAB_P" peer 1)
TARGET=unix:$(lab_host_dir "$LAB_P" 1)/run/br-int.mgmt
PEER_PORT=$(lab_vsctl "$LAB_P" 1 get interface peer ofport)
echo "target $TARGET, peer is port $PEER_PORT"

add_flow() {
    check "flow" lab_ofctl "$LAB_P" 1 add-flow br-int \
        "priority=100,in_port=CONTROLLER,actions=output:peer"
}

# kill_vswitchd: ovs-vswitchd crashes (SIGKILL: its socket files stay
# behind).  Its main thread may be a zombie while its other threads still
# exit and hold its listening sockets open (a connection would then be
# accepted and reset): wait for the last thread.
kill_vswitchd() {
    local d pid
    d=$(lab_host_dir "$LAB_P" 1)/run
    pid=$(cat "$d/ovs-vswitchd.pid")
    check "kill ovs-vswitchd" kill -KILL "$pid"
    while lab_alive "$pid" \
          || [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -gt 1 ]; do
        sleep 0.05
    done
    rm -f "$d/ovs-vswitchd.pid" "$d/ovs-vswitchd.ctl" "$d/ovs-vswitchd.$pid.ctl"
}

# announce NAME ARGS...: cutover-announce through br-int while 'peer'
# captures every frame from the VM's MAC into $TEST_TMP/NAME.pcap.  Its
# output goes to $TEST_TMP/NAME.out, its exit status to $TEST_TMP/NAME.rc.
announce() {
    local name=$1
    shift
    capture_start "$name" "$PEER_NS" eth0 "ether src $MAC"
    "$ANNOUNCE" --emitter packet-out --mac $MAC "$@" \
        >"$TEST_TMP/$name.out" 2>&1
    echo "$?" > "$TEST_TMP/$name.rc"
    capture_stop "$name"
    cat "$TEST_TMP/$name.out"
}

step "3 rounds of RARP, gratuitous ARP, NA through the flow table"
add_flow
announce plain --target "$TARGET" --ip 10.0.0.1 --ip fd00::1 \
    --rounds 3 --initial 20 --step 30 --max 60
check_eq "exit status" "$(cat "$TEST_TMP/plain.rc")" 0
check "plan" grep -q "^announcing $MAC on $TARGET (packet-out emitter): 3 frames a round, 3 rounds" \
    "$TEST_TMP/plain.out"
check_eq "rounds reported" \
    "$(grep -c '^round [1-3]/3 at .*: 3 frames sent$' "$TEST_TMP/plain.out")" 3
check "summary" grep -q "^done: 9 of 9 frames sent in 3 rounds" \
    "$TEST_TMP/plain.out"
check_eq "frames captured" "$(pcap_count plain 'frame')" 9
check_eq "order" \
    "$(tshark -r "$TEST_TMP/plain.pcap" -T fields -e eth.type 2>/dev/null \
       | tr '\n' ' ')" \
    "0x8035 0x0806 0x86dd 0x8035 0x0806 0x86dd 0x8035 0x0806 0x86dd "
check_eq "RARP" "$(pcap_fields plain 'eth.type == 0x8035' frame.len eth.dst \
    eth.src arp.opcode arp.src.hw_mac arp.dst.hw_mac)" \
    "60 ff:ff:ff:ff:ff:ff $MAC 3 $MAC $MAC"
check_eq "gratuitous ARP" "$(pcap_fields plain 'eth.type == 0x0806' \
    frame.len eth.dst arp.opcode arp.src.hw_mac arp.src.proto_ipv4 \
    arp.dst.proto_ipv4 arp.isgratuitous)" \
    "60 ff:ff:ff:ff:ff:ff 1 $MAC 10.0.0.1 10.0.0.1 1"
check_eq "NA" "$(pcap_fields plain 'icmpv6.type == 136' frame.len eth.dst \
    eth.src ipv6.src icmpv6.nd.na.flag.o icmpv6.nd.na.target_address \
    icmpv6.opt.linkaddr icmpv6.checksum.status)" \
    "86 33:33:00:00:00:01 $MAC fd00::1 1 fd00::1 $MAC 1"
check_eq "packets through the in_port=CONTROLLER flow" \
    "$(lab_ofctl "$LAB_P" 1 dump-flows br-int in_port=CONTROLLER \
       | sed -n 's/.*n_packets=\([0-9]*\),.*/\1/p')" 9

step "no flow for in_port=CONTROLLER: the switch takes them and drops them"
check "del-flows" lab_ofctl "$LAB_P" 1 del-flows br-int
announce noflow --target "$TARGET" --ip 10.0.0.1 --rounds 1
check_eq "exit status (a packet-out that no flow forwards is no error)" \
    "$(cat "$TEST_TMP/noflow.rc")" 0
check_eq "frames captured" "$(pcap_count noflow 'frame')" 0

step "out_port=$PEER_PORT: out of the port, past the (empty) table"
announce port --target "$TARGET,out_port=$PEER_PORT" --ip 10.0.0.1 \
    --rounds 2 --initial 10
check_eq "exit status" "$(cat "$TEST_TMP/port.rc")" 0
check_eq "frames captured" \
    "$(tshark -r "$TEST_TMP/port.pcap" -T fields -e eth.type 2>/dev/null \
       | tr '\n' ' ')" "0x8035 0x0806 0x8035 0x0806 "

step "a packet-out the switch refuses: its OpenFlow error, by name"
announce refused --target "$TARGET,out_port=NONE" --ip 10.0.0.1 \
    --rounds 2 --initial 10
check_eq "exit status" "$(cat "$TEST_TMP/refused.rc")" 1
check "round 1 error" grep -q "round 1/2 at .*: 0 of 2 frames sent: Protocol error: the switch refused 2 of 2 packet-outs, the first (frame 1) with OFPBAC_BAD_OUT_PORT" \
    "$TEST_TMP/refused.out"
check "round 2 error" grep -q "round 2/2 at .*: 0 of 2 frames sent: .*OFPBAC_BAD_OUT_PORT" \
    "$TEST_TMP/refused.out"
check "summary" grep -q "0 of 4 frames sent in 2 rounds" "$TEST_TMP/refused.out"
check_eq "frames captured" "$(pcap_count refused 'frame')" 0

step "a switch that speaks only OpenFlow 1.0"
check "OF1.0 only" lab_vsctl "$LAB_P" 1 set bridge br-int protocols=OpenFlow10
expect_exit "$ANNOUNCE" 1 "the switch at $TARGET speaks no OpenFlow version the packet-out emitter does \(1.3 to 1.5\)" \
    --emitter packet-out --target "$TARGET" --mac $MAC --rounds 1
check "OF1.3-1.5" lab_vsctl "$LAB_P" 1 set bridge br-int \
    protocols=OpenFlow13,OpenFlow14,OpenFlow15

# The switch is killed after round 1 (at 0 s) and restarted after round 2
# (at 2 s) failed: round 3 (at 8 s) goes out through the new switch.
step "ovs-vswitchd restarts during an announcement"
add_flow
capture_start restart "$PEER_NS" eth0 "ether src $MAC"
"$ANNOUNCE" --emitter packet-out --target "$TARGET" --mac $MAC \
    --rounds 3 --initial 2000 --step 4000 --max 6000 \
    >"$TEST_TMP/restart.out" 2>&1 &
announce_pid=$!
test_bg $announce_pid
wait_until 10 "round 1" grep -q "^round 1/3" "$TEST_TMP/restart.out"
kill_vswitchd
wait_until 10 "round 2" grep -q "round 2/3" "$TEST_TMP/restart.out"
check "restart" lab_start_vswitchd "$LAB_P" 1
wait_until 10 "br-int.mgmt" lab_ofctl "$LAB_P" 1 show br-int >/dev/null 2>&1
add_flow
wait "$announce_pid"
echo "$?" > "$TEST_TMP/restart.rc"
capture_stop restart
cat "$TEST_TMP/restart.out"
check_eq "exit status" "$(cat "$TEST_TMP/restart.rc")" 1
check "round 2 error" grep -Eq "round 2/3 at .*: 0 of 1 frames sent: .*(lost the connection to|cannot connect to) $TARGET" \
    "$TEST_TMP/restart.out"
check "round 3 sent" grep -q "^round 3/3 at .*: 1 frame sent" \
    "$TEST_TMP/restart.out"
check_eq "frames captured (rounds 1 and 3)" "$(pcap_count restart 'frame')" 2

step "ovs-vswitchd gone"
kill_vswitchd
expect_exit "$ANNOUNCE" 1 "cannot connect to the switch at $TARGET: Connection refused" \
    --emitter packet-out --target "$TARGET" --mac $MAC --rounds 1
