// Probe power-off: Xen SCHEDOP_shutdown, else PSCI SYSTEM_OFF over the DT's conduit
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/devicetree.hpp"

namespace probe {

[[noreturn]] void power_off(const Platform& platform);

}  // namespace probe
