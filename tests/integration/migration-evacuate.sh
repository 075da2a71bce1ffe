#!/bin/bash
# A host evacuation: five VMs leave h1 for h2 at once, each migration
# independent of the others.  Every step is requested for all five in
# parallel (five control connections, each answered when its own step is
# confirmed); one of them is aborted half-way while the others go on; at the
# end the four live on h2 and the fifth on h1, every host's flows equal the
# computed ones, and vm9 on h3 reaches all five.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/test-lib.sh"
require_controller
controller_lab_up 3 --no-neigh
cutoverd_start

VMS="vma vmb vmc vmd vme"
mig() { cutoverd_ctl "migration/$@"; }
# all STEP [ARGS...]: STEP for every VM at once; fails if any answer is an
# error.
all() {
    local step=$1 vm pids=() rc=0
    shift
    for vm in $VMS; do
        mig "$step" "$vm" "$@" >"$TEST_TMP/$vm.$step" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || rc=1
    done
    for vm in $VMS; do
        echo "$vm $step: $(cat "$TEST_TMP/$vm.$step")"
    done
    return $rc
}
state() { mig show "$1" | sed -n "1s/^$1: [^,]*, \([a-z]*\).*/\1/p"; }
home() {
    "$CTL" -f csv port-list | awk -F, -v p="$1" '$1 == p {print $0}' \
        | grep -o ',h[0-9],' | tr -d ,
}
reaches() {
    ip netns exec "$(lab_ns "$P" vm9)" ping -c 1 -W 1 -q "$1" >/dev/null
}

step "3 hosts; five VMs on h1 (each with a waiting instance on h2), vm9 on h3"
for i in 1 2 3; do
    check "h$i" cutoverd_host_add "$i" br-int.cutover
done
check "vpc1" "$CTL" net-add vpc1 vxlan 1001
check "web" "$CTL" subnet-add vpc1 web 10.0.0.0/24 10.0.0.1 02:00:00:00:01:01
n=10
for vm in $VMS; do
    n=$((n + 1))
    mac=02:00:0a:00:00:$n
    check "port $vm" "$CTL" port-add "$vm" web "$mac" "ip=10.0.0.$n" home=h1
    check "$vm on h1" lab_vm_add "$P" "$vm" 1 "$mac" "10.0.0.$n/24"
    check "$vm waits on h2" lab_vm_add "$P" "$vm" 2 "$mac" "10.0.0.$n/24" \
        --tag d --iface "${vm}d"
    check "$vm's h2 instance down" \
        ip -n "$(lab_vm_ns "$P" "$vm" 2 d)" link set eth0 down
done
check "port vm9" "$CTL" port-add vm9 web 02:00:0a:00:00:99 ip=10.0.0.99 home=h3
check "vm9 on h3" lab_vm_add "$P" vm9 3 02:00:0a:00:00:99 10.0.0.99/24
wait_until 30 "flows in sync" cutoverd_flows_in_sync 3
n=10
for vm in $VMS; do
    n=$((n + 1))
    wait_until 10 "vm9 to reach $vm on h1" reaches "10.0.0.$n"
done

step "all five prepared and switched over at once"
check "prepare all" all prepare h2
for vm in $VMS; do
    check_eq "$vm prepared" "$(state "$vm")" prepared
done
for vm in $VMS; do
    check "$vm pauses on h1" ip -n "$(lab_vm_ns "$P" "$vm" 1)" link set eth0 down
done
check "switchover all" all switchover
for vm in $VMS; do
    grep -q "switched over from h1 to h2: confirmed" "$TEST_TMP/$vm.switchover" \
        || fail "$vm's switchover said: $(cat "$TEST_TMP/$vm.switchover")"
    check_eq "$vm switched" "$(state "$vm")" switched
done

step "vme aborted while the others go on"
check "abort vme" mig abort vme
check "vme back on h1" ip -n "$(lab_vm_ns "$P" vme 1)" link set eth0 up
VMS="vma vmb vmc vmd"
for vm in $VMS; do
    check "$vm runs on h2" ip -n "$(lab_vm_ns "$P" "$vm" 2 d)" link set eth0 up
done
check "activate the four" all activate
check "complete the four" all complete
# (A finished migration is forgotten once the database agrees with it.)
for vm in $VMS; do
    grep -q "complete: its home is now h2" "$TEST_TMP/$vm.complete" \
        || fail "$vm's complete said: $(cat "$TEST_TMP/$vm.complete")"
    check_eq "$vm's home" "$(home "$vm")" h2
done
check_eq "vme's home" "$(home vme)" h1
wait_until 30 "flows in sync" cutoverd_flows_in_sync 3
n=10
for vm in vma vmb vmc vmd vme; do
    n=$((n + 1))
    wait_until 10 "vm9 to reach $vm" reaches "10.0.0.$n"
done
echo "ok: four evacuated to h2, one aborted back on h1"
