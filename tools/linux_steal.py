# Linux's steal time (its /proc/stat) against runhv's books at the same console marks (tests,
# bench and demo)
# SPDX-License-Identifier: MIT
"""The two sides of every comparison come from different places:
  Linux   the init's LINUX records: per-CPU /proc/stat steal (USER_HZ ticks) read right after the
          init wrote a console mark (`runhv-mark <label>`, drained to the UART);
  runhv   its `runhv: mark {...}` lines: every vCPU's runnable and offline nanoseconds, read by the
          hypervisor when that mark's line reached the domain's console.
Linux CPU n is vCPU n (the device tree lists the vCPUs in order).

Each edge of a window is a /proc/stat read between two marks, so runhv's figure for a window is
a range (from the inner marks to the outer ones); a difference is how far Linux's figure lies
outside it.

Checks (launch_check.py names):
  linux_steal         every phase window and the boot-to-start window of every Linux domain not
                      named by a steal_lost check: per CPU, |Linux steal - (runnable + offline)|
                      <= max(1% of the window, 2 ticks), and Linux's steal never exceeds the time
                      elapsed; sleep phases are also booked mostly blocked (>= 50 %), and Linux's
                      steal there is at most max(2 ticks, 10 %) and never overlaps the blocked time.
  steal_share:D:P:LO:HI  in domain D's phase P (its mark label, e.g. p0-busy), every CPU's Linux
                      steal is LO..HI of the window (fractions), e.g. 0.35:0.65 for two busy vCPUs
                      on one pCPU, 0:0.005 for a vCPU alone.
  steal_at_most:D:P:N  in domain D's phase P, every CPU's Linux steal is at most N ticks.
  steal_lost:D        the failure Xen 4.17 shows, reproduced: in D's busy phases Linux reports no
                      steal (<= 1 tick) while runhv's books hold >= 25% of the window, so the
                      linux_steal comparison for D fails.
"""
import json

TICK_NS = 10_000_000  # USER_HZ 100
SLEEP_STEAL_SHARE = 0.1  # of a sleep window: waits after wakes; booking the sleep as steal is ~100 %


class StealError(Exception):
    pass


def tolerance_ticks(window_ns):
    return max(0.01 * window_ns / TICK_NS, 2.0)


def books_steal(vcpu):
    return vcpu["runnable_ns"] + vcpu["offline_ns"]


def linux_records(summary, dom):
    return [r for r in summary.get("linux", []) if r["domain"] == dom]


def mark(summary, dom, label):
    found = [m for m in summary.get("marks", []) if m["domain"] == dom and m["label"] == label]
    if len(found) != 1:
        raise StealError(f"d{dom}: {len(found)} runhv marks labelled {label!r} (want 1)")
    return found[0]


def steal_of(stat, cpu):
    rows = [r for r in stat if r["cpu"] == cpu]
    if len(rows) != 1:
        raise StealError(f"no /proc/stat row for cpu{cpu}")
    return rows[0]["steal"]


