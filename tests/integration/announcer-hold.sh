#!/bin/bash
# cutover-announcer's holds, the daemon alone: its DPDK port (net_af_packet
# on veth hold1) takes frames with hold tags that the test sends from the
# other end (hold0), as the host's switch would hand it a migrating port's
# copies, forwarded and direct frames; hold/replay sends them back tagged
# "replayed", the copies from the VM's STOP time on first, then the
# forwarded, then the direct ones, each in arrival order; frames that
# arrive after the replay follow at once (each window of a replay waits
# for its marker to come back: the test sends markers back as the switch
# does); an abort's hold/release sends the
# held frames back tagged "released" and drops the copies.  Then the
# commands' errors, the counters, and a clean stop.  No timing assertions:
# the STOP time is taken after the daemon said it had the earlier copies.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
ANNOUNCER=$top_builddir/gratuitous/cutover-announcer
HOLD_FRAMES=$top_srcdir/tests/harness/hold-frames
[ -x "$ANNOUNCER" ] || skip "$ANNOUNCER is not built"
require_root
require_cmds python3 ovs-appctl

DPDK_PREFIX=ct$$-hold
trap 'rc=$?; rm -rf "/var/run/dpdk/$DPDK_PREFIX"; (exit $rc); test_cleanup' EXIT
require_dpdk_af_packet

step "the daemon on hold1; the test plays the switch on hold0"
test_netns_add hold
NS=$(test_ns hold)
check "veth" ip -n "$NS" link add hold0 type veth peer name hold1
for i in hold0 hold1; do
    check "$i quiet" ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
    check "$i up" ip -n "$NS" link set "$i" up
done
A=$TEST_TMP/announcer
announcer_start "$NS" hold1 --max-frames=64 --hold-frames=512
# send ID PCP SEQ...: frames from the switch's side.
send() { ip netns exec "$NS" python3 "$HOLD_FRAMES" send hold0 "$@"; }
# watch NAME COUNT: what the daemon sends back, into $TEST_TMP/NAME, until
# COUNT frames came (or 20 s); returns once it listens.
watch_start() {
    rm -f "$TEST_TMP/$1.ready"
    ip netns exec "$NS" python3 "$HOLD_FRAMES" watch hold0 20 \
        "$TEST_TMP/$1.ready" "$2" > "$TEST_TMP/$1" &
    WATCH_PID=$!
    test_bg "$WATCH_PID"
    wait_for "$TEST_TMP/$1.ready"
}
watch_end() {
    wait "$WATCH_PID" || fail "the daemon sent back fewer frames than expected: $(cat "$TEST_TMP/$1")"
    cat "$TEST_TMP/$1"
}
# received PORT KIND N: the daemon has received N frames of KIND (copies,
# forwarded, direct) for PORT.
received() {
    local c f d
    read -r c f d < <(ann hold/show "$1" | sed -n 's/^  received: \([0-9]*\) copies, \([0-9]*\) forwarded, \([0-9]*\) direct;.*/\1 \2 \3/p')
    case $2 in
        copies) [ "${c:-}" = "$3" ] ;;
        forwarded) [ "${f:-}" = "$3" ] ;;
        direct) [ "${d:-}" = "$3" ] ;;
    esac
}

step "errors name what is wrong"
check_eq "no id" "$(ann_err hold/start vm1)" \
    '"hold/start" command requires at least 2 arguments'
check_eq "bad id" "$(ann_err hold/start vm1 4095)" \
    "hold id '4095' is not an integer from 1 to 4094 (the hold tag's VLAN id)"
check_eq "bad option" "$(ann_err hold/start vm1 7 size=3)" \
    "unknown option 'size=3' (expected bytes=N, age=MS)"
check_eq "too small" "$(ann_err hold/start vm1 7 bytes=10)" \
    "hold size 10 bytes is out of range (65536 to 1073741824)"
