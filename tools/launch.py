#!/usr/bin/env python3
"""runhv launcher: boot a scenario (domains in Xen's dom0less binding) under QEMU.

    launch.py SCENARIO.dts [--smp N] [--seconds S] [--json FILE] [--build DIR] [--icount]
              [--input-after REGEX TEXT ...]

The scenario is a device-tree source with /chosen/domU* nodes (compatible "xen,domain"). Each
kernel or ramdisk module names its image with `runhv,file = "probe.bin";` (relative to
build/aarch64/guests, or absolute) instead of a `reg`: the launcher places the images in the top
of the machine's RAM with QEMU's generic loader, writes the modules' `reg`, merges the scenario
into the device tree QEMU generates for the board, and boots runhv with it. It streams the
hypervisor's log and each domain's console (lines prefixed [dN]), stops when QEMU exits, after
S seconds, or once runhv says only console input could wake a domain and none will come (no
terminal, no --input-after step left: "waiting_for_input" in the summary, exit status 1), and
writes a JSON summary: runhv's per-vCPU statistics (its `runhv: stats {...}`
lines), every guest `PROBE {...}` and `LINUX {...}` record, and runhv's books at each console mark
(`runhv: mark {...}`, hyp/domain_console.hpp).

Input: run from a terminal (stdin and stdout both), the launcher forwards what the operator
types to the board's serial port (the terminal in raw mode, restored on exit; Ctrl-] quits),
where runhv hands it to the domain with the input focus (Ctrl-A three times switches, as on
Xen). For tests, `--input-after REGEX TEXT` (repeatable, in order) sends TEXT (Python escapes:
\\r, \\x01) once a console line matching REGEX has been seen; the terminal is then not forwarded.
"""
# SPDX-License-Identifier: MIT
import argparse
import codecs
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time

TRACE_MIB = 16  # RAM runhv keeps its scheduling trace in (--trace): a million records
TRACE_ACK = b"\x06"  # what the launcher types once it has copied the trace out
RAM_BASE = 0x4000_0000
MODULE_AREA = 192 << 20  # images live in the top 192 MiB of RAM
ALIGN = 2 << 20


def die(msg):
    print(f"launch: error: {msg}", file=sys.stderr)
    sys.exit(2)


def need(tool, package):
    if shutil.which(tool) is None:
        die(f"{tool} is missing: run ./runhv test (installs it) or apt-get install {package}")


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        said = [x for x in (res.stderr + res.stdout).splitlines() if x.strip()]
        die(f"{os.path.basename(cmd[0])}: {said[0] if said else f'exit status {res.returncode}'}")
    return res.stdout


def fdtget(dtb, *args):
    res = subprocess.run(["fdtget", dtb, *args], capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def board_args(smp, mem_mb):
    return ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a57",
            "-smp", str(smp), "-m", f"{mem_mb}M"]


def modules_of(dtb):
    """Yields (domain node, module path, file, #address-cells, #size-cells) of the scenario."""
    for dom in (fdtget(dtb, "-l", "/chosen") or "").split():
        path = f"/chosen/{dom}"
        if "xen,domain" not in (fdtget(dtb, "-t", "s", path, "compatible") or ""):
            continue
        ac = int(fdtget(dtb, "-t", "u", path, "#address-cells") or 2)
        sc = int(fdtget(dtb, "-t", "u", path, "#size-cells") or 1)
        for mod in (fdtget(dtb, "-l", path) or "").split():
            f = fdtget(dtb, "-t", "s", f"{path}/{mod}", "runhv,file")
            if f is not None:
                yield dom, f"{path}/{mod}", f, ac, sc


def cells(value, n):
    return " ".join(f"0x{(value >> (32 * i)) & 0xffffffff:x}" for i in reversed(range(n)))


