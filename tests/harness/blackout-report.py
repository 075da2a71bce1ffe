#!/usr/bin/python3
"""Figures, tables and plots for cutover-blackout (docs/blackout.md).

  blackout-report.py run [--plot] [--lossmeter PATH] RUN_DIR
      From a run's times.json (the moments the runner recorded), its loss
      meter report.json (made with --cut and --hold) and its receiver logs,
      writes RUN_DIR/run.json (the run's figures per stream) and, with
      --plot, RUN_DIR/timeline.png (gnuplot).
  blackout-report.py follower-steps RUN_DIR
      From the log of cutover-hook qmp, or of both hosts' cutover-libvirt
      (RUN_DIR/qmp/follower.log), the controller steps it called, as the
      runner records its own (NAME.time: "start_ns end_ns status",
      NAME.out: the controller's answer): activate and complete entirely
      (the log's millisecond timestamps), the switchover too unless the
      runner timed it, and the answers of prepare and switchover.
  blackout-report.py line RUN_DIR
      One line per run for the terminal.
  blackout-report.py summary [--plot] OUT_DIR
      Every OUT_DIR/MODE/run-N/run.json: summaries per mode (median, p95,
      max over runs), the baselines next to cutover with ratios, the
      machine (OUT_DIR/machine.json: load, kernel, Open vSwitch), into
      OUT_DIR/results.json, OUT_DIR/results.csv (a row per run and
      stream) and OUT_DIR/results.txt (the tables, a verdict per stream);
      with --plot, OUT_DIR/cdf.png (per stream, the distribution of the
      blackout beyond the VM's pause over the runs, a curve per mode) and
      OUT_DIR/comparison.png (per stream and mode, the median and p95 of
      the blackout beyond the pause).

Python 3 standard library only.
"""

import argparse
import calendar
import csv
import datetime
import glob
import json
import os
import re
import subprocess
import sys

# Stream id -> (key, peer, direction, whether the VM receives it).
STREAMS = {
    1: ("peer_to_vm", "peer", "to VM", True),
    2: ("vm_to_peer", "peer", "from VM", False),
    3: ("inet_to_vm", "inet", "to VM", True),
    4: ("vm_to_inet", "inet", "from VM", False),
}
STREAM_TITLES = {
    "peer_to_vm": "peer VM (h3) -> VM",
    "vm_to_peer": "VM -> peer VM (h3)",
    "inet_to_vm": "internet -> VM (elastic IP)",
    "vm_to_inet": "VM (elastic IP) -> internet",
}
# Per-stream figures, in table order: key, title, unit ('ms' or count).
METRICS = [
    ("blackout_ns", "blackout", "ms"),
    ("beyond_pause_ns", "beyond the pause", "ms"),
    ("first_delivery_ns", "pause to first at destination", "ms"),
    ("first_send_after_resume_ns", "resume to the VM's first send", "ms"),
    ("lost", "lost", ""),
    ("lost_beyond_switchover", "lost beyond the switchover", ""),
    ("duplicated", "duplicated", ""),
    ("reordered", "reordered", ""),
]
MODES = ["cutover", "cutover-ungated", "cutover-nohold", "learning", "late",
         "none"]
# The modes in which cutover runs the migration.
CUTOVER_MODES = ("cutover", "cutover-ungated", "cutover-nohold")

# What the hold replayed, in activate's answer (cutoverd(8)).
REPLAY_RE = re.compile(r"replayed (\d+) frames \((\d+) copies, (\d+) "
                       r"forwarded, (\d+) direct, (\d+) bytes\), (\d+) "
                       r"stale copies in (\d+) us")


def parse_replay(output):
    """The hold's replay as activate's answer says it, or None."""
    m = REPLAY_RE.search(output or "")
    if not m:
        return None
    keys = ("frames", "copies", "forwarded", "direct", "bytes", "stale",
            "us")
    return dict(zip(keys, map(int, m.groups())))
# The columns of results.csv: the run's, then the stream's.
CSV_RUN = ["mode", "run", "from", "to", "hook", "rate", "pause_set_ns",
           "vm_pause_ns", "switchover_latency_ns"]
CSV_STREAM = ["sent", "received", "lost", "lost_in_switchover",
              "lost_beyond_switchover", "duplicated", "reordered",
              "blackout_ns", "beyond_pause_ns", "first_delivery_ns",
              "first_send_after_resume_ns"]


def load(path):
    with open(path) as f:
        return json.load(f)


