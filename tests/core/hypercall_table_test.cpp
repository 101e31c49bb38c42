// The portable hypercall table and handlers (core/hypercall_table.hpp), over the machine model
// SPDX-License-Identifier: MIT
#include "core/hypercall_table.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "core/stage2_table.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
using xen::Errno;
using xen::error;
using xen::Hypercall;

constexpr u16 kSelf = static_cast<u16>(DomId::self);

// Domain 1 with a data page at kernel_va(0) and a neighbour's page at kernel_va(0x1000); domain 2
// exists. The host records what the handlers asked of it.
struct Dom {
  model::Machine machine;
  GuestSpace guest{machine};
  Ipa data = guest.map_kernel(0);
  RunstateDomain runstate;
  GrantTable grant;
  u64 shared_info_place = 0;
  std::map<u64, PhysmapPage> placed;
  bool table_left = true;
  u64 yields = 0;
  std::string console, shutdown;
  u64 regs[6] = {};

  Dom() {
    guest.s2().map(Ipa(0x8000'0000), machine.alloc(xen::domid(2)), kPageSize);
    guest.s1().map(GuestSpace::kernel_va(0x1000), Ipa(0x8000'0000), kPageSize);
    runstate.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
  }
  long hypercall(Hypercall n, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0);
  template <class T>
  void put(const T& v) {
    machine.write_bytes(guest.pa(data), &v, sizeof v);
  }
  template <class T>
  T get() {
    T v;
    machine.read_bytes(guest.pa(data), &v, sizeof v);
    return v;
  }
  long add_to_physmap(u32 space, u64 idx, u64 gpfn, u16 domid = kSelf) {
    put(xen::xen_add_to_physmap{domid, 0, space, idx, gpfn});
    return hypercall(Hypercall::memory_op, static_cast<u64>(xen::MemoryOp::add_to_physmap), kData);
  }
  static constexpr u64 kData = GuestSpace::kKernelBase;
};

class TestHost final : public XenHost {
 public:
  using Caller = Dom;
  explicit TestHost(Dom& d) : d_(d) {}
  GuestCall call() const { return GuestCall{d_.runstate.space, d_.guest.s1_regs(), d_.runstate.log_budget, 1, 0}; }
  long vcpu_op(const u64* /*a*/) { return error(Errno::enosys); }  // (the hypervisor's: not here)
  void evtchn_done() {}
  bool domain_exists(u16 domid) override { return domid == 2; }
  void sched_yield() override { ++d_.yields; }
  void sched_block() override {}
  void sched_shutdown(const char* reason) override { d_.shutdown = reason; }
  void console_write(const char* bytes, usize n) override { d_.console.append(bytes, n); }
  void console_continue(u64 count, u64 buffer) override {
    d_.regs[1] = count;
    d_.regs[2] = buffer;
  }
  long evtchn_run(u32 /*cmd*/, void* /*arg*/) override { return 0; }
  GrantTable& grant() override { return d_.grant; }
  u64& shared_info_place() override { return d_.shared_info_place; }
  RunstateDomain& runstate() override { return d_.runstate; }
  void physmap_lock() override {}
  void physmap_unlock() override {}
  bool physmap_map(Ipa ipa, PhysmapPage page) override {
    if (!d_.table_left) {
      return false;
    }
    d_.placed[ipa.page_number()] = page;
    return true;
  }
  void physmap_unmap(Ipa ipa) override { d_.placed.erase(ipa.page_number()); }

 private:
  Dom& d_;
};

long Dom::hypercall(Hypercall n, u64 a0, u64 a1, u64 a2) {
  regs[0] = a0;
  regs[1] = a1;
  regs[2] = a2;
  return xen_hypercall<TestHost>(*this, static_cast<u64>(n), regs);
}

constexpr u32 kSharedInfo = static_cast<u32>(xen::MapSpace::shared_info);
constexpr u32 kGrantTable = static_cast<u32>(xen::MapSpace::grant_table);

TEST(HypercallTable, UnknownNumbersAreEnosys) {
  Dom d;
  for (u64 n : {u64{0}, u64{13}, u64{63}, u64{64}, ~u64{0}}) {
    EXPECT_EQ(xen_hypercall<TestHost>(d, n, d.regs), error(Errno::enosys)) << n;
  }
  EXPECT_EQ(d.hypercall(Hypercall::xen_version, static_cast<u64>(xen::XenVer::version)), kXenVersion);
}

TEST(HypercallTable, SharedInfoMapsOnceAndAgainWhenMappedOver) {
  Dom d;
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, 0x40010, 2), error(Errno::eperm));  // another domain's
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, 0x40010, 9), error(Errno::esrch));  // no such domain
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 1, 0x40010), error(Errno::einval));
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, mmu::stage2::kIpaLimit >> kPageShift), error(Errno::einval));
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, 0x40010), 0);
  EXPECT_EQ(d.shared_info_place, 0x40011U);
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, 0x40020), error(Errno::ebusy));
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 0, 0x40010), 0);  // over it: shared_info is unmapped
  EXPECT_EQ(d.shared_info_place, 0U);
  EXPECT_EQ(d.add_to_physmap(kSharedInfo, 0, 0x40020), 0);
  EXPECT_EQ(d.add_to_physmap(3, 0, 0x40030), error(Errno::einval));  // gmfn_range: not served
  EXPECT_EQ(d.hypercall(Hypercall::memory_op, 6, Dom::kData), error(Errno::enosys));
  EXPECT_EQ(d.hypercall(Hypercall::memory_op, 7, Dom::kData + 0x2000), error(Errno::efault));
}

