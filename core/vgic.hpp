// A portable virtual GICv3 for one domain: distributor and redistributor registers, interrupt
// state, SGI generation and a list-register exchange the architecture code drives
// SPDX-License-Identifier: MIT
//
// What the guest sees (GICv3 architecture, IHI 0069):
//   - A single-security-state GIC (GICD_CTLR.DS = 1, as KVM presents it): affinity routing always
//     on (ARE RAO/WI), EnableGrp0 (bit 0) and EnableGrp1 (bit 1) writable, RWP always 0. Linux
//     writes ARE_NS | EnableGrp1A | EnableGrp1 = 0x13, which in the DS = 1 view enables both groups.
//     With DS = 1, IGRPMODR and NSACR are RAZ/WI.
//   - INTIDs 0..15 SGIs and 16..31 PPIs per vCPU (in the redistributors' SGI_base frames), SPIs
//     32..32 + kSpis - 1 shared (in the distributor). No LPIs, no ITS, no message-based SPIs, no
//     extended ranges. GICD_TYPER: ITLinesNumber for kSpis, IDbits = 9 (10-bit INTIDs), CPUNumber
//     = min(vCPUs, 8) - 1 (informational: with ARE set it has no architectural use), A3V = 0 (Aff3
//     is not routable: every vCPU has Aff3 = 0), RSS = 0 (every vCPU's Aff0 is below 16), No1N = 0.
//   - With ARE set, the distributor's SGI/PPI registers (IGROUPR0, ISENABLER0, ..., IPRIORITYR0..7,
//     ICFGR0/1, IROUTER0..31) are RAZ/WI, as are registers for INTIDs past the last SPI.
//   - Reset: every interrupt disabled, inactive, not pending, priority 0, group 1 (Linux puts
//     everything in group 1; KVM's reset does the same), SGIs edge-triggered (ICFGR0 read-only
//     0xAAAA'AAAA), PPIs and SPIs level-triggered (ICFGR1 and the SPI ICFGRs are writable; the
//     edge bit is the only stored bit), IROUTER 0 (vCPU 0).
//   - GICR_WAKER: ProcessorSleep is writable and ChildrenAsleep follows it, as a GIC with DS = 1
//     behaves (KVM does the same). Xen makes it RAZ/WI, which Linux also accepts; keeping the bit
//     means a guest that sends a redistributor to sleep on CPU_PM_ENTER (Linux does when DS = 1)
//     reads back what it expects instead of concluding "no power management". It resets asleep
//     (0b110, the architectural reset); Linux wakes it in gic_enable_redist(). Sleep does not gate
//     delivery: the vCPU interface is what the guest masks.
//   - PIDR2 (0xFFE8 in GICD and each RD_base) reads 0x30: ArchRev 3, the other fields RES0 (Xen's
//     choice: no JEP106 identity is claimed). IIDR: implementer Arm (0x43B), ProductID 0x52.
//   - IROUTER: Aff2.Aff1.Aff0 and IRM are stored (Aff3 is RES0 with A3V = 0). IRM = 1 routes to
//     vCPU 0 (a 1-of-N choice the architecture allows; Xen does the same). An affinity that names no
//     vCPU is stored as written and the SPI is delivered to nobody until it is rerouted (the
//     architecture's rule, and KVM's behaviour; Xen instead ignores such a write).
//
// Register widths: the bitmap registers, ICFGR, CTLR/TYPER/IIDR/WAKER and the ID registers take
// 32-bit accesses only; IPRIORITYR and ITARGETSR (RAZ/WI) take byte and 32-bit accesses;
// IROUTER<n> and GICR_TYPER take 64-bit accesses and 32-bit accesses to either half. Reserved
// and unimplemented space is RAZ/WI for aligned 32- and 64-bit accesses. Any other width or a
// misaligned access is refused (the device returns false), which the hypervisor reports as a
// guest data abort.
//
// The list-register exchange (what the architecture code does with it):
//   - On every exit from the guest, before anything else touches the vGIC: read the list
//     registers the last fill() wrote, as LrEntry values (an empty LR may be omitted or passed
//     with pending = active = false), and call sync(vcpu, lrs, n). Afterwards nothing of that vCPU
//     is "in flight" any more: the vGIC holds the whole state again.
//   - On every entry: n = fill(vcpu, out, number_of_lrs); write out[0..n) into LR0..LRn-1 and clear
//     the others; set the underflow maintenance interrupt (ICH_HCR_EL2.UIE) when overflow(vcpu).
//     An entry with resample set is a level-sensitive interrupt whose line is high: request an
//     EOI maintenance interrupt for it (ICH_LR.EOI, HW = 0) so that an EOI with the line still
//     high exits and is redelivered. A latched one (the timer, events) needs no such exit.
//   - fill() puts active interrupts first (a guest's EOI must find them), then pending ones in
//     priority order (lower value first, then lower INTID). It only considers interrupts not
//     already in flight, so two fills without a sync never hand out one interrupt twice.
//   - For WFI: sync, then has_pending(vcpu). It ignores the guest's priority mask, running
//     priority and group enables in ICH_VMCR_EL2, which the core does not see: it may say yes
//     when the guest would not take the interrupt yet, which costs a spurious wake-up only.
//   - Kicks: set_pending / set_level / send_sgi return the vCPU(s) whose interrupt state changed
//     in a way they must see (a new deliverable interrupt, or one in their LRs that must be
//     retracted). A register write through the distributor or redistributor device can do the
//     same for other vCPUs; after dispatching such an access, take_kicks() returns them. Kicking
//     a vCPU means making it exit (if running elsewhere) or wake (if blocked in WFI), so that its
//     next sync/fill sees the change.
//
// Concurrency: the class is not thread-safe. The hypervisor holds one lock per domain around
// every call (MMIO dispatch, set_*, send_sgi, fill, sync, has_pending).
#pragma once

