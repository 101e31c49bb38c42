// What the portable Xen hypercall handlers need from the hypervisor they run in, and the handlers
// SPDX-License-Identifier: MIT
//
// Each handler decodes its arguments, checks them, copies them in and out of the caller's memory
// and chooses Xen's answer; the work that needs the hypervisor (scheduling, the console, stage 2,
// the event-channel lock) goes through XenHost. hyp/ implements it for the calling vCPU, the
// hypercall fuzzer over model::Machine.
#pragma once

#include "core/grant_table.hpp"
#include "core/guest_call.hpp"
#include "core/runstate_area.hpp"

namespace runhv {

// A page add_to_physmap puts into the caller's stage 2.
struct PhysmapPage {
  enum Kind : u8 { shared_info, grant_frame } kind;
  u32 frame = 0;  // which grant frame, for Kind::grant_frame
};

class XenHost {
 public:
  // Another domain by this number exists (the caller's own number never reaches here).
  virtual bool domain_exists(u16 domid) = 0;

  virtual void sched_yield() = 0;
  virtual void sched_block() = 0;
  // The domain stops (the hypervisor's never returns; it sets the result 0 first).
  virtual void sched_shutdown(const char* reason) = 0;

  virtual void console_write(const char* bytes, usize n) = 0;
  // console_io(write) goes on from `buffer` with `count` bytes left when re-executed.
  virtual void console_continue(u64 count, u64 buffer) = 0;

  // evtchn_op on the copied argument, under the hypervisor's event-channel lock.
  virtual long evtchn_run(u32 cmd, void* arg) = 0;

  // The caller's domain's grant table, where its shared_info is mapped (gpfn + 1; 0: nowhere)
  // and its runstate settings.
  virtual GrantTable& grant() = 0;
  virtual u64& shared_info_place() = 0;
  virtual RunstateDomain& runstate() = 0;
  // add_to_physmap's changes of the stage 2 and the grant frames' places hold this lock.
  virtual void physmap_lock() = 0;
  virtual void physmap_unlock() = 0;
  // `page` at IPA `ipa` (the RAM page there given up); false: no stage-2 table left.
  virtual bool physmap_map(Ipa ipa, PhysmapPage page) = 0;
  virtual void physmap_unmap(Ipa ipa) = 0;

 protected:
  XenHost() = default;
  ~XenHost() = default;
  XenHost(const XenHost&) = default;
  XenHost& operator=(const XenHost&) = default;
};

// The handlers (Xen's answers are in each one's file, core/<name>.cpp).
long console_io_call(const GuestCall& c, XenHost& h, u64 cmd, u64 count, u64 buffer);
long sched_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg);
long memory_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg);
long hvm_op_call(const GuestCall& c, XenHost& h, u64 op, u64 arg);
long grant_table_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg, u64 count);
long vm_assist_call(const GuestCall& c, XenHost& h, u64 cmd, u64 type);

}  // namespace runhv
