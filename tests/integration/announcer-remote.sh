#!/bin/bash
# A host's DPDK daemon reached over the network, as a controller on another
# machine reaches it: cutoverd runs in h3's network namespace (another
# machine on the underlay, 172.16.0.0/24), h2's cutover-announcer listens
# with --remote pssl:6655:172.16.0.12 (certificates from ovs-pki; each side
# accepts only the other's CA), and Host h2's announcer is
# ssl:172.16.0.12:6655.  A migration to h2 registers, holds, replays and
# fires through that connection; a client without a certificate of the CA
# gets no answer; a listener that would answer anyone on every address
# without authentication is refused at start, by the daemon and by cutoverd,
# and a Host.announcer that no controller can reach is refused by
# cutoverctl.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_announcer
require_root
require_cmds ovs-pki python3
DPDK_PREFIX=ct$$-annremote
trap 'rc=$?; rm -rf "/var/run/dpdk/$DPDK_PREFIX"; (exit $rc); test_cleanup' EXIT
require_dpdk_af_packet

step "listeners that would answer anyone, anywhere, are refused"
out=$("$ANNOUNCER" -- --remote=ptcp:6656 2>&1) && fail "ptcp:6656 accepted"
echo "$out"
echo "$out" | grep -q "would answer anyone on every address, without authentication: name the IP" \
    || fail "the daemon's refusal: $out"
out=$("$top_builddir/controller/cutoverd" --remote=ptcp:6656 2>&1) \
    && fail "cutoverd took ptcp:6656"
echo "$out" | grep -q "would answer anyone on every address" \
    || fail "cutoverd's refusal: $out"

controller_lab_up 3
H2_IP=$(lab_host_ip 2)
H3=$(lab_host_ns "$P" 3)

# Two CAs, as ovs-pki makes them: cutoverd's certificate is signed by the
# controller CA, the daemon's by the switch CA; each trusts the other's.
test_pki ctl:controller ann:switch

step "h2's daemon answers on pssl:6655:$H2_IP (h2's underlay address)"
A=$TEST_TMP/announcer
announcer_host_start 2 --remote="pssl:6655:$H2_IP" \
    --private-key="$PKI/ann-privkey.pem" --certificate="$PKI/ann-cert.pem" \
    --ca-cert="$PKI/ca/controllerca/cacert.pem"
wait_until 10 "the daemon to listen" \
    grep -q "control commands on pssl:6655:$H2_IP" "$A/announcer.log"

step "cutoverd on h3, as on another machine: h2's daemon at ssl:$H2_IP:6655"
CUTOVERD_NETNS=$H3
cutoverd_start --private-key="$PKI/ctl-privkey.pem" \
    --certificate="$PKI/ctl-cert.pem" \
    --ca-cert="$PKI/ca/switchca/cacert.pem"
out=$("$top_builddir/controller/cutoverctl" host-add h9 172.16.0.99 \
      announcer=pssl:6655 2>&1) && fail "a passive announcer accepted"
echo "$out" | grep -q "announcer 'pssl:6655' is not where a controller can reach the host's daemon" \
    || fail "cutoverctl's refusal: $out"
migration_world "announcer=ssl:$H2_IP:6655"
wait_until 30 "hosts in sync" eval 'cutoverd_ctl cutoverd/status | grep -q "^hosts: 3 managed, 3 in sync"'
wait_until 20 "h2's daemon connected over SSL" eval \
    "cutoverd_ctl cutoverd/status | grep -q 'announcer ssl:$H2_IP:6655 connected'"

step "a client without a certificate of the CA gets no answer"
ip netns exec "$H3" python3 - "$H2_IP" "$PKI/ca/switchca/cacert.pem" <<'EOF' \
    || fail "the daemon answered a client without a certificate"
import json, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[2])
ctx.check_hostname = False
request = {"method": "announcer/list", "params": [], "id": 1}
try:
    with socket.create_connection((sys.argv[1], 6655), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall(json.dumps(request).encode())
            data = t.recv(4096)
except (ssl.SSLError, OSError) as e:
    print("ok: refused (%s)" % e)
    sys.exit(0)
if data:
    print("answered: %r" % data)
    sys.exit(1)
print("ok: refused (closed without an answer)")
EOF

step "a migration to h2: register, hold, replay and fire over SSL"
mig() { cutoverd_ctl "migration/$@"; }
out=$(mig prepare vm1 h2) || fail "prepare: $out"
echo "$out"
echo "$out" | grep -q "announcements registered; hold: hold 1 on h2: holding" \
    || fail "prepare's answer: $out"
ann hold/show vm1 | grep -q "^vm1: hold 1, holding" \
    || fail "h2's daemon holds nothing: $(ann hold/show)"
out=$(mig switchover vm1) || fail "switchover: $out"
echo "$out"
vm1_runs_on 2
out=$(mig activate vm1) || fail "activate: $out"
echo "$out"
echo "$out" | grep -Eq "hold 1 on h2 replayed [0-9]+ frames .*announcer: fired 1 ports" \
    || fail "activate's answer (the daemon's replay and announcements): $out"
out=$(mig complete vm1) || fail "complete: $out"
echo "$out"
grep -q "registered vm1" "$A/announcer.log" || fail "the daemon's log has no registration"
echo "ok: announcer-remote"
