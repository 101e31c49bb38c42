// Probe console: PL011 natively, Xen console_io under a hypervisor; tiny formatting
// SPDX-License-Identifier: MIT
//
// Under Xen the text is collected into lines and each line (or 256-byte piece) is one
// CONSOLEIO_write whose buffer is a kernel VA.
#include "guests/probe/console.hpp"

#include "guests/probe/hypercall.hpp"

namespace probe::console {
namespace {

enum class Sink : u8 { none, pl011, xen };

constexpr u64 kUartDr = 0x00;
constexpr u64 kUartFr = 0x18;
constexpr u32 kUartFrTxff = 1 << 5;

Sink sink = Sink::none;
volatile u32* uart = nullptr;
char line[256];
size_t line_used = 0;

void uart_put(char c) {
  while ((uart[kUartFr / 4] & kUartFrTxff) != 0) {
  }
  uart[kUartDr / 4] = static_cast<u8>(c);
}

}  // namespace

void use_pl011(u64 va) {
  uart = reinterpret_cast<volatile u32*>(va);
  sink = Sink::pl011;
}

void use_xen() { sink = Sink::xen; }
bool ready() { return sink != Sink::none; }

void flush() {
  if (sink == Sink::xen && line_used != 0) {
    xen::hypercall(xen::kConsoleIo, xen::kConsoleIoWrite, line_used, reinterpret_cast<u64>(line));
  }
  line_used = 0;
}

void write(const char* text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (sink == Sink::pl011) {
      if (c == '\n') {
        uart_put('\r');
      }
      uart_put(c);
    } else if (sink == Sink::xen) {
      line[line_used++] = c;
      if (c == '\n' || line_used == sizeof line) {
        flush();
      }
    }
  }
}

void put(const char* text) {
  size_t n = 0;
  while (text[n] != '\0') {
    ++n;
  }
  write(text, n);
}

void put_dec(u64 value) {
  char digits[20];
  size_t at = sizeof digits;
  do {
    digits[--at] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  write(digits + at, sizeof digits - at);
}

void put_signed(i64 value) {
  if (value < 0) {
    write("-", 1);
    put_dec(0 - static_cast<u64>(value));
  } else {
    put_dec(static_cast<u64>(value));
  }
}

void put_hex(u64 value) {
  char digits[18];
  size_t at = sizeof digits;
  do {
    digits[--at] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  digits[--at] = 'x';
  digits[--at] = '0';
  write(digits + at, sizeof digits - at);
}

}  // namespace probe::console
