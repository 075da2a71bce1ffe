#!/bin/bash
# The whole migration path with every connection over SSL, set up as
# docs/deploy.md sets up a deployment: certificates from ovs-pki (a CA for
# the controller's side, one for the hypervisors'); the northbound
# ovsdb-server on the controller's machine with pssl:; cutoverctl and
# cutoverd reaching it with ssl:; every hypervisor's ovsdb-server
# (ovs-vsctl set-ssl, set-manager pssl:) and switch (the bridge listens on
# pssl:) and agent (cutover-announcer --remote pssl:) reached by cutoverd
# with ssl: on the management network; the VMM's hook on the destination
# hypervisor reaching cutoverd with ssl: (with the hypervisor's
# certificate).  A migration then prepares,
# switches over, activates (announced by the destination's DPDK agent) and
# completes, and traffic follows the VM.  Clients without a certificate of
# the right CA get nowhere.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
require_announcer
require_cmds ovs-pki
HOOK=$top_builddir/controller/cutover-hook
[ -x "$HOOK" ] || skip "$HOOK is not built"

# docs/deploy.md, "Certificates": the controller CA signs the controller's
# side (the northbound database, cutoverd, cutoverctl, the hooks), the
# switch CA the hypervisors' (ovsdb-server and ovs-vswitchd, the agent).
test_pki nb:controller cutoverd:controller admin:controller hook:controller \
    h1:switch h2:switch h3:switch
CONTROLLER_CA=$PKI/ca/controllerca/cacert.pem
SWITCH_CA=$PKI/ca/switchca/cacert.pem
# The controller's side talks to both sides: it trusts both CAs.
cat "$CONTROLLER_CA" "$SWITCH_CA" > "$PKI/both-cacert.pem"
ssl_opts() {
    echo "--private-key=$PKI/$1-privkey.pem --certificate=$PKI/$1-cert.pem --ca-cert=$2"
}

# "The northbound database": pssl: on the controller's machine, trusting
# the controller CA's clients.
# shellcheck disable=SC2207
NB_OPTS=(--remote="pssl:6642:192.0.2.1" $(ssl_opts nb "$CONTROLLER_CA"))
controller_lab_up 3 --no-agent
CTL_NS=$(lab_ctl_ns "$P")
NB_SSL=ssl:$(lab_ctl_ip):6642
# shellcheck disable=SC2207
ADMIN=($(ssl_opts admin "$PKI/both-cacert.pem"))
ctl_ssl() {
    ip netns exec "$CTL_NS" "$CTL" --db="$NB_SSL" "${ADMIN[@]}" "$@"
}

step "cutoverctl over SSL: with its certificate it works, without one it says why"
check "host-list over SSL" ctl_ssl host-list
out=$(ip netns exec "$CTL_NS" "$CTL" --db="$NB_SSL" -t 5 host-list 2>&1) \
    && fail "cutoverctl reached an ssl: database without SSL options: $out"
echo "$out"
echo "$out" | grep -q "is an SSL database: give this client's --private-key (-p), --certificate (-c) and the CA's --ca-cert (-C)" \
    || fail "cutoverctl's error does not say what SSL needs: $out"
out=$(ip netns exec "$CTL_NS" "$CTL" --db="$NB_SSL" -t 5 \
      --private-key="$PKI/h1-privkey.pem" --certificate="$PKI/h1-cert.pem" \
      --ca-cert="$CONTROLLER_CA" host-list 2>&1) \
    && fail "the database took a hypervisor's certificate from cutoverctl: $out"
echo "$out" | grep -q "cannot reach the northbound database at $NB_SSL within 5 s .*does it trust the CA of this client's certificate" \
    || fail "cutoverctl's error with a certificate of the wrong CA: $out"
echo "ok: a certificate of the wrong CA is refused: $(echo "$out" | tail -1)"

step "every hypervisor: ovsdb-server and the switch with SSL, its agent on pssl:"
for i in 1 2 3; do
    mgmt=$(lab_mgmt_ip "$i")
    check "h$i set-ssl" lab_vsctl "$P" "$i" set-ssl "$PKI/h$i-privkey.pem" \
        "$PKI/h$i-cert.pem" "$CONTROLLER_CA"
    check "h$i ovsdb-server on pssl:6650" lab_vsctl "$P" "$i" \
        set-manager "pssl:6650:$mgmt"
    # shellcheck disable=SC2046
    announcer_host_start "$i" --remote="pssl:6655:$mgmt" \
        $(ssl_opts "h$i" "$CONTROLLER_CA")
done

step "cutoverd on the controller's machine: the database and every host over SSL, the hooks on pssl:"
NB_REMOTE=$NB_SSL
# shellcheck disable=SC2046
cutoverd_start $(ssl_opts cutoverd "$PKI/both-cacert.pem") \
    --remote="pssl:6643:$(lab_ctl_ip)"
