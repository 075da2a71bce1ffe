#!/bin/bash
# cutoverctl against a real ovsdb-server serving cutover's northbound
# schema: a model of hosts, two VPCs with several subnets, a provider VLAN
# and elastic IPs is built and shown; every bad request is refused with a
# message naming what is wrong, and changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
CTL=$top_builddir/controller/cutoverctl
[ -x "$CTL" ] || skip "$CTL is not built"
require_cmds ovsdb-client
nb_start

# ctl ARGS...: cutoverctl that must succeed.
ctl() {
    "$CTL" "$@" || fail "cutoverctl $* failed"
}

# refuse STATUS PATTERN ARGS...: cutoverctl fails with STATUS, says PATTERN,
# and the database is unchanged.
refuse() {
    local status=$1 pattern=$2 before after out rc
    shift 2
    before=$(nb_dump)
    out=$("$CTL" "$@" 2>&1)
    rc=$?
    [ "$rc" = "$status" ] || fail "'cutoverctl $*': status $rc, expected $status ($out)"
    echo "$out" | grep -qF -- "$pattern" \
        || fail "'cutoverctl $*' said '$out', expected '$pattern'"
    after=$(nb_dump)
    [ "$before" = "$after" ] || fail "'cutoverctl $*' changed the database"
    echo "ok: refused: $out"
}

step "build a model"
ctl host-add h1 172.16.0.11 dpid=0000000000000001 \
    openflow=unix:/tmp/h1/br-int.mgmt ovsdb=unix:/tmp/h1/db.sock
ctl host-add h2 172.16.0.12 dpid=0000000000000002
ctl host-add h3 172.16.0.13
ctl net-add vpc1 vxlan 1001
ctl net-add vpc2 geneve 1002
ctl net-add provider vlan 100
ctl subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01 \
    cidr6=fd00:1::/64 gateway6=fd00:1::1
ctl subnet-add vpc1 db 10.0.1.0/24 10.0.1.1 02:00:00:00:01:02
ctl subnet-add vpc2 app 10.0.0.0/24 10.0.0.1 02:00:00:00:02:01
ctl subnet-add provider public 203.0.113.0/24 203.0.113.1 02:00:00:00:64:01
ctl port-add vm1 web 02:00:0a:00:00:01 ip=10.0.0.5 ip=fd00:1::5 home=h1
ctl port-add vm2 db 02:00:0a:00:01:02 ip=10.0.1.5 home=h2
ctl port-add vm3 app 02:00:0a:00:02:03 ip=10.0.0.5 home=h3
ctl port-add vm4 public 02:00:cb:00:71:04 ip=203.0.113.50 home=h1
ctl eip-add 203.0.113.10 02:00:cb:00:71:0a provider port=vm1
ctl eip-add 203.0.113.11 02:00:cb:00:71:0b provider

step "show"
expected='host h1 (tunnel 172.16.0.11, dpid 0000000000000001)
host h2 (tunnel 172.16.0.12, dpid 0000000000000002)
host h3 (tunnel 172.16.0.13)
network provider (vlan 100)
    subnet public 203.0.113.0/24 gateway 203.0.113.1 02:00:00:00:64:01
        port vm4 02:00:cb:00:71:04 203.0.113.50 on h1 (down)
network vpc1 (vxlan, vni 1001)
    subnet db 10.0.1.0/24 gateway 10.0.1.1 02:00:00:00:01:02
        port vm2 02:00:0a:00:01:02 10.0.1.5 on h2 (down)
    subnet web 10.0.0.0/24 gateway 10.0.0.1 02:00:00:00:01:01, fd00:1::/64 gateway fd00:1::1
        port vm1 02:00:0a:00:00:01 10.0.0.5 fd00:1::5 on h1 (down)
network vpc2 (geneve, vni 1002)
    subnet app 10.0.0.0/24 gateway 10.0.0.1 02:00:00:00:02:01
        port vm3 02:00:0a:00:02:03 10.0.0.5 on h3 (down)
