// The hypervisor's trace (core/trace.hpp) written to a host file through semihosting
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv::hyp {

// Opens host file `path` (/chosen/runhv,trace, set by tools/launch.py --trace along with QEMU's
// semihosting) and turns tracing on; logs and leaves it off if the file cannot be opened.
void trace_start(const char* path);
// Writes out what every pCPU's ring still holds and closes the file (at power-off).
void trace_finish();

}  // namespace runhv::hyp