#include "core/limits.hpp"
#include "core/mmio.hpp"
#include "core/psci.hpp"
#include "core/types.hpp"

namespace runhv {

// One interrupt as the list registers carry it, architecture-neutral.
struct LrEntry {
  u32 intid = 0;
  u8 priority = 0;
  bool pending = false;
  bool active = false;
  bool group1 = true;     // fill(): the interrupt's group (Linux: always 1); ignored by sync()
  bool resample = false;  // fill(): a level line is high, ask for an EOI maintenance interrupt
};

// The state of one interrupt (public for tests and for dumping state).
struct VgicIrq {
  u8 priority = 0;
  bool enabled = false;
  bool latch = false;  // the pending latch: an edge, ISPENDR, set_pending()
  bool line = false;   // the input level (level-triggered devices)
  bool active = false;
  bool edge = false;   // ICFGR: edge-triggered; else level-sensitive
  bool group1 = true;  // IGROUPR
  // In a list register (between fill() and sync()); the fields below describe it.
  bool in_lr = false;
  bool lr_latch = false;         // its pending state there came from the latch
  bool lr_active = false;        // it went in active
  bool lr_clear_active = false;  // ICACTIVER while in flight: sync() drops the active state
  u8 lr_vcpu = 0;                // the vCPU whose list registers hold it (SPIs)

  // Pending as the distributor sees it (ignores an LR's copy): the latch, or a high level input.
  [[nodiscard]] constexpr bool pending() const { return latch || (!edge && line); }
};

class Vgic;

// The distributor, 64 KiB at kGuestLayout.gicd.
class VgicDistributor final : public MmioDevice {
 public:
  constexpr explicit VgicDistributor(Vgic& vgic) : vgic_(&vgic) {}
  bool read(u64 offset, u8 bytes, u64& value) override;
  bool write(u64 offset, u8 bytes, u64 value) override;

 private:
  Vgic* vgic_;
};

// The redistributors, one 128 KiB frame pair (RD_base, SGI_base) per vCPU from kGuestLayout.gicr.
// An offset past the last vCPU's frames is refused.
class VgicRedistributors final : public MmioDevice {
 public:
  constexpr explicit VgicRedistributors(Vgic& vgic) : vgic_(&vgic) {}
  bool read(u64 offset, u8 bytes, u64& value) override;
  bool write(u64 offset, u8 bytes, u64 value) override;

 private:
  Vgic* vgic_;
};

class Vgic {
 public:
  static constexpr u32 kSgis = 16;
  static constexpr u32 kPrivate = 32;  // SGIs and PPIs, per vCPU
  static constexpr u32 kFirstSpi = 32;
  static constexpr u32 kSpis = 32;
  static constexpr u32 kIntids = kFirstSpi + kSpis;
  static constexpr u64 kFrameSize = 0x1'0000;           // RD_base or SGI_base
  static constexpr u64 kRedistStride = 2 * kFrameSize;  // per vCPU
  static constexpr u64 kDistSize = 0x1'0000;

