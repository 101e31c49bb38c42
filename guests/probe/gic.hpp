// Probe interrupt controller: GICv3 CPU interface (system registers), native GICD/GICR set-up
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/devicetree.hpp"

namespace probe::gic {

// Under a hypervisor only the CPU interface is touched (ICC_* become ICV_*: the interrupt
// arrives through list registers, and the guest has no GICD/GICR mapping). Natively the
// distributor gets ARE + Group 1 and this CPU's redistributor is woken and enables `intid`
// (a PPI) as Group 1. Returns false (with a console line) if that cannot be done.
bool init(const Platform& platform, unsigned intid);
// The same on a secondary CPU, after init() ran on CPU 0: its CPU interface and, natively, its
// own redistributor (woken, `intid` enabled). The distributor is CPU 0's business.
bool init_secondary(const Platform& platform, unsigned intid);

// This CPU's redistributor (natively and under a vGIC alike): the SGIs/PPIs in `mask` (bit n:
// INTID n) enabled as Group 1 or disabled (ICENABLER0, then RWP awaited); their priority. False (with a
// console line) if this CPU has no redistributor.
bool set_private_enabled(u32 mask, bool enabled);
bool set_private_priority(unsigned intid, u8 priority);
// ICC_SGI1R_EL1: SGI `sgi` to this CPU only.
void send_sgi_to_self(unsigned sgi);

u32 acknowledge();  // ICC_IAR1_EL1: the INTID, 1020..1023 if none
void end(u32 intid);

}  // namespace probe::gic
