#!/usr/bin/env python3
# runhv's scheduling trace: replayed into per-vCPU totals, checked against the books, drawn
# SPDX-License-Identifier: MIT
"""Reads the trace the launcher copied out of runhv's RAM (tools/launch.py --trace FILE) and its
JSON summary of the same run:

    trace_timeline.py TRACE.bin --summary SUMMARY.json [--out PREFIX] [--drop N]

Replays every vCPU's runstate records the way runhv's accounting folds time (each record closes
the interval since the previous one; time never runs backwards) up to that vCPU's `totals`
record, and prints per vCPU the running / runnable / blocked / offline time against the final
`runhv: stats` line, which runhv's accounting printed at the same instant. Exit status 1 if any
figure differs by a nanosecond, if records were dropped or could not be written.

With --out it draws the timeline as PREFIX.svg and PREFIX.png (matplotlib): one lane per pCPU
(which vCPU ran when, one colour per vCPU) and one per vCPU (coloured by runstate), with marks
for runstate-area updates, walk failures and event-channel upcalls.
--drop N leaves out the Nth runstate record (a negative control: the totals must then differ).
"""
import argparse
import json
import os
import struct
import sys

MAGIC = b"RUNHVTR1"
RECORD = struct.Struct("<QBBBBBBH")  # core/trace.hpp TraceRecord
CREATED, RUNSTATE, AREA_UPDATE, WALK_FAILURE, EVENT, TOTALS = range(6)
STATES = ("running", "runnable", "blocked", "offline")  # Xen's RUNSTATE_* order
# vCPUs on the pCPU lanes: none of the runstate colours, so a lane never reads as a state.
VCPU_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79",
                "#e7ba52", "#7b4173", "#636363", "#843c39")
STATE_COLOURS = {"running": "#2ca02c", "runnable": "#d62728", "blocked": "#9ecae1", "offline": "#dddddd"}


class TraceError(Exception):
    pass


