# runhv's live view (./runhv top, ./runhv run --top): per domain and vCPU, as xentop shows a Xen host
# SPDX-License-Identifier: MIT
"""Fed every console line of a run; runhv's `runhv: progress {...}` lines (one per vCPU every
--stats-interval-ms) make a round. After each round it shows one row per vCPU: its runstate and
pCPU, the times it spent running / runnable / blocked / offline, its steal (runnable + offline)
over the last interval and in all, its runstate-area updates and walk failures, and hypercalls and
exits per second over the last interval. On a terminal the screen is redrawn in place; otherwise
each round is printed as plain lines."""
import json
import re
import sys

PROGRESS = re.compile(r"^runhv: progress (\{.*\})$")
STATES = ("running", "runnable", "blocked", "offline")
HEAD = (f"{'dom':<4}{'vcpu':<5}{'state':<9}{'pcpu':>4}{'running':>10}{'runnable':>10}{'blocked':>10}{'offline':>10}"
        f"{'steal%':>8}{'(all)':>7}{'updates':>9}{'walkfail':>9}{'hcall/s':>9}{'exits/s':>9}")


def life(r):
    return sum(r[f"{s}_ns"] for s in STATES)


def row(r, prev):
    """One vCPU's line; rates and the interval's steal against `prev` (its last round), if any."""
    total = life(r)
    steal_all = 100.0 * (r["runnable_ns"] + r["offline_ns"]) / total if total else 0.0
    steal, hcalls, exits = "-", "-", "-"
    if prev is not None and total > life(prev):
        dt = total - life(prev)
        steal = f"{100.0 * (r['runnable_ns'] + r['offline_ns'] - prev['runnable_ns'] - prev['offline_ns']) / dt:.1f}"
        hcalls = f"{(r['hypercalls'] - prev['hypercalls']) * 1e9 / dt:.0f}"
        exits = f"{(r.get('exits', 0) - prev.get('exits', 0)) * 1e9 / dt:.0f}"
    state = STATES[r["state"]] if 0 <= r.get("state", -1) < 4 else "?"
    times = "".join(f"{r[f'{s}_ns'] / 1e9:9.3f}s" for s in STATES)
    return (f"d{r['domain']:<3}v{r['vcpu']:<4}{state:<9}{r['pcpu']:>4}{times}{steal:>8}{steal_all:>6.1f}%"
            f"{r['area_updates']:>9}{r['walk_failures']:>9}{hcalls:>9}{exits:>9}")


class Top:
    def __init__(self, out=sys.stdout, in_place=None):
        self.out = out
        self.in_place = out.isatty() if in_place is None else in_place
        self.batch = {}
        self.last = {}
        self.rounds = 0
        self.log = []  # the console lines of the last interval (shown under the table on a terminal)

    def feed(self, line):
        """Whether the launcher should still print `line` (progress lines are the view's)."""
        m = PROGRESS.match(line)
        if not m:
            if self.in_place:
                self.log = (self.log + [line])[-8:]
                return False
            return True
        rec = json.loads(m.group(1))
        key = (rec["domain"], rec["vcpu"])
        if key in self.batch:
            self.show()
        self.batch[key] = rec
        return False

    def show(self, title=None):
        if not self.batch:
            return
        self.rounds += 1
        lines = [title or f"runhv top: round {self.rounds}, {len(self.batch)} vCPUs", HEAD]
        lines += [row(r, self.last.get(k)) for k, r in sorted(self.batch.items())]
        self.last, self.batch = self.batch, {}
        if self.in_place:
            lines += ["", "console:"] + [x[:110] for x in self.log]
            self.out.write("\033[H\033[2J" + "\n".join(lines) + "\n")
        else:
            self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def final(self):
        self.show("runhv top: the last round")
