#!/bin/bash
# A migration's hold (docs/hold.md) with the real cutoverd, real Open
# vSwitch hosts and h2's real DPDK daemon (cutover-announcer): prepare asks
# for the hold, an abort before the switchover stops it, an abort after it
# sends what the hold kept back to the source (the source's VM gets every
# packet the peer sent meanwhile), and a daemon killed while it holds
# gives the hold up: the destination delivers to the VM's interface again
# and the migration finishes with packet-outs.  Also: the VM's own first
# frame on the destination (QEMU's RARP) replays an armed hold before
# activate.  No timing is asserted:
# only what arrives and what cutoverd and the daemon say.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_announcer
require_lossmeter
require_root
controller_lab_up 3 --no-neigh
H2=$(lab_host_ns "$P" 2)
cutoverd_start

mig() { cutoverd_ctl "migration/$@"; }
VM1_H1=$(lab_vm_ns "$P" vm1 1)
VM1_H2=$(lab_vm_ns "$P" vm1 2 d)
VM2=$(lab_vm_ns "$P" vm2 3)
answers() {
    ip netns exec "$VM2" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}

agent_use 2

step "3 hosts, each with its agent, vm1 on h1 and waiting on h2, vm2 on h3"
migration_world
wait_until 30 "hosts in sync" eval 'cutoverd_ctl cutoverd/status | grep -q "^hosts: 3 managed, 3 in sync"'
wait_until 10 "h2's daemon connected" eval 'cutoverd_ctl cutoverd/status | grep -q "agent tcp:$(lab_mgmt_ip 2):6655 connected"'
# vm2 knows vm1's MAC: every frame it sends vm1 is one of the stream's.
check "vm2's neighbour" ip -n "$VM2" neigh replace 10.0.0.5 \
    lladdr 02:00:0a:00:00:05 dev eth0 nud permanent
wait_until 10 "vm2 to reach vm1 on h1" answers

step "usage: prepare's hold option"
msg=$(mig prepare vm1 h2 hold=maybe 2>&1) && fail "hold=maybe accepted"
echo "$msg" | grep -q 'unknown option "hold=maybe" (expected hold=on or hold=off)' \
    || fail "prepare's refusal: $msg"
echo "ok: $msg"

step "abort before the switchover: the hold stops"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
echo "$out"
echo "$out" | grep -q "hold: hold 1 on h2: holding" || fail "no hold in: $out"
ann hold/show vm1 | grep -q "^vm1: hold 1, holding" || fail "h2's daemon holds nothing"
out=$(mig abort vm1) || fail "abort: $out"
check_eq "abort's answer" "$out" "vm1 aborted: back on h1 as before"
check_eq "the daemon's hold" "$(ann_err hold/show vm1)" "port vm1 has no hold"
mig show vm1 | grep -q "^  hold: hold 1 on h2 stopped at abort$" \
    || fail "migration/show: $(mig show vm1)"
wait_until 10 "vm2 to reach vm1 on h1" answers

step "abort after the switchover: what the hold kept goes back to the source"
R=$TEST_TMP/released
mkdir -p "$R"
ip netns exec "$VM1_H1" "$LOSSMETER" recv --listen 9000 --label vm1-h1 \
    --log "$R/vm1-h1.rx" --ready-file "$R/ready" -q &
RX=$!
test_bg "$RX"
wait_for "$R/ready"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
echo "$out" | grep -q "hold: hold 1 on h2: holding" || fail "no hold in: $out"
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out"
# Whatever vm2 sends vm1 now reaches h2, straight or forwarded by h1, and
# waits in the hold.
check "200 packets from vm2" ip netns exec "$VM2" "$LOSSMETER" send \
    --dest 10.0.0.5:9000 --count 200 --rate 1000 --stream 7 --label vm2 \
    --log "$R/vm2.tx" -q
