# lab-lib.sh: simulated hypervisors with real Open vSwitch, in network namespaces.
#
# A bash library (sourced by tests/lab/lab, the integration tests and the
# harness).  A lab is:
#
#   PREFIX-ul     the physical network: Linux bridges (real learning
#                 switches), one per VLAN: 'phys' is the untagged tunnel
#                 underlay 172.16.0.0/24, 'vlan100' is provider VLAN 100
#                 (203.0.113.0/24).  The kernels we run on have neither
#                 802.1Q devices nor bridge VLAN filtering
#                 (CONFIG_VLAN_8021Q, CONFIG_BRIDGE_VLAN_FILTERING unset), so
#                 a trunk is one cable per VLAN and tagging happens in OVS
#                 (docs/lab.md).
#   PREFIX-hN     host N: its own ovsdb-server and ovs-vswitchd (userspace
#                 datapath, private run/db/log directories), an integration
#                 bridge br-int (fail_mode=secure) and an uplink bridge br-phy
#                 holding the tunnel IP 172.16.0.(10+N) on its internal port.
#                 br-phy's 'eth0' is cabled to 'phys' (port hN, untagged only)
#                 and its 'eth1' to 'vlan100' (port hN-v100, an OVS access
#                 port with tag 100: frames tagged 100 in OVS leave untagged
#                 on that cable).
#   PREFIX-mgmt   the management network: Linux bridge 'mgmt', 192.0.2.0/24,
#                 a cable to every host ('mgmt0', 192.0.2.(10+N)) and one to
#                 the controller's machine.
#   PREFIX-ctl    the controller's machine: 192.0.2.1 on the management
#                 network, nothing else; the northbound database and
#                 cutoverd run here and reach the hosts over TCP or SSL only
#                 (each host's ovsdb-server listens on 192.0.2.(10+N):6640,
#                 its agent on :6655, its br-int where cutoverd asks).
#   PREFIX-edge   the edge router: kernel routing and ARP cache, 'eth0' on the
#                 provider VLAN (203.0.113.1), 'eth1' to the internet
#                 namespace (198.51.100.1).
#   PREFIX-inet   'the internet': 198.51.100.2, default route via the edge.
#   PREFIX-VM-hN  a VM instance on host N: veth 'eth0' whose peer is attached
#                 to br-int with external_ids:iface-id=VM.
#
# With an agent (lab up --agent PATH), every host also runs its
# cutover-announcer: its DPDK port is a veth ann0/ann1 in the host's
# namespace, ann0 in br-int (iface-id cutover-announcer).
#
# Everything the lab makes is recorded under $LAB_ROOT/PREFIX as it is made
# (namespaces, pid files), so that lab_down removes all of it, even after the
# process that built it was killed half way.  No process is ever stopped by
# name: only by the pids recorded in our pid files, and the processes that
# live in our own namespaces.

