// Probe exception dispatch: EL0 syscalls and faults, timer interrupts, fatal EL1 exceptions
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/devicetree.hpp"

namespace probe {

// Where a fatal exception reports to and how it powers off; set once the console works.
void set_fatal_context(const Platform* platform, const char* scenario);

}  // namespace probe