def dump_log(lossmeter, path):
    """A receiver log's arrivals: (stream, seq, tx_ns, rx_ns) tuples."""
    out = subprocess.run([lossmeter, "dump", path], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split()
        rows.append((int(f[0]), int(f[1]), int(f[2]), int(f[3])))
    return rows


def sender_first_seq(run_dir, stream):
    """The first sequence number the destination instance sent on
    'stream' (from its sender log), or None."""
    path = os.path.join(run_dir, "s%d-dst.tx" % stream)
    if not os.path.exists(path):
        return None
    return load(path)["first_seq"]


def hook_latency_us(text):
    m = re.search(r"confirmed in ([0-9]+) us", text or "")
    return int(m.group(1)) if m else None


# A line of cutover-hook's log: "2026-11-22T10:00:00.123Z|module|LEVEL|text",
# or of a daemon's log file (cutover-libvirt), with a sequence number
# before the module.
FOLLOWER_LINE = re.compile(
    r"^([0-9T:.-]+)Z\|(?:[0-9]+\|)?[^|]*\|([A-Z]+)\|(.*)$")


def follower_steps(run_dir):
    """Writes the steps of cutover-hook qmp's log as NAME.time/NAME.out."""
    calls, ends = {}, {}
    with open(os.path.join(run_dir, "qmp", "follower.log")) as f:
        for line in f:
            m = FOLLOWER_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            when = datetime.datetime.strptime(m.group(1),
                                              "%Y-%m-%dT%H:%M:%S.%f")
            ns = (calendar.timegm(when.timetuple()) * 10**9
                  + when.microsecond * 1000)
            text = m.group(3)
            # cutover-hook's "calling migration/STEP ..." and
            # cutover-libvirt's "domain D: calling migration/STEP ...".
            c = re.match(r"(?:domain \S+: )?calling migration/([a-z]+) ",
                         text)
            if c:
                calls.setdefault(c.group(1), ns)
                continue
            c = re.match(r"([a-z]+) \S+ (confirmed in [0-9]+ ms[^:]*: |refused "
                         r"by the controller: |: )(.*)", text)
            if c and c.group(1) in calls and c.group(1) not in ends:
                ends[c.group(1)] = (ns, 0 if c.group(2).startswith("confirmed")
                                    else 1, c.group(3))
    for step, (ns, status, text) in ends.items():
        with open(os.path.join(run_dir, step + ".out"), "w") as f:
            f.write(text + "\n")
        # The switchover's moments are the runner's when it has them (a
        # played QEMU tells it when migrate-continue came).
        path = os.path.join(run_dir, step + ".time")
        if (step in ("activate", "complete")
                or (step == "switchover" and not os.path.exists(path))):
            with open(path, "w") as f:
                f.write("%d %d %d\n" % (calls[step], ns, status))


def host_drops(run_dir):
    """What the lab's hosts dropped during the run on the way in and out of
    their switches, by "hN:IFACE:PROCESS" (a packet socket) or
    "hN:IFACE:tx-queue" (a VM interface's queue), from the runner's
    drops.before and drops.after; those that dropped anything only; None
    if the runner did not record them."""
    def read(name):
        path = os.path.join(run_dir, "drops." + name)
        if not os.path.exists(path):
            return None
        counts = {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 4 and w[3].isdigit():
                    counts[":".join(w[:3])] = int(w[3])
        return counts
    before, after = read("before"), read("after")
    if before is None or after is None:
        return None
    # A socket made during the run counts from 0.
    drops = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in drops.items() if v > 0}


def analyse_run(run_dir, lossmeter, plot):
    times = load(os.path.join(run_dir, "times.json"))
    report = load(os.path.join(run_dir, "report.json"))
    pause = times["paused_at_ns"]
    resume = times["resume_ns"]
    moved = times["mode"] != "none"
    vm_pause = times["vm_ready_ns"] - pause
    src, dst = times["source_label"], times["dest_label"]
    # A real QEMU guest (--vmm qemu): one instance, its own receiver and
    # senders, which time by the guest's clock; that clock stands still
    # while QEMU pauses the VM, so a gap the guest sees is the network's,
    # beyond the pause, and its moments cannot be set against the host's.
    qemu = times.get("vmm") in ("qemu", "libvirt")
    guest_clock = set(times.get("guest_clock_labels", []))
    arrivals = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "*.rx"))):
        label = os.path.basename(path)[:-3]
        arrivals[label] = dump_log(lossmeter, path)

    streams = {}
    by_id = {s["stream"]: s for s in report["streams"]}
    for sid, (key, peer, direction, to_vm) in STREAMS.items():
        s = by_id.get(sid)
        if s is None:
            streams[key] = None
            continue
        gap = s["longest_gap"]
        deliveries = s.get("deliveries", {})
        fig = {
            "stream": sid,
            "peer": peer,
            "direction": direction,
            "sent": s["sent"],
            "received": s["received"],
            "lost": s["lost"],
            "duplicated": s["duplicated"],
            "reordered": s["reordered"],
            "blackout_ns": gap["ns"],
            "blackout_start_ns": gap["start_ns"],
            "blackout_end_ns": gap["end_ns"],
            # The longest gap is the cutover's if it overlaps the pause.
            "blackout_at_cutover": (gap["ns"] > 0 and gap["start_ns"] <= resume
                                    and gap["end_ns"] >= pause),
            "beyond_pause_ns": gap["ns"] - vm_pause,
        }
        if qemu:
            receiver = "vm1" if to_vm else peer
            if receiver in guest_clock:
                fig["beyond_pause_ns"] = gap["ns"]
                fig["blackout_at_cutover"] = None
            fig.update({"first_delivery_ns": None,
                        "first_send_after_resume_ns": None,
                        "lost_in_switchover": None,
                        "lost_beyond_switchover": None})
            if not moved:
                fig["beyond_pause_ns"] = gap["ns"]
            streams[key] = fig
            continue
        if to_vm:
            d = deliveries.get(dst, {})
            first = d.get("first_ns") or None
            fig["held_at_destination"] = d.get("held", 0)
            fig["first_send_after_resume_ns"] = None
            fig["delivered_at_destination"] = d.get("received", 0)
            fig["gone_at_source"] = deliveries.get(src, {}).get("gone", 0)
            # The packets cutover cannot save without a hold buffer: those
            # that reached the paused source before the VMM had the
            # switchover's confirmation.  Any other loss is beyond it.
            sw_end = times.get("steps", {}).get("switchover", {}).get("end_ns")
            in_window = sum(1 for a in arrivals.get(src, [])
                            if a[0] == sid and sw_end is not None
                            and pause <= a[3] <= sw_end)
            fig["lost_in_switchover"] = min(in_window, s["lost"])
            fig["lost_beyond_switchover"] = (s["lost"]
                                             - fig["lost_in_switchover"])
            # Arrivals at the destination instance before the resume, by
            # the kernel's clock (they waited in its queue).
            fig["arrived_at_destination_before_resume"] = sum(
                1 for a in arrivals.get(dst, [])
                if a[0] == sid and a[3] < resume)
        else:
            # The first packet the destination instance sent that reached
            # the peer.
            first_seq = sender_first_seq(run_dir, sid)
            first = None
            if first_seq is not None:
                lo = first_seq & 0xffffffff
                cands = [a[3] for a in arrivals.get(peer, [])
                         if a[0] == sid and ((a[1] - lo) & 0xffffffff) < (1 << 31)]
                first = min(cands) if cands else None
            fig["destination_first_seq"] = first_seq
            # How long the destination's workload took to send after the
            # resume: the VM's own wake-up, part of this blackout that is
            # not the network's.
            dst_tx = [x for x in s.get("senders", [])
                      if x.get("label") == dst and x.get("count")]
            fig["first_send_after_resume_ns"] = (
                dst_tx[0]["start_ns"] - resume if dst_tx else None)
            fig["lost_in_switchover"] = 0
            fig["lost_beyond_switchover"] = s["lost"]
        if not moved:
            # Nothing moved: no first delivery after a move, no resume.
            first = None
            fig["first_send_after_resume_ns"] = None
        fig["first_delivery_ns"] = first - pause if first else None
        # Deliveries to the VM before its resume, by delivery time: there
        # must be none at the destination (the report's first delivery
        # there is never before the resume).
        if to_vm:
            fig["delivered_before_resume"] = (1 if first and first < resume
                                              else 0)
        streams[key] = fig

    steps = {}
    for name, st in times.get("steps", {}).items():
        steps[name] = {
            "wall_ns": st["end_ns"] - st["start_ns"],
            "start_after_pause_ns": st["start_ns"] - pause,
            "end_after_pause_ns": st["end_ns"] - pause,
            "status": st["status"],
            "output": st["output"],
        }
    sw = steps.get("switchover")
    pre_sw = times.get("pre_switchover_ns")
    run = {
        "mode": times["mode"],
        "hook": times.get("hook"),
        "pre_switchover_after_pause_ns": pre_sw - pause if pre_sw else None,
        "run": times["run"],
        "from": times["from"],
        "to": times["to"],
        "rate": times["rate"],
        "pause_set_ns": times["pause_set_ns"],
        "play": times.get("play", "pause"),
        "vm_pause_ns": vm_pause,
        "pause_actual_ns": resume - pause,
        "paused_at_ns": pause,
        "resume_ns": resume,
        "switchover_latency_ns": (hook_latency_us(sw["output"]) * 1000
                                  if sw and hook_latency_us(sw["output"])
                                  is not None else None),
        "switchover_wall_ns": sw["wall_ns"] if sw else None,
        "hold": times.get("hold"),
        "hold_margin_ms": times.get("hold_margin_ms"),
        "stopped_ns": times.get("stopped_ns"),
        "replay": parse_replay(steps.get("activate", {}).get("output")),
        "vmm": times.get("vmm", "played"),
        "qemu": times.get("qemu"),
        # Frames the lab's hosts dropped on the way in and out of their
        # switches: a switch that read an interface late (its packet
        # socket's receive buffer overflowed), a VM that read its tap late
        # (the tap's queue full).  The lab's doing, not the network's.
        "host_drops": host_drops(run_dir),
        "steps": steps,
        "streams": streams,
    }
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(run, f, indent=1, sort_keys=True)
        f.write("\n")
    if plot:
        plot_run(run_dir, run, arrivals)
    return run


