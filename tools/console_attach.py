# ./runhv run --console dN: the terminal attached to one domain's vPL011, as `xl console` does
# SPDX-License-Identifier: MIT
"""The launcher feeds it every console line. At runhv's first "console input to dX" line it types
Ctrl-A three times (runhv's focus switch, as Xen's) until the focus is dN; from then on the
terminal shows dN's console alone (without its [dN] prefix, plus runhv's lines about dN) and the
operator's keys go to dN. The detach key (Ctrl-]) gives the terminal back: every line shows
again, keys are no longer sent, and the run goes on (Ctrl-] once more stops it)."""
import os
import re
import threading

FOCUS = re.compile(r"^runhv: console input to d(\d+)\b")
SWITCH = b"\x01\x01\x01"


class Attach:
    def __init__(self, domain, serial_fd, say=print):
        self.domain = domain
        self.fd = serial_fd
        self.say = say
        self.attached = True
        self.focused = threading.Event()
        self.switches = 0
        self.first_focus = None

    def feed(self, line):
        """The line to show for console line `line`, or None."""
        m = FOCUS.match(line)
        if m and self.attached and not self.focused.is_set():
            now = int(m.group(1))
            if now == self.domain:
                self.focused.set()
                self.say(f"launch: attached to d{self.domain}'s console (Ctrl-] detaches)")
            elif now == self.first_focus:  # round the ring: dN takes no input
                self.say(f"launch: d{self.domain} takes no console input (no vpl011 in the scenario?); detached")
                self.attached = False
            else:
                self.first_focus = self.first_focus or now
                self.switches += 1
                os.write(self.fd, SWITCH)
            return None
        if not self.attached:
            return line
        prefix = f"[d{self.domain}] "
        if line.startswith(prefix):
            return line[len(prefix):]
        if re.match(rf"^runhv: d{self.domain}\b", line):
            return line
        return None

    def keys(self, data):
        """What of the operator's `data` goes to the serial port."""
        return data if self.attached and self.focused.is_set() else b""

    def detach(self):
        self.attached = False
        self.say(f"\r\nlaunch: detached from d{self.domain} (the run goes on; Ctrl-] again stops it)")
