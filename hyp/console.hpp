// The hypervisor console: formatted output to the board's UART, and the core's log sink
// SPDX-License-Identifier: MIT
//
// Usable from the first instruction of hyp_main: until use_uart() is called it writes to the
// board's default UART. Formatting is core/format.hpp's (%s %c %d %i %u %x %X %p, l/ll/z,
// '0' and '-' flags, width); one print() produces at most kMaxPrint characters and is written
// whole: once enable_locking() was called (before the secondary pCPUs start), lines from
// different pCPUs do not interleave.
#pragma once

#include <stdarg.h>

#include "core/types.hpp"

namespace runhv::console {

inline constexpr usize kMaxPrint = 255;

// Sends all further output to the PL011 at `base`.
void use_uart(Pa base);
[[nodiscard]] Pa uart();

// Serialises writers from here on (needs the MMU on: exclusive accesses to cacheable memory).
void enable_locking();

// Routes the portable core's log lines (runhv::logf) to the console, as "runhv: <line>".
void attach_core_log();

void write(const char* text, usize length);
void write(const char* text);
[[gnu::format(printf, 1, 2)]] void print(const char* format, ...);
void vprint(const char* format, va_list args);

}  // namespace runhv::console
