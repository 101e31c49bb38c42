// The hypervisor console: formatted output to the board's UART, and the core's log sink
// SPDX-License-Identifier: MIT
#include "hyp/console.hpp"

#include "core/format.hpp"
#include "core/log.hpp"
#include "platform/qemu-virt/board.hpp"
#include "platform/qemu-virt/pl011.hpp"

namespace runhv::console {
namespace {

// Constant-initialised: valid before constructors run.
constinit platform::Pl011 g_uart{board::kBoard.uart};

class CoreLogSink final : public LogSink {
 public:
  constexpr CoreLogSink() = default;
  void line(const char* text, usize len) override {
    write("runhv: ");
    write(text, len);
    write("\n");
  }
};
constinit CoreLogSink g_core_log;

}  // namespace

void use_uart(Pa base) { g_uart = platform::Pl011{base}; }

Pa uart() { return g_uart.base(); }

void attach_core_log() { set_log_sink(&g_core_log); }

void write(const char* text, usize length) { g_uart.write(text, length); }

void write(const char* text) {
  usize n = 0;
  while (text[n] != '\0') {
    ++n;
  }
  g_uart.write(text, n);
}

void vprint(const char* format, va_list args) {
  char buffer[kMaxPrint + 1];
  write(buffer, vformat(buffer, sizeof buffer, format, args));
}

void print(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vprint(format, args);
  va_end(args);
}

}  // namespace runhv::console