LAB_ROOT=${CUTOVER_LAB_ROOT:-/tmp/cutover-lab}
LAB_OVS_SCHEMA=${CUTOVER_OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
LAB_UNDERLAY_NET=172.16.0
LAB_PROVIDER_VLAN=100
LAB_PROVIDER_NET=203.0.113
LAB_INET_NET=198.51.100
LAB_VM_MTU=1400
LAB_MGMT_NET=192.0.2
LAB_OVSDB_PORT=6640
LAB_AGENT_PORT=6655

lab_log() {
    echo "lab: $*" >&2
}

lab_die() {
    echo "lab: error: $*" >&2
    return 1
}

# lab_dir PREFIX: the lab's state directory.
lab_dir() {
    echo "$LAB_ROOT/$1"
}

# lab_check_prefix PREFIX: prefixes name namespaces and directories.
lab_check_prefix() {
    case $1 in
        ''|*[!a-zA-Z0-9]*)
            lab_die "prefix '$1' must be letters and digits only"
            return 1 ;;
    esac
    if [ ${#1} -gt 10 ]; then
        lab_die "prefix '$1' is longer than 10 characters"
        return 1
    fi
}

# lab_new_prefix: a prefix no lab uses.
lab_new_prefix() {
    local p
    while :; do
        p=co$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
        [ -e "$(lab_dir "$p")" ] || { echo "$p"; return 0; }
    done
}

# lab_host_ns PREFIX N, lab_host_dir PREFIX N.
lab_host_ns() { echo "$1-h$2"; }
lab_host_dir() { echo "$(lab_dir "$1")/h$2"; }

# lab_host_ip N: host N's tunnel IP.
lab_host_ip() { echo "$LAB_UNDERLAY_NET.$((10 + $1))"; }

# lab_host_mac N: the MAC of host N's br-phy (fixed, so neighbours can be
# pre-seeded).
lab_host_mac() { printf '02:00:ac:10:00:%02x\n' $((10 + $1)); }

# lab_mgmt_ip N: host N's address on the management network; lab_ctl_ip:
# the controller's machine's; lab_ctl_ns PREFIX: its namespace.
lab_mgmt_ip() { echo "$LAB_MGMT_NET.$((10 + $1))"; }
lab_ctl_ip() { echo "$LAB_MGMT_NET.1"; }
lab_ctl_ns() { echo "$1-ctl"; }

# lab_n_hosts PREFIX.
lab_n_hosts() {
    cat "$(lab_dir "$1")/n_hosts" 2>/dev/null || echo 0
}

# lab_netns_add PREFIX NAME: creates namespace NAME, recording it first.
lab_netns_add() {
    echo "$2" >> "$(lab_dir "$1")/namespaces"
    ip netns add "$2" || return 1
    ip -n "$2" link set lo up
}

# lab_host_env PREFIX N: the environment under which OVS tools talk to host
# N's daemons (ovs-vsctl, ovs-ofctl br-int, ovs-appctl -t ovs-vswitchd...).
lab_host_env() {
    local d
    d=$(lab_host_dir "$1" "$2")
    echo "OVS_RUNDIR=$d/run OVS_DBDIR=$d/db OVS_LOGDIR=$d/log" \
         "OVS_SYSCONFDIR=$d/etc"
}

# lab_host_exec PREFIX N CMD...: runs CMD in host N's namespace with its OVS
# environment.
lab_host_exec() {
    local p=$1 n=$2
    shift 2
    # shellcheck disable=SC2046
    ip netns exec "$(lab_host_ns "$p" "$n")" env $(lab_host_env "$p" "$n") "$@"
}

# lab_vsctl PREFIX N ARGS...: ovs-vsctl on host N.
lab_vsctl() {
    local p=$1 n=$2
    shift 2
    lab_host_exec "$p" "$n" ovs-vsctl --timeout=30 "$@"
}

# lab_ofctl PREFIX N ARGS...: ovs-ofctl (OpenFlow 1.5) on host N.
lab_ofctl() {
    local p=$1 n=$2
    shift 2
    lab_host_exec "$p" "$n" ovs-ofctl -O OpenFlow15 "$@"
}

# lab_appctl PREFIX N TARGET ARGS...: ovs-appctl on host N's daemon TARGET.
lab_appctl() {
    local p=$1 n=$2
    shift 2
    lab_host_exec "$p" "$n" ovs-appctl --timeout=30 -t "$@"
}

# The niceness of every host's ovs-vswitchd.  A hypervisor gives its switch
# CPU of its own (a kernel datapath forwards in softirq, OVS-DPDK's PMD
# threads have pinned cores); the lab's userspace switches share two cores
# with the guests, and their main thread polls the VM interfaces through
# packet sockets, whose receive buffers overflow when it is not scheduled
# for a while (a TCG guest's migration takes both cores).  A higher
# priority keeps the lab's switches forwarding as a host's would.
LAB_VSWITCHD_NICE=${LAB_VSWITCHD_NICE:--5}

# lab_start_vswitchd PREFIX N: host N's ovs-vswitchd.  Its control socket
# has a fixed name, run/ovs-vswitchd.ctl, so that it stays the same across
# restarts.
lab_start_vswitchd() {
    local p=$1 n=$2 d
    d=$(lab_host_dir "$p" "$n")
    lab_host_exec "$p" "$n" nice -n "$LAB_VSWITCHD_NICE" \
        ovs-vswitchd "unix:$d/run/db.sock" \
        --pidfile="$d/run/ovs-vswitchd.pid" \
        --unixctl="$d/run/ovs-vswitchd.ctl" \
        --log-file="$d/log/ovs-vswitchd.log" \
        --detach --no-chdir -vconsole:off 2>>"$d/log/ovs-vswitchd.stderr" || {
        lab_die "h$n: ovs-vswitchd did not start, see $d/log/ovs-vswitchd.log"
        return 1
    }
    # 'ovs-appctl -t ovs-vswitchd' looks for ovs-vswitchd.PID.ctl.
    ln -sf ovs-vswitchd.ctl \
        "$d/run/ovs-vswitchd.$(cat "$d/run/ovs-vswitchd.pid").ctl"
}

# lab_restart_vswitchd PREFIX N: stops host N's ovs-vswitchd the hard way
# (SIGKILL: a crash, nothing cleaned up) and starts it again.  It comes back
# with an empty flow table and empty tunnel neighbour cache.
lab_restart_vswitchd() {
    local p=$1 n=$2 d pid
    d=$(lab_host_dir "$p" "$n")
    pid=$(lab_pidfile_pid "$d/run/ovs-vswitchd.pid")
    [ -n "$pid" ] || { lab_die "h$n: ovs-vswitchd is not running"; return 1; }
    kill -KILL "$pid"
    while lab_alive "$pid"; do sleep 0.05; done
    rm -f "$d/run/ovs-vswitchd.pid" "$d/run/ovs-vswitchd.ctl" \
        "$d/run/ovs-vswitchd.$pid.ctl"
    lab_start_vswitchd "$p" "$n"
}

# lab_start_host PREFIX N: host N's namespace, OVS daemons and bridges.
lab_start_host() {
    local p=$1 n=$2 ns d ip mac
    ns=$(lab_host_ns "$p" "$n")
    d=$(lab_host_dir "$p" "$n")
    ip=$(lab_host_ip "$n")
    mac=$(lab_host_mac "$n")

    mkdir -p "$d/run" "$d/db" "$d/log" "$d/etc"
    lab_netns_add "$p" "$ns" || return 1

    # Cables to the physical network: the underlay, and the provider VLAN.
    ip link add eth0 netns "$ns" type veth peer name "h$n" netns "$p-ul" \
        || return 1
    ip -n "$p-ul" link set "h$n" master phys up || return 1
    ip link add eth1 netns "$ns" type veth \
        peer name "h$n-v$LAB_PROVIDER_VLAN" netns "$p-ul" || return 1
    ip -n "$p-ul" link set "h$n-v$LAB_PROVIDER_VLAN" \
        master "vlan$LAB_PROVIDER_VLAN" up || return 1
    ip -n "$ns" link set eth0 up || return 1
    ip -n "$ns" link set eth1 up || return 1

    # The management network: how the controller reaches the host.
    ip link add mgmt0 netns "$ns" type veth peer name "h$n" netns "$p-mgmt" \
        || return 1
    ip -n "$p-mgmt" link set "h$n" master mgmt up || return 1
    ip -n "$ns" addr add "$(lab_mgmt_ip "$n")/24" dev mgmt0 || return 1
    ip -n "$ns" link set mgmt0 up || return 1

    ovsdb-tool create "$d/db/conf.db" "$LAB_OVS_SCHEMA" || return 1
    lab_host_exec "$p" "$n" ovsdb-server "$d/db/conf.db" \
        --remote="punix:$d/run/db.sock" \
        --remote="ptcp:$LAB_OVSDB_PORT:$(lab_mgmt_ip "$n")" \
        --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
        --private-key=db:Open_vSwitch,SSL,private_key \
        --certificate=db:Open_vSwitch,SSL,certificate \
        --ca-cert=db:Open_vSwitch,SSL,ca_cert \
        --pidfile="$d/run/ovsdb-server.pid" \
        --log-file="$d/log/ovsdb-server.log" \
        --detach --no-chdir -vconsole:off 2>>"$d/log/ovsdb-server.stderr" || {
        lab_die "h$n: ovsdb-server did not start, see $d/log/ovsdb-server.log"
        return 1
    }
    lab_vsctl "$p" "$n" --no-wait -- init \
        -- set Open_vSwitch . external_ids:system-id="h$n" \
                              external_ids:hostname="h$n" || return 1
    lab_start_vswitchd "$p" "$n" || return 1

    # The uplink bridge: userspace tunnels need the tunnel IP on an OVS
    # bridge's internal port.
    lab_vsctl "$p" "$n" \
        -- add-br br-phy \
        -- set bridge br-phy datapath_type=netdev \
                             other_config:hwaddr="\"$mac\"" \
        -- set port br-phy trunks=0 \
        -- add-port br-phy eth0 -- set port eth0 trunks=0 \
        -- add-port br-phy eth1 -- set port eth1 tag="$LAB_PROVIDER_VLAN" \
        || return 1
    ip -n "$ns" addr add "$ip/24" dev br-phy || return 1
    ip -n "$ns" link set br-phy up || return 1

    # The integration bridge: secure, so that only flows someone installed
    # forward anything.
    lab_vsctl "$p" "$n" \
        -- add-br br-int \
        -- set bridge br-int datapath_type=netdev fail_mode=secure \
               protocols=OpenFlow13,OpenFlow14,OpenFlow15 \
               other_config:datapath-id="$(printf '%016x' "$n")" \
        || return 1
    ip -n "$ns" link set br-int up || return 1
}

# lab_seed_neighbours PREFIX: every host's OVS learns every other host's
# tunnel MAC in advance (a userspace tunnel drops the packet that misses its
# neighbour cache).
lab_seed_neighbours() {
    local p=$1 n i m
    n=$(lab_n_hosts "$p")
    for i in $(seq 1 "$n"); do
        for m in $(seq 1 "$n"); do
            [ "$i" = "$m" ] && continue
            lab_appctl "$p" "$i" ovs-vswitchd tnl/arp/set br-phy \
                "$(lab_host_ip "$m")" "$(lab_host_mac "$m")" >/dev/null \
                || return 1
        done
    done
}

# lab_start_mgmt PREFIX: the management network's switch and the
# controller's machine on it.
lab_start_mgmt() {
    local p=$1 ctl
    ctl=$(lab_ctl_ns "$p")
    lab_netns_add "$p" "$p-mgmt" || return 1
    ip -n "$p-mgmt" link add mgmt type bridge || return 1
    ip -n "$p-mgmt" link set mgmt up || return 1
    lab_netns_add "$p" "$ctl" || return 1
    ip link add eth0 netns "$ctl" type veth peer name ctl netns "$p-mgmt" \
        || return 1
    ip -n "$p-mgmt" link set ctl master mgmt up || return 1
    ip -n "$ctl" addr add "$(lab_ctl_ip)/24" dev eth0 || return 1
    ip -n "$ctl" link set eth0 up || return 1
}

# lab_start_agent PREFIX N AGENT [OPTION...]: host N's agent, AGENT (the
# path of cutover-announcer), plugged as a deployment plugs it: a veth
# ann0/ann1 in the host's namespace, ann0 in br-int (iface-id
# cutover-announcer), the agent on ann1 through DPDK's net_af_packet, with
# its control socket run/cutover-agent.ctl, its pidfile and log in the
# host's directories, the host's ovs-vswitchd's control socket for tunnel
# neighbours, and control commands on the management network
# (ptcp:6655:MGMT_IP) unless OPTIONs give a --remote.  OPTIONs go after
# the EAL's '--'.  Its EAL files are /var/run/dpdk/PREFIX-hN.
lab_start_agent() {
    local p=$1 n=$2 agent=$3 ns d i remote=() lcore
    shift 3
    ns=$(lab_host_ns "$p" "$n")
    d=$(lab_host_dir "$p" "$n")
    [ -x "$agent" ] || { lab_die "agent '$agent' is not an executable"; return 1; }
    case " $* " in
        *" --remote="*|*" --remote "*) ;;
        *) remote=(--remote="ptcp:$LAB_AGENT_PORT:$(lab_mgmt_ip "$n")") ;;
    esac
    ip -n "$ns" link add ann0 type veth peer name ann1 || return 1
    for i in ann0 ann1; do
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" \
            || return 1
        ip -n "$ns" link set "$i" up || return 1
    done
    lab_vsctl "$p" "$n" add-port br-int ann0 \
        -- set interface ann0 external_ids:iface-id=cutover-announcer \
        || return 1
    echo "$p-h$n" >> "$(lab_dir "$p")/dpdk-prefixes"
    # Agents spread over the cores: the EAL pins its main thread.
    lcore=$(( n % $(nproc) ))
    rm -f "$d/run/cutover-agent.pid"
    lab_host_exec "$p" "$n" "$agent" -l "$lcore" --no-pci --no-huge -m 64 \
        --no-shconf --no-telemetry --file-prefix="$p-h$n" \
        --vdev="net_af_packet0,iface=ann1,framecnt=4096" \
        -- --unixctl="$d/run/cutover-agent.ctl" \
        --pidfile="$d/run/cutover-agent.pid" \
        --log-file="$d/log/cutover-agent.log" \
        --ovs-vswitchd="$d/run/ovs-vswitchd.ctl" \
        --detach --no-chdir -vconsole:off "${remote[@]}" "$@" \
        2>>"$d/log/cutover-agent.stderr" || {
        lab_die "h$n: the agent did not start: $(tail -3 "$d/log/cutover-agent.stderr")"
        return 1
    }
}