def plot_run(run_dir, run, arrivals):
    """timeline.png: arrivals by time for each stream, one panel each, with
    the pause, the switchover, the resume and later steps marked."""
    pause = run["paused_at_ns"]
    ends = [s["blackout_end_ns"] for s in run["streams"].values() if s]
    xmax = max([run["resume_ns"]] + ends) - pause
    xmax = xmax / 1e6 + max(50.0, xmax / 1e6 * 0.3)
    xmin = -30.0
    data = os.path.join(run_dir, "timeline")
    os.makedirs(data, exist_ok=True)
    marks = [("pause", 0.0), ("resume", (run["resume_ns"] - pause) / 1e6)]
    for name, st in sorted(run["steps"].items()):
        if name in ("switchover", "activate", "home"):
            label = {"switchover": "switchover confirmed",
                     "activate": "activate confirmed",
                     "home": "flows requested (home set)"}[name]
            marks.append((label, st["end_after_pause_ns"] / 1e6))
    panels = []
    for sid, (key, peer, direction, to_vm) in STREAMS.items():
        s = run["streams"].get(key)
        if not s:
            continue
        series = []
        if to_vm:
            receivers = [(run_label(run, "from"), "at the source instance"),
                         (run_label(run, "to"),
                          "at the destination instance (delivered at the "
                          "resume at the earliest)")]
            for label, title in receivers:
                pts = [a for a in arrivals.get(label, []) if a[0] == sid]
                series.append((title, pts))
        else:
            first_seq = s.get("destination_first_seq")
            pts = [a for a in arrivals.get(peer, []) if a[0] == sid]
            if first_seq is not None:
                lo = first_seq & 0xffffffff
                dst = [a for a in pts if ((a[1] - lo) & 0xffffffff) < (1 << 31)]
                srcp = [a for a in pts if ((a[1] - lo) & 0xffffffff) >= (1 << 31)]
            else:
                dst, srcp = [], pts
            series.append(("sent by the source instance", srcp))
            series.append(("sent by the destination instance", dst))
        base = None
        for _, pts in series:
            for a in pts:
                base = a[1] if base is None else min(base, a[1])
        files = []
        for i, (title, pts) in enumerate(series):
            fn = os.path.join(data, "s%d-%d.dat" % (sid, i))
            with open(fn, "w") as f:
                for a in pts:
                    x = (a[3] - pause) / 1e6
                    if xmin <= x <= xmax:
                        f.write("%.4f %d\n" % (x, (a[1] - base) & 0xffffffff))
            files.append((fn, title))
        panels.append((STREAM_TITLES[key], s, files))

    gp = []
    gp.append("set terminal pngcairo size 1100,%d font ',9'" % (260 * len(panels) + 40))
    gp.append("set output '%s'" % os.path.join(run_dir, "timeline.png"))
    gp.append("set multiplot layout %d,1 title '%s run %d: %s -> %s, "
              "pause %.0f ms, %d pps'" % (len(panels), run["mode"], run["run"],
                                           run["from"], run["to"],
                                           run["pause_set_ns"] / 1e6,
                                           run["rate"]))
    gp.append("set xrange [%.3f:%.3f]" % (xmin, xmax))
    gp.append("set xlabel 'ms after the pause (arrival time at the receiver)'")
    gp.append("set ylabel 'packet'")
    gp.append("set key bottom right font ',8' opaque")
    gp.append("set grid")
    colours = ["#d62728", "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e"]
    for k, (label, x) in enumerate(marks):
        gp.append("set arrow %d from %.4f, graph 0 to %.4f, graph 1 nohead "
                  "lc rgb '%s' dt %d" % (k + 1, x, x,
                                         colours[k % len(colours)],
                                         1 if k < 2 else 2))
        gp.append("set label %d '%s' at %.4f, graph %.2f rotate by 90 "
                  "right font ',8' tc rgb '%s'"
                  % (k + 1, label, x, 0.98, colours[k % len(colours)]))
    for title, s, files in panels:
        gp.append("set title \"%s: blackout %.2f ms, lost %d\"" %
                  (title, s["blackout_ns"] / 1e6, s["lost"]))
        plots = []
        for i, (fn, t) in enumerate(files):
            if os.path.getsize(fn):
                plots.append("'%s' using 1:2 with points pt 7 ps 0.3 "
                             "lc rgb '%s' title '%s'" %
                             (fn, ["#1f77b4", "#ff7f0e"][i % 2], t))
        if not plots:
            gp.append("set label 99 'no arrivals' at graph 0.5, graph 0.5 "
                      "center")
            plots = ["-1 notitle"]
            gp.append("set yrange [0:1]")
        gp.append("plot " + ", ".join(plots))
        gp.append("unset label 99")
        gp.append("set autoscale y")
    gp.append("unset multiplot")
    script = os.path.join(data, "timeline.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    subprocess.run(["gnuplot", script], check=True)


def run_label(run, which):
    return "vm1-" + run[which]


def ms(ns):
    return "-" if ns is None else "%.2f" % (ns / 1e6)


def print_line(run_dir):
    run = load(os.path.join(run_dir, "run.json"))
    parts = []
    for key, s in run["streams"].items():
        if s:
            parts.append("%s %s ms (lost %d)" % (key, ms(s["blackout_ns"]),
                                                 s["lost"]))
    sw = run["switchover_latency_ns"]
    drops = run.get("host_drops")
    print("  %s run %d %s->%s: %s%s%s" % (
        run["mode"], run["run"], run["from"], run["to"], ", ".join(parts),
        "; switchover %s ms" % ms(sw) if sw is not None else "",
        "; dropped by the hosts: %s" % ", ".join(
            "%s %d" % (k, v) for k, v in sorted(drops.items()))
        if drops else ""))


def drop_stats(runs, taps):
    """The stats of what the hosts dropped per run (host_drops) in the VM
    taps' queues (taps) or in the switches' packet sockets (not taps), and
    in how many runs any was dropped ("runs")."""
    per_run = [sum(v for k, v in r["host_drops"].items()
                   if k.endswith(":tx-queue") == taps)
               for r in runs if r.get("host_drops") is not None]
    st = stats(per_run)
    st["runs"] = sum(1 for x in per_run if x)
    return st


def percentile(values, p):
    """Nearest rank."""
    v = sorted(values)
    if not v:
        return None
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return {"n": 0, "median": None, "p95": None, "max": None}
    return {"n": len(v), "median": percentile(v, 50), "p95": percentile(v, 95),
            "max": max(v)}


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "ms":
        return "%.2f" % (value / 1e6)
    return "%d" % value


def plot_summary(out_dir, result):
    """cdf.png and comparison.png (gnuplot)."""
    modes = result["modes"]
    runs = result["runs"]
    data = os.path.join(out_dir, "plots")
    os.makedirs(data, exist_ok=True)
    colours = {"cutover": "#2ca02c", "cutover-ungated": "#17becf",
               "cutover-nohold": "#bcbd22", "learning": "#1f77b4",
               "late": "#d62728", "none": "#7f7f7f"}
    gp = ["set terminal pngcairo size 1100,760 font ',9'",
          "set output '%s'" % os.path.join(out_dir, "cdf.png"),
          "set multiplot layout 2,2 title 'Blackout beyond the VM''s pause, "
          "over %d runs per mode (CDF)'" % max(
              result["summary"][m]["runs"] for m in modes),
          "set xlabel 'ms beyond the pause'", "set ylabel 'fraction of runs'",
          "set yrange [0:1.05]", "set key bottom right", "set grid"]
    for key, title in STREAM_TITLES.items():
        plots = []
        for m in modes:
            v = sorted(r["streams"][key]["beyond_pause_ns"] / 1e6
                       for r in runs if r["mode"] == m
                       and r["streams"].get(key)
                       and r["streams"][key]["beyond_pause_ns"] is not None)
            if not v:
                continue
            fn = os.path.join(data, "cdf-%s-%s.dat" % (key, m))
            with open(fn, "w") as f:
                for i, x in enumerate(v):
                    f.write("%.4f %.4f\n" % (x, (i + 1) / len(v)))
            plots.append("'%s' using 1:2 with steps lw 2 lc rgb '%s' "
                         "title '%s'" % (fn, colours.get(m, "#000000"), m))
        gp.append("set title '%s'" % title)
        gp.append("plot " + (", ".join(plots) if plots else "0 notitle"))
    gp.append("unset multiplot")

    fn = os.path.join(data, "comparison.dat")
    with open(fn, "w") as f:
        for key, title in STREAM_TITLES.items():
            row = ['"%s"' % title.replace("->", "to")]
            for m in modes:
                st = result["summary"][m]["streams"][key]["beyond_pause_ns"]
                row += ["%.4f" % ((st["median"] or 0) / 1e6),
                        "%.4f" % ((st["p95"] or 0) / 1e6)]
            f.write(" ".join(row) + "\n")
    gp += ["set terminal pngcairo size 1100,500 font ',9'",
           "set output '%s'" % os.path.join(out_dir, "comparison.png"),
           "set title 'Blackout beyond the VM''s pause per stream: median "
           "(solid) and p95 (light) per mode'",
           "unset xlabel", "set style data histogram",
           "set style histogram cluster gap 1",
           "set style fill solid border -1", "set boxwidth 0.9",
           "set ylabel 'ms'", "set yrange [0:*]", "set xtics nomirror",
           "set key top left", "set grid ytics"]
    plots = []
    for i, m in enumerate(modes):
        c = colours.get(m, "#000000")
        plots.append("'%s' using %d:xtic(1) title '%s median' lc rgb '%s'"
                     % (fn, 2 + 2 * i, m, c))
        plots.append("'' using %d title '%s p95' lc rgb '%s' fs transparent "
                     "solid 0.35" % (3 + 2 * i, m, c))
    gp.append("plot " + ", ".join(plots))
    script = os.path.join(data, "summary.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    subprocess.run(["gnuplot", script], check=True)


def summary(out_dir, plot=False):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "*", "run-*", "run.json")),
                       key=lambda p: (p, int(re.sub(r".*run-([0-9]+).*", r"\1", p)))):
        r = load(path)
        runs.setdefault(r["mode"], []).append(r)
    for m in runs:
        runs[m].sort(key=lambda r: r["run"])
    modes = [m for m in MODES if m in runs]
    summ = {}
    for m in modes:
        summ[m] = {"runs": len(runs[m]), "streams": {},
                   "hook": sorted(set(r.get("hook") or "none"
                                      for r in runs[m])),
                   "switchover_latency_ns": stats(
                       [r["switchover_latency_ns"] for r in runs[m]]),
                   "switchover_wall_ns": stats(
                       [r["switchover_wall_ns"] for r in runs[m]]),
                   "pause_actual_ns": stats(
                       [r["pause_actual_ns"] for r in runs[m]]),
                   "replay_frames": stats(
                       [(r.get("replay") or {}).get("frames")
                        for r in runs[m] if r.get("replay")]),
                   "replay_ns": stats(
                       [(r.get("replay") or {}).get("us", 0) * 1000
                        for r in runs[m] if r.get("replay")]),
                   "socket_drops": drop_stats(runs[m], False),
                   "tap_drops": drop_stats(runs[m], True),
                   "qemu_downtime_ns": stats(
                       [(r.get("qemu") or {}).get("downtime_ms") * 1000000
                        for r in runs[m]
                        if (r.get("qemu") or {}).get("downtime_ms")
                        is not None])}
        for key in STREAM_TITLES:
            figs = [r["streams"].get(key) for r in runs[m]]
            figs = [f for f in figs if f]
            summ[m]["streams"][key] = {
                metric: stats([f[metric] for f in figs])
                for metric, _, _ in METRICS}
    comparison = {}
    if "cutover" in summ:
        for b in modes:
            if b in ("cutover", "none"):
                continue
            comparison[b] = {}
            for key in STREAM_TITLES:
                comparison[b][key] = {}
                for metric in ("blackout_ns", "beyond_pause_ns"):
                    c = summ["cutover"]["streams"][key][metric]["median"]
                    v = summ[b]["streams"][key][metric]["median"]
                    comparison[b][key][metric] = (
                        v / c if c and v is not None and c > 0 else None)
    first = next(iter(runs.values()))[0] if runs else {}
    machine_path = os.path.join(out_dir, "machine.json")
    machine = load(machine_path) if os.path.exists(machine_path) else {}
    pause_set = [r["pause_set_ns"] for m in modes if m != "none"
                 for r in runs[m]]
    # Runs of a real guest that broke (--vmm qemu): not counted, named.
    broken = []
    for path in sorted(glob.glob(os.path.join(out_dir, "*", "run-*",
                                              "broken.txt"))):
        run_dir = os.path.dirname(path)
        with open(path) as f:
            broken.append({"mode": os.path.basename(os.path.dirname(run_dir)),
                           "run": int(run_dir.rsplit("-", 1)[1]),
                           "why": f.read().strip()})
    result = {
        "broken": broken,
        "config": {"pause_set_ns": pause_set[0] if pause_set
                   else first.get("pause_set_ns"),
                   "rate": first.get("rate"),
                   "hold_margin_ms": next(
                       (r["hold_margin_ms"] for m in modes for r in runs[m]
                        if r.get("hold_margin_ms") is not None), None),
                   "play": first.get("play", "pause"),
                   "vmm": first.get("vmm", "played")},
        "machine": machine,
        "modes": modes,
        "runs": [r for m in modes for r in runs[m]],
        "summary": summ,
        "comparison": comparison,
    }
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    write_csv(os.path.join(out_dir, "results.csv"), result["runs"])
    if plot:
        plot_summary(out_dir, result)
    text = tables(result)
    with open(os.path.join(out_dir, "results.txt"), "w") as f:
        f.write(text)


