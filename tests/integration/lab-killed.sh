#!/bin/bash
# 'lab down' removes everything also after the process building the lab was
# killed half way, and it stops what runs inside the lab's namespaces; a
# daemon that died shows in 'lab status'.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_root
require_cmds ovsdb-server ovs-vswitchd ovs-vsctl ip bridge ethtool

step "lab up killed (SIGKILL) half way"
P=$(lab_new_prefix)
TEST_LABS+=("$P")
"$LAB" up --prefix "$P" --hosts 3 > "$TEST_TMP/up.log" 2>&1 &
pid=$!
# Kill it once the first host's daemons run.
for i in $(seq 200); do
    [ -s "$(lab_host_dir "$P" 1)/run/ovs-vswitchd.pid" ] && break
    sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null
[ -n "$(lab_leftovers "$P")" ] || fail "nothing was built before the kill"
echo "left after the kill: $(lab_leftovers "$P" | tr '\n' ' ')"
check "lab down after kill" "$LAB" down "$P"
left=$(lab_leftovers "$P")
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left"

step "a dead daemon shows; lab down stops what runs in the lab"
test_lab_up 2
P=$LAB_P
check "vm add" lab_vm_add "$P" vm1 1 02:00:0a:00:00:01 10.0.0.1/24
ip netns exec "$P-vm1-h1" sleep 600 &
sleeper=$!
test_bg $sleeper
kill -KILL "$(cat "$(lab_host_dir "$P" 2)/run/ovs-vswitchd.pid")"
sleep 0.2
out=$(lab_status "$P") && fail "lab status succeeded with a dead ovs-vswitchd"
echo "$out" | grep -q "h2 .*ovs-vswitchd DOWN" || fail "status does not say h2's ovs-vswitchd is down: $out"
echo "ok: status says h2 ovs-vswitchd DOWN"
check "lab down" lab_down "$P"
sleep 0.1
kill -0 $sleeper 2>/dev/null && fail "a process inside the lab survived lab down"
left=$(lab_leftovers "$P")
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left, the process inside was stopped"

step "bad requests"
"$LAB" down nosuchlab 2>&1 | grep -q "no lab 'nosuchlab'" || fail "down of a missing lab"
"$LAB" up --prefix 'bad-name' 2>&1 | grep -q "letters and digits only" || fail "bad prefix accepted"
"$LAB" up --hosts 12 2>&1 | grep -q "number of hosts must be 1 to 9" || fail "12 hosts accepted"
echo "ok: clear errors"
