// Xen hypercalls: one table from hypercall number to handler (hyp/xen/handlers.hpp)
// SPDX-License-Identifier: MIT
//
// Served: xen_version, console_io, sched_op, vcpu_op, memory_op, vm_assist, hvm_op, grant_table_op, event_channel_op.
// Any other number returns -ENOSYS with a budgeted log line. Not handled yet: a guest running with its data cache off
// writes around the hypervisor's cacheable view of its RAM; QEMU has no caches, real hardware would need the source
// lines invalidated first.
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp {
namespace {

using Handler = long (*)(Vcpu& v, hypercall::Args a);
constexpr u64 kHypercalls = 64;

constexpr auto kTable = [] {
  struct Table {
    Handler h[kHypercalls];
  } t{};
  const auto at = [&t](xen::Hypercall n) -> Handler& { return t.h[static_cast<u64>(n)]; };
  at(xen::Hypercall::memory_op) = hypercall::memory_op;
  at(xen::Hypercall::xen_version) = hypercall::xen_version;
  at(xen::Hypercall::console_io) = hypercall::console_io;
  at(xen::Hypercall::vm_assist) = hypercall::vm_assist;
  at(xen::Hypercall::vcpu_op) = hypercall::vcpu_op;
  at(xen::Hypercall::sched_op) = hypercall::sched_op;
  at(xen::Hypercall::hvm_op) = hypercall::hvm_op;
  at(xen::Hypercall::grant_table_op) = hypercall::grant_table_op;
  at(xen::Hypercall::event_channel_op) = hypercall::event_channel_op;
  return t;
}();

}  // namespace

void on_hypercall(arch::VcpuState& s) {
  Vcpu& v = vcpu_of(s);
  ++v.counters.hypercalls;
  const u64 number = arch::hypercall_number(s);
  long result;
  if (number < kHypercalls && kTable.h[number] != nullptr) [[likely]] {
    result = kTable.h[number](v, arch::hypercall_args(s));
  } else {
    guest_logf(hypercall::budget(v), "d%uv%u: unknown hypercall %lu", hypercall::dom(v), v.id, number);
    result = xen::error(xen::Errno::enosys);
  }
  if (result == xen::error(xen::Errno::erestart)) {
    // Transient (an area lock held by another pCPU's switch) or a continuation (the next piece of
    // a long console write, its registers moved on): the guest never sees it, it just executes
    // the same HVC again, as after a Xen continuation.
    ++v.counters.hypercall_restarts;
    arch::restart_hypercall(s);
    return;
  }
  if (result < 0) {
    ++v.counters.hypercall_errors;
  }
  arch::set_hypercall_result(s, static_cast<u64>(result));
}

}  // namespace runhv::hyp