def write_csv(path, runs):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_RUN + ["stream"] + CSV_STREAM)
        for r in runs:
            for key in STREAM_TITLES:
                st = r["streams"].get(key)
                if not st:
                    continue
                w.writerow([r.get(c) for c in CSV_RUN] + [key]
                           + [st.get(c) for c in CSV_STREAM])


def verdicts(result):
    """One line per mode and stream: lost at the median and p95, the
    blackout beyond the pause against mode none's longest gap."""
    summ = result["summary"]
    lines = []
    for m in result["modes"]:
        if m == "none":
            continue
        for key, title in STREAM_TITLES.items():
            st = summ[m]["streams"][key]
            lost, beyond = st["lost"], st["beyond_pause_ns"]
            if lost["median"] is None:
                continue
            word = ("nothing lost" if lost["p95"] == 0 else
                    "loses packets at the median" if lost["median"] else
                    "loses packets in some runs")
            floor = ""
            if "none" in summ:
                n = summ["none"]["streams"][key]["blackout_ns"]["median"]
                floor = ", noise floor %s ms" % ms(n)
            lines.append("%s, %s: %s (lost %s / %s, beyond the pause "
                         "%s / %s ms%s)" % (m, title, word,
                                           fmt(lost["median"], ""),
                                           fmt(lost["p95"], ""),
                                           ms(beyond["median"]),
                                           ms(beyond["p95"]), floor))
    return lines


