// Probe console: PL011 natively, Xen console_io under a hypervisor; tiny formatting
// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>

#include "guests/probe/sysreg.hpp"

namespace probe::console {

void use_pl011(u64 va);  // native: write the UART's data register
void use_xen();          // console_io writes, one per line
bool ready();

void write(const char* text, size_t n);
void put(const char* text);
void put_dec(u64 value);
void put_signed(i64 value);
void put_hex(u64 value);
void flush();

}  // namespace probe::console
