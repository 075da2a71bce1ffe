# test-lib.sh: helpers for the integration tests (sourced by
# tests/integration/*.sh).
#
# A test prints what it does, calls 'fail' (exit 1) on the first wrong
# result, 'skip' (exit 77, with the reason on the last line of its log) when
# the machine lacks something, and exits 0 otherwise.  Everything it starts is
# removed by the EXIT trap, also when it fails or is interrupted.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
TEST_NAME=$(basename "$0" .sh)
LOSSMETER=$top_builddir/tests/harness/cutover-lossmeter
ANNOUNCE=$top_builddir/gratuitous/cutover-announce
LAB=$top_srcdir/tests/lab/lab

# shellcheck source=tests/lab/lab-lib.sh
. "$top_srcdir/tests/lab/lab-lib.sh"

TEST_LABS=()
TEST_NETNS=()
TEST_PIDS=()
TEST_LOGS=()
NB_OPTS=()
TEST_TMP=$(mktemp -d "/tmp/cutover-test-$TEST_NAME.XXXXXX")

test_cleanup() {
    local rc=$? p pid ns
    trap - EXIT
    if [ -n "${CUTOVER_TEST_KEEP:-}" ]; then
        # Debugging: leave everything as it is, and say how to remove it.
        echo "CUTOVER_TEST_KEEP: kept labs ${TEST_LABS[*]}, processes" \
             "${TEST_PIDS[*]}, files in $TEST_TMP; remove them with:"
        echo "  kill ${TEST_PIDS[*]}; tests/lab/lab down ${TEST_LABS[*]};" \
             "rm -rf $TEST_TMP"
        exit $rc
    fi
    for pid in "${TEST_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    sanitizer_collect || rc=1
    for p in "${TEST_LABS[@]}"; do
        [ -d "$(lab_dir "$p")" ] && lab_down "$p"
    done
    for ns in "${TEST_NETNS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TEST_TMP"
    exit $rc
}
# sanitizer_collect: in 'make check-sanitizers' (docs/testing.md), copies
# every file of the test's directory that holds an UndefinedBehaviorSanitizer
# report (a daemon's stderr: with ASan, UBSan ignores log_path) to
# $CUTOVER_SANITIZER_REPORTS, and returns 1 if there was one.
sanitizer_collect() {
    local f found=0
    [ -n "${CUTOVER_SANITIZER_REPORTS:-}" ] || return 0
    for f in $(grep -rlE 'runtime error:|ERROR: [A-Za-z]+Sanitizer' \
                   "$TEST_TMP" 2>/dev/null); do
        echo "sanitizer report in $f:"
        cat "$f"
        cp "$f" "$CUTOVER_SANITIZER_REPORTS/$TEST_NAME-$(basename "$f")"
        found=1
    done
    [ $found = 0 ]
}
trap test_cleanup EXIT
trap 'exit 1' INT TERM HUP

skip() {
    echo "SKIP: $*"
    exit 77
}

fail() {
    local log
    echo "FAIL: $*"
    for log in "${TEST_LOGS[@]}"; do
        echo "--- last lines of $log:"
        tail -n 30 "$log" 2>/dev/null
    done
    exit 1
}

step() {
    echo "--- $*"
}

# check DESCRIPTION CMD...: runs CMD, fails the test if it fails.
check() {
    local what=$1
    shift
    if ! "$@"; then
        fail "$what (command: $*)"
    fi
}

# check_eq DESCRIPTION ACTUAL EXPECTED.
check_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
    echo "ok: $1 = $2"
}

# check_ge DESCRIPTION ACTUAL MIN (integers).
check_ge() {
    [ "$2" -ge "$3" ] 2>/dev/null || fail "$1: got '$2', expected at least $3"
    echo "ok: $1 = $2 (>= $3)"
}

# check_le DESCRIPTION ACTUAL MAX (integers).
check_le() {
    [ "$2" -le "$3" ] 2>/dev/null || fail "$1: got '$2', expected at most $3"
    echo "ok: $1 = $2 (<= $3)"
}

require_root() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
}

require_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || skip "$c is not installed"
    done
}

require_lossmeter() {
    [ -x "$LOSSMETER" ] || skip "$LOSSMETER is not built"
}

require_announce() {
    [ -x "$ANNOUNCE" ] || skip "$ANNOUNCE is not built"
}