def tables(result):
    summ, modes = result["summary"], result["modes"]
    cfg = result["config"]
    lines = []
    play = cfg.get("play", "pause")
    played = ("VM's own pause %s ms" % ms(cfg["pause_set_ns"])
              if play == "pause" else
              "a real QEMU guest (TCG) migrated by libvirt, paused by QEMU"
              if cfg.get("vmm") == "libvirt" else
              "a real QEMU guest (TCG), paused by QEMU" if play == "qemu" else
              "no pause, played as links (the source's goes down, the "
              "switchover, the destination's comes up, RARPs)")
    if (cfg.get("hold_margin_ms") is not None
            and any(m in ("cutover", "cutover-ungated") for m in modes)):
        played += ", hold margin %s ms" % cfg.get("hold_margin_ms")
    lines.append("Live migration blackout: %s, %s pps per stream, %s"
                 % (played, cfg["rate"],
                    ", ".join("%s %d runs" % (m, summ[m]["runs"])
                              for m in modes)))
    mach = result.get("machine") or {}
    if mach:
        lines.append("Machine: %s CPUs, load %s (%d busy loops added), "
                     "kernel %s, Open vSwitch %s"
                     % (mach.get("cpus"), mach.get("loadavg_end"),
                        mach.get("load", 0), mach.get("kernel"),
                        mach.get("ovs_version")))
    lines.append("Times in ms: median / p95 / max over runs.")
    if play == "qemu":
        lines.append("To the VM: received in the guest, timed by its clock, "
                     "which stands still while QEMU pauses the VM: its "
                     "blackout is what the network adds to the pause.")
    lines.append("")
    w = 32
    header = "%-*s" % (w, "") + "".join("%-26s" % m for m in modes)
    ratio_modes = [m for m in modes if m not in ("cutover", "none")
                   and "cutover" in modes]
    header += "".join("%-18s" % (m + "/cutover") for m in ratio_modes)
    for key, title in STREAM_TITLES.items():
        lines.append(title)
        lines.append(header)
        for metric, mtitle, unit in METRICS:
            row = "  %-*s" % (w - 2, mtitle)
            for m in modes:
                st = summ[m]["streams"][key][metric]
                row += "%-26s" % ("%s / %s / %s" % (fmt(st["median"], unit),
                                                    fmt(st["p95"], unit),
                                                    fmt(st["max"], unit)))
            for b in ratio_modes:
                ratio = result["comparison"][b][key].get(metric)
                row += "%-18s" % ("x%.1f" % ratio if ratio is not None else "")
            lines.append(row.rstrip())
        lines.append("")
    for m in [m for m in modes if m in CUTOVER_MODES]:
        st = summ[m]["switchover_latency_ns"]
        wl = summ[m]["switchover_wall_ns"]
        hooks = summ[m].get("hook", [])
        wall = ("from the pause to the source QEMU's migrate-continue"
                if hooks == ["qmp"] else "the hook command's wall time"
                if hooks == ["oneshot"] else "the call's wall time"
                if hooks == ["libvirt"] else "the hook's wall time")
        lines.append("%s's switchover as the hook saw it (%s): "
                     "%s / %s / %s ms (%s: %s / %s / %s ms)"
                     % (m, "cutover-libvirt" if hooks == ["libvirt"]
                        else "cutover-hook " + ", ".join(hooks),
                        ms(st["median"]), ms(st["p95"]), ms(st["max"]), wall,
                        ms(wl["median"]), ms(wl["p95"]), ms(wl["max"])))
        rf, rt = summ[m]["replay_frames"], summ[m]["replay_ns"]
        if rf["n"]:
            lines.append("%s's hold replayed %s / %s / %s frames in "
                         "%s / %s / %s ms" % (m, fmt(rf["median"], ""),
                                              fmt(rf["p95"], ""),
                                              fmt(rf["max"], ""),
                                              ms(rt["median"]), ms(rt["p95"]),
                                              ms(rt["max"])))
    for m in modes:
        st = summ[m]["pause_actual_ns"]
        if m != "none":
            lines.append("%s: the VM was paused %s / %s / %s ms%s" %
                         (m, ms(st["median"]), ms(st["p95"]),
                          ms(st["max"]), " (QEMU's STOP to RESUME)"
                          if play == "qemu" else ""))
        dt = summ[m].get("qemu_downtime_ns") or {}
        if dt.get("n"):
            lines.append("%s: QEMU's downtime (query-migrate) %s / %s / %s "
                         "ms" % (m, ms(dt["median"]), ms(dt["p95"]),
                                 ms(dt["max"])))
    for m in modes:
        for key, what in (("socket_drops", "the switches' packet sockets "
                            "dropped (receive buffer full: the switch read "
                            "an interface late)"),
                          ("tap_drops", "the VM taps dropped (queue full, "
                           "or no QEMU reading)")):
            sd = summ[m].get(key) or {}
            if sd.get("n"):
                lines.append("%s: %s in %d of %d runs: %s / %s / %s frames "
                             "per run" % (m, what, sd["runs"], sd["n"],
                                          fmt(sd["median"], ""),
                                          fmt(sd["p95"], ""),
                                          fmt(sd["max"], "")))
    for b in result.get("broken", []):
        lines.append("%s run %d not counted: the guest broke (%s)"
                     % (b["mode"], b["run"], b["why"]))
    v = verdicts(result)
    if v:
        lines.append("")
        lines.append("Verdicts (lost: median / p95; beyond the pause: "
                     "median / p95):")
        lines.extend("  " + x for x in v)
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--plot", action="store_true")
    r.add_argument("--lossmeter", default="cutover-lossmeter")
    r.add_argument("dir")
    fs = sub.add_parser("follower-steps")
    fs.add_argument("dir")
    l = sub.add_parser("line")
    l.add_argument("dir")
    s = sub.add_parser("summary")
    s.add_argument("--plot", action="store_true")
    s.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "run":
        analyse_run(a.dir, a.lossmeter, a.plot)
    elif a.cmd == "follower-steps":
        follower_steps(a.dir)
    elif a.cmd == "line":
        print_line(a.dir)
    else:
        summary(a.dir, a.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
