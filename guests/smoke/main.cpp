// Smoke guest: asks for the Xen version, tries an unknown hypercall, prints both, powers off
// SPDX-License-Identifier: MIT
//
// Runs at EL1 with the MMU off, so buffer addresses given to console_io are IPAs. Output (each
// line prefixed "[d1] " by the hypervisor):
//   smoke guest: started at EL1, x0 = 0x0
//   psci version: 0x10001
//   xen_version: 0x40013
//   unknown hypercall: -38
// then PSCI SYSTEM_OFF. Every number is printed by a separate console_io call, so the hypervisor
// has to assemble the lines.
#include <stdint.h>

#include "guests/smoke/xen.hpp"

namespace {

void write(const char* text, uint64_t n) {
  smoke::xen_hypercall(smoke::kConsoleIo, smoke::kConsoleIoWrite, n, reinterpret_cast<uint64_t>(text));
}

void puts(const char* text) {
  uint64_t n = 0;
  while (text[n] != '\0') {
    ++n;
  }
  write(text, n);
}

void put_hex(uint64_t value) {
  char digits[18];
  int at = sizeof digits;
  do {
    digits[--at] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  } while (value != 0);
  digits[--at] = 'x';
  digits[--at] = '0';
  write(digits + at, sizeof digits - at);
}

void put_dec(long value) {
  char digits[21];
  int at = sizeof digits;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    digits[--at] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) {
    digits[--at] = '-';
  }
  write(digits + at, sizeof digits - at);
}

}  // namespace

extern "C" [[noreturn]] void guest_main(uint64_t dtb) {
  uint64_t el = 0;
  asm volatile("mrs %0, CurrentEL" : "=r"(el));
  puts("smoke guest: started at EL");
  put_dec(static_cast<long>((el >> 2) & 3));
  puts(", x0 = ");
  put_hex(dtb);
  puts("\n");

  puts("psci version: ");
  put_hex(smoke::smccc_hvc(smoke::kPsciVersion));
  puts("\n");

  puts("xen_version: ");
  put_hex(static_cast<uint64_t>(smoke::xen_hypercall(smoke::kXenVersion, smoke::kXenVerVersion)));
  puts("\n");

  puts("unknown hypercall: ");
  put_dec(smoke::xen_hypercall(99, 0));
  puts("\n");

  smoke::smccc_hvc(smoke::kPsciSystemOff);
  for (;;) {
    asm volatile("wfi");
  }
}
