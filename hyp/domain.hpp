// Domains and their vCPUs: RAM, stage 2, console, the registers of each vCPU, start and stop
// SPDX-License-Identifier: MIT
//
// Up to kMaxDomains domains (d1..d8; the number is also the VMID), each with up to
// kMaxVcpusPerDomain vCPUs scheduled over every pCPU by hyp/scheduling.cpp. Each vCPU carries its
// full EL1 context (arch/aarch64/vcpu_context.hpp), loaded into the registers with
// vcpu_context_restore() before it runs and stored back with vcpu_context_save() when another
// vCPU takes the pCPU; while it is loaded (arch::this_cpu().current is its frame) the registers
// are the truth.
#pragma once

#include "arch/aarch64/stage2.hpp"
#include "arch/aarch64/vcpu_context.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/guest_copy.hpp"
#include "core/sched.hpp"
#include "core/smccc.hpp"
#include "core/types.hpp"
#include "core/vcpu_op.hpp"
#include "hyp/domain_console.hpp"

namespace runhv::hyp {

struct Domain;

inline constexpr u32 kMaxVcpusPerDomain = 8;
inline constexpr u16 kMaxDomains = 8;
// Where a domain sees its PV-time (ARM DEN 0057A) records: one read-only hypervisor page.
inline constexpr Ipa kPvTimeIpa{0x090A'0000};

// What the launcher's summary reports per vCPU besides its runstate and scheduling counters.
struct VcpuCounters {
  u64 hypercalls = 0;        // HVC #0xEA1 calls
  u64 hypercall_errors = 0;  // of those, the ones that returned a negative value
  u64 smccc_calls = 0;       // HVC #0 calls
};

struct Vcpu {
  arch::VcpuFrame regs{};  // first: the world switch's frame pointer is the Vcpu's address
  Domain* domain = nullptr;
  u32 id = 0;
  arch::VcpuContext ctx{};  // EL1 system registers, timer, GIC, FP/SIMD while not loaded
  VcpuRunstate runstate;    // accounting + registered areas (core/vcpu_op.hpp)
  SchedVcpu sched{};        // the scheduler's part (core/sched.hpp)
  VcpuCounters counters{};
  bool started = false;         // given an entry point once (PSCI CPU_ON, or domain start for vCPU 0)
  volatile i32 loaded_on = -1;  // the pCPU whose registers hold this vCPU's context, or -1
  bool vtimer_masked = false;   // runhv set CNTV_CTL.IMASK and injected INTID 27 (vcpu_vtimer_*)
};
static_assert(offsetof(Vcpu, regs) == 0);

struct Domain {
  u16 number = 0;  // the N of dN; also the VMID
  volatile bool running = false;
  Ipa ram_ipa{};
  Pa ram_pa{};
  u64 ram_size = 0;
  DomainSpace space{};
  arch::Stage2Table s2{};
  DomainConsole console{0};
  RunstateDomain runstate{};  // VA policy (mapped/legacy), update flag, the domain's memory view
  u32 nr_vcpus = 1;
  Vcpu vcpus[kMaxVcpusPerDomain]{};
  pvtime::StolenTime* pv_time = nullptr;  // the records (hypervisor page), or null: not offered
  Ipa entry{};                            // vCPU 0's first instruction
  u64 dtb_ipa = 0;                        // vCPU 0's x0
};

struct DomainConfig {
  u16 number;
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
  Pa pv_time_page{};  // a hypervisor-owned page for the PV-time records, or 0: not offered
};

// Builds domain `config.number`: takes its RAM frames, zeroes the RAM, copies the image, maps
// stage 2, sets up its vCPUs (offline, added to the scheduler). Panics on a bad configuration
// (boot time only). hyp/scheduling.hpp's scheduler must be initialised first.
Domain& create_domain(const DomainConfig& config);
// Domain dN, or nullptr.
Domain* find_domain(u16 number);

// Marks the domain running and brings vCPU 0 up at d.entry, EL1h with MMU off and x0 =
// `dtb_ipa` (it runs once its pCPU schedules).
void start_domain(Domain& d, u64 dtb_ipa);


// The guest's EL1 stage-1 registers as they are now (the walk context for copy_from_guest):
// the live registers when `v` is loaded on this pCPU, else its saved context.
mmu::Stage1Regs guest_stage1(const Vcpu& v);

// hyp/vcpu.cpp: the switch of everything beyond the world-switch frame. save: registers ->
// v.ctx (then nothing of `v` is live); restore: v.ctx -> registers (the caller then makes `v`
// this pCPU's current vCPU, runhv_guest_resume does).
void vcpu_context_save(Vcpu& v);
void vcpu_context_restore(const Vcpu& v);
// True if `v` is the vCPU loaded on this pCPU.
[[nodiscard]] bool vcpu_is_current(const Vcpu& v);
// Makes virtual INTID `intid` pending for `v` (list register, live or saved). False if no list
// register is free or there is no GICv3.
bool vcpu_inject(Vcpu& v, u32 intid);
// The virtual timer as a level-sensitive interrupt. When its condition is met while `v` is
// loaded (the physical PPI 27 at EL2), vcpu_vtimer_fired() masks it at the source
// (CNTV_CTL.IMASK) and injects virtual INTID 27; vcpu_vtimer_unmask(), called on the way back
// into the loaded `v`, lifts the mask once the guest has handled the interrupt (INTID 27 is in no
// list register any more), so that a guest which only moves CVAL (and never rewrites CNTV_CTL)
// gets its next tick; a condition still met fires again at once, as a level would.
void vcpu_vtimer_fired(Vcpu& v);
void vcpu_vtimer_unmask(Vcpu& v);
// A trapped WFI (wfe = false) or WFE of `v`, whose PC is already past it (hyp/scheduling.cpp):
// a WFE yields; a WFI returns at once if a virtual interrupt is pending, else blocks `v` until
// its virtual timer's deadline (or for ever, when the timer is off or masked). The switch
// happens in exit_resume().
void on_wfi(Vcpu& v, bool wfe);
// The end of every guest exit (world_switch.S via runhv_guest_sync/runhv_guest_irq): the frame
// to enter next, after a reschedule if one is pending on this pCPU (idles when nothing runs).
arch::VcpuFrame* exit_resume(Vcpu& v);
// Boot self-test on this pCPU: a pattern through context_restore/context_save (and list
// register injection); prints one line, false on a mismatch.
bool vcpu_context_self_test();
// Boot self-test of the virtual-timer path on this pCPU (GICv3 only): with a scratch vCPU
// loaded, CNTV fires at EL2, gets masked and lands as virtual INTID 27 in a list register.
bool vtimer_self_test();

// Handlers the trap decoder (arch/aarch64/guest_exit.cpp) calls.
void xen_hypercall(Vcpu& v);  // HVC #0xEA1 (hyp/hypercall.cpp)
void smccc_call(Vcpu& v);     // HVC #0: SMCCC/PSCI (hyp/guest_smccc.cpp)

}  // namespace runhv::hyp