# expect_exit PROGRAM STATUS PATTERN ARGS...: PROGRAM ARGS exits with STATUS
# and says something matching PATTERN (an extended regular expression) on
# stderr.
expect_exit() {
    local program=$1 status=$2 pattern=$3 out rc
    shift 3
    out=$("$program" "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = "$status" ] \
        || fail "'$*': exit status $rc, expected $status (said: $out)"
    echo "$out" | grep -qE -- "$pattern" \
        || fail "'$*': said '$out', expected /$pattern/"
    echo "ok: $* -> $rc: $(echo "$out" | head -1)"
}

# test_ns NAME: the name of this test's namespace NAME.
test_ns() {
    echo "ct$$-$1"
}

# test_netns_add NAME: a namespace of this test's own, removed at exit.
test_netns_add() {
    local ns
    ns=$(test_ns "$1")
    TEST_NETNS+=("$ns")
    ip netns add "$ns" || fail "cannot create namespace $ns"
    ip -n "$ns" link set lo up
}

# test_lab_up N [options]: a lab of N hosts, removed at exit.  Sets LAB_P.
test_lab_up() {
    local n=$1
    shift
    require_root
    require_cmds ovsdb-server ovs-vswitchd ovs-vsctl ip bridge ethtool
    LAB_P=$(lab_new_prefix)
    TEST_LABS+=("$LAB_P")
    lab_up "$LAB_P" "$n" "$@" || fail "lab up failed"
}

# require_dpdk_af_packet: skips the test unless DPDK's net_af_packet PMD
# gives a port on a veth here.  Whether it does is DPDK's and the
# machine's business: a probe of a few lines of DPDK alone, with none of
# cutover's code, finds out up front (in a namespace and with an EAL
# prefix of its own); a test that passes it must not skip on DPDK later.
require_dpdk_af_packet() {
    local prefix=ct$$-probe ns n_ports
    require_cmds cc pkg-config
    step "this machine's DPDK: net_af_packet gives a port (a probe without cutover's code)"
    cat >"$TEST_TMP/dpdk-probe.c" <<'EOF_PROBE'
#include <stdio.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

int
main(int argc, char *argv[])
{
    if (rte_eal_init(argc, argv) < 0) {
        fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    printf("%u\n", (unsigned int) rte_eth_dev_count_avail());
    rte_eal_cleanup();
    return 0;
}
EOF_PROBE
    # shellcheck disable=SC2046
    cc -o "$TEST_TMP/dpdk-probe" "$TEST_TMP/dpdk-probe.c" \
        $(pkg-config --cflags --libs libdpdk) 2>"$TEST_TMP/dpdk-probe.cc" \
        || skip "cannot build a DPDK program here (libdpdk-dev): $(head -1 "$TEST_TMP/dpdk-probe.cc")"
    test_netns_add dpdk-probe
    ns=$(test_ns dpdk-probe)
    check "probe veth" ip -n "$ns" link add probe0 type veth peer name probe1
    check "probe0 up" ip -n "$ns" link set probe0 up
    check "probe1 up" ip -n "$ns" link set probe1 up
    n_ports=$(ip netns exec "$ns" "$TEST_TMP/dpdk-probe" -l 0 --no-pci \
        --no-huge -m 64 --no-shconf --no-telemetry \
        --file-prefix="$prefix" --vdev=net_af_packet0,iface=probe1 \
        2>"$TEST_TMP/dpdk-probe.err")
    rm -rf "/var/run/dpdk/$prefix"
    [ "$n_ports" = 1 ] || skip "DPDK's net_af_packet PMD gives no port here, \
without cutover (a probe: rte_eal_init() with --vdev=net_af_packet0, then \
rte_eth_dev_count_avail() = '$n_ports'): $(grep -i -m1 -E 'af_packet|error|fail' "$TEST_TMP/dpdk-probe.err")"
    echo "ok: DPDK's net_af_packet gives 1 port on a veth"
}

# announcer_start NS IFACE [OPTION...]: cutover-announcer in namespace NS
# (one of the test's own, not a lab host: lab hosts have theirs,
# announcer_host_start) on DPDK net_af_packet over IFACE, with the EAL
# prefix $DPDK_PREFIX (the caller's trap removes /var/run/dpdk/$DPDK_PREFIX),
# its files in $TEST_TMP/announcer; OPTIONs go after '--'.  Sets ANN_CTL and
# ANN_PID; ann COMMAND... and ann_err COMMAND... talk to it.
announcer_start() {
    local ns=$1 iface=$2 a=$TEST_TMP/announcer
    shift 2
    mkdir -p "$a"
    ANN_CTL=$a/announcer.ctl
    TEST_LOGS+=("$a/announcer.log")
    if ! ip netns exec "$ns" "$top_builddir/gratuitous/cutover-announcer" \
            -l 0 --no-pci --no-huge -m 64 --no-shconf --no-telemetry \
            --file-prefix="$DPDK_PREFIX" \
            --vdev="net_af_packet0,iface=$iface,framecnt=4096" \
            -- --unixctl="$ANN_CTL" --pidfile="$a/announcer.pid" \
            --log-file="$a/announcer.log" --detach --no-chdir -vconsole:off \
            "$@" >"$a/stderr" 2>&1; then
        cat "$a/stderr"
        fail "cutover-announcer did not start (DPDK's net_af_packet works here: the probe above)"
    fi
    ANN_PID=$(cat "$a/announcer.pid")
    test_bg "$ANN_PID"
}
# require_announcer: skip unless cutover-announcer is built; sets ANNOUNCER.
require_announcer() {
    ANNOUNCER=$top_builddir/gratuitous/cutover-announcer
    [ -x "$ANNOUNCER" ] || skip "$ANNOUNCER is not built"
}

# announcer_host_start N [OPTION...]: host hN's agent (a lab made with
# --no-agent has none), plugged as the lab plugs every host's
# (lab_start_agent, with OPTIONs).  Sets ANN_CTL, ANN_PID and DPDK_PREFIX.
announcer_host_start() {
    local n=$1 d
    shift
    d=$(lab_host_dir "$LAB_P" "$n")
    TEST_LOGS+=("$d/log/cutover-agent.log")
    lab_start_agent "$LAB_P" "$n" "$top_builddir/gratuitous/cutover-announcer" \
        "$@" || fail "h$n: the agent did not start (DPDK's net_af_packet works here: the probe above)"
    agent_use "$n"
}

# agent_use N: ann and ann_err talk to host hN's agent: sets ANN_CTL,
# ANN_PID and DPDK_PREFIX (its EAL prefix).
agent_use() {
    local d
    d=$(lab_host_dir "$LAB_P" "$1")
    ANN_CTL=$(lab_agent_ctl "$LAB_P" "$1")
    ANN_PID=$(cat "$d/run/cutover-agent.pid")
    DPDK_PREFIX=$LAB_P-h$1
}

# vm1_runs_on N: of vm1's two instances (migration_world), the one on hN
# has its link up, the other's is down: where the VM runs.
vm1_runs_on() {
    local other=$((3 - $1)) tag_on='' tag_off=''
    [ "$1" = 2 ] && tag_on=d
    [ "$other" = 2 ] && tag_off=d
    check "vm1 on h$other stops" \
        ip -n "$(lab_vm_ns "$LAB_P" vm1 "$other" $tag_off)" link set eth0 down
    check "vm1 on h$1 runs" \
        ip -n "$(lab_vm_ns "$LAB_P" vm1 "$1" $tag_on)" link set eth0 up
}

ann() { ovs-appctl --timeout=10 -t "$ANN_CTL" "$@"; }
# ann_err COMMAND...: COMMAND fails; prints the first line of its message.
ann_err() {
    local out
    out=$(ann "$@" 2>&1) && fail "'$*' succeeded: $out"
    echo "$out" | head -1
}

# test_pki NAME:TYPE...: a PKI in $TEST_TMP/pki (sets PKI) made by ovs-pki,
# with its two CAs (ca/controllerca, ca/switchca) and, for each NAME, a key
# NAME-privkey.pem and a certificate NAME-cert.pem signed by the CA of TYPE
# (controller or switch).
test_pki() {
    local spec
    PKI=$TEST_TMP/pki
    mkdir -p "$PKI"
    (cd "$PKI" && ovs-pki --dir="$PKI/ca" init \
         && for spec in "$@"; do
                ovs-pki --dir="$PKI/ca" req+sign "${spec%%:*}" "${spec#*:}" \
                    || exit 1
            done) >"$PKI/ovs-pki.out" 2>&1 \
        || fail "ovs-pki: $(tail -3 "$PKI/ovs-pki.out")"
}

# test_bg PID: records a background process to kill at exit.
test_bg() {
    TEST_PIDS+=("$1")
}

# capture_start NAME NS IFACE FILTER: tcpdump in namespace NS records the
# frames on IFACE that match FILTER (a pcap filter) into
# $TEST_TMP/NAME.pcap, until capture_stop NAME.  Returns once it listens.
capture_start() {
    local name=$1 ns=$2 iface=$3 filter=$4 pid i
    ip netns exec "$ns" tcpdump -i "$iface" -U --immediate-mode -s 200 \
        -w "$TEST_TMP/$name.pcap" "$filter" 2>"$TEST_TMP/$name.tcpdump" &
    pid=$!
    test_bg "$pid"
    echo "$pid" > "$TEST_TMP/$name.tcpdump.pid"
    for i in $(seq 100); do
        grep -q "listening on" "$TEST_TMP/$name.tcpdump" && return 0
        sleep 0.05
    done
    fail "tcpdump did not start on $iface in $ns: $(cat "$TEST_TMP/$name.tcpdump")"
}

# capture_stop NAME: lets capture NAME take what is still on its way, then
# stops it.
capture_stop() {
    local pid
    pid=$(cat "$TEST_TMP/$1.tcpdump.pid")
    sleep 0.2
    kill -INT "$pid"
    wait "$pid"
}

# pcap_fields NAME FILTER FIELD...: the distinct values of FIELDs (tshark
# field names) over the frames of capture NAME that match FILTER (a tshark
# display filter), one line per distinct combination, sorted.
pcap_fields() {
    local name=$1 filter=$2 f args=()
    shift 2
    for f in "$@"; do
        args+=(-e "$f")
    done
    tshark -r "$TEST_TMP/$name.pcap" -Y "$filter" -T fields -E separator=' ' \
        "${args[@]}" 2>/dev/null | sort -u
}

# pcap_count NAME FILTER: how many frames of capture NAME match FILTER.
pcap_count() {
    tshark -r "$TEST_TMP/$1.pcap" -Y "$2" 2>/dev/null | wc -l
}

# json_get FILE EXPR: evaluates a Python expression over the JSON in FILE
# (bound to 'j').
json_get() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# wait_for FILE [SECONDS]: waits until FILE exists.
wait_for() {
    local f=$1 t=${2:-10} i
    for i in $(seq $((t * 20))); do
        [ -e "$f" ] && return 0
        sleep 0.05
    done
    fail "timed out waiting for $f"
}

# nb_start: a northbound database of this test's own (a real ovsdb-server
# with cutover's schema), stopped at exit.  Sets NB_DB (its unix socket,
# for cutoverctl) and exports CUTOVER_NB_DB.  In a lab ($LAB_P set) it runs
# on the controller's machine and also listens on the management network:
# NB_REMOTE is where cutoverd, there too, reaches it.  The array NB_OPTS,
# if set, holds more ovsdb-server options (an SSL listener and its keys).
nb_start() {
    local d=$TEST_TMP/nb netns=() remote=()
    require_cmds ovsdb-tool ovsdb-server
    if [ -n "${NB_CLUSTER:-}" ]; then
        nb_cluster_start
        return
    fi
    mkdir -p "$d"
    ovsdb-tool create "$d/nb.db" "$top_srcdir/lib/cutover.ovsschema" \
        || fail "cannot create the northbound database"
    NB_REMOTE=unix:$d/nb.sock
    if [ -n "${LAB_P:-}" ]; then
        netns=(ip netns exec "$(lab_ctl_ns "$LAB_P")")
        remote=(--remote="ptcp:6641:$(lab_ctl_ip)")
        NB_REMOTE=tcp:$(lab_ctl_ip):6641
    fi
    "${netns[@]}" ovsdb-server "$d/nb.db" --remote="punix:$d/nb.sock" "${remote[@]}" \
        "${NB_OPTS[@]}" \
        --pidfile="$d/nb.pid" --unixctl="$d/nb.ctl" --log-file="$d/nb.log" \
        --detach --no-chdir -vconsole:off 2>>"$d/nb.stderr" \
        || fail "cannot start ovsdb-server for the northbound database"
    test_bg "$(cat "$d/nb.pid")"
    NB_DB=unix:$d/nb.sock
    export CUTOVER_NB_DB=$NB_DB
}

# nb_cluster_start: what nb_start does, with the northbound database a
# 3-member OVSDB Raft cluster (NB_CLUSTER set; docs/ha.md): members 1 to 3
# on the controller's machine, each with its own files in $TEST_TMP/nb/N
# (nb.db, nb.sock, nb.ctl, nb.pid, nb.log), its clients' port 6640+N and
# its cluster port 6650+N.  NB_DB and CUTOVER_NB_DB name every member's unix
# socket, NB_REMOTE every member's TCP address; NB_MEMBER_PIDS holds their
# PIDs.  Returns once the cluster has a leader.
nb_cluster_start() {
    local d=$TEST_TMP/nb n ip netns=() dbs=() remotes=()
    ip=$(lab_ctl_ip)
    netns=(ip netns exec "$(lab_ctl_ns "$LAB_P")")
    NB_MEMBER_PIDS=()
    for n in 1 2 3; do
        mkdir -p "$d/$n"
        if [ "$n" = 1 ]; then
            ovsdb-tool create-cluster "$d/1/nb.db" \
                "$top_srcdir/lib/cutover.ovsschema" "tcp:$ip:6651" \
                || fail "cannot create the northbound cluster"
        else
            ovsdb-tool join-cluster "$d/$n/nb.db" Cutover_Northbound \
                "tcp:$ip:$((6650 + n))" "tcp:$ip:6651" \
                || fail "cannot join member $n to the northbound cluster"
        fi
        "${netns[@]}" ovsdb-server "$d/$n/nb.db" \
            --remote="punix:$d/$n/nb.sock" --remote="ptcp:$((6640 + n)):$ip" \
            --pidfile="$d/$n/nb.pid" --unixctl="$d/$n/nb.ctl" \
            --log-file="$d/$n/nb.log" --detach --no-chdir -vconsole:off \
            2>>"$d/$n/nb.stderr" \
            || fail "cannot start member $n of the northbound cluster"
        NB_MEMBER_PIDS+=("$(cat "$d/$n/nb.pid")")
        test_bg "$(cat "$d/$n/nb.pid")"
        dbs+=("unix:$d/$n/nb.sock")
        remotes+=("tcp:$ip:$((6640 + n))")
    done
    NB_DB=$(IFS=,; echo "${dbs[*]}")
    NB_REMOTE=$(IFS=,; echo "${remotes[*]}")
    export CUTOVER_NB_DB=$NB_DB
    wait_until 30 "the northbound cluster to elect a leader" \
        eval 'nb_leader >/dev/null'
}

# nb_leader: prints the member (1 to 3) of the northbound cluster that is
# its leader; false if none is (or none answers).
nb_leader() {
    local n
    for n in 1 2 3; do
        if ovs-appctl -t "$TEST_TMP/nb/$n/nb.ctl" cluster/status \
               Cutover_Northbound 2>/dev/null | grep -q "^Role: leader"; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

# require_controller: skips the test unless cutoverctl and cutoverd are
# built.  Sets CTL (cutoverctl).
require_controller() {
    CTL=$top_builddir/controller/cutoverctl
    [ -x "$CTL" ] || skip "$CTL is not built"
    [ -x "$top_builddir/controller/cutoverd" ] || skip "cutoverd is not built"
}

# controller_lab_up N [--no-agent] [LAB-UP OPTIONS]: a lab of N hosts
# (test_lab_up) in deployment mode, as the controller's tests start: every
# host runs its agent (unless --no-agent; skips if DPDK's net_af_packet
# does not work here), and the northbound database (nb_start) runs on the
# controller's machine.  Sets P (the lab's prefix).
controller_lab_up() {
    local n=$1 agent=(--agent "$top_builddir/gratuitous/cutover-announcer")
    shift
    if [ "${1:-}" = --no-agent ]; then
        agent=()
        shift
    else
        require_announcer
        require_dpdk_af_packet
    fi
    test_lab_up "$n" "${agent[@]}" "$@"
    P=$LAB_P
    for i in $(seq "$n"); do
        [ -f "$(lab_host_dir "$P" "$i")/run/cutover-agent.pid" ] \
            && TEST_LOGS+=("$(lab_host_dir "$P" "$i")/log/cutover-agent.log")
    done
    nb_start
}

# wait_until SECONDS DESCRIPTION CMD...: waits until CMD succeeds; fails
# the test (naming DESCRIPTION) if it has not within SECONDS.
wait_until() {
    local t=$1 what=$2 i
    shift 2
    for i in $(seq $((t * 10))); do
        "$@" && return 0
        sleep 0.1
    done
    fail "timed out after $t s waiting for $what (command: $*)"
}

# cutoverd_start [OPTIONS]: the controller on this test's northbound
# database (nb_start first), stopped at exit.  Its switchover timeout is
# $CUTOVER_TEST_SWITCHOVER_TIMEOUT (default 5000 ms, not cutoverd's 250: a
# loaded 2-core machine must not fail a functional test by being slow;
# tests of the timeout say timeout=MS).  Sets CUTOVERD_CTL (its
# control socket) and CUTOVERD_LOG, whose end 'fail' prints.  It runs in
# network namespace $CUTOVERD_NETNS if that is set, else on the lab's
# controller machine, and reaches the northbound database at $NB_REMOTE
# there.  Its files are in $TEST_TMP/$CUTOVERD_NAME (default: cutoverd),
# so that several may run (docs/ha.md).
: "${CUTOVER_TEST_SWITCHOVER_TIMEOUT:=5000}"
cutoverd_start() {
    local d=$TEST_TMP/${CUTOVERD_NAME:-cutoverd} netns=()
    mkdir -p "$d"
    CUTOVERD_CTL=$d/cutoverd.ctl
    CUTOVERD_LOG=$d/cutoverd.log
    rm -f "$d/cutoverd.pid"
    local db=$NB_DB
    if [ -n "${CUTOVERD_NETNS:-}" ]; then
        netns=(ip netns exec "$CUTOVERD_NETNS")
    elif [ -n "${LAB_P:-}" ]; then
        netns=(ip netns exec "$(lab_ctl_ns "$LAB_P")")
        db=$NB_REMOTE
    fi
    "${netns[@]}" "$top_builddir/controller/cutoverd" --db="$db" \
        --unixctl="$CUTOVERD_CTL" --pidfile="$d/cutoverd.pid" \
        --log-file="$CUTOVERD_LOG" --detach --no-chdir -vconsole:off \
        -vfile:info --switchover-timeout="$CUTOVER_TEST_SWITCHOVER_TIMEOUT" \
        "$@" 2>>"$d/cutoverd.stderr" \
        || fail "cutoverd did not start: $(cat "$d/cutoverd.stderr")"
    CUTOVERD_PID=$(cat "$d/cutoverd.pid")
    test_bg "$CUTOVERD_PID"
    TEST_LOGS+=("$CUTOVERD_LOG")
}

# cutoverd_restart [OPTIONS]: cutoverd killed (SIGKILL, as a crash) and
# started again; returns once it answers.
cutoverd_restart() {
    kill -KILL "$CUTOVERD_PID"
    wait_until 10 "cutoverd to die" eval '! lab_alive "$CUTOVERD_PID"'
    cutoverd_start "$@"
    wait_until 15 "cutoverd to answer" \
        eval 'cutoverd_ctl cutoverd/status >/dev/null 2>&1'
}

# Several cutoverds (docs/ha.md).  ha_start NAME PORT [OPTIONS]: cutoverd
# NAME (cutoverd_start, its files in $TEST_TMP/NAME) with a JSON-RPC
# listener at PORT on the controller's machine; records its control socket
# in HA_CTL[NAME] and its PID in HA_PID[NAME], and leaves cutoverd_ctl
# talking to the cutoverd it talked to (ha_use).
declare -A HA_CTL HA_PID
ha_start() {
    local name=$1 port=$2 used=${CUTOVERD_CTL:-}
    shift 2
    CUTOVERD_NAME=$name cutoverd_start --remote="ptcp:$port:$(lab_ctl_ip)" "$@"
    HA_CTL[$name]=$CUTOVERD_CTL
    HA_PID[$name]=$CUTOVERD_PID
    CUTOVERD_CTL=${used:-$CUTOVERD_CTL}
}
# ha_ctl NAME COMMAND [ARGS...]: a control command to cutoverd NAME.
ha_ctl() {
    local name=$1
    shift
    ovs-appctl --timeout=30 -t "${HA_CTL[$name]}" "$@"
}
# ha_role NAME: active or standby (its status's first line), or nothing if
# it does not answer.
ha_role() {
    ha_ctl "$1" status 2>/dev/null | sed -n 's/^Status: //p'
}
# ha_use NAME: cutoverd_ctl (and what is built on it) talks to NAME.
ha_use() {
    CUTOVERD_CTL=${HA_CTL[$1]}
}
# ha_generation: NB_Global.controller_generation.
ha_generation() {
    "$top_builddir/controller/cutoverctl" get NB_Global . controller_generation
}

# cutoverd_ctl COMMAND [ARGS...]: a control command to cutoverd.
cutoverd_ctl() {
    ovs-appctl --timeout=30 -t "$CUTOVERD_CTL" "$@"
}

# cutoverd_synced N: true once cutoverd manages N hosts and every one has
# confirmed its newest flows.
cutoverd_synced() {
    cutoverd_ctl cutoverd/status | grep -q "^hosts: $1 managed, $1 in sync"
}

# cutoverd_flows_in_sync N: true once cutoverd manages N hosts, all in
# sync, and every lab host h1..hN has exactly the flows cutoverd computes
# for it (cutoverd/flows): the same tables, priorities, matches, cookies
# and actions, compared by 'ovs-ofctl diff-flows' (which parses both sides,
# so spelling does not count).  The differences of the last call are in
# $TEST_TMP/flows-diff.
cutoverd_flows_in_sync() {
    local i f=$TEST_TMP/flows-computed
    : > "$TEST_TMP/flows-diff"
    cutoverd_synced "$1" || return 1
    for i in $(seq "$1"); do
        cutoverd_ctl cutoverd/flows "h$i" > "$f" || return 1
        if ! lab_ofctl "$LAB_P" "$i" diff-flows br-int "$f" \
                > "$TEST_TMP/flows-diff.h$i" 2>&1; then
            { echo "h$i (- switch, + cutoverd):"; cat "$TEST_TMP/flows-diff.h$i"; } \
                >> "$TEST_TMP/flows-diff"
            return 1
        fi
    done
}

# cutoverd_host_add N OPENFLOW [ARG...]: lab host N (of lab $LAB_P) in the
# northbound database as a deployment registers it: its OVSDB, OpenFlow
# target and agent on the management network (tcp:), and its provider MAC;
# extra ARGs are passed on (agent=TARGET replaces the lab's, no-agent
# leaves it out).  OPENFLOW is a whole target (with a colon), br-int.mgmt
# (the bridge's own unix socket, unix:RUNDIR/br-int.mgmt, where a bridge
# listens without a controller), or any other word for
# tcp:MGMT_IP:6653, where cutoverd connects and provisioning makes the
# bridge listen.  Hosts listed in $CUTOVER_TEST_PASSIVE_HOSTS (numbers)
# given a word get the passive target ptcp:(6660+N):CONTROLLER_IP instead:
# the switch connects to cutoverd.
cutoverd_host_add() {
    local n=$1 target=$2 d args=() agent=yes a
    shift 2
    d=$(lab_host_dir "$LAB_P" "$n")
    case $target in
        *:*) ;;
        br-int.mgmt) target=unix:$d/run/br-int.mgmt ;;
        *) if [[ " ${CUTOVER_TEST_PASSIVE_HOSTS:-} " = *" $n "* ]]; then
               target=ptcp:$((6660 + n)):$(lab_ctl_ip)
           else
               target=tcp:$(lab_mgmt_ip "$n"):6653
           fi ;;
    esac
    for a in "$@"; do
        case $a in
            no-agent) agent=no ;;
            agent=*) agent=no; args+=("$a") ;;
            *) args+=("$a") ;;
        esac
    done
    if [ "$agent" = yes ] && [ -f "$d/run/cutover-agent.pid" ]; then
        args+=("agent=tcp:$(lab_mgmt_ip "$n"):$LAB_AGENT_PORT")
    fi
    "$top_builddir/controller/cutoverctl" host-add "h$n" \
        "$(lab_host_ip "$n")" "ovsdb=tcp:$(lab_mgmt_ip "$n"):$LAB_OVSDB_PORT" \
        "openflow=$target" "provider-mac=$(lab_host_mac "$n")" "${args[@]}"
}