elastic IP 203.0.113.10 (02:00:cb:00:71:0a on provider) -> port vm1 10.0.0.5
elastic IP 203.0.113.11 (02:00:cb:00:71:0b on provider)'
actual=$("$CTL" show)
[ "$actual" = "$expected" ] || fail "show printed:
$actual
expected:
$expected"
echo "ok: show"
check_eq "port-list rows" "$("$CTL" --no-headings -f csv port-list | wc -l)" 4
check_eq "vm1 as csv" "$("$CTL" --no-headings -f csv port-list | head -1)" \
    "vm1,1,vpc1,web,02:00:0a:00:00:01,10.0.0.5,fd00:1::5,h1,down"
check_eq "eip-list private IP" \
    "$("$CTL" --no-headings -f csv eip-list | head -1)" \
    "203.0.113.10,02:00:cb:00:71:0a,provider,vm1,10.0.0.5"
check_eq "subnet-list vpc1" "$("$CTL" --no-headings -f csv subnet-list vpc1 | cut -d, -f1 | tr '\n' ' ')" "db web "

step "bad requests are refused and change nothing"
refuse 1 "host h1 exists already" host-add h1 172.16.0.21
refuse 1 "tunnel IP 172.16.0.11 is host h1's already" host-add h9 172.16.0.11
refuse 1 "datapath id 0000000000000001 is host h1's already" \
    host-add h9 172.16.0.19 dpid=0000000000000001
refuse 1 "tunnel IP '172.16.0' is not an IPv4 address" host-add h9 172.16.0
refuse 1 "unknown option 'dp' (expected dpid, openflow, ovsdb, provider-mac, agent)" \
    host-add h9 172.16.0.19 dp=1
refuse 1 "openflow 'tcp6' is not a connection target" \
    host-add h9 172.16.0.19 openflow=tcp6
refuse 1 "OpenFlow target 'ptcp:6653' has no IP address: the switch must be told where to connect, so a passive target needs one (ptcp:6653:IP)" \
    host-add h9 172.16.0.19 openflow=ptcp:6653
refuse 1 "OpenFlow target 'ptcp:6653:0.0.0.0': the switch cannot connect to 0.0.0.0" \
    host-add h9 172.16.0.19 openflow=ptcp:6653:0.0.0.0
# Passive targets: cutoverd listens there, for one host's switch only.
ctl host-add h9 172.16.0.19 openflow=punix:/tmp/h9.openflow
refuse 1 "OpenFlow target punix:/tmp/h9.openflow is host h9's already" \
    host-add h8 172.16.0.18 openflow=punix:/tmp/h9.openflow
ctl host-add h8 172.16.0.18 openflow=ptcp:6653:172.16.0.1
ctl host-del h8
ctl host-del h9
refuse 1 "agent 'run/cutover-agent.ctl' is not where a controller can reach the host's agent" \
    host-add h9 172.16.0.19 agent=run/cutover-agent.ctl
refuse 1 "unknown option 'netns'" host-add h9 172.16.0.19 netns=h9
refuse 1 "VNI 1001 is network vpc1's already" net-add vpc3 vxlan 1001
refuse 1 "VLAN 100 is network provider's already" net-add prov2 vlan 100
refuse 1 "network kind 'gre' is unknown" net-add vpc3 gre 7
refuse 1 "a vlan network needs a VLAN id from 1 to 4094" net-add p vlan 4095
refuse 1 "10.0.1.128/25 overlaps subnet db (10.0.1.0/24) of network vpc1" \
    subnet-add vpc1 db2 10.0.1.128/25 10.0.1.129 02:00:00:00:01:03
refuse 1 "no network named 'vpc9'" \
    subnet-add vpc9 x 10.9.0.0/24 10.9.0.1 02:00:00:00:09:01
refuse 1 "gateway 10.2.0.1 is outside 10.0.2.0/24" \
    subnet-add vpc1 x 10.0.2.0/24 10.2.0.1 02:00:00:00:01:09
refuse 1 "MAC 02:00:0a:00:00:01 is port vm1's already" \
    port-add vm9 web 02:00:0a:00:00:01 ip=10.0.0.9
