#!/bin/bash
# cutover-blackout end to end, short: one migration per mode (cutover,
# learning, late) at a low rate, cutover driven by cutover-hook qmp between
# two QMP stand-ins (the default), then one cutover migration with the
# one-shot hook commands.  Asserts the results' structure and what must
# hold whatever the timing: the streams flow at the destination after the
# migration, nothing is delivered at the destination before the resume,
# nothing the source got after the pause is counted, the controller's steps
# were confirmed, the VM resumed only after the switchover was; and the
# runner's errors for bad options.  No timing assertions.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
BLACKOUT=$top_builddir/tests/harness/cutover-blackout
[ -x "$BLACKOUT" ] || skip "$BLACKOUT is not built"
for f in controller/cutoverd controller/cutoverctl controller/cutover-hook \
         gratuitous/cutover-announce; do
    [ -x "$top_builddir/$f" ] || skip "$f is not built"
done
require_lossmeter
require_root
require_cmds python3 ovsdb-server ovs-vswitchd ethtool
# The cutover worlds run a DPDK daemon on h1 and h2.
require_dpdk_af_packet

step "usage errors"
expect_exit "$BLACKOUT" 2 "--runs: '0' is not an integer from 1 to 1000" --runs 0
expect_exit "$BLACKOUT" 2 "--modes: unknown mode 'fast' .expected cutover, cutover-ungated, cutover-nohold, learning, late, none." --modes cutover,fast
expect_exit "$BLACKOUT" 2 "--pause: 'soon' is not an integer" --pause soon
expect_exit "$BLACKOUT" 2 "--rate: '5' is not an integer from 100 to 100000" --rate 5
expect_exit "$BLACKOUT" 2 "--out needs a value" --out
expect_exit "$BLACKOUT" 2 "unknown option '--fly'" --fly
expect_exit "$BLACKOUT" 2 "--hook: unknown way 'ssh' .expected qmp, oneshot." --hook ssh
expect_exit "$BLACKOUT" 2 "--load: '65' is not an integer from 0 to 64" --load 65
expect_exit "$BLACKOUT" 2 "--play: unknown way 'fast' .expected pause, links." --play fast
expect_exit "$BLACKOUT" 2 "--play links: the VM does not pause .--pause must be 0." --play links --pause 50
expect_exit "$BLACKOUT" 2 "--play links: the switchover is a one-shot hook command .--hook oneshot." --play links --hook qmp
"$BLACKOUT" --help | grep -q "^usage: cutover-blackout" || fail "--help prints no usage"

# blackout NAME ARGS...: one migration per mode asked for at 500 pps, into
# $TEST_TMP/NAME (stderr in $TEST_TMP/NAME.stderr); checks the exit status
# and that every lab it made is gone.  A 1 ms hold margin, as real hosts
# need for their clocks: with none, the one frame that reaches the source
# at the very STOP is sometimes left out (docs/hold.md, "Clocks"; 1 run in
# 20 lost it in docs/benchmarks.md, and CI's single gated run once).
blackout() {
    local name=$1 rc p
    shift
    "$BLACKOUT" --runs 1 --rate 500 --warmup 500 --settle 1000 \
        --hold-margin 1 \
        --out "$TEST_TMP/$name" "$@" > "$TEST_TMP/$name.stdout" \
        2> "$TEST_TMP/$name.stderr"
    rc=$?
    cat "$TEST_TMP/$name.stdout"
    TEST_LOGS+=("$TEST_TMP/$name.stderr")
    check_eq "exit status" "$rc" 0
    for p in $(sed -n 's/.*: lab \(co[0-9a-f]*\) (3 hosts)$/\1/p' "$TEST_TMP/$name.stderr"); do
        check_eq "lab $p removed" "$(lab_leftovers "$p")" ""
    done
}

step "one migration per mode"
OUT=$TEST_TMP/out
plots=1 opts=()
command -v gnuplot >/dev/null || { plots=; opts=(--no-plots); }
blackout out "${opts[@]}"
check_eq "labs made" "$(grep -c ': lab co[0-9a-f]* (3 hosts)$' "$TEST_TMP/out.stderr")" 3
grep -q "run 1/1: h1 -> h2" "$TEST_TMP/out.stderr" || fail "no progress on the terminal"
echo "ok: progress on the terminal"

