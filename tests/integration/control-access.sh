#!/bin/bash
# Who may use the control APIs (docs/security.md): cutoverd's unix sockets
# (its unixctl socket and a punix: listener) are mode 0660 and belong to
# --socket-group, so a VMM's hook running as an unprivileged user in that
# group is let in, and the same user in another group is not; a ptcp:
# listener logs at start that it authenticates nobody; an unknown group is
# refused at start by cutoverd and by the agent; cutover-appctl finds
# cutoverd by its name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_root
require_announcer
require_cmds setpriv stat getent
HOOK=$top_builddir/controller/cutover-hook
[ -x "$HOOK" ] || skip "$HOOK is not built"
USER_ID=$(id -u nobody) || skip "no user 'nobody' here"
GROUP_ID=$(getent group nogroup | cut -d: -f3)
[ -n "$GROUP_ID" ] || skip "no group 'nogroup' here"
OTHER_GROUP_ID=$(getent group daemon | cut -d: -f3)
[ -n "$OTHER_GROUP_ID" ] || skip "no group 'daemon' here"

step "an unknown group is refused at start"
out=$("$top_builddir/controller/cutoverd" --socket-group=no-such-group 2>&1) \
    && fail "cutoverd started with an unknown group"
echo "$out" | grep -q "socket-group: no group 'no-such-group' on this machine" \
    || fail "cutoverd's refusal: $out"
out=$("$ANNOUNCER" -- --socket-group=no-such-group 2>&1) \
    && fail "the agent started with an unknown group"
echo "$out" | grep -q "socket-group: no group 'no-such-group' on this machine" \
    || fail "the agent's refusal: $out"
echo "ok: refused: $out"

step "cutoverd with --socket-group=nogroup"
nb_start
# The unprivileged user must reach the sockets' directory.
chmod 755 "$TEST_TMP"
RPC=$TEST_TMP/rpc/cutoverd.sock
mkdir -p "$TEST_TMP/rpc"
TCP_PORT=$((20000 + $$ % 20000))
cutoverd_start --socket-group=nogroup --remote="punix:$RPC" \
    --remote="ptcp:$TCP_PORT:127.0.0.1"
chmod 755 "$(dirname "$CUTOVERD_CTL")"
wait_until 10 "cutoverd's control socket" test -S "$CUTOVERD_CTL"
for s in "$CUTOVERD_CTL" "$RPC"; do
    check_eq "$s's mode and group" "$(stat -c '%a %g' "$s")" "660 $GROUP_ID"
done
grep -q "control commands on ptcp:$TCP_PORT:127.0.0.1: NOT AUTHENTICATED" \
    "$CUTOVERD_LOG" || fail "no warning for the ptcp: listener in the log"
echo "ok: $(grep -o 'control commands on ptcp:.*' "$CUTOVERD_LOG")"

step "cutover-appctl -t cutoverd: found by its name in its run directory"
out=$(CUTOVER_RUNDIR=$(dirname "$CUTOVERD_CTL") \
      "$top_srcdir/services/cutover-appctl" -t cutoverd version) \
    || fail "cutover-appctl -t cutoverd: $out"
echo "$out" | head -1 | grep -q '^cutoverd ' || fail "cutover-appctl -t cutoverd version: $out"
echo "ok: $(echo "$out" | head -1)"

step "a hook running as nobody: in group nogroup it is let in, in another group not"
as_nobody() {
    local gid=$1
    shift
    setpriv --reuid="$USER_ID" --regid="$gid" --clear-groups "$@"
}
for s in "$CUTOVERD_CTL" "$RPC"; do
    out=$(as_nobody "$GROUP_ID" "$HOOK" --server "unix:$s" show 2>&1) \
        || fail "nobody in nogroup could not use $s: $out"
    check_eq "nobody in nogroup, $s" "$out" "no migrations"
    out=$(as_nobody "$OTHER_GROUP_ID" "$HOOK" --server "unix:$s" --timeout 3 \
          show 2>&1) && fail "nobody in group daemon used $s: $out"
    echo "$out" | grep -q "Permission denied" \
        || fail "nobody in group daemon on $s: $out"
    echo "ok: refused: $out"
done
echo "ok: control-access"
