#!/bin/bash
# cutover-announce's command line: bad arguments get a clear error naming
# what was wrong and what was expected (exit status 2), an interface that
# does not exist or a switch that cannot be reached a clear error (exit
# status 1), --help and --version work,
# and --dry-run --hex prints the frames byte for byte (QEMU's RARP) and the
# schedule (QEMU's defaults) without sending anything.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_announce
MAC=02:00:0a:00:00:01

# expect STATUS PATTERN ARGS...: cutover-announce exits with STATUS and says
# something matching PATTERN on stderr.
expect() {
    expect_exit "$ANNOUNCE" "$@"
}

step "usage errors"
expect 2 "--mac is required" --iface lo
expect 2 "--iface is required \(or --dry-run\)" --mac $MAC
expect 2 "--mac: 'zz' is not a MAC address \(expected six hex bytes" \
    --mac zz -n
expect 2 "--mac: '02:00:0a:00:00' is not a MAC address" --mac 02:00:0a:00:00 -n
expect 2 "--mac: MAC address 01:00:5e:00:00:01 is a multicast address \(expected a VM's unicast MAC\)" \
    --mac 01:00:5e:00:00:01 -n
expect 2 "--mac: MAC address 33:33:00:00:00:01 is a multicast address" \
    --mac 33:33:00:00:00:01 -n
expect 2 "--mac: MAC address ff:ff:ff:ff:ff:ff is the broadcast address" \
    --mac ff:ff:ff:ff:ff:ff -n
expect 2 "--mac: MAC address 00:00:00:00:00:00 is the zero address" \
    --mac 00:00:00:00:00:00 -n
expect 2 "--ip: '10.0.0.256' is not an IPv4 or IPv6 address" \
    --mac $MAC --ip 10.0.0.256 -n
expect 2 "--ip: '10.0.0.1/24' is not an address \(give the IPv4 or IPv6 address without a prefix length\)" \
    --mac $MAC --ip 10.0.0.1/24 -n
expect 2 "--ip: address 0.0.0.0 is the unspecified address" \
    --mac $MAC --ip 0.0.0.0 -n
expect 2 "--ip: address 224.0.0.251 is a multicast address" \
    --mac $MAC --ip 224.0.0.251 -n
expect 2 "--ip: address ff02::1 is a multicast address" \
    --mac $MAC --ip ff02::1 -n
expect 2 "--ip: address :: is the unspecified address" --mac $MAC --ip :: -n
expect 2 "--vlan: '4095' is not a VLAN ID \(expected 1 to 4094, or 0 for untagged\)" \
    --mac $MAC --vlan 4095 -n
expect 2 "--vlan: 'ten' is not a VLAN ID" --mac $MAC --vlan ten -n
expect 2 "--rounds: '0' is not an integer from 1 to 1000" \
    --mac $MAC --rounds 0 -n
expect 2 "--initial: '100001' is not an integer from 0 to 100000" \
    --mac $MAC --initial 100001 -n
expect 2 "--step: '0' is not an integer from 1 to 10000" \
    --mac $MAC --step 0 -n
expect 2 "--max: 'soon' is not an integer" --mac $MAC --max soon -n
expect 2 "--emitter: unknown emitter 'dpdk' \(this build has: af_packet, packet-out\)" \
    --mac $MAC --emitter dpdk -n
expect 2 "--emitter: unknown emitter 'dpdk'" --mac $MAC --emitter dpdk \
    --target unix:/nonexistent.sock
expect 2 "nothing to announce: --no-rarp and no --ip" --mac $MAC --no-rarp -n
expect 2 "unexpected argument 'eth0'" --mac $MAC -n eth0
expect 1 "--iface: no interface 'nosuch0' in this network namespace" \
    --mac $MAC --iface nosuch0
expect 1 "--iface: no interface 'nosuch0' in this network namespace" \
    --mac $MAC --target nosuch0

step "the packet-out emitter's target"
expect 2 "--target is required with --emitter packet-out \(an OpenFlow connection to the switch, e.g. unix:" \
    --mac $MAC --emitter packet-out
expect 2 "--iface: the packet-out emitter sends through a switch, not on an interface: give its connection with --target" \
    --mac $MAC --emitter packet-out --iface eth0