  // Constant-initialisable; no vCPUs until reset(): every call and access is refused until then.
  constexpr Vgic() : dist_(*this), redist_(*this) {}
  Vgic(const Vgic&) = delete;
  Vgic& operator=(const Vgic&) = delete;

  // Every interrupt and register to its reset state, for `vcpus` vCPUs (1..kMaxVcpusPerDomain;
  // false and no change otherwise).
  bool reset(u32 vcpus);
  [[nodiscard]] u32 vcpu_count() const { return vcpus_; }

  // The MMIO devices, for MmioBus::add: the distributor over kDistSize bytes, the redistributors
  // over redistributors_size() bytes.
  MmioDevice& distributor() { return dist_; }
  MmioDevice& redistributors() { return redist_; }
  [[nodiscard]] u64 redistributors_size() const { return u64{vcpus_} * kRedistStride; }

  // ---- Interrupt sources. Each returns the vCPU to kick, or kNoVcpu (nothing to deliver now:
  // disabled, its group disabled, routed to nobody, or a bad vCPU/INTID).

  // An edge on `intid`: latches it pending. SGIs and PPIs are `vcpu`'s; for an SPI `vcpu` is
  // ignored and the SPI's route decides.
  u32 set_pending(u32 vcpu, u32 intid);
  // The level input of SPI `intid` (a level-triggered device's interrupt line): while high, the
  // SPI is pending; a level-sensitive SPI stops being pending when it drops (unless ISPENDR
  // latched it). For an edge-configured SPI a rising level latches it pending.
  u32 set_level(u32 intid, bool level);
  // The same for a PPI of `vcpu` (16 <= intid < 32).
  u32 set_private_level(u32 vcpu, u32 intid, bool level);
  // A write of `value` to ICC_SGI1R_EL1 by vCPU `source`: makes the SGI pending on every target
  // and returns them as a bitmask (bit i: vCPU i). IRM = 1: every vCPU except the source. IRM = 0:
  // TargetList bit n names Aff0 = RS * 16 + n in cluster Aff3.Aff2.Aff1; names that match no
  // vCPU are ignored (the source may name itself).
  u32 send_sgi(u32 source, u64 value);
  // vCPUs that a register write made need a kick since the last call (bit i: vCPU i); clears.
  u32 take_kicks();

  // ---- The list-register exchange (see the file comment).
  u32 fill(u32 vcpu, LrEntry* out, u32 max);
  void sync(u32 vcpu, const LrEntry* lrs, u32 n);
  [[nodiscard]] bool has_pending(u32 vcpu) const;
  // Interrupt `intid` (as `vcpu` sees it) is pending or active in the vGIC's own state and in no
  // list register: not handed to the guest yet (disabled, its group off, or no list register was
  // free), or active and synced back. The guest timer stays masked at its source while it is
  // (hyp/irq.cpp). False for a bad vCPU/INTID.
  [[nodiscard]] bool held(u32 vcpu, u32 intid) const;
  // The last fill() left deliverable interrupts out for want of list registers.
  [[nodiscard]] bool overflow(u32 vcpu) const { return vcpu < vcpus_ && overflow_[vcpu]; }

  // ---- Routing and inspection.
  // The vCPU SPI `intid` is routed to, or kNoVcpu (no such SPI, or its route names no vCPU).
  [[nodiscard]] u32 spi_target(u32 intid) const;
  // Interrupt `intid` as `vcpu` sees it (SPIs are shared), or nullptr for a bad vCPU/INTID.
  [[nodiscard]] const VgicIrq* irq(u32 vcpu, u32 intid) const;
  [[nodiscard]] u64 irouter(u32 intid) const {
    return intid >= kFirstSpi && intid < kIntids ? irouter_[intid - kFirstSpi] : 0;
  }
  [[nodiscard]] u32 ctlr() const;

 private:
  friend class VgicDistributor;
  friend class VgicRedistributors;

  VgicIrq* irq_mut(u32 vcpu, u32 intid);
  // The vCPU whose view an interrupt state change concerns: for a private interrupt `vcpu`, for
  // an SPI its route target.
  [[nodiscard]] u32 owner(u32 vcpu, u32 intid) const { return intid < kPrivate ? vcpu : spi_target(intid); }
  [[nodiscard]] bool group_enabled(const VgicIrq& i) const { return i.group1 ? grp1_ : grp0_; }
  [[nodiscard]] bool deliverable(const VgicIrq& i) const { return i.pending() && i.enabled && group_enabled(i); }
  // After a change to interrupt `intid` of `vcpu`'s view: the vCPU to kick, or kNoVcpu.
  [[nodiscard]] u32 kick_target(u32 vcpu, u32 intid) const;
  void note_kick(u32 vcpu);
  void note_all_kicks();