step "results.json: structure"
R=$OUT/results.json
j() { json_get "$R" "$1"; }
check_eq "modes" "$(j 'j["modes"]')" "['cutover', 'learning', 'late']"
check_eq "runs" "$(j 'len(j["runs"])')" 3
check_eq "stream keys" "$(j 'sorted(j["runs"][0]["streams"])')" \
    "['inet_to_vm', 'peer_to_vm', 'vm_to_inet', 'vm_to_peer']"
for m in cutover learning late; do
    for s in peer_to_vm vm_to_peer inet_to_vm vm_to_inet; do
        check_eq "$m $s summary" \
            "$(j "sorted(j['summary']['$m']['streams']['$s'])")" \
            "['beyond_pause_ns', 'blackout_ns', 'duplicated', 'first_delivery_ns', 'first_send_after_resume_ns', 'lost', 'lost_beyond_switchover', 'reordered']"
        check_eq "$m $s blackout: median, p95, max" \
            "$(j "sorted(j['summary']['$m']['streams']['$s']['blackout_ns'])")" \
            "['max', 'median', 'n', 'p95']"
    done
done
# Every loss is either in the switchover's window (cutover only: packets
# that reached the paused source before the VMM had the confirmation) or
# beyond it.
check_eq "losses split" "$(j '[(r["mode"], k) for r in j["runs"] for k, s in r["streams"].items() if s["lost_in_switchover"] + s["lost_beyond_switchover"] != s["lost"] or (r["mode"] != "cutover" and s["lost_in_switchover"])]')" "[]"
check_eq "ratios for learning" "$(j 'sorted(j["comparison"]["learning"]["peer_to_vm"])')" \
    "['beyond_pause_ns', 'blackout_ns']"
[ -s "$OUT/results.txt" ] || fail "no results.txt"
if [ -n "$plots" ]; then
    for f in cdf comparison; do
        check_eq "$f.png is a PNG" "$(head -c 4 "$OUT/$f.png" | tail -c 3)" PNG
    done
fi
grep -q "learning/cutover" "$OUT/results.txt" || fail "no ratios in the table"
echo "ok: results.txt"

step "what must hold in every run"
for m in cutover learning late; do
    D=$OUT/$m/run-1
    run() { json_get "$D/run.json" "$1"; }
    rep() { json_get "$D/report.json" "$1"; }
    check_eq "$m: from" "$(run 'j["from"]')" h1
    check_eq "$m: to" "$(run 'j["to"]')" h2
    resume=$(run 'j["resume_ns"]')
    pause=$(run 'j["paused_at_ns"]')
    check "$m: resume after pause" [ "$resume" -gt "$pause" ]
    # The VM's own pause as played (to the microsecond the runner's clock
    # has): never shorter than asked.
    check_eq "$m: the VM paused at least --pause" \
        "$(run 'j["vm_pause_ns"] >= j["pause_set_ns"] - 1000')" True
    for s in peer_to_vm inet_to_vm; do
        check_ge "$m $s: delivered at the destination" \
            "$(run "j['streams']['$s']['delivered_at_destination']")" 1
        check_eq "$m $s: delivered at the destination before the resume" \
            "$(run "j['streams']['$s']['delivered_before_resume']")" 0
    done
    # From the loss meter's report itself: the destination's first delivery
    # is not before the resume; nothing the source got after the pause is
    # received.
    for sid in 1 3; do
        first=$(rep "[s for s in j['streams'] if s['stream'] == $sid][0]['deliveries']['vm1-h2']['first_ns']")
        check "$m stream $sid: first delivery at h2 ($first) not before the resume ($resume)" \
            [ "$first" -ge "$resume" ]
    done
    for s in vm_to_peer vm_to_inet; do
        v=$(run "j['streams']['$s']['first_delivery_ns']")
        check "$m $s: the destination's packets reached the peer" [ "$v" != None ]
        check "$m $s: the destination sent after the pause" [ "$v" -gt 0 ]
    done
    check_ge "$m: vm1-h1 got arrivals of stream 1 before the pause" \
        "$(rep "[s for s in j['streams'] if s['stream'] == 1][0]['deliveries']['vm1-h1']['received']")" 1
    if [ -n "$plots" ]; then
        check_eq "$m: timeline is a PNG" \
            "$(head -c 4 "$D/timeline.png" | tail -c 3)" PNG
    fi