expect 2 "--iface and --target: give one" --mac $MAC --iface eth0 --target eth1
expect 1 "--target: 'br-int' is not an OpenFlow connection \(expected unix:PATH, tcp:IP:PORT or ssl:IP:PORT" \
    --mac $MAC --emitter packet-out --target br-int
expect 1 "--target: 'unix:/x.sock,out_port=sideways' is not an OpenFlow connection \(.*out_port=PORT with PORT a number or a name" \
    --mac $MAC --emitter packet-out --target unix:/x.sock,out_port=sideways
expect 1 "cannot connect to the switch at unix:$TEST_TMP/nobody.mgmt: No such file or directory" \
    --mac $MAC --emitter packet-out --target "unix:$TEST_TMP/nobody.mgmt"
# A socket file that nobody listens on any more (a switch that was killed).
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$TEST_TMP/dead.mgmt" || fail "cannot make a dead socket"
expect 1 "cannot connect to the switch at unix:$TEST_TMP/dead.mgmt: Connection refused" \
    --mac $MAC --emitter packet-out --target "unix:$TEST_TMP/dead.mgmt"
check_eq "nothing sent, nothing said on stdout" \
    "$("$ANNOUNCE" --mac $MAC --emitter packet-out \
       --target "unix:$TEST_TMP/dead.mgmt" 2>/dev/null)" ""

step "--help and --version"
help=$("$ANNOUNCE" --help) || fail "--help failed"
for opt in --iface --target --mac --ip --vlan --reply --router --no-rarp --rounds \
    --initial --max --step --emitter --dry-run --hex --quiet; do
    echo "$help" | grep -q -- "$opt" || fail "--help does not mention $opt"
done
echo "ok: --help mentions every option"
"$ANNOUNCE" --version | grep -q "^cutover-announce (cutover) " \
    || fail "--version"
echo "ok: --version"

step "--dry-run: the plan with QEMU's default schedule"
out=$("$ANNOUNCE" --dry-run --mac $MAC --ip 10.0.0.1 --ip fd00::1) \
    || fail "--dry-run failed"
echo "$out"
check_eq "dry run" "$out" \
"announcing $MAC: 3 frames a round, 5 rounds at 0, 50, 200, 450, 800 ms
  frame 1: RARP (opcode 3) $MAC, 60 bytes
  frame 2: gratuitous ARP request 10.0.0.1 is-at $MAC, 60 bytes
  frame 3: unsolicited NA fd00::1 is-at $MAC (O), 86 bytes"

step "--hex: QEMU's RARP byte for byte"
out=$("$ANNOUNCE" -n -x --mac $MAC --rounds 1) || fail "--hex failed"
echo "$out"
check_eq "hex dump" "$(echo "$out" | tail -n +3)" \
"00000000  ff ff ff ff ff ff 02 00-0a 00 00 01 80 35 00 01
00000010  08 00 06 04 00 03 02 00-0a 00 00 01 00 00 00 00
00000020  02 00 0a 00 00 01 00 00-00 00 00 00 00 00 00 00
00000030  00 00 00 00 00 00 00 00-00 00 00 00"

step "the schedule's parameters"
out=$("$ANNOUNCE" -n --mac $MAC --rounds 8 --initial 10 --step 20 --max 50 \
      --vlan 7 --reply --router --ip 192.0.2.1 --ip 2001:db8::1 --no-rarp)
echo "$out"
check_eq "plan" "$out" \
"announcing $MAC: 2 frames a round, 8 rounds at 0, 10, 40, 90, 140, 190, 240, 290 ms
  frame 1: gratuitous ARP reply 192.0.2.1 is-at $MAC, vlan 7, 64 bytes
  frame 2: unsolicited NA 2001:db8::1 is-at $MAC (RO), vlan 7, 90 bytes"

step "a long schedule: the first rounds, then the last (capped at 550 ms)"
check_eq "plan" \
    "$("$ANNOUNCE" -n --mac $MAC --rounds 20 | head -1)" \
    "announcing $MAC: 1 frame a round, 20 rounds at 0, 50, 200, 450, 800, 1250, 1800, 2350, 2900, 3450, 4000, ..., 8950 ms"