def build_dtb(scenario, tmp, smp, mem_mb, guests_dir, qemu, stats_interval_ms=0, trace=None, loads=()):
    with open(scenario) as f:
        text = f.read()
    body = re.sub(r"^\s*/dts-v1/;\s*", "", text, count=1, flags=re.M)
    if stats_interval_ms:
        body += f"\n/ {{ chosen {{ runhv,stats-interval-ms = <{stats_interval_ms}>; }}; }};\n"
    if trace:
        body += f"\n/ {{ chosen {{ runhv,trace-mib = <{TRACE_MIB}>; }}; }};\n"
    scen_dtb = os.path.join(tmp, "scenario.dtb")
    run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", scen_dtb, scenario])

    base_dtb = os.path.join(tmp, "board.dtb")
    run([qemu, *board_args(smp, mem_mb), "-machine",
         f"virt,virtualization=on,gic-version=3,dumpdtb={base_dtb}", "-nographic", "-nic", "none"])
    base_dts = run(["dtc", "-q", "-I", "dtb", "-O", "dts", base_dtb])

    top = RAM_BASE + (mem_mb << 20)
    addr = top - MODULE_AREA
    loaders, overrides, placed = [], [], []
    for dom, path, f, ac, sc in modules_of(scen_dtb):
        # Relative names: the aarch64 guests (build/aarch64/guests), else the build tree (linux/...).
        image = f if os.path.isabs(f) else next(
            (p for p in (os.path.join(d, f) for d in guests_dir) if os.path.exists(p)), os.path.join(guests_dir[0], f))
        if not os.path.exists(image):
            die(f"{scenario}: {path}: image {image} not found (is the build complete?)")
        size = os.path.getsize(image)
        if addr + size > top:
            die(f"{scenario}: images do not fit in the top {MODULE_AREA >> 20} MiB of RAM")
        loaders += ["-device", f"loader,file={image},addr=0x{addr:x},force-raw=on"]
        overrides.append(f"&{{{path}}} {{ reg = <{cells(addr, ac)} {cells(size, sc)}>; }};")
        placed.append((path, addr, size))
        addr = (addr + size + ALIGN - 1) & ~(ALIGN - 1)
    for f, addr in loads:  # as a boot loader places images (U-Boot, ImageBuilder): at fixed addresses
        if not os.path.exists(f):
            die(f"--load {f}@0x{addr:x}: no such file")
        loaders += ["-device", f"loader,file={f},addr=0x{addr:x},force-raw=on"]
    if not placed and not loads:
        die(f"{scenario}: no /chosen/domU* module with a runhv,file property (or name the images with --load FILE@ADDR)")

    final_dts = os.path.join(tmp, "final.dts")
    with open(final_dts, "w") as out:
        out.write(base_dts + "\n" + body + "\n" + "\n".join(overrides) + "\n")
    final_dtb = os.path.join(tmp, "final.dtb")
    run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", final_dtb, final_dts])
    return final_dtb, loaders, placed


def copy_trace(status, qmp_path, out, tmp):
    """runhv's `runhv: trace {...}` line names each pCPU's records in RAM: copied out with QEMU's
    pmemsave into `out` (tools/trace_timeline.py's format: a header, then the records)."""
    import struct
    import qmp  # tools/qmp.py
    status["written"] = 0
    status["write_failed"] = True
    try:
        mon = qmp.Qmp(qmp_path)
        with open(out, "wb") as f:
            f.write(b"RUNHVTR1" + struct.pack("<II", status["record_bytes"], len(status["parts"])))
            for part in status["parts"]:
                size = part["records"] * status["record_bytes"]
                if size == 0:
                    continue
                piece = os.path.join(tmp, f"trace-{part['pcpu']}.bin")
                mon.pmemsave(part["pa"], size, piece)
                with open(piece, "rb") as p:
                    data = p.read()
                if len(data) != size:
                    raise qmp.QmpError(f"pmemsave gave {len(data)} of {size} bytes")
                f.write(data)
                status["written"] += part["records"]
        mon.close()
        status["write_failed"] = False
    except (OSError, qmp.QmpError) as e:
        print(f"launch: could not copy the trace out: {e}", flush=True)


