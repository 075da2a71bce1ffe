#!/bin/bash
# Two labs side by side do not collide: both come up at once with the same
# addresses inside, both work, removing one leaves the other intact.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_root
require_cmds ovsdb-server ovs-vswitchd ovs-vsctl ip bridge ethtool

A=$(lab_new_prefix)
TEST_LABS+=("$A")
mkdir -p "$(lab_dir "$A")"          # Reserve the prefix before picking B.
B=$(lab_new_prefix)
TEST_LABS+=("$B")
rmdir "$(lab_dir "$A")"

step "labs $A and $B come up at the same time"
lab_up "$A" 2 > "$TEST_TMP/a.log" 2>&1 &
pa=$!
lab_up "$B" 2 > "$TEST_TMP/b.log" 2>&1 &
pb=$!
wait $pa || fail "lab $A failed: $(cat "$TEST_TMP/a.log")"
wait $pb || fail "lab $B failed: $(cat "$TEST_TMP/b.log")"
echo "ok: both up"

step "both work, with the same addresses inside"
for p in "$A" "$B"; do
    check "lab $p status" lab_status "$p" >/dev/null
    check "lab $p h1 -> h2" ip netns exec "$p-h1" \
        ping -c 1 -W 2 -q "$(lab_host_ip 2)" >/dev/null
    check "lab $p vm" lab_vm_add "$p" vm1 1 02:00:0a:00:00:01 10.0.0.1/24
done
check "lab list names both" bash -c "'$LAB' list | grep -qx '$A' && '$LAB' list | grep -qx '$B'"
"$LAB" status >/dev/null 2>&1 && fail "'lab status' with two labs and no -p did not refuse"
"$LAB" status 2>&1 | grep -q "several labs exist" || fail "no clear error for ambiguous lab"
echo "ok: ambiguous lab refused"

step "each OVS belongs to its own lab"
pa=$(cat "$(lab_host_dir "$A" 1)/run/ovs-vswitchd.pid")
pb=$(cat "$(lab_host_dir "$B" 1)/run/ovs-vswitchd.pid")
[ "$pa" != "$pb" ] || fail "same ovs-vswitchd in both labs"
[ "$(readlink /proc/$pa/ns/net)" != "$(readlink /proc/$pb/ns/net)" ] \
    || fail "both ovs-vswitchd in one namespace"
echo "ok: distinct daemons in distinct namespaces"

step "removing $A leaves $B intact"
check "lab down $A" lab_down "$A"
[ -z "$(lab_leftovers "$A")" ] || fail "$A left: $(lab_leftovers "$A")"
check "lab $B still up" lab_status "$B" >/dev/null
check "lab $B still forwards" ip netns exec "$B-h2" \
    ping -c 1 -W 2 -q "$(lab_host_ip 1)" >/dev/null
check "lab down $B" lab_down "$B"
[ -z "$(lab_leftovers "$B")" ] || fail "$B left: $(lab_leftovers "$B")"
echo "ok: nothing left of either"