# routed_world: in lab $LAB_P with cutoverd running and hosts h1-h3, VPC
# vpc1 with subnets web (10.0.0.0/24) and db (10.0.1.0/24) and three ports,
# each with its VM on its home host: vm1 (web, 10.0.0.5) on h1, vm2 (db,
# 10.0.1.5) on h2, vm3 (web, 10.0.0.6) on h3.
routed_world() {
    local ctl=$top_builddir/controller/cutoverctl vm subnet mac ip gw h
    check "vpc1" "$ctl" net-add vpc1 vxlan 1001
    check "web" "$ctl" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 \
        02:00:00:00:01:01
    check "db" "$ctl" subnet-add vpc1 db 10.0.1.0/24 10.0.1.1 \
        02:00:00:00:01:02
    while read -r vm subnet mac ip gw h; do
        check "port $vm" "$ctl" port-add "$vm" "$subnet" "$mac" "ip=$ip" \
            "home=h$h"
        check "VM $vm" lab_vm_add "$LAB_P" "$vm" "$h" "$mac" "$ip/24" \
            --gw "$gw"
    done <<EOF
vm1 web 02:00:0a:00:00:01 10.0.0.5 10.0.0.1 1
vm2 db 02:00:0a:00:01:02 10.0.1.5 10.0.1.1 2
vm3 web 02:00:0a:00:00:03 10.0.0.6 10.0.0.1 3
EOF
}