kept=$(ann hold/show vm1 | sed -n 's/^  kept: \([0-9]*\) copies, \([0-9]*\) forwarded, \([0-9]*\) direct.*/\2 \3/p')
echo "kept (forwarded, direct): $kept"
check_eq "frames kept" "$(( ${kept% *} + ${kept#* } ))" 200
out=$(mig abort vm1) || fail "abort: $out"
echo "$out"
echo "$out" | grep -Eq "^vm1 aborted: back on h1 as before; hold 1 on h2 released 200 frames \(0 copies, [0-9]+ forwarded, [0-9]+ direct, [0-9]+ bytes\), [0-9]+ stale copies in [0-9]+ us toward h1$" \
    || fail "abort's answer: $out"
check_eq "the daemon's hold after the abort" "$(ann_err hold/show vm1)" \
    "port vm1 has no hold"
# The released frames went out before the answer; give them time to cross
# two switches and a tunnel (what is asserted is only what arrived).
wait_until 10 "vm2 to reach vm1 on h1" answers
kill -TERM "$RX"
wait "$RX"
"$LOSSMETER" report "$R/vm2.tx" "$R/vm1-h1.rx" > "$R/report.txt"
cat "$R/report.txt"
grep -Eq "^  received +200$" "$R/report.txt" || fail "vm1 on h1 did not get the 200 packets"
grep -Eq "^  lost +0 " "$R/report.txt" || fail "packets lost"
echo "ok: the 200 packets held at h2 reached vm1 on h1"

step "the VM's first frame on h2 replays the hold at once, before activate"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
# As the hook does: with the VM's STOP time.
check "switchover" mig switchover vm1 "stopped=$(date +%s.%6N)"
wait_until 10 "the hold armed" eval 'ann hold/show vm1 | grep -q "^vm1: hold 1, holding, armed"'
vm1_runs_on 2
# QEMU's announcement as the VM resumes: a RARP from the VM's interface.
check "vm1's RARP on h2" ip netns exec "$VM1_H2" "$ANNOUNCE" -i eth0 \
    -m 02:00:0a:00:00:05 --rounds 1 -q
wait_until 10 "the replay on the VM's first frame" eval \
    'ann hold/show vm1 | grep -q "^vm1: hold 1, passing (replayed) on the VM.s first frame"'
out=$(mig activate vm1) || fail "activate: $out"
echo "$out"
echo "$out" | grep -Eq "^vm1 active on h2 \(hold 1 on h2 replayed [0-9]+ frames .* in [0-9]+ us; on the VM's first frame; announcer: " \
    || fail "activate's answer: $out"
check "complete" mig complete vm1
wait_until 10 "vm2 to reach vm1 on h2" answers

step "back to h1 with the one-shot steps, without a hold (hold=off)"
out=$(mig prepare vm1 h1 hold=off) || fail "prepare: $out"
echo "$out" | grep -q "hold: none (hold=off)" || fail "prepare's answer: $out"
check "switchover" mig switchover vm1
vm1_runs_on 1
check "activate" mig activate vm1
check "complete" mig complete vm1
wait_until 10 "vm2 to reach vm1 on h1" answers

step "the daemon killed while it holds: the hold is given up, the VM still gets its packets"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
echo "$out" | grep -q "hold: hold 1 on h2: holding" || fail "no hold in: $out"
check "switchover" mig switchover vm1
check "the daemon killed" kill -KILL "$ANN_PID"
wait_until 10 "cutoverd to give the hold up" eval 'mig show vm1 | grep -q "^  hold: lost: the announcer of h2 went away while holding; delivering to the VM.s interface$"'
# The VM runs on h2 now.
vm1_runs_on 2
wait_until 10 "vm2 to reach vm1 on h2" answers
out=$(mig activate vm1) || fail "activate: $out"
echo "$out"
echo "$out" | grep -q "^vm1 active on h2 (lost: the announcer of h2 went away while holding; delivering to the VM's interface; packet-out: " \
    || fail "activate's answer: $out"
check "complete" mig complete vm1
wait_until 10 "vm2 to reach vm1 on h2" answers
check_eq "home" "$("$CTL" -f csv port-list | awk -F, '$1 == "vm1" {print $8}')" h2
echo "ok: migration-hold"