def die_with_parent():
    """In QEMU's child process: QEMU gets SIGKILL when the launcher dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Typist:
    """--input-after steps: each one's TEXT goes to QEMU's serial once its REGEX has matched a
    console line (any line so far) and every step before it has been sent."""

    def __init__(self, steps, fd):
        self.steps = [[re.compile(rx), codecs.decode(text, "unicode_escape").encode("latin-1"), False]
                      for rx, text in steps]
        self.fd = fd
        self.sent = []

    def feed(self, line):
        for step in self.steps:
            step[2] = step[2] or bool(step[0].search(line))
        while self.steps and self.steps[0][2]:
            rx, data, _ = self.steps.pop(0)
            try:
                os.write(self.fd, data)
            except OSError:
                return  # QEMU has gone: the step stays unsent
            self.sent.append({"after": rx.pattern, "bytes": len(data)})
            print(f"launch: input: {data!r} (after /{rx.pattern}/)", flush=True)


QUIT_KEY = b"\x1d"  # Ctrl-]
# runhv's line when nothing can run again but a key could still wake a domain (hyp/liveness.cpp).
WAITING_FOR_INPUT = "runhv: every domain is blocked with no timer armed: only console input can wake one"


def forward_terminal(fd, proc, attach=None):
    """The operator's keystrokes to QEMU's serial until Ctrl-] (which stops QEMU) or EOF. With
    `attach` (--console dN) the keys go to dN only while attached; the first Ctrl-] detaches."""
    while True:
        try:
            data = os.read(sys.stdin.fileno(), 1024)
        except OSError:
            return
        if not data:
            return
        quit_at = data.find(QUIT_KEY)
        if quit_at >= 0:
            data = data[:quit_at]
        if attach is not None:
            data = attach.keys(data)
            if quit_at >= 0 and attach.attached:
                if data:
                    os.write(fd, data)
                attach.detach()
                continue
        try:
            if data:
                os.write(fd, data)
        except OSError:
            return
        if quit_at >= 0:
            print("\r\nlaunch: Ctrl-]: stopping QEMU", flush=True)
            os.killpg(proc.pid, signal.SIGTERM)
            return


def raw_terminal():
    """Keys unprocessed (no echo, line editing, signals or flow control), output as before;
    returns the settings to restore."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.BRKINT | termios.ICRNL | termios.INLCR | termios.IGNCR | termios.ISTRIP | termios.IXON)
    mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSAFLUSH, mode)
    return saved


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # runs the `finally` that stops QEMU


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mem", type=int, default=1024, help="machine RAM in MiB")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
    ap.add_argument("--icount", action="store_true", help="-icount shift=0,sleep=off (instruction-exact time)")
    ap.add_argument("--quiet", action="store_true", help="do not stream the console")
    ap.add_argument("--stats-interval-ms", type=int, default=0,
                    help="have runhv print every vCPU's figures this often (runhv: progress lines)")
    ap.add_argument("--console", metavar="dN",
                    help="attach the terminal to domain N's vPL011 alone (as xl console); Ctrl-] detaches")
    ap.add_argument("--top", action="store_true",
                    help="an xentop-style live view from runhv's progress lines (redrawn in place on a terminal)")
    ap.add_argument("--table", action="store_true",
                    help="render runhv's progress and final figures as a per-vCPU table (80 columns)")
    ap.add_argument("--load", action="append", default=[], metavar="FILE@ADDR",
                    help="load FILE at physical ADDR, as a boot loader would for a module whose reg says ADDR")
    ap.add_argument("--gdb", type=int, metavar="PORT",
                    help="QEMU's gdbstub on 127.0.0.1:PORT, stopped before the first instruction (tools/debug.py)")
    ap.add_argument("--trace", metavar="FILE",
                    help="have runhv keep its scheduling trace in RAM and copy it to FILE at the end (QEMU monitor; tools/trace_timeline.py reads it)")
    ap.add_argument("--input-after", nargs=2, action="append", default=[], metavar=("REGEX", "TEXT"),
                    help="send TEXT to the serial once a console line matches REGEX (repeatable, in order)")
    args = ap.parse_args()
    if args.top and not args.stats_interval_ms:
        args.stats_interval_ms = 1000  # a round a second, as xentop's default delay
    interactive = not args.input_after and sys.stdin.isatty() and sys.stdout.isatty()
    loads = []
    for spec in args.load:
        f, at, addr = spec.rpartition("@")
        try:
            loads.append((f, int(addr, 0)))
        except ValueError:
            die(f"--load {spec}: want FILE@ADDR (ADDR like 0x74000000)")
        if not at or not f:
            die(f"--load {spec}: want FILE@ADDR")
    console_domain = None
    if args.console:
        m = re.fullmatch(r"d?(\d+)", args.console)
        if not m:
            die(f"--console {args.console}: name a domain as dN (d1, d2, ...)")
        console_domain = int(m.group(1))

    need("qemu-system-aarch64", "qemu-system-arm")
    need("dtc", "device-tree-compiler")
    need("fdtget", "device-tree-compiler")
    image = os.path.join(args.build, "aarch64", "runhv.elf")
    if not os.path.exists(image):
        die(f"{image} not found: build first (./runhv run builds)")
    guests_dir = (os.path.join(args.build, "aarch64", "guests"), args.build)

    with tempfile.TemporaryDirectory(prefix="runhv-launch-") as tmp:
        dtb, loaders, placed = build_dtb(args.scenario, tmp, args.smp, args.mem, guests_dir,
                                         "qemu-system-aarch64", args.stats_interval_ms,
                                         bool(args.trace), loads)
        cmd = ["qemu-system-aarch64", *board_args(args.smp, args.mem), "-nographic", "-monitor", "none",
               "-serial", "stdio", "-nic", "none", "-no-reboot", "-kernel", image, "-dtb", dtb, *loaders]
        if args.icount:
            cmd += ["-icount", "shift=0,sleep=off"]
        qmp_path = os.path.join(tmp, "qmp.sock")
        if args.trace:
            cmd += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
        if args.gdb:
            cmd += ["-gdb", f"tcp:127.0.0.1:{args.gdb}", "-S"]
        for path, addr, size in placed:
            print(f"launch: {path}: {size} bytes at 0x{addr:x}", flush=True)
        summary = {"scenario": os.path.basename(args.scenario), "smp": args.smp, "domains": {},
                   "probe": [], "exit": None, "timed_out": False}
        start = time.monotonic()
        typing = interactive or args.input_after or args.trace
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if typing else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                start_new_session=True, preexec_fn=die_with_parent)
        typist = Typist(args.input_after, proc.stdin.fileno()) if args.input_after else None
        attach = None
        if console_domain is not None:
            import console_attach  # tools/console_attach.py
            attach = console_attach.Attach(console_domain, proc.stdin.fileno() if typing else os.open(os.devnull, os.O_WRONLY),
                                           say=lambda x: print(x, flush=True))
        saved_tty = None
        try:
            if interactive:
                saved_tty = raw_terminal()
                print("launch: your keys go to runhv's console (Ctrl-A x3 switches domain, Ctrl-] quits)",
                      flush=True)
                threading.Thread(target=forward_terminal, args=(proc.stdin.fileno(), proc, attach), daemon=True).start()
            deadline = start + args.seconds
            table = Table() if args.table else None
            if args.top:
                import top_view  # tools/top_view.py
                table = top_view.Top()

            def expire():  # a guest that went silent must not keep the loop below waiting
                summary["timed_out"] = True
                os.killpg(proc.pid, signal.SIGTERM)

            watchdog = threading.Timer(args.seconds + 5, expire)
            watchdog.daemon = True
            watchdog.start()
            for line in proc.stdout:
                line = line.rstrip("\r\n")
                shown = table.feed(line) if table else True
                if attach is not None and shown:
                    view = attach.feed(line)
                    shown, line_shown = view is not None, view
                else:
                    line_shown = line
                if shown and not args.quiet:
                    print(line_shown, flush=True)
                collect(line, summary)
                if args.trace and "trace" in summary and "written" not in summary["trace"]:
                    copy_trace(summary["trace"], qmp_path, args.trace, tmp)
                    os.write(proc.stdin.fileno(), TRACE_ACK)
                if typist:
                    typist.feed(line)
                if line == WAITING_FOR_INPUT and not interactive and not (typist and typist.steps):
                    # Nothing runs or can run, and no key will come: the run is over (hung).
                    summary["waiting_for_input"] = True
                    print("launch: every domain waits for console input and none will come: stopping", flush=True)
                    break
                if time.monotonic() > deadline:
                    summary["timed_out"] = True
                    break
            watchdog.cancel()
        finally:
            if saved_tty is not None:
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSAFLUSH, saved_tty)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        if typist:
            summary["input"] = {"sent": typist.sent, "unsent": [s[0].pattern for s in typist.steps]}
        summary["exit"] = proc.returncode
        summary["vcpus"] = side_by_side(summary)
        if args.top:
            table.final()
        elif args.table:
            table.final(summary)
        summary["seconds"] = round(time.monotonic() - start, 2)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    ok = (summary["exit"] == 0 and not summary["timed_out"] and "fatal" not in summary
          and not summary.get("waiting_for_input"))
    if "fatal" in summary:  # runhv refused the configuration or hit an internal error
        print(f"launch: error: {os.path.basename(args.scenario)}: {summary['fatal']}", file=sys.stderr, flush=True)
    print(f"launch: qemu exit {summary['exit']}{' (timed out)' if summary['timed_out'] else ''}"
          f"{' (stopped: waiting for console input)' if summary.get('waiting_for_input') else ''}, "
          f"{len(summary['probe'])} PROBE records", flush=True)
    sys.exit(0 if ok else 1)


