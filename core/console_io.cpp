// console_io: a domain's writes to its console ([dN] lines); reads return nothing
// SPDX-License-Identifier: MIT
//
// A write is done in pieces of kPiece bytes: after each one that leaves more, the count and
// buffer registers are moved on (XenHost::console_continue) and -ERESTART makes the guest execute
// the same HVC again (Xen's continuation), so a long write (up to 4 GiB: the count is an unsigned
// int) never holds the pCPU with interrupts masked for longer than one piece. The guest sees one
// call returning 0, or -EFAULT where its buffer stopped being readable.
#include "core/xen_host.hpp"

namespace runhv {
namespace {

constexpr u64 kPiece = 512;

long console_write(const GuestCall& c, XenHost& h, u64 count, u64 buffer) {
  const u64 n = static_cast<u32>(count);  // Xen: unsigned int count
  const u64 piece = n < kPiece ? n : kPiece;
  char chunk[128];
  for (u64 done = 0; done < piece;) {
    const usize len = piece - done < sizeof chunk ? static_cast<usize>(piece - done) : sizeof chunk;
    if (copy_from_guest(c.space, c.ctx, chunk, Va{buffer + done}, len) != 0) {
      return bad_argument_pointer(c, "console_io(write)", buffer + done);
    }
    h.console_write(chunk, len);
    done += len;
  }
  if (piece < n) {
    h.console_continue(n - piece, buffer + piece);
    return xen::error(xen::Errno::erestart);
  }
  return 0;
}

}  // namespace

long console_io_call(const GuestCall& c, XenHost& h, u64 cmd, u64 count, u64 buffer) {
  switch (static_cast<xen::ConsoleIo>(cmd)) {
    case xen::ConsoleIo::write:
      return console_write(c, h, count, buffer);
    case xen::ConsoleIo::read:
      return 0;  // no input: zero bytes read
  }
  guest_logf(c.budget, "d%uv%u: console_io: unknown command %llu", c.dom, c.vcpu, static_cast<unsigned long long>(cmd));
  return xen::error(xen::Errno::enosys);
}

}  // namespace runhv