check_eq "no hold" "$(ann_err hold/replay vm1)" "port vm1 has no hold"
ann_err hold/start 'a b' 7 | grep -q "port" || fail "a bad port name accepted"
check_eq "hold/show of no hold" "$(ann_err hold/show vm9)" "port vm9 has no hold"

step "vm1 held as hold 7: copies before and after the VM's STOP, then forwarded and direct frames"
check_eq "start (copies kept a minute: this test's senders are slow on a loaded machine)" "$(ann hold/start vm1 7 age=60000)" holding
check_eq "start again" "$(ann hold/start vm1 7 age=60000)" "already holding"
check_eq "another port, the same id" "$(ann_err hold/start vm2 7)" "hold id 7 is port vm1's"
send 7 1 1 2 3
wait_until 20 "the daemon to have copies 1-3" received vm1 copies 3
# The VM stops now, by this clock (the host's wall clock, as QEMU's STOP
# event's timestamp).
STOPPED=$(date +%s.%6N)
send 7 1 4 5
send 7 3 10                     # A remote host that flipped early.
send 7 2 20
send 9 3 99                     # A hold that does not exist.
send 7 none 98                  # No tag.
send 7 5 97                     # Tagged as replayed: not for a hold.
send 7 1 6                      # A copy still on its way.
send 7 3 11
send 7 2 21 22
wait_until 20 "the daemon to have every frame" eval \
    'received vm1 copies 6 && received vm1 forwarded 3 && received vm1 direct 2'
ann hold/show vm1
ann hold/show | grep -q "^holds: 1, 14 frames received, 2 without a hold tag, 1 for no hold" \
    || fail "totals: $(ann hold/show | head -1)"

step "hold/replay: the copies from the STOP on, the forwarded, the direct frames, tagged 'replayed'"
check_eq "bad stopped" "$(ann_err hold/replay vm1 stopped=soon)" \
    "stopped=soon: expected the time the VM stopped as SECONDS.MICROSECONDS since the epoch (QEMU's STOP event timestamp)"
check_eq "margin too large" "$(ann_err hold/replay vm1 margin=20000)" \
    "margin=20000: at most 10000 ms"
watch_start replay 8
out=$(ann hold/replay vm1 "stopped=$STOPPED" margin=0)
echo "$out"
case $out in
    "replayed 8 frames (3 copies, 3 forwarded, 2 direct, "*" bytes), 3 stale copies in "*" us") ;;
    *) fail "replay answer: $out" ;;
esac
watch_end replay
check_eq "what the switch got back, in order (VID PCP SEQ KIND)" \
    "$(tr '\n' ';' < "$TEST_TMP/replay")" \
    "7 5 4 1;7 5 5 1;7 5 6 1;7 5 20 2;7 5 21 2;7 5 22 2;7 5 10 3;7 5 11 3;"
check_eq "replay twice" "$(ann_err hold/replay vm1)" \
    "port vm1's hold is passing (replayed) already"

step "after the replay: frames still arriving go back at once, late copies too"
# A copy this late is of a frame that reached the source after the VM's
# STOP (the source's datapath copies for a few milliseconds after its
# switchover): the VM never had it.
watch_start after 3
send 7 1 7
send 7 3 12
send 7 2 23
watch_end after
check_eq "passed on" "$(tr '\n' ';' < "$TEST_TMP/after")" "7 5 7 1;7 5 12 3;7 5 23 2;"
ann hold/show vm1 | grep -Eq "since: 11 sent \(1 late copies among them\), 0 not sent; markers: [1-9][0-9]* back, 0 late" \
    || fail "vm1's counters: $(ann hold/show vm1)"

step "an abort: hold/release gives the held frames back tagged 'released', forwarded first; copies dropped"
check_eq "start vm2" "$(ann hold/start vm2 8 bytes=65536 age=60000)" holding
send 8 1 1
send 8 3 30 31
send 8 2 40
wait_until 20 "vm2's frames" eval 'received vm2 direct 2 && received vm2 forwarded 1'
watch_start release 3
out=$(ann hold/release vm2)
echo "$out"
case $out in
    "released 3 frames (0 copies, 1 forwarded, 2 direct, "*" bytes), 1 stale copies in "*" us") ;;
    *) fail "release answer: $out" ;;