PROGRESS = re.compile(r"^runhv: progress (\{.*\})$")


class Table:
    """Per-vCPU figures as the run goes (from runhv: progress lines), then the final ones."""

    HEAD = "dom vcpu mode    running runnable blocked offline steal%  updates walkfail"

    def __init__(self):
        self.batch = {}

    def feed(self, line):
        m = PROGRESS.match(line)
        if not m:
            return not line.startswith("runhv: stats ")
        rec = json.loads(m.group(1))
        key = (rec["domain"], rec["vcpu"])
        if key in self.batch:  # a new round of lines begins: show the last one
            self.render(self.batch, "as it runs")
            self.batch = {}
        self.batch[key] = rec
        return False

    @staticmethod
    def render(recs, title):
        print(f"-- {title} " + "-" * (74 - len(title)))
        print(Table.HEAD)
        for (d, v), r in sorted(recs.items()):
            life = r["running_ns"] + r["runnable_ns"] + r["blocked_ns"] + r["offline_ns"]
            steal = 100.0 * (r["runnable_ns"] + r["offline_ns"]) / life if life else 0.0
            sec = [f"{r[k] / 1e9:7.3f}s" for k in ("running_ns", "runnable_ns", "blocked_ns", "offline_ns")]
            print(f"d{d:<2} v{v:<3} {r.get('mode', '?'):<6} {sec[0]} {sec[1]} {sec[2]} {sec[3]} "
                  f"{steal:5.1f}% {r['area_updates']:8} {r['walk_failures']:8}", flush=True)

    def final(self, summary):
        recs = {(r["domain"], r["vcpu"]): r for rs in summary["domains"].values() for r in rs}
        if recs:
            self.render(recs, "final (runhv's books at each domain's shutdown)")