# lab_agent_ctl PREFIX N: host N's agent's control socket.
lab_agent_ctl() { echo "$(lab_host_dir "$1" "$2")/run/cutover-agent.ctl"; }

# lab_stop_agent PREFIX N: stops host N's agent (SIGKILL, as a crash).
lab_stop_agent() {
    local pid
    pid=$(lab_pidfile_pid "$(lab_host_dir "$1" "$2")/run/cutover-agent.pid")
    [ -n "$pid" ] || return 0
    kill -KILL "$pid"
    while lab_alive "$pid"; do sleep 0.05; done
}

# lab_start_edge PREFIX: the edge router and the internet behind it.
lab_start_edge() {
    local p=$1
    lab_netns_add "$p" "$p-edge" || return 1
    lab_netns_add "$p" "$p-inet" || return 1

    # The router's provider-side port: on the provider VLAN's switch.
    ip link add eth0 netns "$p-edge" type veth peer name edge netns "$p-ul" \
        || return 1
    ip -n "$p-ul" link set edge master "vlan$LAB_PROVIDER_VLAN" up || return 1
    ip -n "$p-edge" addr add "$LAB_PROVIDER_NET.1/24" dev eth0 || return 1
    ip -n "$p-edge" addr add 2001:db8:cafe::1/64 dev eth0 nodad || return 1
    ip -n "$p-edge" link set eth0 up || return 1

    ip link add eth1 netns "$p-edge" type veth peer name eth0 netns "$p-inet" \
        || return 1
    ip -n "$p-edge" addr add "$LAB_INET_NET.1/24" dev eth1 || return 1
    ip -n "$p-edge" addr add 2001:db8:ffff::1/64 dev eth1 nodad || return 1
    ip -n "$p-edge" link set eth1 up || return 1
    ip netns exec "$p-edge" sysctl -qw net.ipv4.ip_forward=1 \
        net.ipv6.conf.all.forwarding=1 || return 1

    ip -n "$p-inet" addr add "$LAB_INET_NET.2/24" dev eth0 || return 1
    ip -n "$p-inet" addr add 2001:db8:ffff::2/64 dev eth0 nodad || return 1
    ip -n "$p-inet" link set eth0 up || return 1
    ip -n "$p-inet" route add default via "$LAB_INET_NET.1" || return 1
    ip -n "$p-inet" -6 route add default via 2001:db8:ffff::1 || return 1
}