done

# cutover_checks DIR WAY: the controller's steps in the cutover run DIR,
# driven the WAY given.
cutover_checks() {
    local D=$1 way=$2
    run() { json_get "$D/run.json" "$1"; }
    check_eq "cutover ($way): the hook's way" "$(run 'j["hook"]')" "$way"
    check_eq "cutover ($way): switchover confirmed" \
        "$(run 'j["steps"]["switchover"]["status"]')" 0
    check_eq "cutover ($way): the controller's answer" \
        "$(run 'j["steps"]["switchover"]["output"].split(":")[0]')" \
        "vm1 switched over from h1 to h2"
    check "cutover ($way): the hook's latency" \
        [ "$(run 'j["switchover_latency_ns"] is not None')" = True ]
    for st in prepare activate complete; do
        check_eq "cutover ($way): $st confirmed" \
            "$(run "j['steps']['$st']['status']")" 0
    done
    check_eq "cutover ($way): the VM resumed after the switchover was confirmed" \
        "$(run 'j["steps"]["switchover"]["end_after_pause_ns"] <= j["resume_ns"] - j["paused_at_ns"]')" True
    # (With qmp, activate is timed to the millisecond.)
    check_eq "cutover ($way): activate after the resume" \
        "$(run 'j["steps"]["activate"]["start_after_pause_ns"] + j["paused_at_ns"] >= j["resume_ns"] // 10**6 * 10**6')" True
}
cutover_checks "$OUT/cutover/run-1" qmp
Q=$OUT/cutover/run-1/qmp
check_eq "qmp: the source paused before the switchover after the pause" \
    "$(json_get "$OUT/cutover/run-1/run.json" 'j["pre_switchover_after_pause_ns"] >= 0')" True
# (What comes after migrate-continue depends on when the runner stopped
# reading.)
check_eq "qmp: what the source told the runner" \
    "$(head -8 "$Q/source.events" | cut -d' ' -f1 | tr '\n' ' ')" \
    "setup MIGRATION_PASS active MIGRATION_PASS STOP MIGRATION_PASS pre-switchover migrate-continue "
check_eq "qmp: the follower's outcome" \
    "$(sed -n 's/^port vm1: \(migration completed, network followed\).*/\1/p' "$Q/follower.out")" \
    "migration completed, network followed"
check_eq "qmp: commands the source got" \
    "$(python3 -c '
import json, sys
print(" ".join(r["command"] for r in map(json.loads, open(sys.argv[1]))
               if r["who"] == "source" and "command" in r))' "$Q/qmp.log")" \
    "qmp_capabilities migrate-set-capabilities migrate-continue"
check_eq "qmp: the destination QEMU sent RESUME" "$(python3 -c '
import json, sys
print(any(r.get("event") == "RESUME" and r["who"] == "dest"
          for r in map(json.loads, open(sys.argv[1]))))' "$Q/qmp.log")" True
echo "ok: cutover driven through cutover-hook qmp"
check_eq "late: the home changed after the resume" \
    "$(json_get "$OUT/late/run-1/run.json" 'j["steps"]["home"]["start_after_pause_ns"] >= j["resume_ns"] - j["paused_at_ns"]')" True
check_eq "learning: no controller step" \
    "$(json_get "$OUT/learning/run-1/run.json" 'sorted(j["steps"])')" "[]"

step "one cutover migration with the one-shot hook commands, its noise floor, a busy loop"
OUT1=$TEST_TMP/oneshot
blackout oneshot --modes none,cutover --hook oneshot --no-plots --load 1
cutover_checks "$OUT1/cutover/run-1" oneshot
[ -e "$OUT1/cutover/run-1/qmp" ] && fail "QMP stand-ins started for the one-shot way"
grep -q "cutover-hook oneshot" "$OUT1/results.txt" || fail "results.txt does not say the hook's way"
check_eq "none and cutover in one lab" \
    "$(grep -c ': lab co[0-9a-f]* (3 hosts)$' "$TEST_TMP/oneshot.stderr")" 1
