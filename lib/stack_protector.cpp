// Stack-protector hooks: Debian's libfdt.a is built with -fstack-protector-strong
// SPDX-License-Identifier: MIT
//
// The hypervisor's own code is built without the protector; these two symbols exist because the
// prebuilt libfdt objects reference them. The guard is a fixed value: it catches overruns, not
// attackers.
#include <stdint.h>

#include "lib/panic.hpp"

extern "C" {

uintptr_t __stack_chk_guard = 0x72756e68762d5350ULL;  // "runhv-SP"

[[noreturn]] void __stack_chk_fail() { runhv::panic("stack protector: stack smashed"); }

}  // extern "C"