# lab_up PREFIX N_HOSTS [--no-neigh] [--agent PATH]: builds a lab; with
# --agent, every host runs its agent PATH (lab_start_agent).  On failure,
# removes what it made and returns 1.
lab_up() {
    local p=$1 n=$2 seed=seed agent= libvirt= d i
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
            --no-neigh|noseed) seed=noseed; shift ;;
            seed) shift ;;
            --agent) agent=${2:-}; shift 2 || { lab_die "--agent needs a path"; return 1; } ;;
            --libvirt) libvirt=1; shift ;;
            *) lab_die "unknown option '$1'"; return 1 ;;
        esac
    done
    lab_check_prefix "$p" || return 1
    case $n in
        ''|*[!0-9]*|0) lab_die "number of hosts must be 1 to 9, not '$n'"
                       return 1 ;;
    esac
    if [ "$n" -gt 9 ]; then
        lab_die "number of hosts must be 1 to 9, not '$n'"
        return 1
    fi
    d=$(lab_dir "$p")
    if [ -e "$d" ]; then
        lab_die "lab '$p' exists already ($d): 'lab down $p' first"
        return 1
    fi
    for cmd in ovsdb-server ovs-vswitchd ovsdb-tool ovs-vsctl ip bridge; do
        command -v "$cmd" >/dev/null || {
            lab_die "$cmd not found (Debian packages: openvswitch-switch iproute2)"
            return 1
        }
    done
    [ -r "$LAB_OVS_SCHEMA" ] || {
        lab_die "$LAB_OVS_SCHEMA not found (Debian package openvswitch-common)"
        return 1
    }

    mkdir -p "$d" || return 1
    : > "$d/namespaces"
    echo "$n" > "$d/n_hosts"
    : > "$d/vms"

    if ! {
        lab_netns_add "$p" "$p-ul" &&
        ip -n "$p-ul" link add phys type bridge &&
        ip -n "$p-ul" link set phys up &&
        ip -n "$p-ul" link add "vlan$LAB_PROVIDER_VLAN" type bridge &&
        ip -n "$p-ul" link set "vlan$LAB_PROVIDER_VLAN" up
    }; then
        lab_die "cannot create the underlay"
        lab_down "$p"
        return 1
    fi
    if ! lab_start_mgmt "$p"; then
        lab_die "cannot create the management network"
        lab_down "$p"
        return 1
    fi
    for i in $(seq 1 "$n"); do
        if ! lab_start_host "$p" "$i"; then
            lab_die "cannot start host h$i"
            lab_down "$p"
            return 1
        fi
    done
    if [ "$seed" = seed ] && ! lab_seed_neighbours "$p"; then
        lab_die "cannot seed tunnel neighbours"
        lab_down "$p"
        return 1
    fi
    if ! lab_start_edge "$p"; then
        lab_die "cannot start the edge router"
        lab_down "$p"
        return 1
    fi
    if [ -n "$agent" ]; then
        echo "$agent" > "$d/agent"
        for i in $(seq 1 "$n"); do
            if ! lab_start_agent "$p" "$i" "$agent"; then
                lab_down "$p"
                return 1
            fi
        done
    fi
    if [ -n "$libvirt" ]; then
        for i in $(seq 1 "$n"); do
            if ! lab_libvirt_start "$p" "$i"; then
                lab_down "$p"
                return 1
            fi
        done
    fi
    date +%s > "$d/up"
}

# lab_pidfile_pid PIDFILE: prints the pid of PIDFILE if it still belongs to
# a process started from the pid file's directory (a recycled pid would
# belong to another program: its command line would not name our directory).
lab_pidfile_pid() {
    local f=$1 pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null)
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null \
        | grep -qF "$(dirname "$f")" && echo "$pid"
    return 0
}

# lab_alive PID: true if PID runs (a zombie does not: a daemon that died is
# a zombie until whoever adopted it reaps it, which may be never).
lab_alive() {
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}

# lab_stop_pids PID...: SIGTERM to all, then SIGKILL to those still there
# after 5 s.  Stopping in parallel matters: ovs-vswitchd takes about a second
# to exit.
lab_stop_pids() {
    local pid i left
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null
    for i in $(seq 50); do
        left=
        for pid in "$@"; do
            lab_alive "$pid" && left=1
        done
        [ -n "$left" ] || return 0
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null
    return 0
}