for i in 1 2 3; do
    mgmt=$(lab_mgmt_ip "$i")
    check "h$i" ctl_ssl host-add "h$i" "$(lab_host_ip "$i")" \
        "ovsdb=ssl:$mgmt:6650" "openflow=ssl:$mgmt:6653" \
        "provider-mac=$(lab_host_mac "$i")" "agent=ssl:$mgmt:6655"
done
check "vpc1" ctl_ssl net-add vpc1 vxlan 1001
check "web" ctl_ssl subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
check "port vm1" ctl_ssl port-add vm1 web 02:00:0a:00:00:05 ip=10.0.0.5 home=h1
check "port vm2" ctl_ssl port-add vm2 web 02:00:0a:00:00:06 ip=10.0.0.6 home=h3
check "vm1 on h1" lab_vm_add "$P" vm1 1 02:00:0a:00:00:05 10.0.0.5/24
check "vm1 on h2" lab_vm_add "$P" vm1 2 02:00:0a:00:00:05 10.0.0.5/24 \
    --tag d --iface vm1d
check "vm1 on h2 waits" ip -n "$(lab_vm_ns "$P" vm1 2 d)" link set eth0 down
check "vm2 on h3" lab_vm_add "$P" vm2 3 02:00:0a:00:00:06 10.0.0.6/24
wait_until 60 "3 hosts in sync" cutoverd_synced 3
status=$(cutoverd_ctl cutoverd/status)
echo "$status"
echo "$status" | grep -q "^northbound $NB_SSL: connected" \
    || fail "cutoverd is not on the database over SSL"
for i in 1 2 3; do
    mgmt=$(lab_mgmt_ip "$i")
    echo "$status" | grep -q "^  installer h$i: connected to ssl:$mgmt:6653" \
        || fail "h$i's switch is not reached over SSL"
    echo "$status" | grep -q "^  agent ssl:$mgmt:6655 connected, .*tunnel neighbours: 2 peers set" \
        || fail "h$i's agent is not reached over SSL, or has not set the neighbours"
    check_eq "h$i's bridge listens on pssl:" \
        "$(lab_vsctl "$P" "$i" get controller br-int target)" "\"pssl:6653:$mgmt\""
done
for i in 1 2 3; do
    mgmt=$(lab_mgmt_ip "$i")
    grep -q "host h$i: managing it (OVSDB ssl:$mgmt:6650, OpenFlow ssl:$mgmt:6653)" \
        "$CUTOVERD_LOG" || fail "h$i is not managed over SSL"
done
answers() {
    ip netns exec "$(lab_vm_ns "$P" vm2 3)" ping -c 1 -W 1 -q 10.0.0.5 >/dev/null
}
wait_until 20 "vm2 to reach vm1 on h1" answers

step "a migration driven by the destination's hook over SSL, announced by h2's DPDK agent"
# The hook runs on the hypervisor, with its certificate.
# shellcheck disable=SC2207
HOOK_SSL=($(ssl_opts h2 "$CONTROLLER_CA"))
hook() {
    ip netns exec "$(lab_host_ns "$P" 2)" "$HOOK" \
        --server "ssl:$(lab_ctl_ip):6643" "${HOOK_SSL[@]}" --timeout 10 "$@"
}
out=$(hook prepare --port=vm1 --to=h2) || fail "prepare: $out"
echo "$out"
echo "$out" | grep -q "announcements registered; hold: hold 1 on h2: holding" \
    || fail "prepare's answer: $out"
out=$(hook switchover --port=vm1) || fail "switchover: $out"
echo "$out"
vm1_runs_on 2
out=$(hook activate --port=vm1) || fail "activate: $out"
echo "$out"
echo "$out" | grep -Eq "hold 1 on h2 replayed .*announcer: fired 1 ports, [0-9]+ frames" \
    || fail "activate's answer does not name h2's agent: $out"
out=$(hook complete --port=vm1) || fail "complete: $out"
echo "$out"
wait_until 20 "vm2 to reach vm1 on h2" answers
grep -q "registered vm1" "$(lab_host_dir "$P" 2)/log/cutover-agent.log" \
    || fail "h2's agent's log has no registration"

step "a client without a certificate gets nothing from cutoverd"
out=$(echo '{"method":"migration/show","params":[],"id":1}' \
      | ip netns exec "$(lab_host_ns "$P" 2)" timeout 10 openssl s_client \
          -connect "$(lab_ctl_ip):6643" -CAfile "$CONTROLLER_CA" -quiet 2>&1)
echo "$out" | grep -q '"result"' && fail "cutoverd answered a client without a certificate: $out"
echo "$out" | grep -qi "alert" || fail "no TLS alert for a client without a certificate: $out"
echo "ok: refused: $(echo "$out" | grep -i -m1 alert)"
echo "ok: deploy-ssl"
