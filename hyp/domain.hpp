// Domains and their vCPUs: RAM, stage 2, console, the registers of each vCPU, start and stop
// SPDX-License-Identifier: MIT
//
// For now one domain (d1) with one vCPU runs on the boot CPU; its EL1 system registers are not
// switched (nothing else runs at EL1) and are read live when needed.
#pragma once

#include "arch/aarch64/stage2.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/guest_copy.hpp"
#include "core/types.hpp"
#include "hyp/domain_console.hpp"

namespace runhv::hyp {

struct Domain;

struct Vcpu {
  arch::VcpuFrame regs{};  // first: the world switch's frame pointer is the Vcpu's address
  Domain* domain = nullptr;
  u32 id = 0;
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
  Vcpu vcpu0{};
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

// The guest's EL1 stage-1 registers as they are now (the walk context for copy_from_guest).
mmu::Stage1Regs guest_stage1(const Vcpu& v);

// Handlers the trap decoder (arch/aarch64/guest_exit.cpp) calls.
void xen_hypercall(Vcpu& v);  // HVC #0xEA1 (hyp/hypercall.cpp)
void smccc_call(Vcpu& v);     // HVC #0: SMCCC/PSCI (hyp/guest_smccc.cpp)

}  // namespace runhv::hyp
