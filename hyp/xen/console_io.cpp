// console_io: a domain's writes to its console ([dN] lines); reads return nothing
// SPDX-License-Identifier: MIT
//
// A write is done in pieces of kPiece bytes: after each one that leaves more, the hypercall's
// count and buffer registers are moved on and the guest executes the same HVC again (Xen's
// continuation), so a long write (up to 4 GiB: the count is an unsigned int) never holds the pCPU
// with interrupts masked for longer than one piece; the scheduler's tick and other vCPUs get in
// between. The guest sees one call returning 0, or -EFAULT where its buffer stopped being readable.
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
namespace {

constexpr u64 kPiece = 512;

long console_write(Vcpu& v, u64 count, u64 buffer) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  const u64 n = static_cast<u32>(count);  // Xen: unsigned int count
  const u64 piece = n < kPiece ? n : kPiece;
  char chunk[128];
  for (u64 done = 0; done < piece;) {
    const usize len = piece - done < sizeof chunk ? static_cast<usize>(piece - done) : sizeof chunk;
    if (copy_from_guest(v.domain->space, ctx, chunk, Va{buffer + done}, len) != 0) {
      return bad_pointer(v, "console_io(write)", buffer + done);
    }
    v.domain->console.write(chunk, len);
    done += len;
  }
  if (piece < n) {
    arch::gpr(v.arch, 1) = n - piece;       // the rest of the count
    arch::gpr(v.arch, 2) = buffer + piece;  // ... from here
    return xen::error(xen::Errno::erestart);
  }
  return 0;
}

}  // namespace

long console_io(Vcpu& v, Args a) {
  switch (static_cast<xen::ConsoleIo>(a[0])) {
    case xen::ConsoleIo::write:
      return console_write(v, a[1], a[2]);
    case xen::ConsoleIo::read:
      return 0;  // no input: zero bytes read
  }
  guest_logf(budget(v), "d%uv%u: console_io: unknown command %lu", dom(v), v.id, a[0]);
  return xen::error(xen::Errno::enosys);
}

}  // namespace runhv::hyp::hypercall
