# A minimal client of QEMU's machine protocol (QMP) over a Unix socket: what the launcher asks of a
# running QEMU (pmemsave: copying guest-physical memory to a host file)
# SPDX-License-Identifier: MIT
import json
import socket


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self._reply()  # the greeting
        self.execute("qmp_capabilities")

    def _reply(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise QmpError("QEMU closed the monitor")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._reply()
            if "event" in reply:
                continue
            if "error" in reply:
                raise QmpError(f"{command}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def pmemsave(self, pa, size, filename):
        self.execute("pmemsave", val=pa, size=size, filename=filename)

    def close(self):
        self.sock.close()
