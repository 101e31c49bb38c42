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
    char buffer[kPrefix + kMaxPrint + 1] = "runhv: ";
    usize n = kPrefix;
    for (usize i = 0; i < len && n < sizeof buffer - 1; ++i) {
      buffer[n++] = text[i];
    }
    buffer[n++] = '\n';
    write(buffer, n);  // one write: whole lines, also from several pCPUs
  }

 private:
  static constexpr usize kPrefix = 7;
};
constinit CoreLogSink g_core_log;

// One writer at a time once other pCPUs run. Taken only after enable_locking(): before that the
// boot CPU may still run with its MMU off, where exclusive accesses are not reliable. Bounded:
// a CPU that died holding it (a panic elsewhere) costs garbled output, never a hang.
bool g_locking = false;
u32 g_lock = 0;
constexpr u32 kSpinLimit = 1u << 24;

class Guard {
 public:
  Guard() : held_(g_locking) {
    if (!held_) {
      return;
    }
    for (u32 spins = 0; __atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE) != 0; ++spins) {
      if (spins == kSpinLimit) {
        held_ = false;
        return;
      }
    }
  }
  ~Guard() {
    if (held_) {
      __atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
    }
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  bool held_;
};

}  // namespace

void enable_locking() { g_locking = true; }

void use_uart(Pa base) { g_uart = platform::Pl011{base}; }

Pa uart() { return g_uart.base(); }

void attach_core_log() { set_log_sink(&g_core_log); }

void write(const char* text, usize length) {
  const Guard guard;
  g_uart.write(text, length);
}

void write(const char* text) {
  usize n = 0;
  while (text[n] != '\0') {
    ++n;
  }
  write(text, n);
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
