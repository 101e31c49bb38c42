// The architecture seam: what the portable hypervisor asks of an architecture, and how guest
// exits and interrupts reach the hypervisor
// SPDX-License-Identifier: MIT
//
// hyp/ includes this header and nothing else under arch/. The first half (namespace arch) is
// provided by the architecture, arch/aarch64/ today; the second half (namespace hyp) is provided
// by the hypervisor and called by the architecture, which includes nothing from hyp/. `./runhv
// lint` (and the lint_layering test) checks both directions. docs/x86-backend.md describes how
// an x86-64 (SVM + NPT) backend would provide the same functions.
//
// Every function runs on the calling pCPU with interrupts masked, unless it says otherwise.
#pragma once

#include "arch/aarch64/inline.hpp"  // VcpuState and the seam's inline functions (listed below)
#include "arch/aarch64/stage2.hpp"  // Stage2Table
#include "core/limits.hpp"
#include "core/mmio.hpp"
#include "core/spectre.hpp"
#include "core/types.hpp"
#include "core/vgic.hpp"
#include "core/walker.hpp"

namespace runhv::arch {

// ---- Boot and physical CPUs

// What the boot device tree says about the CPUs and the interrupt controller.
struct CpuTopology {
  u64 mpidrs[kMaxPcpus] = {};  // hardware CPU ids (MPIDR affinity), boot CPU first
  u32 count = 0;
  u32 gic_version = 0;  // 3: GICv3 (interrupts, secondaries); anything else: the boot CPU only
  Pa gicd{};
  Pa gicr{};
  u64 gicr_size = 0;
  bool psci_smc = false;  // firmware PSCI over SMC: secondaries can be started
};

struct HostMemory {
  Pa ram_base;
  u64 ram_size;
  Pa device_base;
  u64 device_size;
};

// Boot CPU, first thing: per-CPU data and the counter frequency.
void early_init();
// The exception level the hypervisor was started at (2 for a usable machine).
[[nodiscard]] unsigned exception_level();
// Turns the hypervisor's MMU on over `memory`; returns the RAM size mapped.
u64 mm_init(const HostMemory& memory);
// Writes back and invalidates [pa, pa + size) to the point of coherency (what a guest with its
// MMU off reads).
void clean_to_poc(Pa pa, u64 size);
// The RAM cpus_boot needs for `topology` (the secondaries' stacks; the boot CPU's is in the image).
[[nodiscard]] u64 cpus_boot_bytes(const CpuTopology& topology);
// Boot CPU, MMU on: interrupt controller, timers, every secondary started and self-tested, on
// `ram`: cpus_boot_bytes(topology) bytes, page aligned, the hypervisor's for good.
// Returns the number of pCPUs online (indices 0..n-1). Secondaries end in hyp::secondary_main.
u32 cpus_boot(const CpuTopology& topology, Pa ram);
// Inline: u32 this_cpu_index() — the calling pCPU's index.
// Inline: bool irq_ready() — this pCPU takes interrupts (there is a GICv3).
// Inline: void* this_cpu_hyp(), set_this_cpu_hyp(void*) — one word of the hypervisor's per pCPU.
void send_ipi(u32 pcpu);
// Turns device interrupt `intid` (an SPI, level-sensitive) on, routed to the boot pCPU: it reaches
// hyp::on_device_irq there. False without a GICv3 or for an INTID that is no SPI.
bool device_irq_enable(u32 intid);
// Sleeps until an interrupt and takes it.
void wait_for_interrupt();
// This pCPU runs guests from now on (trap policy set).
void guest_mode_enter();
// IRQ exits taken on this pCPU while a guest ran.
[[nodiscard]] u64 guest_irqs_taken();
// The instructions this pCPU has executed at EL2 since it entered guest mode (a PMU counter the
// guests cannot see), or kNoEl2Count without a PMU counter to spare.
inline constexpr u64 kNoEl2Count = ~u64{0};
[[nodiscard]] u64 el2_instructions();
// The identification registers online pCPU `pcpu` shows its guests (MIDR_EL1 as VPIDR_EL2, the
// untrapped ID_AA64PFR0/PFR1/MMFR1_EL1), read when it came up; all zero for any other index.
[[nodiscard]] CpuIds cpu_ids(u32 pcpu);
[[noreturn]] void system_off();

// ---- Time (the hypervisor's clock, which is also the runstate clock)

[[nodiscard]] u64 now_ns();
// Arms this pCPU's hypervisor timer (`pcpu` must be the caller's); a past deadline fires at once.
void timer_program(u32 pcpu, u64 deadline_ns);
void timer_cancel();

// ---- vCPUs

// A vCPU powered on at `entry` (EL1, MMU off, interrupts masked) with its first argument `x0`.
void vcpu_reset(VcpuState& v, u64 vmpidr, u64 entry, u64 x0);
// Context onto this pCPU (its guest timer caught up first; guest_timer_unmask() follows before
// the entry) / off it into `v`.
void vcpu_load(VcpuState& v);
void vcpu_put(VcpuState& v);
// Inline: VcpuState* loaded() — the vCPU loaded here, or nullptr; set_loaded(VcpuState*).
// Enters `v`, which must be loaded here.
[[noreturn]] void vcpu_run(VcpuState& v);
// Inline: guest_timer_masked(v) — the guest timer fired and is masked at its source until its
// interrupt has been handled; guest_timer_unmask(v, held) — on the way back into the loaded `v`,
// lifts that mask unless `held` (the vGIC still has the interrupt to deliver) or a list register
// still holds it (pending or active). A condition still met then fires again at once, as a level.
// The guest's stage-1 registers as they are now: live if loaded here, else saved.
[[nodiscard]] mmu::Stage1Regs guest_stage1(const VcpuState& v);
// The hardware's walk of `va` for a write at EL1 in the loaded vCPU's context: PAR_EL1 format.
[[nodiscard]] u64 hardware_translate(u64 va);
// The loaded vCPU's guest-timer deadline in ns, or kNever when it is off or masked.
[[nodiscard]] u64 guest_timer_deadline();
// The list-register exchange with the domain's vGIC (core/vgic.hpp), live if `v` is loaded here,
// else in its saved state: sync folds what the guest did with the last fill back into the vGIC;
// fill hands the vGIC's deliverable interrupts for vCPU `vcpu` to the list registers.
// Inline: v.lrs_used != 0 — the last fill wrote some; take_guest_timer_fired(v); v.irq_kick — the
// hypervisor's flag that the vGIC has something new for `v`; entry_work_pending(v) — any of
// these or guest_timer_masked(v), in one load.
void vgic_sync(VcpuState& v, Vgic& vgic, u32 vcpu);
void vgic_fill(VcpuState& v, Vgic& vgic, u32 vcpu);
// `v` is loaded here and its list registers hold exactly what the last fill wrote: the guest has
// taken, completed or dropped none of them, so a sync would tell the vGIC nothing.
[[nodiscard]] bool vgic_lrs_as_filled(const VcpuState& v);

// Inline, the guest's registers: hypercall_number(v), hypercall_args(v) (kHypercallArgs of
// them), set_hypercall_result(v, value) — the Xen hypercall convention; restart_hypercall(v) —
// the guest executes the same hypercall again (a continuation); gpr(v, n) — general register n.

// ---- Stage 2: Stage2Table (arch/aarch64/stage2.hpp) and
void load_stage2(const mmu::Stage2Regs& regs);
void flush_guest_tlbs();

}  // namespace runhv::arch

