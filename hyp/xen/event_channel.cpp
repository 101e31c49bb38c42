// event_channel_op: Xen event channels, 2-level ABI (core/evtchn), for every domain under one lock
// SPDX-License-Identifier: MIT
//
// The argument is copied from the guest once (core/hypercall_table.hpp), the operation runs under
// the event-channel lock (interdomain operations touch two domains' tables), the result is copied
// back, and a vCPU whose upcall became pending gets INTID 31 through its vGIC after that. Each domain
// gets ports 1..1023, as Xen's dom0less gives a domU.
#include "hyp/xen/event_channel.hpp"

#include "hyp/scheduling.hpp"
#include "hyp/xen/host.hpp"

namespace runhv::hyp {
namespace {

constexpr u32 kMaxPort = 1023;

SpinLock g_lock;

class Directory final : public EvtchnDirectory {
 public:
  EvtchnDomain* find(DomId id) override {
    Domain* d = find_domain(static_cast<u16>(id));
    return d != nullptr ? &d->evtchn : nullptr;
  }
};
Directory g_directory;

void raise(const Upcall& up) {
  if (!up.raise) {
    return;
  }
  Domain* d = find_domain(static_cast<u16>(up.domain));
  if (d != nullptr && up.vcpu < d->nr_vcpus) {
    vcpu_raise_event(d->vcpus[up.vcpu]);
  }
}

}  // namespace

void evtchn_domain_init(Domain& d) {
  g_lock.lock();
  evtchn_init(d.evtchn, xen::domid(d.number), d.nr_vcpus, reinterpret_cast<xen::shared_info*>(d.shared_info),
              &d.runstate.log_budget);
  d.evtchn.max_port = kMaxPort;
  g_lock.unlock();
}

void evtchn_vcpu_info_moved(Vcpu& v, xen::vcpu_info* area) {
  g_lock.lock();
  evtchn_set_vcpu_info(v.domain->evtchn, v.id, area);
  g_lock.unlock();
}

void evtchn_domain_teardown(Domain& d) {
  g_lock.lock();
  evtchn_destroy(g_directory, d.evtchn);
  g_lock.unlock();
}

long VcpuHost::evtchn_run(u32 cmd, void* arg) {
  g_lock.lock();
  const long result = evtchn_op(g_directory, v_.domain->evtchn, cmd, arg, up_);
  g_lock.unlock();
  return result;
}

void VcpuHost::evtchn_done() { raise(up_); }

}  // namespace runhv::hyp
