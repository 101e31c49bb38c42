#!/usr/bin/env python3
# The storm's verdict and totals from a launch.py summary (the launch check and ./runhv soak)
# SPDX-License-Identifier: MIT
"""Reads what tools/launch.py collected from scenarios/storm.dts and says whether nothing was
lost: every storm record (one per vCPU) passed with 0 torn reads, 0 guest-visible errors, its
vcpu_info registered once; no registration collided with an update (restarted inside runhv); every domain powered off by itself; the pins each teardown released
are the one VA registration per vCPU the guests left, and the machine's pins are back to 0 once
the last domain is down. Totals come from runhv's own stats (switches, hypercalls, restarts,
stage-2 fault retries) and the guests' records; the rate is per second of runhv's clock (each
vCPU's life, running + runnable + blocked + offline).

    storm_report.py SUMMARY.json [--log CONSOLE.txt]
"""
import argparse
import json
import re
import sys

GUEST_TOTALS = ["ops", "register_va", "register_phys", "unregister_va", "unregister_phys", "get_runstate_info",
                "window_moves", "area_checks", "errors", "torn", "future", "info_outside_call", "window_wrong"]
RUNHV_TOTALS = ["switches", "hypercalls", "hypercall_errors", "hypercall_restarts", "stage2_fault_retries"]


def life_ns(rec):
    return rec["running_ns"] + rec["runnable_ns"] + rec["blocked_ns"] + rec["offline_ns"]


def evaluate(summary, lines):
    """(problems, totals): what went wrong (empty: nothing) and the figures."""
    problems = []
    stats = [r for recs in summary["domains"].values() for r in recs]
    storms = [p for p in summary["probe"] if p.get("scenario") == "storm"]
    domains = sorted({r["domain"] for r in stats})
    if not storms:
        problems.append("no storm record")
    for p in storms:
        if p.get("pass") is not True:
            problems.append(f"d{p['domain']}v{p['cpu']}: storm record fails: " +
                            ", ".join(f"{k} {p[k]}" for k in GUEST_TOTALS[8:] + ["vcpu_info_registrations"] if k in p))
    for d in domains:
        mine = [p for p in storms if p["domain"] == d]
        vcpus = [r for r in stats if r["domain"] == d]
        if len(mine) != len(vcpus):
            problems.append(f"d{d}: {len(mine)} storm records for {len(vcpus)} vCPUs")
        if f"runhv: d{d} stopped (poweroff)" not in lines:
            stop = [x for x in lines if x.startswith(f"runhv: d{d} stopped")]
            problems.append(f"d{d} did not power off by itself: {stop or 'never stopped'}")
    # A registration never collides with an update (it takes the books lock first), so no hypercall
    # of the storm is restarted inside runhv; vCPU 0 also prints, which may take restarts of its own.
    restarted = [f"d{r['domain']}v{r['vcpu']} {r['hypercall_restarts']}" for r in stats
                 if r["vcpu"] != 0 and r.get("hypercall_restarts", 0) != 0]
    if restarted:
        problems.append(f"registrations collided with updates (restarted inside runhv): {', '.join(restarted)}")
    teardown = summary.get("teardown", [])
    for t in teardown:
        held = sum(p["pinned_pages"] for p in storms if p["domain"] == t["domain"])
        if t["pinned_pages_released"] != held:
            problems.append(f"d{t['domain']}: teardown released {t['pinned_pages_released']} pinned pages, "
                            f"the guest's registrations held {held}")
    if len(teardown) != len(domains) or not teardown or teardown[-1]["machine_pinned_pages"] != 0:
        problems.append(f"the machine's pins are not back to 0 after the last teardown: {teardown}")
    if any(re.match(r"^runhv: .*(panic|PANIC)", x) for x in lines):
        problems.append("runhv panicked")
    if summary.get("exit") != 0 or summary.get("timed_out"):
        problems.append(f"QEMU exit {summary.get('exit')}, timed out {summary.get('timed_out')}")
    totals = {k: sum(p.get(k, 0) for p in storms) for k in GUEST_TOTALS}
    totals.update({k: sum(r.get(k, 0) for r in stats) for k in RUNHV_TOTALS})
    totals["domains"] = len(domains)
    totals["vcpus"] = len(stats)
    seconds = max((life_ns(r) for r in stats), default=0) / 1e9
    totals["seconds"] = round(seconds, 3)
    totals["switches_per_second"] = round(totals["switches"] / seconds) if seconds > 0 else 0
    return problems, totals


def describe(totals):
    t = totals
    return [
        f"{t['domains']} domains, {t['vcpus']} vCPUs, {t['seconds']} s of runhv's clock",
        f"context switches: {t['switches']} ({t['switches_per_second']}/s)",
        f"hypercalls: {t['hypercalls']} (errors as Xen gives them: {t['hypercall_errors']}, "
        f"restarted inside runhv: {t['hypercall_restarts']}); stage-2 faults retried: {t['stage2_fault_retries']}",
        f"guest operations: {t['ops']} (VA registrations {t['register_va']}, phys {t['register_phys']}, "
        f"unregistrations {t['unregister_va'] + t['unregister_phys']}, get_runstate_info {t['get_runstate_info']}, "
        f"grant frame moves {t['window_moves']}); own-area checks {t['area_checks']}",
        f"lost: torn reads {t['torn']}, future records {t['future']}, records outside their call "
        f"{t['info_outside_call']}, guest-visible errors {t['errors']}, wrong window reads {t['window_wrong']}",
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("summary")
    ap.add_argument("--log", help="the console output (for the stop lines)")
    args = ap.parse_args()
    summary = json.load(open(args.summary))
    lines = open(args.log, errors="replace").read().splitlines() if args.log else []
    problems, totals = evaluate(summary, lines)
    for line in describe(totals):
        print(f"    {line}")
    for p in problems:
        print(f"    LOST: {p}")
    print("    nothing lost" if not problems else f"    {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