# migration_world [H2-OPTION...]: what the migration tests share, in lab
# $LAB_P with cutoverd running: hosts h1-h3 (extra arguments go to h2's
# host-add, e.g. agent=TARGET or no-agent), VPC vpc1 with subnet web, port vm1 (home
# h1, 10.0.0.5) with an instance on h1 and a second one (tag d, interface
# vm1d, link down: a destination VMM waiting) on h2, and port vm2 (home h3,
# 10.0.0.6) with its instance on h3.  Sets VM1_KEY, vm1's tunnel key.
migration_world() {
    local ctl=$top_builddir/controller/cutoverctl
    check "h1" cutoverd_host_add 1 br-int.cutover
    check "h2" cutoverd_host_add 2 br-int.cutover "$@"
    check "h3" cutoverd_host_add 3 br-int.cutover
    check "vpc1" "$ctl" net-add vpc1 vxlan 1001
    check "web" "$ctl" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 \
        02:00:00:00:01:01
    check "port vm1" "$ctl" port-add vm1 web 02:00:0a:00:00:05 ip=10.0.0.5 \
        home=h1
    check "port vm2" "$ctl" port-add vm2 web 02:00:0a:00:00:06 ip=10.0.0.6 \
        home=h3
    check "vm1 on h1" lab_vm_add "$LAB_P" vm1 1 02:00:0a:00:00:05 10.0.0.5/24
    check "vm1 on h2" lab_vm_add "$LAB_P" vm1 2 02:00:0a:00:00:05 \
        10.0.0.5/24 --tag d --iface vm1d
    check "vm2 on h3" lab_vm_add "$LAB_P" vm2 3 02:00:0a:00:00:06 10.0.0.6/24
    check "vm1's instance on h2 waits" \
        ip -n "$(lab_vm_ns "$LAB_P" vm1 2 d)" link set eth0 down
    VM1_KEY=$("$ctl" -f csv port-list | awk -F, '$1 == "vm1" {print $2}')
    case $VM1_KEY in
        ''|*[!0-9]*) fail "no tunnel key for vm1: '$VM1_KEY'" ;;
    esac
}

# vm1_admission N: vm1's ingress on host N of lab $LAB_P (KEY: its tunnel
# key): goto_table:10 (open) or drop (the admission flow, priority 100; not
# the source's drain at 105).
vm1_admission() {
    lab_ofctl "$LAB_P" "$1" dump-flows br-int --no-stats "table=5,reg7=$KEY" \
        | grep 'priority=100,' | sed -n 's/.*actions=//p'
}

# expect_vm1_open A B: once every host has cutoverd's flows, vm1's ingress
# is open on host A and closed on host B.
expect_vm1_open() {
    wait_until 20 "flows in sync" cutoverd_flows_in_sync 3
    check_eq "vm1 open on h$1" "$(vm1_admission "$1")" goto_table:10
    check_eq "vm1 closed on h$2" "$(vm1_admission "$2")" drop
}

# nb_dump: the northbound database's contents, sorted (to compare states).
nb_dump() {
    ovsdb-client dump "$NB_DB" Cutover_Northbound | sort
}