def windows(summary, dom):
    """(label, kind, window_ns, [(cpu, linux_ticks, books_lo, books_hi, blocked_ticks)]) per window
    of d`dom`: boot -> start (kind "start") and each phase. Each edge's /proc/stat read lies between
    two marks (label, label:after), so runhv's figure for the window is a range: [lo, hi] ticks."""
    recs = linux_records(summary, dom)
    starts = [r for r in recs if r["record"] == "start"]
    if len(starts) != 1:
        raise StealError(f"d{dom}: {len(starts)} LINUX start records")
    out = []
    a, b = mark(summary, dom, "start"), mark(summary, dom, "start:after")
    rows = []
    for va, vb in zip(a["vcpus"], b["vcpus"]):
        rows.append((va["vcpu"], steal_of(starts[0]["stat"], va["vcpu"]), books_steal(va) / TICK_NS,
                     books_steal(vb) / TICK_NS, va["blocked_ns"] / TICK_NS))
    elapsed = min(v["running_ns"] + v["runnable_ns"] + v["blocked_ns"] + v["offline_ns"] for v in a["vcpus"])
    out.append(("start", "start", elapsed, rows))
    for phase in (r for r in recs if r["record"] == "phase"):
        m = phase["mark"]
        b0, b1 = mark(summary, dom, m + ":begin"), mark(summary, dom, m + ":begin:after")
        e0, e1 = mark(summary, dom, m + ":end"), mark(summary, dom, m + ":end:after")
        rows = []
        for vb0, vb1, ve0, ve1 in zip(b0["vcpus"], b1["vcpus"], e0["vcpus"], e1["vcpus"]):
            cpu = vb0["vcpu"]
            linux = steal_of(phase["stat_after"], cpu) - steal_of(phase["stat_before"], cpu)
            rows.append((cpu, linux, (books_steal(ve0) - books_steal(vb1)) / TICK_NS,
                         (books_steal(ve1) - books_steal(vb0)) / TICK_NS,
                         (ve0["blocked_ns"] - vb1["blocked_ns"]) / TICK_NS))
        out.append((m, phase["name"], e0["now_ns"] - b1["now_ns"], rows))
    if len(out) < 2:
        raise StealError(f"d{dom}: no phase window")
    return out


def outside(linux, lo, hi):
    """How far Linux's figure lies outside runhv's range (0 inside it), signed."""
    return linux - hi if linux > hi else (linux - lo if linux < lo else 0.0)


def compare(summary, dom, say=print, phases_only=False):
    """Raises StealError at the first window where Linux and runhv's books disagree; returns the
    largest difference from the middle of runhv's range, as a fraction of its window (over the
    phases only, if asked)."""
    worst = 0.0
    for label, kind, window_ns, rows in windows(summary, dom):
        window = window_ns / TICK_NS
        tol = tolerance_ticks(window_ns)
        for cpu, linux, lo, hi, blocked in rows:
            diff = outside(linux, lo, hi)
            if kind != "start" or not phases_only:
                worst = max(worst, abs(linux - (lo + hi) / 2) / window)
            say(f"linux_steal: d{dom} {label:12} cpu{cpu}: Linux {linux:5d} ticks, runhv {lo:8.2f}..{hi:8.2f} "
                f"(outside by {diff:+6.2f}, tolerance {tol:.2f}) of {window:.1f}")
            if abs(diff) > tol:
                raise StealError(f"d{dom} {label} cpu{cpu}: Linux's steal {linux} ticks vs runhv's books "
                                 f"{lo:.2f}..{hi:.2f} (more than {tol:.2f} apart)")
            if linux > window + tol:
                raise StealError(f"d{dom} {label} cpu{cpu}: {linux} ticks of steal in a {window:.1f}-tick window")
            # A sleep is blocked time: runhv books most of it blocked, and Linux's steal is what
            # little the vCPU waited to run (its wakes; more when the host stalls QEMU), never the
            # blocked time itself.
            if kind == "sleep" and (blocked < 0.5 * window or linux > max(tol, SLEEP_STEAL_SHARE * window)
                                    or linux + blocked > window + tol):
                raise StealError(f"d{dom} {label} cpu{cpu}: a sleep is blocked time, not steal "
                                 f"(steal {linux}, blocked {blocked:.1f} of {window:.1f} ticks)")
    return worst


def share(summary, dom, label, lo, hi, say=print):
    for wlabel, _, window_ns, rows in windows(summary, dom):
        if wlabel != label:
            continue
        for cpu, linux, _, _, _ in rows:
            s = linux / (window_ns / TICK_NS)
            say(f"linux_steal: d{dom} {label} cpu{cpu}: Linux's steal {s:.1%} of the window")
            if not lo <= s <= hi:
                raise StealError(f"d{dom} {label} cpu{cpu}: steal {s:.1%} of the window, not {lo:.1%}..{hi:.1%}")
        return
    raise StealError(f"d{dom}: no window {label!r}")


