// Probe exception dispatch: EL0 syscalls and faults, timer interrupts, fatal EL1 exceptions
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/devicetree.hpp"

namespace probe {

// Where a fatal exception reports to and how it powers off; set once the console works.
void set_fatal_context(const Platform* platform, const char* scenario);

// A scenario's handler for synchronous exceptions taken at EL1 (aborts it provokes on purpose):
// returns true when it handled the exception (and moved frame.elr on), false to report it as
// fatal. nullptr (the default): every one is fatal.
struct Frame;
using El1SyncHook = bool (*)(Frame& frame);
void set_el1_sync_hook(El1SyncHook hook);

// A scenario's look at every interrupt other than the tick, after its acknowledge and before its
// end (EOI); nullptr (the default): none.
using IrqHook = void (*)(u32 intid);
void set_irq_hook(IrqHook hook);

}  // namespace probe
