// Boot self-tests of the vCPU switch pieces: context save/restore and the virtual-timer path
// SPDX-License-Identifier: MIT
#pragma once

namespace runhv::arch {

// On this pCPU: a pattern through context_restore/context_save (and list-register injection);
// logs one line, false on a mismatch.
bool vcpu_context_self_test();
// On this pCPU (GICv3 only): with a scratch vCPU loaded, CNTV fires at EL2, gets masked and
// lands as virtual INTID 27 in a list register.
bool vtimer_self_test();

}  // namespace runhv::arch
