// Freestanding printf-style formatting into a caller's buffer
// SPDX-License-Identifier: MIT
//
// Conversions: %s %c %d %i %u %x %X %p and the length modifiers l, ll, z; flags '0' and '-', a
// field width. Output is always NUL-terminated and truncated to the buffer.
#pragma once

#include <stdarg.h>

#include "core/types.hpp"

namespace runhv {

// Returns the number of characters written (without the NUL), at most size - 1.
usize vformat(char* buf, usize size, const char* fmt, va_list ap);
[[gnu::format(printf, 3, 4)]] usize format(char* buf, usize size, const char* fmt, ...);

}  // namespace runhv