TEST(HypercallTable, GrantFramesMoveAndForgetWhatWasMappedOver) {
  Dom d;
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 0, 0), 0);  // gpfn 0 is a place too
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 0, 0x38000), 0);
  EXPECT_EQ(d.placed.count(0), 0U);                         // moved away from gpfn 0
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 1, 0x38000), 0);  // frame 1 over frame 0
  u64 at = 0;
  EXPECT_FALSE(grant_frame_at(d.grant, 0, at));
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 0, 0x38001), 0);  // frame 0 again: frame 1 stays
  ASSERT_EQ(d.placed.count(0x38000), 1U);
  EXPECT_EQ(d.placed[0x38000].frame, 1U);
  EXPECT_EQ(d.add_to_physmap(kGrantTable, GrantTable::kFrames, 0x38002), error(Errno::einval));
  EXPECT_EQ(d.add_to_physmap(kGrantTable, xen::kMapIdxGrantTableStatus, 0x38002), error(Errno::einval));
  d.table_left = false;  // no stage-2 table for the new place: the frame is mapped nowhere
  EXPECT_EQ(d.add_to_physmap(kGrantTable, 0, 0x90000), error(Errno::enomem));
  EXPECT_FALSE(grant_frame_at(d.grant, 0, at));
  EXPECT_EQ(d.placed.count(0x38001), 0U);
}

TEST(HypercallTable, GrantTableOps) {
  Dom d;
  const u64 query = static_cast<u64>(xen::GnttabOp::query_size);
  d.put(xen::gnttab_query_size{kSelf, 0, 0, 0, 0, 0});
  EXPECT_EQ(d.hypercall(Hypercall::grant_table_op, query, Dom::kData, 1), 0);
  EXPECT_EQ(d.get<xen::gnttab_query_size>().max_nr_frames, GrantTable::kFrames);
  EXPECT_EQ(d.hypercall(Hypercall::grant_table_op, query, Dom::kData, 2), error(Errno::einval));
  d.put(xen::gnttab_get_version{3, 0, 0});
  EXPECT_EQ(d.hypercall(Hypercall::grant_table_op, static_cast<u64>(xen::GnttabOp::get_version), Dom::kData, 1),
            error(Errno::esrch));
  d.put(xen::gnttab_set_version{2});
  EXPECT_EQ(d.hypercall(Hypercall::grant_table_op, static_cast<u64>(xen::GnttabOp::set_version), Dom::kData, 1),
            error(Errno::enosys));
  EXPECT_EQ(d.get<xen::gnttab_set_version>().version, 1U);
}

TEST(HypercallTable, SchedConsoleHvmAndVmAssist) {
  Dom d;
  EXPECT_EQ(d.hypercall(Hypercall::sched_op, static_cast<u64>(xen::SchedOp::yield)), 0);
  EXPECT_EQ(d.yields, 1U);
  d.put(xen::sched_shutdown{static_cast<u32>(xen::ShutdownReason::crash)});
  EXPECT_EQ(d.hypercall(Hypercall::sched_op, static_cast<u64>(xen::SchedOp::shutdown), Dom::kData), 0);
  EXPECT_EQ(d.shutdown, "crash");
  EXPECT_EQ(d.hypercall(Hypercall::sched_op, static_cast<u64>(xen::SchedOp::poll), Dom::kData), error(Errno::enosys));

  char text[600];
  std::memset(text, 'x', sizeof text);
  d.machine.write_bytes(d.guest.pa(d.data), text, sizeof text);
  const u64 write = static_cast<u64>(xen::ConsoleIo::write);
  EXPECT_EQ(d.hypercall(Hypercall::console_io, write, sizeof text, Dom::kData), error(Errno::erestart));
  EXPECT_EQ(d.regs[1], sizeof text - 512);  // the rest, from where the first piece ended
  EXPECT_EQ(d.regs[2], Dom::kData + 512);
  EXPECT_EQ(xen_hypercall<TestHost>(d, static_cast<u64>(Hypercall::console_io), d.regs), 0);
  EXPECT_EQ(d.console, std::string(sizeof text, 'x'));
  EXPECT_EQ(d.hypercall(Hypercall::console_io, write, 8, Dom::kData + 0x1FFC), error(Errno::efault));

  d.put(xen::xen_hvm_param{kSelf, 0, static_cast<u32>(xen::HvmParam::store_pfn), 7});
  const u64 get = static_cast<u64>(xen::HvmOp::get_param);
  EXPECT_EQ(d.hypercall(Hypercall::hvm_op, get, Dom::kData), 0);
  EXPECT_EQ(d.get<xen::xen_hvm_param>().value, 0U);
  EXPECT_EQ(d.hypercall(Hypercall::hvm_op, static_cast<u64>(xen::HvmOp::set_param), Dom::kData), error(Errno::eperm));
  d.put(xen::xen_hvm_param{2, 0, 0, 0});
  EXPECT_EQ(d.hypercall(Hypercall::hvm_op, get, Dom::kData), error(Errno::eperm));
  d.put(xen::xen_hvm_param{9, 0, 0, 0});
  EXPECT_EQ(d.hypercall(Hypercall::hvm_op, get, Dom::kData), error(Errno::esrch));

  EXPECT_EQ(d.hypercall(Hypercall::vm_assist, 0, xen::kVmAssistRunstateUpdateFlag), 0);
  EXPECT_TRUE(d.runstate.update_flag);
  EXPECT_EQ(d.hypercall(Hypercall::vm_assist, 0, 1), error(Errno::einval));
}

}  // namespace
}  // namespace runhv