refuse 1 "MAC 02:00:cb:00:71:0a is elastic IP 203.0.113.10's already" \
    port-add vm9 web 02:00:cb:00:71:0a ip=10.0.0.9
refuse 1 "address 10.0.0.5 is port vm1's already (network vpc1)" \
    port-add vm9 web 02:00:0a:00:00:09 ip=10.0.0.5
refuse 1 "port address 10.0.1.9 is outside subnet web (10.0.0.0/24)" \
    port-add vm9 web 02:00:0a:00:00:09 ip=10.0.1.9
refuse 1 "port address 10.0.0.1 is subnet web's gateway" \
    port-add vm9 web 02:00:0a:00:00:09 ip=10.0.0.1
refuse 1 "multicast MAC address" port-add vm9 web 01:00:0a:00:00:09
refuse 1 "no host named 'h7'" port-add vm9 web 02:00:0a:00:00:09 home=h7
refuse 1 "port vm1 exists already" port-add vm1 web 02:00:0a:00:00:09
refuse 1 "port vm1's address 10.0.0.5 has elastic IP 203.0.113.10 already" \
    eip-attach 203.0.113.11 vm1
refuse 1 "elastic IP 203.0.113.10 is on port vm1: detach it first" \
    eip-attach 203.0.113.10 vm2
refuse 1 "elastic IP 198.51.100.7 is outside every subnet of network provider" \
    eip-add 198.51.100.7 02:00:cb:00:71:0c provider
refuse 1 "elastic IPs live on a provider (vlan) network" \
    eip-add 203.0.113.12 02:00:cb:00:71:0c vpc1
refuse 1 "elastic IP 203.0.113.10 exists already" \
    eip-add 203.0.113.10 02:00:cb:00:71:0c provider
refuse 1 "10.0.0.9 is not an IPv4 address of port vm1" \
    eip-attach 203.0.113.11 vm1 private-ip=10.0.0.9
refuse 1 "host h1 is still home to port(s)" host-del h1
refuse 1 "network vpc2 still has subnet(s) app" net-del vpc2
refuse 1 "network provider still has subnet(s) public" net-del provider
refuse 1 "subnet web still has port(s) vm1" subnet-del web
refuse 1 "no port named 'vm9'" port-del vm9
refuse 1 "no elastic IP 203.0.113.99" eip-del 203.0.113.99
refuse 2 "unknown command 'port-ad'" port-ad vm9
refuse 2 "'port-add' command requires at least 3 arguments: port-add NAME SUBNET MAC" port-add vm9
refuse 2 "--timeout: 'x' is not a number of seconds" -t x show

step "changes that are allowed"
ctl eip-attach 203.0.113.11 vm2
check_eq "vm2's elastic IP" "$("$CTL" --no-headings -f csv eip-list | tail -1)" \
    "203.0.113.11,02:00:cb:00:71:0b,provider,vm2,10.0.1.5"
ctl port-del vm2
check_eq "elastic IP lost its deleted port" \
    "$("$CTL" --no-headings -f csv eip-list | tail -1)" \
    "203.0.113.11,02:00:cb:00:71:0b,provider,-,-"
ctl port-set-home vm1 h2
check_eq "vm1's new home" "$("$CTL" --no-headings -f csv port-list | head -1 | cut -d, -f8)" h2
ctl eip-detach 203.0.113.10
ctl eip-del 203.0.113.10
ctl subnet-del db
check_eq "subnets of vpc1" "$("$CTL" --no-headings -f csv subnet-list vpc1 | cut -d, -f1)" web

step "port keys are unique and reused"
check_eq "keys" "$("$CTL" --no-headings -f csv port-list | cut -d, -f1,2 | tr '\n' ' ')" "vm1,1 vm3,3 vm4,4 "
ctl port-add vm5 web 02:00:0a:00:00:05 ip=10.0.0.55
check_eq "vm5 takes the free key" "$("$CTL" --no-headings -f csv port-list | grep ^vm5 | cut -d, -f2)" 2

