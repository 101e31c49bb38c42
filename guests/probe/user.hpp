// Probe EL0 programs and their data, placed in the image's user region (probe.ld's .user)
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe::user {

inline constexpr int kStacks = 4;
inline constexpr u64 kStackSize = 4096;

void* stack_top(int index);  // image address of the top of user stack `index`

}  // namespace probe::user

extern "C" {
// Prints a greeting, yields `yields` times with a pattern in d8, exits with 0 if d8 survived.
void user_syscaller(probe::u64 yields);
// Counts user_spins up forever.
void user_spinner(probe::u64 unused);
extern volatile probe::u64 user_spins;
}