# lab_down PREFIX: removes everything lab PREFIX made.  Safe to call on a
# half-built or half-removed lab.
lab_down() {
    local p=$1 d ns pid pids f n asked=
    lab_check_prefix "$p" || return 1
    d=$(lab_dir "$p")
    [ -d "$d" ] || { lab_die "no lab '$p' (nothing in $d)"; return 1; }

    # Daemons by their pid files: the agents (they give DPDK's port back
    # on SIGTERM), every ovs-vswitchd (asked to exit, all hosts at once: it
    # takes about a second), then the databases (killed: they are thrown
    # away, and ovsdb-server takes two seconds to exit politely), then
    # anything else a test recorded in $d/pids.
    pids=
    for f in "$d"/h*/run/cutover-agent.pid; do
        pid=$(lab_pidfile_pid "$f")
        [ -n "$pid" ] && pids="$pids $pid"
    done
    # shellcheck disable=SC2086
    lab_stop_pids $pids
    if [ -f "$d/dpdk-prefixes" ]; then
        while read -r f; do
            case $f in "$p"-h[0-9]) rm -rf "/var/run/dpdk/$f" ;; esac
        done < "$d/dpdk-prefixes"
    fi
    pids=
    for f in "$d"/h*/run/ovs-vswitchd.pid; do
        pid=$(lab_pidfile_pid "$f")
        [ -n "$pid" ] || continue
        pids="$pids $pid"
        n=${f#"$d"/h}
        n=${n%%/*}
        lab_host_exec "$p" "$n" ovs-appctl --timeout=2 -t ovs-vswitchd exit \
            >/dev/null 2>&1 &
        asked="$asked $!"
    done
    # Only our own requests: a bare 'wait' would also wait for whatever the
    # caller runs in the background.
    # shellcheck disable=SC2086
    [ -z "$asked" ] || wait $asked
    # shellcheck disable=SC2086
    lab_stop_pids $pids
    for f in "$d"/h*/run/ovsdb-server.pid; do
        pid=$(lab_pidfile_pid "$f")
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    done
    for f in "$d"/pids/*.pid; do
        # shellcheck disable=SC2046
        lab_stop_pids $(lab_pidfile_pid "$f")
    done
    # Whatever else still runs inside our namespaces (loss meters, shells).
    if [ -f "$d/namespaces" ]; then
        while read -r ns; do
            [ -n "$ns" ] || continue
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null
            done
        done < "$d/namespaces"
        while read -r ns; do
            [ -n "$ns" ] || continue
            ip netns del "$ns" 2>/dev/null
        done < "$d/namespaces"
    fi
    rm -rf "$d"
}

# lab_list: the labs that exist.
lab_list() {
    local d
    for d in "$LAB_ROOT"/*/; do
        [ -f "$d/n_hosts" ] && basename "$d"
    done
    return 0
}

# lab_leftovers PREFIX: prints anything of lab PREFIX that still exists
# (namespaces, directory, processes); prints nothing if it is all gone.
lab_leftovers() {
    local p=$1
    ip netns list | awk '{print $1}' | grep -E "^$p-" | sed 's/^/namespace /'
    [ -e "$(lab_dir "$p")" ] && echo "directory $(lab_dir "$p")"
    # Processes whose command line names our directory.
    grep -lsF -f <(echo "$(lab_dir "$p")/") /proc/[0-9]*/cmdline 2>/dev/null \
        | sed 's|/proc/\([0-9]*\)/cmdline|process \1|'
    return 0
}

# lab_vm_ns PREFIX VM HOST [TAG]: the namespace of a VM instance.
lab_vm_ns() {
    echo "$1-$2-h$3${4:+-$4}"
}

# lab_vm_add PREFIX VM HOST MAC IP/LEN [options...]: a VM instance on host
# HOST (a number), attached to br-int with iface-id VM.
#   --ip6 ADDR/LEN   an IPv6 address too
#   --gw IP          default route
#   --iface NAME     host-side interface name (default VM; names must differ
#                    for two instances on one host)
#   --tag TAG        instance tag, for a second instance on the same host
#   --ofport N       OpenFlow port number to request
#   --external-id K=V  another external_ids key of the interface, set in the
#                    same transaction (e.g. cutover-incoming=true: the new
#                    VMM's interface of a local migration)
lab_vm_add() {
    local p=$1 vm=$2 h=$3 mac=$4 ip=$5
    shift 5
    local ip6='' gw='' iface=$vm tag='' ofport='' ns hns
    local -a extra=()
    while [ $# -gt 0 ]; do
        case $1 in
            --external-id)
                case ${2:-} in
                    ?*=*) extra+=("external_ids:$2") ;;
                    *) lab_die "vm add: --external-id needs KEY=VALUE, not '${2:-}'"
                       return 1 ;;
                esac
                shift 2 ;;
            --ip6) ip6=$2; shift 2 ;;
            --gw) gw=$2; shift 2 ;;
            --iface) iface=$2; shift 2 ;;
            --tag) tag=$2; shift 2 ;;
            --ofport) ofport=$2; shift 2 ;;
            *) lab_die "vm add: unknown option '$1'"; return 1 ;;
        esac
    done
    case $vm in
        ''|*[!a-zA-Z0-9]*) lab_die "VM name '$vm' must be letters and digits"
                           return 1 ;;
    esac
    if [ ${#iface} -gt 15 ]; then
        lab_die "interface name '$iface' is longer than 15 characters"
        return 1
    fi
    case $h in
        ''|*[!0-9]*) lab_die "host must be a number, not '$h'"; return 1 ;;
    esac
    if [ "$h" -lt 1 ] || [ "$h" -gt "$(lab_n_hosts "$p")" ]; then
        lab_die "no host h$h in lab '$p'"
        return 1
    fi
    ns=$(lab_vm_ns "$p" "$vm" "$h" "$tag")
    hns=$(lab_host_ns "$p" "$h")
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        lab_die "VM instance $vm on h$h${tag:+ ($tag)} exists already"
        return 1
    fi

    lab_netns_add "$p" "$ns" || return 1
    ip link add eth0 netns "$ns" type veth peer name "$iface" netns "$hns" \
        || return 1
    ip -n "$ns" link set eth0 address "$mac" mtu "$LAB_VM_MTU" || return 1
    ip -n "$ns" addr add "$ip" dev eth0 || return 1
    if [ -n "$ip6" ]; then
        ip -n "$ns" addr add "$ip6" dev eth0 nodad || return 1
    fi
    # TCP through a veth into a userspace bridge needs checksums computed
    # by the sender.
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || return 1
    ip -n "$ns" link set eth0 up || return 1
    ip -n "$hns" link set "$iface" mtu "$LAB_VM_MTU" up || return 1
    if [ -n "$gw" ]; then
        ip -n "$ns" route add default via "$gw" || return 1
    fi
    lab_vsctl "$p" "$h" -- add-port br-int "$iface" \
        -- set interface "$iface" external_ids:iface-id="$vm" \
               external_ids:attached-mac="$mac" "${extra[@]}" \
               ${ofport:+ofport_request=$ofport} || return 1
    echo "$vm h$h ${tag:--} $ns $iface $mac ${ip%/*}" >> "$(lab_dir "$p")/vms"
}

