#!/bin/bash
# A host's agent reached over the network, as a controller on another
# machine reaches it: cutoverd runs on the lab's controller machine (its own
# namespace on the management network, 192.0.2.0/24), h2's
# cutover-announcer listens with --remote pssl:6655:192.0.2.12
# (certificates from ovs-pki; each side accepts only the other's CA), and
# Host h2's agent is ssl:192.0.2.12:6655.  A migration to h2 registers, holds, replays and
# fires through that connection; a client without a certificate of the CA
# gets no answer; a listener that would answer anyone on every address
# without authentication is refused at start, by the daemon and by cutoverd,
# and a Host.agent that no controller can reach is refused by cutoverctl.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_announcer
require_root
require_cmds ovs-pki python3
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

controller_lab_up 3 --no-agent
H2_IP=$(lab_mgmt_ip 2)
CTL_NS=$(lab_ctl_ns "$P")
AGENT_LOG=$(lab_host_dir "$P" 2)/log/cutover-agent.log

# Two CAs, as ovs-pki makes them: cutoverd's certificate is signed by the
# controller CA, the daemon's by the switch CA; each trusts the other's.
test_pki ctl:controller ann:switch

step "h2's agent answers on pssl:6655:$H2_IP (h2's management address)"
announcer_host_start 2 --remote="pssl:6655:$H2_IP" \
    --private-key="$PKI/ann-privkey.pem" --certificate="$PKI/ann-cert.pem" \
    --ca-cert="$PKI/ca/controllerca/cacert.pem"
wait_until 10 "the daemon to listen" \
    grep -q "control commands on pssl:6655:$H2_IP" "$AGENT_LOG"

step "cutoverd on the controller's machine: h2's agent at ssl:$H2_IP:6655"
cutoverd_start --private-key="$PKI/ctl-privkey.pem" \
    --certificate="$PKI/ctl-cert.pem" \
    --ca-cert="$PKI/ca/switchca/cacert.pem"
out=$("$top_builddir/controller/cutoverctl" host-add h9 172.16.0.99 \
      agent=pssl:6655 2>&1) && fail "a passive agent accepted"
echo "$out" | grep -q "agent 'pssl:6655' is not where a controller can reach the host's agent" \
    || fail "cutoverctl's refusal: $out"
migration_world "agent=ssl:$H2_IP:6655"
wait_until 30 "hosts in sync" eval 'cutoverd_ctl cutoverd/status | grep -q "^hosts: 3 managed, 3 in sync"'
wait_until 20 "h2's daemon connected over SSL" eval \
    "cutoverd_ctl cutoverd/status | grep -q 'agent ssl:$H2_IP:6655 connected'"

step "a client without a certificate of the CA gets no answer"
ip netns exec "$CTL_NS" python3 - "$H2_IP" "$PKI/ca/switchca/cacert.pem" <<'EOF' \
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
grep -q "registered vm1" "$AGENT_LOG" || fail "the agent's log has no registration"
echo "ok: announcer-remote"