def at_most(summary, dom, label, ticks, say=print):
    for wlabel, _, window_ns, rows in windows(summary, dom):
        if wlabel == label:
            for cpu, linux, lo, hi, _ in rows:
                say(f"linux_steal: d{dom} {label} cpu{cpu}: Linux {linux} ticks (runhv {lo:.2f}..{hi:.2f}) "
                    f"of {window_ns / TICK_NS:.1f}")
                if linux > ticks:
                    raise StealError(f"d{dom} {label} cpu{cpu}: {linux} ticks of steal, more than {ticks}")
            return
    raise StealError(f"d{dom}: no window {label!r}")


def lost(summary, dom, say=print):
    busy = [w for w in windows(summary, dom) if w[1] == "busy"]
    if not busy:
        raise StealError(f"d{dom}: no busy phase")
    for label, _, window_ns, rows in busy:
        window = window_ns / TICK_NS
        for cpu, linux, books, _, _ in rows:
            say(f"linux_steal: d{dom} {label} cpu{cpu}: Linux {linux} ticks, runhv {books:.1f} of {window:.1f}")
            if linux > 1 or books < 0.25 * window:
                raise StealError(f"d{dom} {label} cpu{cpu}: expected Linux to miss its steal "
                                 f"(Linux {linux}, runhv {books:.1f} of {window:.1f} ticks)")
    try:
        compare(summary, dom, say=lambda _: None)
    except StealError as e:
        say(f"linux_steal: d{dom}: the comparison fails as it must: {e}")
        return
    raise StealError(f"d{dom}: the comparison passed although Linux missed its steal")


def demo_table(summary, say=print):
    """./runhv demo: each Linux domain's busy-phase steal, its own /proc/stat figure next to runhv's."""
    pv = {r["domain"] for r in summary.get("linux", [])
          if r["record"] == "dmesg" and "using stolen time PV" in r["line"]}
    say(f"{'':4}{'dom cpu':<9}{'PV time':<9}{'window':>8}{'Linux steal':>17}{'runhv books':>17}  verdict")
    for dom in linux_domains(summary):
        for label, kind, window_ns, rows in windows(summary, dom):
            if kind != "busy":
                continue
            window = window_ns / TICK_NS
            for cpu, linux, lo, hi, _ in rows:
                ok = abs(outside(linux, lo, hi)) <= tolerance_ticks(window_ns)
                books = (lo + hi) / 2
                verdict = "equal" if ok else ("lost, as on Xen 4.17" if linux <= 1 else "DIFFERENT")
                say(f"{'':4}{f'd{dom}  {cpu}':<9}{'found' if dom in pv else 'none':<9}{window / 100:>7.2f}s"
                    f"{linux / 100:>9.2f}s {linux / window:>5.0%}{books / 100:>9.2f}s {books / window:>5.0%}  {verdict}")


def linux_domains(summary):
    return sorted({r["domain"] for r in summary.get("linux", [])})


def run(check, summary, checks):
    """launch_check's entry for `check` (one of `checks`, the run's list): raises StealError."""
    if check == "linux_steal":
        lost_doms = {int(c.split(":")[1]) for c in checks if c.startswith("steal_lost:")}
        doms = [d for d in linux_domains(summary) if d not in lost_doms]
        if not doms:
            raise StealError("no Linux domain to compare")
        for d in doms:
            worst = compare(summary, d)
            print(f"linux_steal: d{d}: worst difference {worst:.2%} of a window")
    elif check.startswith("steal_share:"):
        _, d, label, lo, hi = check.split(":")
        share(summary, int(d), label, float(lo), float(hi))
    elif check.startswith("steal_at_most:"):
        _, d, label, ticks = check.split(":")
        at_most(summary, int(d), label, int(ticks))
    elif check.startswith("steal_lost:"):
        lost(summary, int(check.split(":")[1]))
    else:
        raise KeyError(check)


if __name__ == "__main__":
    import sys
    with open(sys.argv[-1]) as f:
        s = json.load(f)
    if "--table" in sys.argv:
        demo_table(s)
        sys.exit(0)
    for d in linux_domains(s):
        try:
            compare(s, d)
        except StealError as e:
            print(f"FAIL: {e}")
