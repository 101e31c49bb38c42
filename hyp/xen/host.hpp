// The calling vCPU as the portable hypercall handlers' host (core/xen_host.hpp)
// SPDX-License-Identifier: MIT
//
// Built inside each handler of core/hypercall_table.hpp from the vCPU: scheduling, the domain's
// console, its stage 2 and frames, and the event-channel lock are done here.
#pragma once

#include "core/xen_host.hpp"
#include "hyp/domain.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {

class VcpuHost final : public XenHost {
 public:
  using Caller = Vcpu;
  explicit VcpuHost(Vcpu& v) : v_(v) {}

  [[nodiscard]] GuestCall call() const {
    return GuestCall{v_.domain->space, guest_stage1(v_), v_.domain->runstate.log_budget, v_.domain->number, v_.id};
  }
  long vcpu_op(const u64* a);
  void evtchn_done();

  bool domain_exists(u16 domid) override;
  void sched_yield() override { vcpu_yield(v_); }
  void sched_block() override { vcpu_block(v_); }
  void sched_shutdown(const char* reason) override;
  void console_write(const char* bytes, usize n) override;
  void console_continue(u64 count, u64 buffer) override;
  long evtchn_run(u32 cmd, void* arg) override;
  GrantTable& grant() override { return v_.domain->grant; }
  u64& shared_info_place() override { return v_.domain->shared_info_place; }
  RunstateDomain& runstate() override { return v_.domain->runstate; }
  void physmap_lock() override { v_.domain->p2m_lock.lock(); }
  void physmap_unlock() override { v_.domain->p2m_lock.unlock(); }
  bool physmap_map(Ipa ipa, PhysmapPage page) override;
  void physmap_unmap(Ipa ipa) override;

 private:
  Vcpu& v_;
  Upcall up_{};
};

}  // namespace runhv::hyp