# lab_qemu_add PREFIX VM HOST MAC IP/LEN [--gw IP] [--tag TAG]
#     [--iface NAME] [--incoming] [--initrd FILE] [--ctl PORT]: VM as a real
# QEMU guest on host HOST: a tap NAME (default VM) in the host's namespace,
# in br-int with iface-id VM, and QEMU on it (lab_qemu_start, which says
# the rest).
lab_qemu_add() {
    local iface=$2 i j
    for ((i = 6; i < $#; i++)); do
        j=$((i + 1))
        [ "${!i}" = --iface ] && iface=${!j}
    done
    lab_qemu_tap "$1" "$3" "$iface" "$2" "$4" || return 1
    lab_qemu_start "$@"
}

# lab_qemu_tap PREFIX HOST IFACE VM MAC [OWNER]: a tap IFACE in host
# HOST's namespace, in br-int with iface-id VM, for a QEMU to open (one
# after the other: the tap stays when its QEMU leaves); with OWNER, that
# user may open it.
lab_qemu_tap() {
    local p=$1 h=$2 iface=$3 vm=$4 mac=$5 owner=${6:-}
    lab_host_exec "$p" "$h" ip tuntap add "$iface" mode tap \
        ${owner:+user "$owner"} || return 1
    lab_host_exec "$p" "$h" ip link set "$iface" mtu "$LAB_VM_MTU" up \
        || return 1
    lab_vsctl "$p" "$h" -- add-port br-int "$iface" \
        -- set interface "$iface" external_ids:iface-id="$vm" \
               external_ids:attached-mac="$mac" || return 1
}

# Prints the directory of the lab's guest (tests/lab/guest-image's
# kernel and initramfs: $LAB_GUEST_DIR, else the cache), or fails if it
# was not built.
lab_guest_dir() {
    local guest=${LAB_GUEST_DIR:-/var/cache/cutover/guest}
    [ -f "$guest/vmlinuz" ] && [ -f "$guest/initramfs.cpio.gz" ] || {
        lab_die "no guest in $guest: build it with tests/lab/guest-image"
        return 1
    }
    echo "$guest"
}

# Prints the guest's kernel command line for address IP/LEN, gateway GW
# and control port CTL (either may be empty).
lab_guest_cmdline() {
    echo "console=ttyS0 quiet panic=-1 cutover.ip=$1${2:+ cutover.gw=$2}${3:+ cutover.ctl=$3}"
}

# lab_qemu_start PREFIX VM HOST MAC IP/LEN [--gw IP] [--tag TAG]
#     [--iface NAME] [--incoming] [--initrd FILE] [--ctl PORT]: QEMU (TCG,
# 256 MB) running the guest of tests/lab/guest-image, which must be built
# (its directory is $LAB_GUEST_DIR, default /var/cache/cutover/guest), on
# the existing tap NAME (default VM) of host HOST; two QMP sockets,
# hN/run/VM[-TAG].qmp (for the hook) and .qmp2 (for whoever drives the
# migration); its console in hN/log/VM[-TAG].console, its pidfile in
# P/pids (lab_down stops it, as does lab_qemu_stop).  With --incoming, QEMU
# waits for a migration (-incoming defer) instead of booting; --initrd
# boots FILE (lab_guest_initrd) instead of the guest's own initramfs;
# --ctl runs the guest's control shell on PORT (guest-image).  Returns
# once QEMU runs (not once the guest booted: "cutover-guest: ready" on its
# console says that).
lab_qemu_start() {
    local p=$1 vm=$2 h=$3 mac=$4 ip=$5
    shift 5
    local gw='' tag='' iface=$vm incoming=() d hd name guest append initrd ctl=''
    while [ $# -gt 0 ]; do
        case $1 in
            --gw) gw=$2; shift 2 ;;
            --tag) tag=$2; shift 2 ;;
            --iface) iface=$2; shift 2 ;;
            --incoming) incoming=(-incoming defer); shift ;;
            --initrd) initrd=$2; shift 2 ;;
            --ctl) ctl=$2; shift 2 ;;
            *) lab_die "qemu start: unknown option '$1'"; return 1 ;;
        esac
    done
    guest=$(lab_guest_dir) || return 1
    : "${initrd:=$guest/initramfs.cpio.gz}"
    command -v qemu-system-x86_64 >/dev/null || {
        lab_die "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
        return 1
    }
    d=$(lab_dir "$p")
    hd=$(lab_host_dir "$p" "$h")
    name=$vm${tag:+-$tag}
    mkdir -p "$d/pids"
    rm -f "$hd/run/$name.qmp" "$hd/run/$name.qmp2"
    append=$(lab_guest_cmdline "$ip" "$gw" "$ctl")
    lab_host_exec "$p" "$h" qemu-system-x86_64 -name "$name" \
        -accel tcg -cpu qemu64 -m 256 -nodefaults -display none \
        -kernel "$guest/vmlinuz" -initrd "$initrd" \
        -append "$append" -serial "file:$hd/log/$name.console" \
        -netdev "tap,id=n0,ifname=$iface,script=no,downscript=no,vnet_hdr=off" \
        -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" \
        -qmp "unix:$hd/run/$name.qmp,server=on,wait=off" \
        -qmp "unix:$hd/run/$name.qmp2,server=on,wait=off" \
        "${incoming[@]}" -daemonize -pidfile "$d/pids/qemu-$name-h$h.pid" \
        2>>"$hd/log/$name.qemu.stderr" || {
        lab_die "h$h: QEMU for $name did not start: $(tail -2 "$hd/log/$name.qemu.stderr")"
        return 1
    }
}

# lab_qemu_stop PREFIX VM HOST [TAG]: stops that QEMU (SIGKILL: what it
# ran is gone or has migrated) and waits until it left; its tap stays.
lab_qemu_stop() {
    local f pid
    f=$(lab_dir "$1")/pids/qemu-$2${4:+-$4}-h$3.pid
    pid=$(lab_pidfile_pid "$f")
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null
        while lab_alive "$pid"; do sleep 0.05; done
    fi
    rm -f "$f"
}

# lab_guest_initrd OUT PROGRAM...: OUT, the guest's initramfs with PROGRAMs
# added in /bin (each with the shared libraries ldd names, at their paths):
# a second compressed cpio archive appended to the first, which the kernel
# unpacks over it.
lab_guest_initrd() {
    local out=$1 guest root prog lib
    shift
    guest=${LAB_GUEST_DIR:-/var/cache/cutover/guest}
    [ -f "$guest/initramfs.cpio.gz" ] || {
        lab_die "no guest in $guest: build it with tests/lab/guest-image"
        return 1
    }
    root=$(mktemp -d /tmp/cutover-initrd.XXXXXX) || return 1
    mkdir -p "$root/bin"
    for prog in "$@"; do
        cp "$prog" "$root/bin/" || { rm -rf "$root"; return 1; }
        for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib" || { rm -rf "$root"; return 1; }
        done
    done
    {
        cat "$guest/initramfs.cpio.gz"
        (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1)
    } > "$out"
    local rc=$?
    rm -rf "$root"
    return $rc
}

# lab_qemu_ready PREFIX VM HOST [TAG]: true once the guest's console says
# it is ready.
lab_qemu_ready() {
    grep -q "cutover-guest: ready" \
        "$(lab_host_dir "$1" "$3")/log/$2${4:+-$4}.console" 2>/dev/null
}

# The unprivileged user the lab's libvirtds run as (libvirtd in session
# mode: as root, libvirtd is the system's, with fixed directories).
LAB_LIBVIRT_USER=${LAB_LIBVIRT_USER:-cutover-lab}

# lab_libvirt_dir PREFIX HOST: where host HOST's libvirtd keeps everything.
lab_libvirt_dir() { echo "$(lab_host_dir "$1" "$2")/libvirt"; }

# lab_libvirt_uri PREFIX HOST: the URI of host HOST's libvirtd.
lab_libvirt_uri() {
    echo "qemu:///session?socket=$(lab_libvirt_dir "$1" "$2")/run/libvirt/libvirt-sock"
}

# lab_virsh PREFIX HOST ARGS...: virsh on host HOST's libvirtd.
lab_virsh() {
    local p=$1 h=$2
    shift 2
    virsh -q -c "$(lab_libvirt_uri "$p" "$h")" "$@"
}