esac
watch_end release
check_eq "released, in order" "$(tr '\n' ';' < "$TEST_TMP/release")" \
    "8 6 40 2;8 6 30 3;8 6 31 3;"
check_eq "replay after release" "$(ann_err hold/replay vm2)" \
    "port vm2's hold is releasing (released) already"
# A late copy after a release is dropped: the source runs the VM again.
send 8 1 2
wait_until 10 "the late copy dropped" eval \
    'ann hold/show vm2 | grep -q "frames refused for room, 1 late copies\$"'
ann hold/show vm2 | grep -Eq "since: 3 sent \(1 late copies dropped\)" \
    || fail "vm2's counters: $(ann hold/show vm2)"

step "the VM's first frame and hold/replay at once: one replay, answered as the VM's"
# An armed hold replays on the VM's first frame (PCP 4).  When that frame
# still waits in the daemon's queue as hold/replay arrives, the replay is
# the frame's, not a second one (which would take the first one's place
# before it went out).  The daemon is stopped while both wait: on SIGCONT
# it reads its control socket first.
check_eq "start vm3" "$(ann hold/start vm3 9 age=60000)" holding
send 9 3 50 51 52
wait_until 20 "vm3's frames" received vm3 direct 3
check_eq "arm" "$(ann hold/arm vm3 "stopped=$(date +%s.%6N)" margin=0)" armed
watch_start first 3
kill -STOP "$ANN_PID"
send 9 4 60                     # The VM's first frame.
ann hold/replay vm3 > "$TEST_TMP/replay-vm3" 2>&1 &
REPLAY_PID=$!
sleep 0.3                       # The request in the socket (either way the
                                # answer must be the same).
kill -CONT "$ANN_PID"
wait "$REPLAY_PID" || fail "hold/replay vm3: $(cat "$TEST_TMP/replay-vm3")"
out=$(cat "$TEST_TMP/replay-vm3")
echo "$out"
case $out in
    "replayed 3 frames (0 copies, 0 forwarded, 3 direct, "*" bytes), 0 stale copies in "*" us; on the VM's first frame") ;;
    *) fail "vm3's replay answer: $out" ;;
esac
watch_end first
check_eq "replayed once, in order" "$(tr '\n' ';' < "$TEST_TMP/first")" \
    "9 5 50 3;9 5 51 3;9 5 52 3;"
check_eq "stop vm3" "$(ann hold/stop vm3)" "stopped; 0 frames dropped"

step "hold/stop; the daemon's totals; a clean stop"
check_eq "stop vm1" "$(ann hold/stop vm1)" "stopped; 0 frames dropped"
check_eq "stop vm2" "$(ann hold/stop vm2)" "stopped; 0 frames dropped"
check_eq "stopped twice" "$(ann_err hold/stop vm2)" "port vm2 has no hold"
ann announcer/show | grep -q "^holds: 0, " || fail "announcer/show: $(ann announcer/show)"
ann announcer/show | grep -q "rx mempool" || fail "announcer/show has no rx mempool"
check "exit" ann exit
for i in $(seq 100); do
    kill -0 "$ANN_PID" 2>/dev/null || break
    sleep 0.05
done
kill -0 "$ANN_PID" 2>/dev/null && fail "the announcer did not exit"
check_eq "its DPDK run-time directory removed" \
    "$(ls -d "/var/run/dpdk/$DPDK_PREFIX" 2>/dev/null)" ""
grep -q "EMER\|ERR" "$A/announcer.log" && fail "errors in the log: $(grep "EMER\|ERR" "$A/announcer.log")"
echo "ok: announcer-hold"