namespace runhv::hyp {

// ---- Provided by the hypervisor, called by the architecture with interrupts masked

// The end of every guest exit: the vCPU to enter next (after a reschedule if one is pending
// here); does not return when this pCPU goes idle.
arch::VcpuState* exit_resume(arch::VcpuState& v);
// exit_resume in two halves, for an exit whose frame is not complete yet: `v` itself when no
// reschedule is pending here (exit_resume's work done), else nullptr; then, once the frame is
// complete, exit_reschedule() gives the vCPU to enter (it does not return when this pCPU idles).
arch::VcpuState* exit_resume_here(arch::VcpuState& v);
// exit_resume_here after a Xen hypercall: counted as one (on_hypercall), not again as an exit.
arch::VcpuState* hypercall_resume_here(arch::VcpuState& v);
arch::VcpuState* exit_reschedule();
// The guest wrote ICC_SGI1R_EL1 (an SGI to the vCPUs `value` names).
void on_sgi(arch::VcpuState& v, u64 value);
// A Xen hypercall (its number and arguments in the guest's registers).
void on_hypercall(arch::VcpuState& v);
// An SMCCC call (PSCI, SMCCC arch calls, PV time).
void on_smccc(arch::VcpuState& v);
// A load or store to an unmapped IPA, decoded: the domain's MMIO bus serves it (a load fills
// access.data) or says why not.
MmioOutcome on_mmio(arch::VcpuState& v, MmioAccess& access);
// A stage-2 data abort at `ipa` (instruction at `pc`) the MMIO bus did not serve (`why`: the
// device refused it, or it had no syndrome). True when one of the domain's device regions holds
// the IPA: a budgeted line is logged and the caller gives the guest Xen's data abort; false: no
// device is there.
bool on_mmio_unserved(arch::VcpuState& v, Ipa ipa, u64 pc, bool write, const char* why);
// One of the domain's device regions holds `ipa`.
bool mmio_region_holds(arch::VcpuState& v, Ipa ipa);
// The A64 instruction at guest VA `pc`, read through the vCPU's stage 1; false if unmapped.
bool read_guest_instruction(arch::VcpuState& v, u64 pc, u32& insn);
// A stage-2 abort at `ipa` (an access of `type`) that no device served: true if the address is
// mapped for it by now (a sibling's stage-2 change was in progress), and the guest is to run the
// instruction again; false for a real fault.
[[nodiscard]] bool on_stage2_abort(arch::VcpuState& v, Ipa ipa, mmu::AccessType type);
// A guest fault the architecture answers with an exception for the guest (an undefined
// instruction, an abort): `detail` is a budgeted log line's text. The domain goes on.
void on_exception_injected(arch::VcpuState& v, const char* detail);
// A trapped WFI (wfe = false) or WFE; the guest's PC is already past it.
void on_wfx(arch::VcpuState& v, bool wfe);
// An exit the guest cannot continue from: `detail` is the log line's text, `reason` the
// domain's stop reason. Stops the domain.
[[noreturn]] void on_guest_fatal(arch::VcpuState& v, const char* reason, const char* detail);
// pCPU `pcpu`'s hypervisor timer reached its deadline (it is disarmed) / got a wake-up IPI.
void on_timer(u32 pcpu, u64 now_ns);
void on_ipi(u32 pcpu);
// A device interrupt turned on with arch::device_irq_enable fired (on the boot pCPU); the handler
// quiets its source, and the interrupt is ended when it returns.
void on_device_irq(u32 intid);
// A secondary pCPU after bring-up: joins the scheduler.
[[noreturn]] void secondary_main();

}  // namespace runhv::hyp
