// The Xen hypercall table: hypercall number to handler, for the hypervisor and the fuzzer alike
// SPDX-License-Identifier: MIT
//
// Served: xen_version, console_io, sched_op, vcpu_op, memory_op, vm_assist, hvm_op,
// grant_table_op, event_channel_op; any other number is -ENOSYS with a budgeted log line.
// `Host` is built from the caller (`Host::Caller&`) inside each handler, so that one which needs
// no XenHost costs nothing for it; it provides `GuestCall call()`, XenHost, and `vcpu_op(args)`
// (vCPU up/down and the runstate sub-ops, the hypervisor's). -ERESTART is the caller's to act on
// (re-execute the HVC), as is every counter.
#pragma once

#include "core/evtchn_call.hpp"
#include "core/xen_host.hpp"
#include "core/xen_version.hpp"

namespace runhv {

using HypercallArgs = const u64*;  // x0..x5
inline constexpr u64 kHypercalls = 64;

namespace hypercall_entry {

template <class Host>
long xen_version(typename Host::Caller& who, HypercallArgs a) {
  if (long plain = 0; xen_version_plain(a[0], plain)) {
    return plain;  // without a GuestCall: the caller's stage-1 registers are not read
  }
  return xen_version_op(Host(who).call(), a[0], a[1]);
}
template <class Host>
long console_io(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  return console_io_call(h.call(), h, a[0], a[1], a[2]);
}
template <class Host>
long sched_op(typename Host::Caller& who, HypercallArgs a) {
  switch (static_cast<xen::SchedOp>(a[0])) {  // yield and block read nothing: no GuestCall for them
    case xen::SchedOp::yield:
      Host(who).sched_yield();
      return 0;
    case xen::SchedOp::block:
      Host(who).sched_block();
      return 0;
    default: {
      Host h(who);
      return sched_op_call(h.call(), h, a[0], a[1]);
    }
  }
}
template <class Host>
long vcpu_op(typename Host::Caller& who, HypercallArgs a) {
  return Host(who).vcpu_op(a);
}
template <class Host>
long memory_op(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  return memory_op_call(h.call(), h, a[0], a[1]);
}
template <class Host>
long vm_assist(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  return vm_assist_call(h.call(), h, a[0], a[1]);
}
template <class Host>
long hvm_op(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  return hvm_op_call(h.call(), h, a[0], a[1]);
}
template <class Host>
long grant_table_op(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  return grant_table_op_call(h.call(), h, a[0], a[1], a[2]);
}
template <class Host>
long event_channel_op(typename Host::Caller& who, HypercallArgs a) {
  Host h(who);
  const auto cmd = static_cast<u32>(a[0]);
  const long rc = evtchn_guest_op(h.call(), cmd, Va(a[1]), [&h, cmd](void* arg) { return h.evtchn_run(cmd, arg); });
  h.evtchn_done();  // (also when the copy back failed: the event state changed all the same)
  return rc;
}

template <class Host>
struct Table {
  using Handler = long (*)(typename Host::Caller&, HypercallArgs);
  Handler h[kHypercalls];
};

template <class Host>
constexpr Table<Host> make_table() {
  Table<Host> t{};
  const auto at = [&t](xen::Hypercall n) -> typename Table<Host>::Handler& { return t.h[static_cast<u64>(n)]; };
  at(xen::Hypercall::memory_op) = memory_op<Host>;
  at(xen::Hypercall::xen_version) = xen_version<Host>;
  at(xen::Hypercall::console_io) = console_io<Host>;
  at(xen::Hypercall::vm_assist) = vm_assist<Host>;
  at(xen::Hypercall::vcpu_op) = vcpu_op<Host>;
  at(xen::Hypercall::sched_op) = sched_op<Host>;
  at(xen::Hypercall::hvm_op) = hvm_op<Host>;
  at(xen::Hypercall::grant_table_op) = grant_table_op<Host>;
  at(xen::Hypercall::event_channel_op) = event_channel_op<Host>;
  return t;
}

template <class Host>
inline constexpr Table<Host> kTable = make_table<Host>();

}  // namespace hypercall_entry

// Hypercall `number` with arguments `a` from `who`.
template <class Host>
long xen_hypercall(typename Host::Caller& who, u64 number, HypercallArgs a) {
  const auto& table = hypercall_entry::kTable<Host>;
  if (number < kHypercalls && table.h[number] != nullptr) [[likely]] {
    return table.h[number](who, a);
  }
  const GuestCall c = Host(who).call();
  guest_logf(c.budget, "d%uv%u: unknown hypercall %llu", c.dom, c.vcpu, static_cast<unsigned long long>(number));
  return xen::error(xen::Errno::enosys);
}

}  // namespace runhv
