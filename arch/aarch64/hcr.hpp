// HCR_EL2 for a running guest: the trap and routing policy, one constant with a reason per bit
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv::arch {

inline constexpr u64 kHcrGuest =
    (u64{1} << 0)      // VM: stage-2 translation on for EL1&0
    | (u64{1} << 1)    // SWIO: set/way cache maintenance by the guest is promoted to clean+invalidate
    | (u64{1} << 3)    // FMO: physical FIQs go to EL2
    | (u64{1} << 4)    // IMO: physical IRQs go to EL2 (the scheduler tick); the guest's ICC_* are ICV_*
    | (u64{1} << 5)    // AMO: physical SErrors go to EL2
    | (u64{1} << 13)   // TWI: WFI traps (EC 0x01): the vCPU idles, hyp::on_wfi decides how
    | (u64{1} << 14)   // TWE: WFE traps too (EC 0x01, ISS.TI = 1): a spinning vCPU can yield
    | (u64{1} << 19)   // TSC: SMC from EL1 traps to EL2 (guests use HVC; SMC is never firmware's)
    | (u64{1} << 31);  // RW: EL1 is AArch64

// HCR_EL2 while no guest is loaded (boot, idle pCPUs): physical interrupts are routed to EL2,
// which is what lets EL2 take them at all (routed to EL1, they would stay pending at EL2).
inline constexpr u64 kHcrHost = (u64{1} << 3)      // FMO: physical FIQs go to EL2
                                | (u64{1} << 4)    // IMO: physical IRQs go to EL2 (the EL2 timer, IPIs)
                                | (u64{1} << 5)    // AMO: physical SErrors go to EL2
                                | (u64{1} << 31);  // RW: EL1 is AArch64
static_assert((kHcrGuest & kHcrHost) == kHcrHost);

// MDCR_EL2 bits set while guests run: their debug, OS-lock and PMU accesses trap (EC 0x18) and
// are emulated by core/sysreg_table (read as zero, writes ignored, as Xen does), so no guest sees
// or leaves behind another's debug or PMU state. HPMN [4:0] keeps its reset value.
inline constexpr u64 kMdcrGuestTraps = (u64{1} << 5)      // TPMCR: PMCR_EL0
                                       | (u64{1} << 6)    // TPM: every other PMU register
                                       | (u64{1} << 9)    // TDA: debug registers (MDSCR, DBGB*/DBGW*, ...)
                                       | (u64{1} << 10)   // TDOSA: OS lock, OSDLR, DBGPRCR
                                       | (u64{1} << 11);  // TDRA: MDRAR_EL1

}  // namespace runhv::arch
