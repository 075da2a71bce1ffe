#!/bin/bash
# The audit: cutoverd reads its switches' flows back and repairs what
# someone changed by hand.  In the lab with 3 hosts and vm1 living on h1:
# h2's admission flow for vm1 opened ('ovs-ofctl mod-flows', as an operator
# would), a location flow deleted, a stray flow added with one of cutoverd's
# cookies, and a flow of someone else's (cookie 0) added.  First with audits
# on request only (cutoverd/audit answers what it found and repaired), then
# periodic (--audit-interval): each change is undone within a bounded wait,
# cutoverd/status says what it saw, someone else's flow is reported and left
# alone, and a migration right after works.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 3 --no-neigh

mig() { cutoverd_ctl "migration/$@"; }
# vm1's flows of cookie class CLASS (04: location) on host N, as "table
# priority actions" lines.
class_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats \
        "cookie=$(printf '0x%s%06x00000000' "$2" "$VM1_KEY")/-1" \
        | sed -n 's/.*table=\([0-9]*\), *priority=\([0-9]*\).* actions=\(.*\)/\1 \2 \3/p' \
        | sort
}
# vm1's admission on host N: drop (closed) or goto_table:10 (open).
admission() {
    class_flows "$1" 04 | awk '$1 == 5 {print $3}'
}
# Host N's first line of cutoverd/status.
host_status() {
    cutoverd_ctl cutoverd/status | grep "^host h$1:"
}
admission_is() {
    [ "$(admission "$1")" = "$2" ]
}
# The flows of host N in table T with priority PRIO (ovs-ofctl's text).
table_flows() {
    lab_ofctl "$P" "$1" dump-flows br-int --no-stats "table=$2" \
        | grep "priority=$3[, ]"
}
# How many flows the audit repaired on host N, in all.
repaired_in_all() {
    local n
    n=$(cutoverd_ctl cutoverd/status | grep "^  installer h$1:" \
        | sed -n 's/.*; \([0-9]*\) flows repaired in all.*/\1/p')
    echo "${n:-0}"
}
# True once host N's audit repaired more than M flows in all.
repaired_more() {
    [ "$(repaired_in_all "$1")" -gt "$2" ]
}

step "cutoverd with audits on request only; 3 hosts, vm1 on h1"
expect_exit "$top_builddir/controller/cutoverd" 2 \
    "--audit-interval: '-5' is not an integer from 0 to 86400000" \
    --audit-interval=-5
expect_exit "$top_builddir/controller/cutoverd" 2 \
    "--audit-interval: 5 ms is too short \(expected 0, for audits on request only, or 10 to 86400000\)" \
    --audit-interval=5
cutoverd_start --audit-interval=0
migration_world
wait_until 30 "flows installed" eval \
    'cutoverd_ctl cutoverd/status | grep -q "^hosts: 3 managed, 0 in sync, 3 installed but not checked in sync"'
out=$(host_status 2)
echo "$out"
echo "$out" | grep -q "^host h2: installed, not yet checked (audit on request only), " \
    || fail "h2's status before any audit: $out"
out=$(cutoverd_ctl cutoverd/audit) || fail "cutoverd/audit: $out"
echo "$out"
for i in 1 2 3; do
    echo "$out" | grep -Eq "^h$i: in sync, 0 foreign, [0-9]+ flows checked in 1 part in [0-9]+ us$" \
        || fail "h$i's first audit: $out"
done
wait_until 10 "flows in sync" cutoverd_flows_in_sync 3
out=$(host_status 2)
echo "$out" | grep -Eq "^host h2: in sync, checked [0-9]+ s ago, " \
    || fail "h2's status after an audit: $out"
check_eq "h2: vm1's ingress closed" "$(admission 2)" drop
check_eq "h1: vm1's ingress open" "$(admission 1)" goto_table:10

step "h2's admission flow for vm1 opened by hand: cutoverd/audit h2 closes it"
check "mod-flows" lab_ofctl "$P" 2 mod-flows br-int \
    "table=5,cookie=$(printf '0x04%06x00000000' "$VM1_KEY")/-1,actions=goto_table:10"
check_eq "h2: vm1's ingress opened by hand" "$(admission 2)" goto_table:10
cutoverd_flows_in_sync 3 \
    && fail "cutoverd_flows_in_sync passes with h2's admission flow opened"
cat "$TEST_TMP/flows-diff"
grep -q "^+.*table=5.*actions=drop" "$TEST_TMP/flows-diff" \
    || fail "the helper's diff does not show h2's admission flow"
out=$(cutoverd_ctl cutoverd/audit h2) || fail "cutoverd/audit h2: $out"
echo "$out"
echo "$out" | grep -Eq "^h2: 1 flows repaired \(0 missing, 1 changed, 0 extra\), 0 foreign, [0-9]+ flows checked" \
    || fail "cutoverd/audit h2 said: $out"