# lab_libvirt_start PREFIX HOST: a libvirtd of host HOST's own, as a
# hypervisor has one: in the host's namespace, with its own identity
# (host_uuid) and directories under hN/libvirt, QEMU's driver with
# QEMU's output in files (no virtlogd) and no security driver.  It runs in
# session mode as $LAB_LIBVIRT_USER (created if missing: a system user
# without a home or a shell), since a root libvirtd is the system's one.
# Returns once it answers.
lab_libvirt_start() {
    local p=$1 h=$2 d i
    command -v libvirtd >/dev/null && command -v virsh >/dev/null || {
        lab_die "libvirtd or virsh not found (Debian packages libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)"
        return 1
    }
    if ! id -u "$LAB_LIBVIRT_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$LAB_LIBVIRT_USER" || {
            lab_die "cannot create the user $LAB_LIBVIRT_USER"
            return 1
        }
    fi
    d=$(lab_libvirt_dir "$p" "$h")
    mkdir -p "$d"/run "$d"/config/libvirt "$d"/cache "$d"/data "$d"/home \
        "$d"/log || return 1
    cat > "$d/config/libvirt/libvirtd.conf" <<EOT
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
log_outputs = "3:file:$d/log/libvirtd.log"
EOT
    cat > "$d/config/libvirt/qemu.conf" <<EOT
stdio_handler = "file"
security_driver = "none"
EOT
    chown -R "$LAB_LIBVIRT_USER:" "$d" || return 1
    chmod 0700 "$d/run"
    lab_host_exec "$p" "$h" setpriv --reuid="$LAB_LIBVIRT_USER" \
        --regid="$LAB_LIBVIRT_USER" --clear-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$d/home" \
        XDG_RUNTIME_DIR="$d/run" XDG_CONFIG_HOME="$d/config" \
        XDG_CACHE_HOME="$d/cache" XDG_DATA_HOME="$d/data" \
        libvirtd --daemon --pid-file="$d/run/libvirtd.pid" \
        2>>"$d/log/libvirtd.stderr" || {
        lab_die "h$h: libvirtd did not start: $(tail -2 "$d/log/libvirtd.stderr")"
        return 1
    }
    for i in $(seq 100); do
        lab_virsh "$p" "$h" version >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    lab_die "h$h: libvirtd does not answer: $(tail -2 "$d/log/libvirtd.log")"
    return 1
}

# lab_libvirt_stop PREFIX HOST: host HOST's domains destroyed, its libvirtd
# stopped.
lab_libvirt_stop() {
    local p=$1 h=$2 d dom pid
    d=$(lab_libvirt_dir "$p" "$h")
    for dom in $(lab_virsh "$p" "$h" list --name 2>/dev/null); do
        lab_virsh "$p" "$h" destroy "$dom" >/dev/null 2>&1
    done
    pid=$(lab_pidfile_pid "$d/run/libvirtd.pid")
    # shellcheck disable=SC2086
    lab_stop_pids $pid
}

# lab_libvirt_tap PREFIX HOST IFACE VM MAC: lab_qemu_tap's tap, owned by
# the libvirtds' user, for a domain's <interface type='ethernet'> (libvirt
# opens it and hands it to QEMU).
lab_libvirt_tap() {
    lab_qemu_tap "$@" "$LAB_LIBVIRT_USER"
}

# lab_libvirt_console PREFIX VM HOST: the file of domain VM's console on
# host HOST (made for the libvirtds' user to write).
lab_libvirt_console() {
    local f
    f=$(lab_host_dir "$1" "$3")/log/$2.console
    [ -e "$f" ] || { : > "$f" && chown "$LAB_LIBVIRT_USER:" "$f"; }
    echo "$f"
}

# lab_libvirt_add PREFIX VM HOST MAC IP/LEN [--gw IP] [--initrd FILE]
#     [--ctl PORT]: VM as a libvirt domain on host HOST (lab_libvirt_start
# first): a tap VM in br-int with iface-id VM (unless there is one), and a
# transient domain VM that runs the guest of tests/lab/guest-image as
# lab_qemu_start does (TCG, 256 MB, the same options), its console in
# hN/log/VM.console.  The
# domain says which port it is in cutover's metadata (cutover:port, see
# cutover-libvirt(8)).  Its virtio NIC computes its own checksums (no
# offloads: they do not survive OVS's userspace datapath).  Returns once
# the domain runs (lab_qemu_ready says when the guest booted).
lab_libvirt_add() {
    local p=$1 vm=$2 h=$3 mac=$4 ip=$5
    shift 5
    local gw='' initrd='' ctl='' guest d cmdline
    while [ $# -gt 0 ]; do
        case $1 in
            --gw) gw=$2; shift 2 ;;
            --initrd) initrd=$2; shift 2 ;;
            --ctl) ctl=$2; shift 2 ;;
            *) lab_die "libvirt add: unknown option '$1'"; return 1 ;;
        esac
    done
    guest=$(lab_guest_dir) || return 1
    : "${initrd:=$guest/initramfs.cpio.gz}"
    d=$(lab_libvirt_dir "$p" "$h")
    # The tap, unless it is there already (made beforehand, or the
    # domain's before it was destroyed).
    lab_host_exec "$p" "$h" ip link show "$vm" >/dev/null 2>&1 \
        || lab_libvirt_tap "$p" "$h" "$vm" "$vm" "$mac" || return 1
    cmdline=$(lab_guest_cmdline "$ip" "$gw" "$ctl")
    cat > "$d/$vm.xml" <<EOT
<domain type='qemu'>
  <name>$vm</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <metadata>
    <cutover:port xmlns:cutover='https://cutover.dev/libvirt/1'>$vm</cutover:port>
  </metadata>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$initrd</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <cpu mode='custom'><model>qemu64</model></cpu>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='ethernet'>
      <mac address='$mac'/>
      <target dev='$vm' managed='no'/>
      <model type='virtio'/>
      <driver>
        <host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/>
        <guest csum='off' tso4='off' tso6='off' ecn='off' ufo='off'/>
      </driver>
      <rom enabled='no'/>
    </interface>
    <serial type='file'>
      <source path='$(lab_libvirt_console "$p" "$vm" "$h")'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOT
    lab_virsh "$p" "$h" create "$d/$vm.xml" >/dev/null \
        2>>"$d/log/virsh.stderr" || {
        lab_die "h$h: domain $vm did not start: $(tail -2 "$d/log/virsh.stderr")"
        return 1
    }
}

# lab_libvirt_migrate PREFIX VM FROM TO [VIRSH_OPTIONS...]: a live
# migration of domain VM from host FROM to host TO, as a cloud's control
# plane asks for one: 'virsh migrate --live' with both libvirtds (the
# destination's definition with its own console file), the migration
# stream over the management network.  A tap VM with VM's iface-id must be
# ready on TO (lab_libvirt_tap).  Its output is virsh's.
lab_libvirt_migrate() {
    local p=$1 vm=$2 from=$3 to=$4 xml
    shift 4
    xml=$(lab_libvirt_dir "$p" "$to")/$vm.xml
    lab_virsh "$p" "$from" dumpxml --migratable "$vm" \
        | sed "s#<source path='[^']*'/>#<source path='$(lab_libvirt_console "$p" "$vm" "$to")'/>#" \
        > "$xml" || return 1
    lab_virsh "$p" "$from" migrate --live "$vm" "$(lab_libvirt_uri "$p" "$to")" \
        --migrateuri "tcp:$(lab_mgmt_ip "$to"):49152" --xml "$xml" "$@"
}

