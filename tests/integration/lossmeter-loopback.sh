#!/bin/bash
# The loss meter on a namespace's loopback: 100,000 packets per second are
# paced and all counted; sequence numbers wrap around; a second sender
# resumes a stream; datagrams that lie are ignored and counted; the JSON
# report is consistent with the table.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_root
require_lossmeter
require_cmds python3

test_netns_add lo
NS=$(test_ns lo)
T=$TEST_TMP

# run_recv NAME PORT: starts a receiver in the namespace; waits until ready.
run_recv() {
    ip netns exec "$NS" "$LOSSMETER" recv --listen "127.0.0.1:$2" \
        --log "$T/$1.rx" --label "$1" --ready-file "$T/$1.ready" \
        2> "$T/$1.err" &
    RECV_PID=$!
    test_bg $RECV_PID
    wait_for "$T/$1.ready"
}

stop_recv() {
    sleep 0.2
    kill -TERM "$RECV_PID"
    wait "$RECV_PID" || fail "receiver exited with status $?"
}

step "100 kpps for 1 s on loopback"
run_recv fast 9100
ip netns exec "$NS" "$LOSSMETER" send --dest 127.0.0.1:9100 --rate 100000 \
    --duration 1 --stream 5 --log "$T/fast.tx" --label fast \
    || fail "sender failed"
stop_recv
"$LOSSMETER" report --json-file "$T/fast.json" "$T/fast.tx" "$T/fast.rx" \
    > "$T/fast.table" || fail "report failed"
cat "$T/fast.table"
check_eq "sent" "$(json_get "$T/fast.json" 'j["streams"][0]["sent"]')" 100000
check_eq "stream" "$(json_get "$T/fast.json" 'j["streams"][0]["stream"]')" 5
received=$(json_get "$T/fast.json" 'j["streams"][0]["received"]')
lost=$(json_get "$T/fast.json" 'j["streams"][0]["lost"]')
check_eq "received + lost" $((received + lost)) 100000
# Loopback with a 16 MB socket buffer rarely drops at this rate; a receiver
# starved on a loaded machine may, so this only catches a broken one.
check_ge "received" "$received" 90000
# Pacing: 100,000 packets at 100,000/s cannot take less than 0.99999 s (a
# loaded machine can make it take longer: no upper bound here).
span=$(json_get "$T/fast.json" '(j["streams"][0]["senders"][0]["end_ns"] - j["streams"][0]["senders"][0]["start_ns"]) // 1000000')
check_ge "sending took (ms)" "$span" 999
grep -q "^  sent *100000 *seq 0..99999" "$T/fast.table" \
    || fail "table does not show what was sent"

step "sequence numbers wrap around; a second sender resumes the stream"
run_recv wrap 9200
ip netns exec "$NS" "$LOSSMETER" send --dest 127.0.0.1:9200 --rate 10000 \
    --count 1000 --start-seq 4294966796 --log "$T/wrap1.tx" -q \
    || fail "first sender failed"
ip netns exec "$NS" "$LOSSMETER" send --dest 127.0.0.1:9200 --rate 10000 \
    --count 1000 --resume "$T/wrap1.tx" --log "$T/wrap2.tx" -q \
    || fail "resuming sender failed"
check_eq "resumed at" "$(json_get "$T/wrap2.tx" 'j["first_seq"]')" 4294967796

step "datagrams that lie are ignored"
ip netns exec "$NS" python3 - <<'PY' || fail "cannot send bad datagrams"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"short", ("127.0.0.1", 9200))
s.sendto(b"XXXX" + bytes(60), ("127.0.0.1", 9200))
s.sendto(b"CTLM\0\0\0\x09" + bytes(56), ("127.0.0.1", 9200))
PY
stop_recv
grep -q "received 2000 probes, ignored 3 invalid datagrams" "$T/wrap.err" \
    || fail "receiver did not count 3 invalid datagrams: $(cat "$T/wrap.err")"
echo "ok: 3 invalid datagrams ignored"
"$LOSSMETER" report --json-file "$T/wrap.json" "$T/wrap1.tx" "$T/wrap2.tx" \
    "$T/wrap.rx" || fail "report failed"
check_eq "sent" "$(json_get "$T/wrap.json" 'j["streams"][0]["sent"]')" 2000
check_eq "received" "$(json_get "$T/wrap.json" 'j["streams"][0]["received"]')" 2000
check_eq "first seq" "$(json_get "$T/wrap.json" 'j["streams"][0]["first_seq"]')" 4294966796
check_eq "last seq" "$(json_get "$T/wrap.json" 'j["streams"][0]["last_seq"]')" 4294968795
check_eq "stray" "$(json_get "$T/wrap.json" 'j["streams"][0]["stray"]')" 0
check_eq "senders" "$(json_get "$T/wrap.json" 'len(j["streams"][0]["senders"])')" 2

step "a report without the second sender log sees its packets as stray"
"$LOSSMETER" report --json-file "$T/partial.json" "$T/wrap1.tx" "$T/wrap.rx" \
    > /dev/null || fail "report failed"
check_eq "stray" "$(json_get "$T/partial.json" 'j["streams"][0]["stray"]')" 1000

step "dump prints every arrival"
check_eq "dumped arrivals" \
    "$("$LOSSMETER" dump "$T/wrap.rx" | grep -vc '^#')" 2000
