// The hypervisor's trace (core/trace.hpp), kept in RAM and handed to the launcher at power-off
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"
#include "hyp/boot_ram.hpp"

namespace runhv::hyp {

// /chosen/runhv,trace (tools/launch.py --trace): `bytes` of RAM from `ram`, split between the
// `pcpus` pCPUs, and tracing on; logs and leaves it off if there is not enough RAM.
void trace_start(BootRam& ram, u64 bytes, u32 pcpus);
// At power-off: tracing off, then "runhv: trace {...}" names where each pCPU's records are, and
// runhv waits (at most a few seconds) for the launcher to copy them out of guest-invisible RAM
// (QEMU's pmemsave) and acknowledge on the console with one ACK byte.
void trace_finish();

}  // namespace runhv::hyp