step "migration history: finished migrations block nothing; migration-purge"
# row_uuid TABLE NAME: the UUID of TABLE's row named NAME.
row_uuid() {
    ovsdb-client transact "$NB_DB" "[\"Cutover_Northbound\",
        {\"op\": \"select\", \"table\": \"$1\",
         \"where\": [[\"name\", \"==\", \"$2\"]], \"columns\": [\"_uuid\"]}]" \
        | grep -o '"uuid","[0-9a-f-]*"' | cut -d'"' -f4
}
# mig_add PORT SOURCE DESTINATION STATE TIME: a Migration row as cutoverd's
# engine writes it, begun at TIME (ms) and in STATE 10 ms later.
mig_add() {
    local out
    out=$(ovsdb-client transact "$NB_DB" "[\"Cutover_Northbound\",
        {\"op\": \"insert\", \"table\": \"Migration\", \"row\": {
         \"port\": [\"uuid\", \"$(row_uuid Port "$1")\"],
         \"source\": [\"uuid\", \"$(row_uuid Host "$2")\"],
         \"destination\": [\"uuid\", \"$(row_uuid Host "$3")\"],
         \"state\": \"$4\",
         \"timestamps\": [\"map\", [[\"preparing\", $5], [\"$4\", $(($5 + 10))]]]}}]") \
        || fail "cannot insert a migration of $1: $out"
    case $out in *error*) fail "cannot insert a migration of $1: $out" ;; esac
}
# migrations [PORT]: the migrations (of PORT), one per line as PORT SOURCE
# DESTINATION STATE, in migration-list's order (by port, newest first).
migrations() {
    "$CTL" --no-headings -f csv migration-list \
        | awk -F, -v p="${1:-}" 'p == "" || $1 == p {print $1, $2, $3, $4}'
}
ctl host-add h4 172.16.0.14
ctl host-add h5 172.16.0.15
mig_add vm1 h1 h2 complete 1000
mig_add vm1 h2 h5 aborted 2000
mig_add vm1 h2 h4 failed 3000
mig_add vm1 h2 h1 aborted 4000
mig_add vm4 h1 h5 aborted 1500
mig_add vm3 h3 h1 aborted 900
mig_add vm3 h3 h4 switching 5000
check_eq "migration-list, by port, newest first" "$(migrations | tr '\n' ';')" \
    "vm1 h2 h1 aborted;vm1 h2 h4 failed;vm1 h2 h5 aborted;vm1 h1 h2 complete;vm3 h3 h4 switching;vm3 h3 h1 aborted;vm4 h1 h5 aborted;"
# History blocks nothing; an unfinished migration does.
ctl port-set-home vm1 h1
ctl port-set-home vm1 h2
refuse 1 "port vm3 is migrating (state switching): its home changes when the migration completes" \
    port-set-home vm3 h1
refuse 1 "port vm3 is migrating (state switching): finish or abort it first" \
    port-del vm3
refuse 1 "host h4 takes part in the migration of port vm3 (state switching): finish or abort it first" \
    host-del h4
# A host's finished migrations go with it (they refer to it).
ctl host-del h5
check_eq "h5's migrations gone with it" "$(migrations | grep -c h5)" 0
check_eq "vm1's others stay" "$(migrations vm1 | wc -l)" 3
refuse 1 "no port named 'vm9'" migration-purge vm9
refuse 1 "--keep: 'x' is not a number of migrations" migration-purge --keep x
refuse 1 "--keep: '-1' is not a number of migrations" migration-purge --keep=-1
refuse 1 "--keep needs a number of migrations" migration-purge vm1 --keep
refuse 1 "unknown option '--all' (expected --keep N)" migration-purge --all
refuse 1 "one port at most (got vm1 and vm3)" migration-purge vm1 vm3
refuse 2 "'migration-purge' command takes at most 3 arguments" \
    migration-purge vm1 --keep 1 x
ctl migration-purge vm1 --keep 1
check_eq "vm1 keeps its newest" "$(migrations vm1)" "vm1 h2 h1 aborted"
check_eq "vm3's untouched" "$(migrations vm3 | wc -l)" 2
ctl migration-purge --keep=1
check_eq "--keep 1: vm3 keeps its newest finished, and its unfinished" \
    "$(migrations vm3 | tr '\n' ';')" "vm3 h3 h4 switching;vm3 h3 h1 aborted;"
ctl migration-purge
check_eq "only the unfinished migration is left" "$(migrations | tr '\n' ';')" \
    "vm3 h3 h4 switching;"
ctl migration-purge
check_eq "purging nothing changes nothing" "$(migrations | tr '\n' ';')" \
    "vm3 h3 h4 switching;"
# A port's finished migrations go with it.
mig_add vm1 h2 h1 complete 6000
ctl port-del vm1
check_eq "vm1's migrations gone with it" "$(migrations vm1)" ""
check_eq "ports left" "$("$CTL" --no-headings -f csv port-list | cut -d, -f1 | tr '\n' ' ')" \
    "vm3 vm4 vm5 "

step "an unreachable database is a clear, bounded error"
out=$("$CTL" --db=unix:$TEST_TMP/nothing.sock -t 1 show 2>&1)
rc=$?
check_eq "status" "$rc" 1
echo "$out" | grep -q "cannot reach the northbound database at unix:$TEST_TMP/nothing.sock within 1 s" \
    || fail "unclear error: $out"
echo "ok: $out"

step "two concurrent writers cannot create one MAC twice"
"$CTL" port-add r1 web 02:00:0a:00:00:77 ip=10.0.0.77 2>"$TEST_TMP/r1" &
a=$!
"$CTL" port-add r2 web 02:00:0a:00:00:77 ip=10.0.0.78 2>"$TEST_TMP/r2" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check_eq "writers that succeeded" $(( (ra == 0) + (rb == 0) )) 1
check_eq "ports with that MAC" \
    "$("$CTL" --no-headings -f csv port-list | grep -c 02:00:0a:00:00:77)" 1

step "db-ctl-base: several commands in one transaction, all or none"
ctl net-add vpc7 vxlan 1007 -- subnet-add vpc7 s7 10.7.0.0/24 10.7.0.1 \
    02:00:00:00:07:01 -- port-add p7 s7 02:00:0a:07:00:05 ip=10.7.0.5
check_eq "the three, written together" \
    "$("$CTL" --no-headings -f csv port-list | grep -c '^p7,')" 1
# The third refuses: the first two are not written either.
refuse 1 "port address 10.9.9.5 is outside subnet s8 (10.8.0.0/24)" \
    net-add vpc8 vxlan 1008 -- subnet-add vpc8 s8 10.8.0.0/24 10.8.0.1 \
    02:00:00:00:08:01 -- port-add p8 s8 02:00:0a:08:00:05 ip=10.9.9.5

step "--may-exist and --if-exists"
refuse 1 "host h1 exists already" host-add h1 172.16.0.11
ctl --may-exist host-add h1 172.16.0.11
ctl --may-exist net-add vpc7 vxlan 1007 -- --may-exist port-add p7 s7 \
    02:00:0a:07:00:05
refuse 1 "no port named 'nosuch'" port-del nosuch
ctl --if-exists port-del nosuch -- --if-exists host-del nosuch
echo "ok: --may-exist and --if-exists do nothing where there is nothing to do"

step "generic commands on any table: list, get, set, find"
check_eq "get Host h2 tunnel_ip" "$("$CTL" get Host h2 tunnel_ip)" '"172.16.0.12"'
ctl set Host h2 agent=ssl\\:192.0.2.12\\:6655
check_eq "h2's agent, set on a host with ports" \
    "$("$CTL" get Host h2 agent)" '"ssl:192.0.2.12:6655"'
check_eq "--columns list" \
    "$("$CTL" --columns=name,agent --bare list Host h2 | xargs)" \
    'h2 ssl:192.0.2.12:6655'
check_eq "find" "$("$CTL" --bare --columns=name find Port name=p7)" p7
out=$("$CTL" get Host nosuch name 2>&1) && fail "get of no host: $out"
echo "$out" | grep -q 'no row "nosuch" in table Host' || fail "get's error: $out"
echo "ok: $out"
refuse 2 "unknown command 'nosuch-command'" nosuch-command