def read_trace(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 16 or data[:8] != MAGIC:
        raise TraceError(f"{path}: not a runhv trace (no {MAGIC.decode()} header)")
    size, _pcpus = struct.unpack_from("<II", data, 8)
    if size != RECORD.size or (len(data) - 16) % size:
        raise TraceError(f"{path}: record size {size}, {len(data) - 16} bytes of records")
    raw = [RECORD.unpack_from(data, off) for off in range(16, len(data), size)]
    return in_order(raw)


def in_order(raw):
    """(time, domain, vcpu, kind, arg, pcpu, seq) in the order things happened. A vCPU's records
    may sit in several pCPUs' rings; its 16-bit sequence numbers (counted under its home lock)
    are unwrapped along its records in time order, then every record sorts by (time, seq): a
    vCPU's times never go backwards along its sequence, and two changes in one instant keep the
    order they had. A vCPU's totals record comes after all of its instant's changes."""
    seq_of = {}
    by_vcpu = {}
    for i, r in enumerate(raw):
        if r[3] in (CREATED, RUNSTATE):
            by_vcpu.setdefault((r[1], r[2]), []).append(i)
    for idx in by_vcpu.values():
        idx.sort(key=lambda i: raw[i][0])
        full = None
        for i in idx:
            s = raw[i][7]
            if raw[i][3] == CREATED or full is None:
                full = s
            else:
                d = (s - full) & 0xFFFF
                full += d - 0x10000 if d >= 0x8000 else d
            seq_of[i] = full
    order = sorted(range(len(raw)), key=lambda i: (raw[i][0], raw[i][3] == TOTALS, seq_of.get(i, 0)))
    return [raw[i][:6] + (seq_of.get(i, 0),) for i in order]


class Vcpu:
    def __init__(self, created):
        self.state, self.entry = 3, created
        self.time = [0, 0, 0, 0]
        self.intervals = []  # (start, end, state)
        self.marks = {AREA_UPDATE: [], WALK_FAILURE: [], EVENT: []}
        self.pcpu = None
        self.end = None  # the totals record's time

    def close(self, t):
        if t > self.entry:
            self.time[self.state] += t - self.entry
            self.intervals.append((self.entry, t, self.state))
            self.entry = t


def replay(recs, drop=None):
    vcpus = {}
    nth = 0
    for t, dom, vcpu, kind, arg, pcpu, _ in recs:
        key = (dom, vcpu)
        if kind == CREATED:
            vcpus[key] = Vcpu(t)
            vcpus[key].pcpu = pcpu
            continue
        v = vcpus.get(key)
        if v is None:
            raise TraceError(f"d{dom}v{vcpu}: a record before its 'created' record")
        if v.end is not None:
            continue
        if kind == RUNSTATE:
            nth += 1
            if nth == drop:
                continue
            v.close(t)
            v.state = arg
        elif kind == TOTALS:
            v.close(t)
            v.end = t
        elif kind in v.marks:
            v.marks[kind].append(t)
    return vcpus


def final_stats(summary):
    out = {}
    for recs in summary.get("domains", {}).values():
        for r in recs:
            out[(r["domain"], r["vcpu"])] = r
    return out


def compare(vcpus, summary, say=print):
    """Prints the trace's totals beside the books; returns the number of vCPUs that differ."""
    books = final_stats(summary)
    say(f"{'vCPU':6} {'':6} " + " ".join(f"{s + ' ms':>12}" for s in STATES))
    bad = 0
    for key in sorted(set(vcpus) | set(books)):
        v, b = vcpus.get(key), books.get(key)
        name = f"d{key[0]}v{key[1]}"
        if v is None or b is None or v.end is None:
            say(f"{name:6} missing from the {'trace' if v is None or v.end is None else 'stats'}")
            bad += 1
            continue
        want = [b[f"{s}_ns"] for s in STATES]
        same = v.time == want
        bad += 0 if same else 1
        say(f"{name:6} {'trace':6} " + " ".join(f"{x / 1e6:12.3f}" for x in v.time))
        say(f"{'':6} {'books':6} " + " ".join(f"{x / 1e6:12.3f}" for x in want) +
            ("   equal to the ns" if same else "   DIFFER: " + ", ".join(
                f"{s} {a - w:+d} ns" for s, a, w in zip(STATES, v.time, want) if a != w)))
    return bad


def draw(vcpus, prefix, title):
    try:
        import matplotlib
    except ImportError:
        raise TraceError("python3-matplotlib is missing: ./runhv installs it (apt-get install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D

    keys = sorted(vcpus)
    t0 = min(v.intervals[0][0] if v.intervals else v.entry for v in vcpus.values())
    ms = lambda t: (t - t0) / 1e6  # noqa: E731
    pcpus = sorted({v.pcpu for v in vcpus.values()})
    lanes = [f"pCPU {p}" for p in pcpus] + [f"d{d}v{n}" for d, n in keys]
    colour = {k: VCPU_COLOURS[i % len(VCPU_COLOURS)] for i, k in enumerate(keys)}

    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.45 * len(lanes)))
    y = {name: len(lanes) - 1 - i for i, name in enumerate(lanes)}
    for k in keys:
        v = vcpus[k]
        runs = [(ms(a), ms(b) - ms(a)) for a, b, s in v.intervals if s == 0]
        ax.broken_barh(runs, (y[f"pCPU {v.pcpu}"] - 0.4, 0.8), facecolors=colour[k], linewidth=0)
        for si, sname in enumerate(STATES):
            bars = [(ms(a), ms(b) - ms(a)) for a, b, s in v.intervals if s == si]
            ax.broken_barh(bars, (y[f"d{k[0]}v{k[1]}"] - 0.4, 0.8), facecolors=STATE_COLOURS[sname], linewidth=0)
        lane = y[f"d{k[0]}v{k[1]}"]
        for kind, marker, col, dy in ((AREA_UPDATE, "|", "#555555", 0.5), (EVENT, "v", "#1f77b4", 0.5),
                                      (WALK_FAILURE, "x", "#ff0000", 0.0)):
            ts = [ms(t) for t in v.marks[kind]]
            if ts:
                ax.plot(ts, [lane + dy] * len(ts), linestyle="none", marker=marker, markersize=4, color=col)
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels(list(y.keys()))
    ax.set_ylim(-0.7, len(lanes) - 0.1)
    ax.set_xlabel("time since the first vCPU was created (ms)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=STATE_COLOURS[s], label=s) for s in STATES]
    handles += [Patch(color=colour[k], label=f"d{k[0]}v{k[1]} on its pCPU") for k in keys]
    handles += [Line2D([], [], linestyle="none", marker="|", color="#555555", label="area update"),
                Line2D([], [], linestyle="none", marker="v", color="#1f77b4", label="event upcall"),
                Line2D([], [], linestyle="none", marker="x", color="#ff0000", label="walk failure")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(prefix + ".svg")
    fig.savefig(prefix + ".png", dpi=110)
    plt.close(fig)
    return [prefix + ".svg", prefix + ".png"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--summary", required=True, help="tools/launch.py --json output of the same run")
    ap.add_argument("--out", help="draw the timeline to OUT.svg and OUT.png")
    ap.add_argument("--drop", type=int, help="leave out the Nth runstate record (negative control)")
    args = ap.parse_args()
    try:
        with open(args.summary) as f:
            summary = json.load(f)
        status = summary.get("trace")
        if status is None:
            raise TraceError(f"{args.summary}: runhv printed no 'runhv: trace' line (did the run power off?)")
        recs = read_trace(args.trace)
        vcpus = replay(recs, args.drop)
        print(f"trace: {len(recs)} records ({status['records']} written by runhv, {status['dropped']} dropped), "
              f"{len(vcpus)} vCPUs")
        if status["dropped"] or status["write_failed"] or status["records"] != len(recs):
            raise TraceError("the trace is incomplete: its totals cannot be compared")
        bad = compare(vcpus, summary)
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            files = draw(vcpus, args.out, f"runhv: {summary.get('scenario', '')} on {summary.get('smp', '?')} pCPU(s)")
            print("trace: timeline in " + " and ".join(files))
    except TraceError as e:
        print(f"trace: error: {e}")
        sys.exit(1)
    if bad:
        print(f"trace: {bad} vCPUs' totals differ from runhv's books")
        sys.exit(1)
    print("trace: every vCPU's totals equal runhv's books")


if __name__ == "__main__":
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        # Debian's python3-matplotlib serves Debian's interpreter; another python3 may be first.
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    main()