def side_by_side(summary):
    """Per vCPU: runhv's runstate totals at the domain's shutdown beside the last values the
    guest read from its area (PROBE records with last_*_ns), when it reported them."""
    reads = {(p["domain"], p.get("cpu", 0)): p for p in summary["probe"] if "last_running_ns" in p}
    finals = {(p["domain"], p.get("cpu", 0)): p for p in summary["probe"] if "final_state_entry_time" in p}
    rows = []
    for recs in summary["domains"].values():
        for r in recs:
            row = {"domain": r["domain"], "vcpu": r["vcpu"], "mode": r.get("mode"),
                   "runhv": {k: r[k] for k in ("running_ns", "runnable_ns", "blocked_ns", "offline_ns")},
                   "area_updates": r["area_updates"], "walk_failures": r["walk_failures"]}
            g = reads.get((r["domain"], r["vcpu"]))
            if g:
                row["guest_last_read"] = {k: g[f"last_{k}"] for k in row["runhv"]}
                row["guest_stale_reads"] = g.get("stale")
            # A vCPU that went offline before its domain stopped: its area's last update is final,
            # and what the guest read there must equal runhv's record exactly.
            final = finals.get((r["domain"], r["vcpu"]))
            if final and "area_state_entry_time" in r:
                keys = ("state", "state_entry_time", "running_ns", "runnable_ns", "blocked_ns", "offline_ns")
                row["last_update"] = {"runhv": {k: r[f"area_{k}"] for k in keys},
                                      "guest": {k: final[f"final_{k}"] for k in keys}}
                row["last_update_agrees"] = all(r[f"area_{k}"] == final[f"final_{k}"] for k in keys)
            rows.append(row)
    return rows


STATS = re.compile(r"^runhv: stats (\{.*\})$")
TEARDOWN = re.compile(r"^runhv: teardown (\{.*\})$")
PROBE = re.compile(r"^\[d(\d+)\] PROBE (\{.*\})$")
MARK = re.compile(r"^runhv: mark (\{.*\})$")
TRACE = re.compile(r"^runhv: trace (\{.*\})$")
FATAL = re.compile(r"^runhv: FATAL: (.*)$")
LINUX = re.compile(r"^\[d(\d+)\] LINUX (\{.*\})$")


# runhv's JSON lines: the summary key each goes to, appended (a list) or kept (the one record).
JSON_LINES = ((TEARDOWN, "teardown", True), (PROGRESS, "progress", True), (TRACE, "trace", False),
              (MARK, "marks", True))


def collect(line, summary):
    m = FATAL.match(line)
    if m:
        summary.setdefault("fatal", m.group(1))
        return
    try:
        m = STATS.match(line)
        if m:
            rec = json.loads(m.group(1))
            summary["domains"].setdefault(f"d{rec.get('domain')}", []).append(rec)
            return
        for pattern, key, many in JSON_LINES:
            m = pattern.match(line)
            if m:
                if many:
                    summary.setdefault(key, []).append(json.loads(m.group(1)))
                else:
                    summary[key] = json.loads(m.group(1))
                return
        for pattern, key in ((PROBE, "probe"), (LINUX, "linux")):  # guest records: [dN] prefixed
            m = pattern.match(line)
            if m:
                rec = json.loads(m.group(2))
                rec["domain"] = int(m.group(1))
                summary.setdefault(key, []).append(rec)
                return
    except json.JSONDecodeError:
        summary.setdefault("bad_lines", []).append(line)

if __name__ == "__main__":
    main()
