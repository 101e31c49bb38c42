// console_io: a domain's writes to its console ([dN] lines); reads return nothing
// SPDX-License-Identifier: MIT
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
namespace {

long console_write(Vcpu& v, u64 count, u64 buffer) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  const u64 n = static_cast<u32>(count);  // Xen: unsigned int count
  char chunk[128];
  for (u64 done = 0; done < n;) {
    const usize len = n - done < sizeof chunk ? static_cast<usize>(n - done) : sizeof chunk;
    if (copy_from_guest(v.domain->space, ctx, chunk, Va{buffer + done}, len) != 0) {
      return bad_pointer(v, "console_io(write)", buffer + done);
    }
    v.domain->console.write(chunk, len);
    done += len;
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
