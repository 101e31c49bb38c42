// Domains and their vCPUs: every piece of per-domain and per-vCPU state, and their creation
// SPDX-License-Identifier: MIT
//
// Up to kMaxDomains domains (d1..d8; the number is also the VMID), each with up to
// kMaxVcpusPerDomain vCPUs scheduled over every pCPU (hyp/switch.cpp). A vCPU's architectural
// state (registers, EL1 context, GIC interface) is its arch::VcpuState, loaded into the pCPU by
// the context switch; while it is loaded the registers are the truth.
#pragma once

#include "abi/pvtime.hpp"
#include "abi/xen.hpp"
#include "arch/arch.hpp"
#include "core/byte_ring.hpp"
#include "core/evtchn.hpp"
#include "core/grant_table.hpp"
#include "core/guest_copy.hpp"
#include "core/guest_layout.hpp"
#include "core/limits.hpp"
#include "core/mmio.hpp"
#include "core/sched.hpp"
#include "core/types.hpp"
#include "core/vcpu_info_slot.hpp"
#include "core/vcpu_op.hpp"
#include "core/vgic.hpp"
#include "core/vpl011.hpp"
#include "hyp/domain_console.hpp"

namespace runhv::hyp {

struct Domain;

// Where a domain sees its PV-time (ARM DEN 0057A) records: one read-only hypervisor page.
inline constexpr Ipa kPvTimeIpa{kGuestLayout.pv_time.base};

// What the launcher's summary reports per vCPU besides its runstate and scheduling counters.
struct VcpuCounters {
  u64 hypercalls = 0;            // HVC #0xEA1 calls
  u64 hypercall_errors = 0;      // of those, the ones that returned a negative value
  u64 hypercall_restarts = 0;    // transient results (-ERESTART): the guest executed the same HVC again
  u64 smccc_calls = 0;           // HVC #0 calls
  u64 exits = 0;                 // guest exits but Xen hypercalls (stats add those: every kind)
  u64 stage2_fault_retries = 0;  // stage-2 aborts at an address mapped again by then (a sibling's
                                 // break-before-make): the instruction was run again
  u64 lr_exchanges = 0;          // list-register exchanges with the vGIC before an entry (irq_exchange)
};

struct Vcpu {
  arch::VcpuState arch{};  // first: the world switch's frame pointer is the Vcpu's address
  Domain* domain = nullptr;
  u32 id = 0;
  VcpuRunstate runstate;  // accounting + registered areas (core/vcpu_op.hpp)
  SchedVcpu sched{};      // the scheduler's part (core/sched.hpp)
  VcpuCounters counters{};
  bool started = false;         // given an entry point once (PSCI CPU_ON, or domain start for vCPU 0)
  volatile i32 loaded_on = -1;  // the pCPU whose registers hold this vCPU's context, or -1
  VcpuInfoSlot vcpu_info{};     // VCPUOP_register_vcpu_info's area and its pinned frame
};
static_assert(offsetof(Vcpu, arch) == 0);

inline Vcpu& vcpu_of(arch::VcpuState& s) { return *reinterpret_cast<Vcpu*>(&s); }

// The vPL011's interrupt line: SPI kGuestLayout.uart_intid of the domain's vGIC (hyp/irq.cpp).
class UartIrq final : public IrqLine {
 public:
  void set_level(bool high) override;
  Domain* domain = nullptr;
};

struct Domain {
  u16 number = 0;  // the N of dN; also the VMID
  volatile bool running = false;
  Ipa ram_ipa{};
  Pa ram_pa{};
  u64 ram_size = 0;
  DomainSpace space{};
  arch::Stage2Table s2{};
  u32 marks = 0;  // console marks printed (hyp/stats.cpp print_mark)
  DomainConsole console{0};
  RunstateDomain runstate{};  // VA policy (mapped/legacy), update flag, the domain's memory view
  u32 nr_vcpus = 1;
  Vcpu vcpus[kMaxVcpusPerDomain]{};
  pvtime::StolenTime* pv_time = nullptr;  // the records (hypervisor page), or null: not offered
  Ipa entry{};                            // vCPU 0's first instruction
  u64 dtb_ipa = 0;                        // vCPU 0's x0
  // The grant table (version 1): its shared frames (hypervisor memory the guest maps into its
  // grant window with add_to_physmap) and where each is mapped (core/grant_table.hpp).
  static constexpr u32 kGrantFrames = GrantTable::kFrames;
  GrantTable grant{};
  alignas(kPageSize) u8 grant_frames[kGrantFrames][kPageSize]{};
  EvtchnDomain evtchn{};  // its event channels (hyp/xen/event_channel.cpp)
  MmioBus mmio{};
  SpinLock lock;      // the devices and the vGIC: one trapped access or interrupt change at a time
  SpinLock p2m_lock;  // add_to_physmap: its stage-2 changes and the grant frames' places together
  Vgic vgic;          // on the bus at kGuestLayout.gicd / .gicr
  UartIrq uart_irq{};
  Vpl011 uart{console, uart_irq};  // on the bus when the domain has `vpl011`  // the emulated devices, at their places
                                   // in the guest layout (hyp/mmio.cpp)
  // Operator input its vPL011's FIFO had no room for yet, handed over as the guest reads
  // (hyp/console_input.cpp); the size of Xen's PV console input ring.
  ByteRing<1024> uart_input{};
  // The shared_info page (hypervisor memory the guest maps with add_to_physmap, as Xen shares a
  // xenheap page).
  alignas(kPageSize) u8 shared_info[kPageSize]{};
  u64 shared_info_place = 0;  // gpfn + 1 where add_to_physmap mapped it; 0: nowhere (core/memory_op.cpp)
};

struct DomainConfig {
  u16 number;
  void* storage;  // domain_storage_bytes() of hypervisor RAM, aligned as Domain, for the Domain itself
  Ipa ram_ipa;
  Pa ram_pa;  // 2 MiB aligned, owned by nobody yet
  u64 ram_size;
  const u8* image;  // copied to RAM + image_offset (the entry point)
  usize image_size;
  u64 image_offset = 0;
  u32 vcpus = 1;
  const u8* pins = nullptr;  // pCPU of each vCPU, or nullptr: placed by the scheduler
  u64 slice_ns = 0;          // 0: the scheduler's default
  VaPolicy va_policy = VaPolicy::mapped;
  Pa pv_time_page{};    // a hypervisor-owned page for the PV-time records, or 0: not offered
  bool vpl011 = false;  // the emulated UART at kGuestLayout.uart
};

// Builds domain `config.number`: takes its RAM frames, zeroes the RAM, copies the image, maps
// stage 2, sets up its vCPUs (offline, added to the scheduler). Panics on a bad configuration
// (boot time only). The scheduler must be initialised first (hyp/sched_loop.hpp).
Domain& create_domain(const DomainConfig& config);
// What create_domain() needs as `storage` (the Domain, with its stage-2 tables and vGIC state:
// taken from boot RAM for the domains there are, not reserved for kMaxDomains in the image).
inline constexpr u64 domain_storage_bytes() { return (sizeof(Domain) + kPageSize - 1) & ~(kPageSize - 1); }
// Domain dN, or nullptr.
Domain* find_domain(u16 number);
// Marks the domain running and brings vCPU 0 up at d.entry, EL1 with MMU off and x0 =
// `dtb_ipa` (it runs once its pCPU schedules).
void start_domain(Domain& d, u64 dtb_ipa);

// Puts `device` on d's MMIO bus at `region` of the guest layout; false if the region is not
// wholly in the layout's device space (outside RAM) or overlaps another device.
bool add_device(Domain& d, const GuestRegion& region, MmioDevice& device, const char* name);

// hyp/irq.cpp, the domain's interrupts (all through its vGIC), each with d.lock taken inside:
// Interrupt `intid` (an SGI/PPI of `v`, or an SPI) made pending, and its target kicked.
void raise_irq(Vcpu& v, u32 intid);
// vCPU `t` has new interrupt state: it fills its list registers before its next entry, exiting
// if it runs on another pCPU, waking if it is blocked.
void irq_kick(Vcpu& t);
// irq_kick() of every vCPU of `d` whose bit is set in `mask`.
void irq_kick_mask(Domain& d, u32 mask);
// Right before entering `v` (which is loaded here): the guest timer's interrupt, then the list
// registers exchanged with the vGIC when anything changed (the slow part out of line).
void irq_exchange(Vcpu& v);
inline void irq_prepare(Vcpu& v) {
  if (!v.arch.vtimer_fired && v.arch.lrs_used == 0 && !v.arch.irq_kick) [[likely]] {
    return;
  }
  irq_exchange(v);
}
// After irq_prepare(), on every way back into the loaded `v`: a guest timer masked since it fired
// is unmasked once its interrupt is handled — in no list register and not held by the vGIC
// (latched pending or active: disabled, its group off, or waiting for a list register). The slow
// part, with the domain lock, only while it is masked.
void guest_timer_release(Vcpu& v);
inline void resume_prepare(Vcpu& v) {
  if (arch::guest_timer_masked(v.arch)) [[unlikely]] {
    guest_timer_release(v);
  }
}
// irq_prepare() and resume_prepare() when either has work (arch::entry_work_pending tells in one
// load): the hot exits' way back in.
void entry_work(Vcpu& v);
inline void entry_prepare(Vcpu& v) {
  if (arch::entry_work_pending(v.arch)) [[unlikely]] {
    entry_work(v);
  }
}
// For WFI: the vGIC has a deliverable interrupt for the loaded `v`.
[[nodiscard]] bool irq_pending(Vcpu& v);

// True if `v` is the vCPU loaded on this pCPU.
[[nodiscard]] inline bool vcpu_is_current(const Vcpu& v) { return arch::loaded() == &v.arch; }
// The guest's EL1 stage-1 registers as they are now (the walk context for copy_from_guest).
[[nodiscard]] inline mmu::Stage1Regs guest_stage1(const Vcpu& v) { return arch::guest_stage1(v.arch); }

}  // namespace runhv::hyp
