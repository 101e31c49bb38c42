// Armv8-A translation-table walker: EL1&0 stage 1 and stage 2, as AT S12E1{R,W} would walk
// SPDX-License-Identifier: MIT
//
// Arm ARM (DDI 0487) D8 "The AArch64 Virtual Memory System Architecture". Supported: 4 KiB,
// 16 KiB and 64 KiB granules, TTBR0/TTBR1 split by TCR_EL1.T0SZ/T1SZ, EPD0/EPD1, TBI0/TBI1,
// table/block/page descriptors, hierarchical APTable/UXNTable/PXNTable, the access flag,
// AP/PXN/UXN, IPS/PS output-size checks; stage 2 with VTCR_EL2.T0SZ/SL0/TG0/PS, concatenated
// start-level tables and S2AP/XN. Not modelled: 52-bit addresses (LPA/LPA2), PAN, hardware
// Access-flag/dirty management (TCR.HA/HD treated as "AF is set by hardware": no AF fault),
// contiguous hints (they do not change results) and TLBs.
//
// Faults are reported the way PAR_EL1 reports them after an AT instruction: the kind, the level,
// which stage, and whether a stage-2 fault happened on a stage-1 table fetch (PTW).
#pragma once

#include "core/guest_memory.hpp"
#include "core/pte.hpp"
#include "core/types.hpp"

namespace runhv::mmu {

enum class FaultKind : u8 {
  none,
  address_size,    // FST 0b0000nn
  translation,     // FST 0b0001nn
  access_flag,     // FST 0b0010nn
  permission,      // FST 0b0011nn
  external_abort,  // FST 0b010100 + level (synchronous external abort on a table walk)
};
enum class Stage : u8 { one = 1, two = 2 };
enum class AccessType : u8 { read, write, exec };
enum class El : u8 { el0, el1 };

struct Access {
  AccessType type = AccessType::read;
  El el = El::el1;
};

struct Fault {
  FaultKind kind = FaultKind::none;
  i32 level = 0;  // lookup level at which the fault was found (-1 is not used: no LPA2)
  Stage stage = Stage::one;
  bool s1ptw = false;  // stage-2 fault taken while fetching a stage-1 table descriptor
  Ipa ipa{};           // for stage-2 faults: the IPA being translated (as HPFAR_EL2 gives)
};

// PAR_EL1.FST (6-bit fault status code) for a fault.
u32 fault_status_code(const Fault& f);

template <class Out>
struct Walk {
  Out out{};      // output address of the whole input address (not only the page)
  Fault fault{};  // fault.kind == none on success
  i32 level = 0;  // level of the final (leaf) descriptor on success
  u64 leaf = 0;   // the leaf descriptor on success
  [[nodiscard]] bool ok() const { return fault.kind == FaultKind::none; }
};

// The EL1 registers that govern stage 1 for a vCPU (values as the guest last wrote them).
struct Stage1Regs {
  u64 sctlr = 0;  // SCTLR_EL1: M (bit 0) enables stage 1
  u64 tcr = 0;    // TCR_EL1
  u64 ttbr0 = 0;  // TTBR0_EL1 (ASID in [63:48] ignored by the walk)
  u64 ttbr1 = 0;  // TTBR1_EL1
};

// The EL2 registers that govern stage 2 for a domain.
struct Stage2Regs {
  u64 vtcr = 0;   // VTCR_EL2
  u64 vttbr = 0;  // VTTBR_EL2 (VMID in [63:48] ignored by the walk)
};

// PAR_EL1 as AT S12E1x would leave it: on success PA[47:12] and F=0 (attributes left zero); on
// failure F=1, FST, PTW and S.
u64 par_el1(const Walk<Pa>& w);

class Walker {
 public:
  Walker(GuestMemory& mem, const Stage2Regs& s2) : mem_(mem), s2_(s2) {}

  // Stage 2 only: IPA -> PA for a data access (type read or write) or an instruction fetch.
  Walk<Pa> stage2(Ipa ipa, AccessType type);
  // Stage 1 only: VA -> IPA. Table descriptors live at IPAs and are fetched through stage 2; a
  // stage-2 fault there is returned with stage == two and s1ptw == true.
  Walk<Ipa> stage1(const Stage1Regs& regs, Va va, Access access);
  // Both stages, like AT S12E1R / AT S12E1W (plus EL0 and exec variants).
  Walk<Pa> translate(const Stage1Regs& regs, Va va, Access access);

  // Descriptor fetches performed since construction (for tests and benchmarks).
  [[nodiscard]] u64 fetches() const { return fetches_; }

 private:
  GuestMemory& mem_;
  Stage2Regs s2_;
  u64 fetches_ = 0;
};

// Named register fields used by the walker and by the table builders in tests (descriptor bits:
// core/pte.hpp).
namespace tcr {
inline constexpr unsigned T0SZ_SHIFT = 0;  // [5:0]
inline constexpr u64 EPD0 = u64{1} << 7;
inline constexpr unsigned TG0_SHIFT = 14;   // [15:14]: 00 4K, 01 64K, 10 16K
inline constexpr unsigned T1SZ_SHIFT = 16;  // [21:16]
inline constexpr u64 EPD1 = u64{1} << 23;
inline constexpr unsigned TG1_SHIFT = 30;  // [31:30]: 01 16K, 10 4K, 11 64K
inline constexpr unsigned IPS_SHIFT = 32;  // [34:32]
inline constexpr u64 HA = u64{1} << 39;
inline constexpr u64 TBI0 = u64{1} << 37;
inline constexpr u64 TBI1 = u64{1} << 38;
}  // namespace tcr

namespace vtcr {
inline constexpr unsigned T0SZ_SHIFT = 0;  // [5:0]
inline constexpr unsigned SL0_SHIFT = 6;   // [7:6]
inline constexpr unsigned TG0_SHIFT = 14;  // [15:14]: 00 4K, 01 64K, 10 16K
inline constexpr unsigned PS_SHIFT = 16;   // [18:16]
inline constexpr u64 HA = u64{1} << 21;
}  // namespace vtcr

}  // namespace runhv::mmu