wait_until 10 "h2's admission flow for vm1 closed again" admission_is 2 drop
wait_until 10 "flows in sync" cutoverd_flows_in_sync 3
grep -q "h2: audit: the switch has this flow otherwise: table=5," "$CUTOVERD_LOG" \
    || fail "the log does not say which flow differed"
check_eq "h2: flows repaired in all" "$(repaired_in_all 2)" 1
expect_exit cutoverd_ctl 2 "host h9: no such host" cutoverd/audit h9

step "periodic audits (--audit-interval=200): cutoverd restarted"
cutoverd_restart --audit-interval=200
wait_until 30 "flows in sync" cutoverd_flows_in_sync 3

step "h2's admission flow opened again: closed within the wait"
check "mod-flows" lab_ofctl "$P" 2 mod-flows br-int \
    "table=5,cookie=$(printf '0x04%06x00000000' "$VM1_KEY")/-1,actions=goto_table:10"
wait_until 20 "h2's admission flow for vm1 closed again" admission_is 2 drop
wait_until 20 "h2's status to say the repair" repaired_more 2 0
wait_until 20 "flows in sync" cutoverd_flows_in_sync 3

# (The audit may repair a change before the test looks again: what shows
# that it happened is the audit's count of repairs.)
step "h3's location flow for vm1 deleted: restored"
before=$(class_flows 3 04)
[ -n "$before" ] || fail "h3 has no location flows for vm1"
n=$(repaired_in_all 3)
check "del-flows" lab_ofctl "$P" 3 del-flows br-int \
    "table=40,cookie=$(printf '0x04%06x00000000' "$VM1_KEY")/-1"
wait_until 20 "h3's audit to repair" repaired_more 3 "$n"
wait_until 20 "h3's location flow for vm1 back" eval \
    '[ "$(class_flows 3 04)" = "$before" ]'
wait_until 20 "flows in sync" cutoverd_flows_in_sync 3

step "a stray flow with one of cutoverd's cookies on h1: deleted"
n=$(repaired_in_all 1)
check "add-flow" lab_ofctl "$P" 1 add-flow br-int \
    "table=40,priority=77,cookie=$(printf '0x04%06x00000000' "$VM1_KEY"),reg5=0x999,actions=drop"
wait_until 20 "h1's audit to repair" repaired_more 1 "$n"
grep -q "h1: audit: the switch has a flow it should not have: table=40,priority=77," \
    "$CUTOVERD_LOG" || fail "the log does not say which flow was extra"
wait_until 20 "the stray flow on h1 gone" eval '[ -z "$(table_flows 1 40 77)" ]'
wait_until 20 "flows in sync" cutoverd_flows_in_sync 3

step "someone else's flow (cookie 0) on h1: reported, left alone"
check "add-flow" lab_ofctl "$P" 1 add-flow br-int \
    "table=40,priority=78,cookie=0,reg5=0x998,actions=drop"
out=$(cutoverd_ctl cutoverd/audit h1) || fail "cutoverd/audit h1: $out"
echo "$out"
echo "$out" | grep -Eq "^h1: in sync, 1 foreign, " \
    || fail "cutoverd/audit h1 said: $out"
[ -n "$(table_flows 1 40 78)" ] || fail "someone else's flow was deleted"
grep -q "h1: audit: left alone, someone else's flow: table=40,priority=78," \
    "$CUTOVERD_LOG" || fail "the log does not report someone else's flow"
check "del-flows" lab_ofctl "$P" 1 del-flows br-int "table=40,cookie=0/-1"

step "a migration right after: vm1 to h2 and back"
out=$(mig prepare vm1 h2) || fail "prepare: $out"
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out" | grep -Eq "vm1 switched over from h1 to h2: confirmed" \
    || fail "switchover said: $out"
check "activate" mig activate vm1
check "complete" mig complete vm1
wait_until 20 "flows in sync" cutoverd_flows_in_sync 3
check_eq "h2: vm1's ingress open" "$(admission 2)" goto_table:10
check_eq "h1: vm1's ingress closed" "$(admission 1)" drop
check "prepare back" mig prepare vm1 h1
check "switchover back" mig switchover vm1
check "activate back" mig activate vm1
check "complete back" mig complete vm1
wait_until 20 "flows in sync" cutoverd_flows_in_sync 3
check_eq "h1: vm1's ingress open again" "$(admission 1)" goto_table:10
out=$(host_status 1)
echo "$out" | grep -Eq "^host h1: in sync, checked [0-9]+ s ago, " \
    || fail "h1's status at the end: $out"
echo "ok: the audit repaired every change and a migration works after"