# lab_vm_del PREFIX VM HOST [TAG]: removes a VM instance.
lab_vm_del() {
    local p=$1 vm=$2 h=$3 tag=${4:-} ns iface d
    d=$(lab_dir "$p")
    ns=$(lab_vm_ns "$p" "$vm" "$h" "$tag")
    iface=$(awk -v ns="$ns" '$4 == ns {print $5}' "$d/vms")
    [ -n "$iface" ] || { lab_die "no VM instance $vm on h$h"; return 1; }
    lab_vsctl "$p" "$h" -- --if-exists del-port br-int "$iface"
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$ns"
    awk -v ns="$ns" '$4 != ns' "$d/vms" > "$d/vms.tmp" && mv "$d/vms.tmp" "$d/vms"
}

# lab_vm_field PREFIX VM FIELD [HOST]: a field of a VM instance's record:
# host, ns, iface, mac, ip.  With several instances, HOST picks one.
lab_vm_field() {
    local p=$1 vm=$2 field=$3 h=${4:-} col
    case $field in
        host) col=2 ;; ns) col=4 ;; iface) col=5 ;; mac) col=6 ;; ip) col=7 ;;
        *) lab_die "unknown VM field '$field'"; return 1 ;;
    esac
    awk -v vm="$vm" -v h="${h:+h$h}" -v col=$col \
        '$1 == vm && (h == "" || $2 == h) {print $col; exit}' \
        "$(lab_dir "$p")/vms"
}

# lab_ns PREFIX TARGET: the namespace of TARGET: hN, ul, edge, inet, or a VM
# name (its first instance) or VM@hN.
lab_ns() {
    local p=$1 t=$2 ns
    case $t in
        h[0-9]) [ "${t#h}" -le "$(lab_n_hosts "$p")" ] && echo "$p-$t" && return 0 ;;
        ul|edge|inet|mgmt|ctl) echo "$p-$t"; return 0 ;;
        *@h[0-9]) ns=$(lab_vm_field "$p" "${t%@*}" ns "${t#*@h}") ;;
        *) ns=$(lab_vm_field "$p" "$t" ns) ;;
    esac
    [ -n "$ns" ] || { lab_die "no '$t' in lab '$p'"; return 1; }
    echo "$ns"
}

# lab_wire PREFIX VM_A VM_B VNI: a point-to-point virtual wire between two
# VM instances (VM or VM@hN), through a VXLAN tunnel if they are on different
# hosts: a stand-in for the pipeline, for lab tests and the demo.  Flows carry
# cookie VNI, so that a test can cut and restore the wire.
lab_wire() {
    local p=$1 a=$2 b=$3 vni=$4 ha hb ia ib
    ha=$(lab_vm_field "$p" "${a%@*}" host "$(lab_wire_host "$a")")
    hb=$(lab_vm_field "$p" "${b%@*}" host "$(lab_wire_host "$b")")
    ia=$(lab_vm_field "$p" "${a%@*}" iface "$(lab_wire_host "$a")")
    ib=$(lab_vm_field "$p" "${b%@*}" iface "$(lab_wire_host "$b")")
    [ -n "$ha" ] || { lab_die "no VM '$a'"; return 1; }
    [ -n "$hb" ] || { lab_die "no VM '$b'"; return 1; }
    ha=${ha#h}
    hb=${hb#h}
    if [ "$ha" = "$hb" ]; then
        lab_ofctl "$p" "$ha" add-flow br-int \
            "cookie=$vni,priority=100,in_port=$ia,actions=output:$ib" &&
        lab_ofctl "$p" "$ha" add-flow br-int \
            "cookie=$vni,priority=100,in_port=$ib,actions=output:$ia"
        return
    fi
    lab_wire_half "$p" "$ha" "$ia" "$hb" "$vni" &&
    lab_wire_half "$p" "$hb" "$ib" "$ha" "$vni"
}

lab_wire_host() {
    case $1 in *@h[0-9]) echo "${1#*@h}" ;; esac
}

# lab_wire_half PREFIX HOST IFACE PEER_HOST VNI: host HOST's half of a wire.
lab_wire_half() {
    local p=$1 h=$2 iface=$3 peer=$4 vni=$5
    lab_vsctl "$p" "$h" -- --may-exist add-port br-int vxlan0 \
        -- set interface vxlan0 type=vxlan options:remote_ip=flow \
               options:key=flow ofport_request=100 || return 1
    lab_ofctl "$p" "$h" add-flow br-int \
        "cookie=$vni,priority=100,in_port=$iface,actions=set_field:$vni->tun_id,set_field:$(lab_host_ip "$peer")->tun_dst,output:vxlan0" \
        || return 1
    lab_ofctl "$p" "$h" add-flow br-int \
        "cookie=$vni,priority=100,in_port=vxlan0,tun_id=$vni,actions=output:$iface"
}

# lab_unwire PREFIX VNI: removes wire VNI's flows from every host.
lab_unwire() {
    local p=$1 vni=$2 i
    for i in $(seq 1 "$(lab_n_hosts "$p")"); do
        lab_ofctl "$p" "$i" del-flows br-int "cookie=$vni/-1" || return 1
    done
}

# lab_status PREFIX: prints the state of every part; returns 1 if a daemon is
# down.
lab_status() {
    local p=$1 d n i hd rc=0 pid daemon daemons
    d=$(lab_dir "$p")
    [ -f "$d/n_hosts" ] || { lab_die "no lab '$p'"; return 1; }
    n=$(lab_n_hosts "$p")
    echo "lab $p: $n hosts, state in $d"
    for i in $(seq 1 "$n"); do
        hd=$(lab_host_dir "$p" "$i")
        printf '  h%s  ns %-10s tunnel %-14s' "$i" "$(lab_host_ns "$p" "$i")" \
            "$(lab_host_ip "$i")"
        printf ' mgmt %-12s' "$(lab_mgmt_ip "$i")"
        daemons="ovsdb-server ovs-vswitchd"
        [ -f "$d/agent" ] && daemons="$daemons cutover-agent"
        for daemon in $daemons; do
            pid=$(cat "$hd/run/$daemon.pid" 2>/dev/null)
            if [ -n "$pid" ] && lab_alive "$pid"; then
                printf ' %s %s' "$daemon" "$pid"
            else
                printf ' %s DOWN' "$daemon"
                rc=1
            fi
        done
        echo
    done
    echo "  controller  $(lab_ctl_ns "$p"): $(lab_ctl_ip)/24 on the management network $p-mgmt ($LAB_MGMT_NET.0/24)"
    echo "  edge router $p-edge: provider $LAB_PROVIDER_NET.1/24 (VLAN $LAB_PROVIDER_VLAN), internet $LAB_INET_NET.1/24"
    echo "  internet    $p-inet: $LAB_INET_NET.2/24"
    if [ -s "$d/vms" ]; then
        echo "  VMs:"
        awk '{printf "    %-10s on %-3s ns %-18s iface %-10s %s %s\n", $1, $2, $4, $5, $6, $7}' "$d/vms"
    fi
    return $rc
}