R1=$OUT1/results.json
check_eq "modes with none" "$(json_get "$R1" 'j["modes"]')" "['cutover', 'none']"
check_eq "none: nothing moved" \
    "$(json_get "$OUT1/none/run-1/run.json" '(j["from"], j["to"], j["steps"], j["pause_set_ns"])')" \
    "('h1', 'h1', {}, 0)"
check_ge "none: the VM got stream 1" \
    "$(json_get "$OUT1/none/run-1/run.json" 'j["streams"]["peer_to_vm"]["received"]')" 1
check_eq "the machine: the busy loop, the kernel, OVS" \
    "$(json_get "$R1" '(j["machine"]["load"], j["machine"]["kernel"] != "", j["machine"]["ovs_version"])')" \
    "(1, True, '3.1.0')"
check_eq "results.csv: a row per run and stream, and a header" \
    "$(wc -l < "$OUT1/results.csv")" 9
check_eq "results.csv: header" "$(head -1 "$OUT1/results.csv" | cut -d, -f1-3,10-13)" \
    "mode,run,from,stream,sent,received,lost"
check_eq "verdicts: one per stream of cutover" \
    "$(grep -c '^  cutover, .*noise floor' "$OUT1/results.txt")" 4
[ "$(grep -c 'none/cutover' "$OUT1/results.txt")" = 0 ] || fail "a ratio to the noise floor"
step "the peer's semantics: no pause, the links go down and up, cutover and learning"
OUT2=$TEST_TMP/links
blackout links --modes cutover,learning --play links --no-plots
check_eq "links: played" "$(json_get "$OUT2/results.json" '(j["config"]["play"], j["config"]["pause_set_ns"])')" "('links', 0)"
grep -q "no pause, played as links" "$OUT2/results.txt" || fail "results.txt does not say how the move was played"
for m in cutover learning; do
    D=$OUT2/$m/run-1
    for s in peer_to_vm inet_to_vm; do
        check_ge "links, $m $s: delivered at the destination" \
            "$(json_get "$D/run.json" "j['streams']['$s']['delivered_at_destination']")" 1
    done
    check_eq "links, $m: the destination's packets reached the peer" \
        "$(json_get "$D/run.json" 'j["streams"]["vm_to_peer"]["first_delivery_ns"] is not None')" True
done
cutover_checks "$OUT2/cutover/run-1" oneshot

# nothing_lost DIR: the hold's promise in the run DIR (a first migration,
# h1 -> h2): not one packet to the VM lost, from the peer or the internet,
# and the destination's hold replayed what it kept.  (Counts only: the
# run's timing is the machine's.)
nothing_lost() {
    local D=$1
    check_eq "$D: held" "$(json_get "$D/run.json" 'j["hold"]')" True
    check "$D: the hold replayed" \
        [ "$(json_get "$D/run.json" 'j["replay"] is not None and j["replay"]["frames"] > 0')" = True ]
    for s in peer_to_vm inet_to_vm; do
        check_eq "$D: $s lost" "$(json_get "$D/run.json" "j['streams']['$s']['lost']")" 0
    done
}
nothing_lost "$OUT/cutover/run-1"
nothing_lost "$OUT1/cutover/run-1"

step "ungated, and without a hold: the pause does not wait, and nothing to the VM is lost; without the hold, the source's share is"
OUT3=$TEST_TMP/ungated
blackout ungated --modes cutover-ungated,cutover-nohold --no-plots
check_eq "modes" "$(json_get "$OUT3/results.json" 'j["modes"]')" \
    "['cutover-ungated', 'cutover-nohold']"
nothing_lost "$OUT3/cutover-ungated/run-1"
Q=$OUT3/cutover-ungated/run-1/qmp
grep -q "ungated: migration continued" "$Q/follower.log" \
    || fail "the follower did not continue the migration at once"
check_eq "nohold: no hold" "$(json_get "$OUT3/cutover-nohold/run-1/run.json" '(j["hold"], j["replay"])')" \
    "(False, None)"
grep -q "hold: none (cutoverd --hold=off)" "$OUT3/cutover-nohold/run-1/prepare.out" \
    || fail "prepare without a hold does not say why: $(cat "$OUT3/cutover-nohold/run-1/prepare.out")"
grep -q "cutover-ungated's hold replayed" "$OUT3/results.txt" || fail "results.txt has no replay line"
echo "ok: blackout"