  // Register helpers shared by the distributor and the SGI_base frames. `vcpu` selects the
  // private interrupts; `first` is the first INTID the 32-bit register covers.
  enum class BitReg : u8 { group, set_enable, clear_enable, set_pending, clear_pending, set_active, clear_active };
  [[nodiscard]] u32 read_bits(BitReg r, u32 vcpu, u32 first) const;
  void write_bits(BitReg r, u32 vcpu, u32 first, u32 value);
  [[nodiscard]] u32 read_priorities(u32 vcpu, u32 first, u8 bytes) const;
  void write_priorities(u32 vcpu, u32 first, u8 bytes, u32 value);
  [[nodiscard]] u32 read_config(u32 vcpu, u32 first) const;
  void write_config(u32 vcpu, u32 first, u32 value);
  void write_irouter(u32 intid, u64 value, u64 mask);

  VgicIrq private_[kMaxVcpusPerDomain][kPrivate] = {};
  VgicIrq spi_[kSpis] = {};
  u64 irouter_[kSpis] = {};
  bool overflow_[kMaxVcpusPerDomain] = {};
  bool processor_sleep_[kMaxVcpusPerDomain] = {};
  u32 vcpus_ = 0;
  u32 kicks_ = 0;
  bool grp0_ = false;
  bool grp1_ = false;
  VgicDistributor dist_;
  VgicRedistributors redist_;
};

static_assert(kMaxVcpusPerDomain <= 32, "vCPU bitmasks are u32");

// Register offsets and fields the tests and the hypervisor's logs name.
namespace gicv3 {
inline constexpr u64 kGicdCtlr = 0x0000;
inline constexpr u64 kGicdTyper = 0x0004;
inline constexpr u64 kGicdIidr = 0x0008;
inline constexpr u64 kGicdTyper2 = 0x000C;
inline constexpr u64 kGicdIgroupr = 0x0080;
inline constexpr u64 kGicdIsenabler = 0x0100;
inline constexpr u64 kGicdIcenabler = 0x0180;
inline constexpr u64 kGicdIspendr = 0x0200;
inline constexpr u64 kGicdIcpendr = 0x0280;
inline constexpr u64 kGicdIsactiver = 0x0300;
inline constexpr u64 kGicdIcactiver = 0x0380;
inline constexpr u64 kGicdIpriorityr = 0x0400;
inline constexpr u64 kGicdItargetsr = 0x0800;
inline constexpr u64 kGicdIcfgr = 0x0C00;
inline constexpr u64 kGicdIgrpmodr = 0x0D00;
inline constexpr u64 kGicdNsacr = 0x0E00;
inline constexpr u64 kGicdSgir = 0x0F00;
inline constexpr u64 kGicdCpendsgir = 0x0F10;
inline constexpr u64 kGicdSpendsgir = 0x0F20;
inline constexpr u64 kGicdIrouter = 0x6000;  // + 8 * INTID
inline constexpr u64 kPidr2 = 0xFFE8;

inline constexpr u64 kGicrCtlr = 0x0000;
inline constexpr u64 kGicrIidr = 0x0004;
inline constexpr u64 kGicrTyper = 0x0008;
inline constexpr u64 kGicrStatusr = 0x0010;
inline constexpr u64 kGicrWaker = 0x0014;
inline constexpr u64 kGicrSgiBase = 0x1'0000;  // the SGI_base frame, from RD_base
// In the SGI_base frame: the distributor's offsets for register 0 (IGROUPR0 at 0x0080, ...).

inline constexpr u32 kCtlrEnableGrp0 = 1U << 0;
inline constexpr u32 kCtlrEnableGrp1 = 1U << 1;
inline constexpr u32 kCtlrAre = 1U << 4;
inline constexpr u32 kCtlrDs = 1U << 6;
inline constexpr u32 kCtlrRwp = 1U << 31;
inline constexpr u64 kIrouterIrm = u64{1} << 31;
inline constexpr u64 kGicrTyperLast = u64{1} << 4;
inline constexpr u32 kWakerProcessorSleep = 1U << 1;
inline constexpr u32 kWakerChildrenAsleep = 1U << 2;
inline constexpr u32 kPidr2Value = 0x30;        // ArchRev 3
inline constexpr u32 kIidrValue = 0x5200'043B;  // ProductID 0x52, implementer Arm
}  // namespace gicv3

}  // namespace runhv
