// Xen hypercalls (HVC #0xEA1): number in x16, arguments in x0..x4, result in x0
// SPDX-License-Identifier: MIT
//
// Served so far: xen_version(XENVER_version) and console_io(CONSOLEIO_write). Everything else
// returns -ENOSYS with a log line. Buffers are guest virtual addresses, copied through the
// guest's stage 1 and stage 2 by core/guest_copy. Not handled yet: a guest running with its
// data cache off writes around the hypervisor's cacheable view of its RAM; QEMU has no caches,
// real hardware would need the source lines invalidated first.
#include "core/log.hpp"
#include "core/xen_abi.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {
namespace {

using xen::Errno;
using xen::Hypercall;

// The Xen release runhv presents itself as: 4.19.
constexpr long kXenVersion = (4 << 16) | 19;

long xen_version(u64 cmd) {
  switch (static_cast<xen::XenVer>(cmd)) {
    case xen::XenVer::version:
      return kXenVersion;
    default:
      return xen::error(Errno::enosys);
  }
}

long console_write(Vcpu& v, u64 count, u64 buffer) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  const u64 n = static_cast<u32>(count);  // Xen: unsigned int count
  char chunk[128];
  for (u64 done = 0; done < n;) {
    const usize len = n - done < sizeof chunk ? static_cast<usize>(n - done) : sizeof chunk;
    if (const long rc = copy_from_guest(v.domain->space, ctx, chunk, Va{buffer + done}, len); rc != 0) {
      logf("d%uv%u: console_io: cannot read 0x%lx", static_cast<unsigned>(v.domain->number), v.id, buffer + done);
      return rc;
    }
    v.domain->console.write(chunk, len);
    done += len;
  }
  return 0;
}

long console_io(Vcpu& v, u64 cmd, u64 count, u64 buffer) {
  switch (static_cast<xen::ConsoleIo>(cmd)) {
    case xen::ConsoleIo::write:
      return console_write(v, count, buffer);
    case xen::ConsoleIo::read:
      return 0;  // no input yet
  }
  return xen::error(Errno::enosys);
}

}  // namespace

void xen_hypercall(Vcpu& v) {
  u64* x = v.regs.x;
  long result = 0;
  switch (static_cast<Hypercall>(x[16])) {
    case Hypercall::xen_version:
      result = xen_version(x[0]);
      break;
    case Hypercall::console_io:
      result = console_io(v, x[0], x[1], x[2]);
      break;
    default:
      logf("d%uv%u: unknown hypercall %lu", static_cast<unsigned>(v.domain->number), v.id, x[16]);
      result = xen::error(Errno::enosys);
      break;
  }
  x[0] = static_cast<u64>(result);
}

}  // namespace runhv::hyp
