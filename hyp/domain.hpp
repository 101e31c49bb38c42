// Domains and their vCPUs: RAM, stage 2, console, the registers of each vCPU, start and stop
// SPDX-License-Identifier: MIT
//
// For now one domain (d1) with one vCPU runs on the boot CPU. Each vCPU carries its full EL1
// context (arch/aarch64/vcpu_context.hpp), loaded into the registers with vcpu_context_restore()
// before it runs and stored back with vcpu_context_save() when another vCPU takes the pCPU; while
// it is loaded (arch::this_cpu().current is its frame) the registers are the truth.
#pragma once

#include "arch/aarch64/stage2.hpp"
#include "arch/aarch64/vcpu_context.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/guest_copy.hpp"
#include "core/sched.hpp"
#include "core/types.hpp"
#include "core/vcpu_op.hpp"
#include "hyp/domain_console.hpp"

namespace runhv::hyp {

struct Domain;

inline constexpr u32 kMaxVcpusPerDomain = 8;

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
};
static_assert(offsetof(Vcpu, regs) == 0);

struct Domain {
  u16 number = 0;  // the N of dN; also the VMID
  bool running = false;
  Ipa ram_ipa{};
  Pa ram_pa{};
  u64 ram_size = 0;
  DomainSpace space{};
  arch::Stage2Table s2{};
  DomainConsole console{0};
  RunstateDomain runstate{};  // VA policy (mapped/legacy), update flag, the domain's memory view
  u32 nr_vcpus = 1;
  Vcpu vcpus[kMaxVcpusPerDomain]{};
};

struct DomainConfig {
  u16 number;
  Ipa ram_ipa;
  Pa ram_pa;  // 2 MiB aligned, owned by nobody yet
  u64 ram_size;
  const u8* image;  // copied to the start of guest RAM (the entry point)
  usize image_size;
};

// Builds domain `config.number`: takes its RAM frames, zeroes the RAM, copies the image, maps
// stage 2. Panics on a bad configuration (boot time only).
Domain& create_domain(const DomainConfig& config);

// Enters vCPU 0 at the start of RAM, EL1h with MMU off and x0 = `dtb_ipa`. Does not return.
[[noreturn]] void start_domain(Domain& d, u64 dtb_ipa);

// Stops the vCPU's domain: prints "runhv: dN stopped (<reason>)"; when no domain is left running
// prints "runhv: all domains down, powering off" and powers off.
[[noreturn]] void stop_domain(Vcpu& v, const char* reason);

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
// A trapped WFI (wfe = false) or WFE of `v`, whose PC is already past it: returns the vCPU to
// enter next. For now (one vCPU per pCPU): a WFE returns at once; a WFI waits at EL2 for the
// next interrupt unless a virtual interrupt is already pending. The scheduler replaces it.
Vcpu& on_wfi(Vcpu& v, bool wfe);
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
