// The operator's input: the board UART's receive interrupt, delivered to the focus domain's vPL011
// SPDX-License-Identifier: MIT
#include "hyp/console_input.hpp"

#include "arch/arch.hpp"
#include "core/console_input.hpp"
#include "core/log.hpp"
#include "hyp/console.hpp"
#include "platform/qemu-virt/pl011.hpp"

namespace runhv::hyp {
namespace {

constexpr usize kDrainMax = 64;  // bytes taken from the board UART per interrupt, at most

constinit ConsoleInput g_input;
constinit SpinLock g_lock;  // g_input: added on the boot CPU, fed on it, retired on any pCPU
constinit platform::Pl011 g_uart{Pa{0}};
u32 g_intid = 0;
bool g_receiving = false;             // the UART's receive interrupt is on
bool g_taking[kMaxDomains + 1] = {};  // [N]: domain dN takes input and has not stopped
u32 g_takers = 0;                     // how many do
LogBudget g_budget;                   // the drop lines: a guest that does not read must not flood the console

void announce(u16 focus) { logf("console input to d%u (Ctrl-A three times to switch)", static_cast<unsigned>(focus)); }

// Hands `n` bytes to dN's input ring and from there to its vPL011; logs what it could not take.
void deliver(u16 number, const char* bytes, usize n) {
  Domain* d = find_domain(number);
  usize taken = 0;
  const bool running = d != nullptr && __atomic_load_n(&d->running, __ATOMIC_ACQUIRE);
  if (running) {
    d->lock.lock();
    taken = d->uart_input.push(bytes, n);
    console_input_refill(*d);
    d->lock.unlock();
  }
  if (taken < n) {
    guest_logf(g_budget, "d%u: console input: %zu bytes dropped (%s)", static_cast<unsigned>(number), n - taken,
               running ? "the guest is not reading them" : "the domain has stopped");
  }
}

}  // namespace

void console_input_add(const Domain& d) {
  g_lock.lock();
  g_input.add(d.number);
  if (d.number <= kMaxDomains && !g_taking[d.number]) {
    g_taking[d.number] = true;
    ++g_takers;
  }
  g_lock.unlock();
}

void console_input_stopped(const Domain& d) {
  g_lock.lock();
  g_input.retire(d.number);
  if (d.number <= kMaxDomains && g_taking[d.number]) {
    g_taking[d.number] = false;
    --g_takers;
  }
  g_lock.unlock();
}

bool console_input_wait_for(char want, u64 timeout_ns) {
  const platform::Pl011 uart{console::uart()};
  uart.poll_receive();
  const u64 end = arch::now_ns() + timeout_ns;
  while (arch::now_ns() < end) {
    char c[16];
    const usize n = uart.receive(c, sizeof c);
    for (usize i = 0; i < n; ++i) {
      if (c[i] == want) {
        return true;
      }
    }
  }
  return false;
}

void console_input_refill(Domain& d) {
  // The vPL011's line goes high with the first byte: UartIrq kicks the vCPU.
  d.uart_input.drain([&d](const char* run, usize len) { return d.uart.receive(run, len); });
}

void console_input_start(Pa uart, u32 intid) {
  const u16 focus = g_input.focus();
  if (focus == 0 || intid == 0) {
    return;
  }
  g_uart = platform::Pl011{uart};
  g_intid = intid;
  g_uart.enable_receive();
  if (!arch::device_irq_enable(intid)) {
    logf("console input: no interrupts (INTID %u): domains get no input", intid);
    return;
  }
  g_receiving = true;
  announce(focus);
}

bool console_input_possible() {
  g_lock.lock();
  const bool possible = g_receiving && g_takers != 0;
  g_lock.unlock();
  return possible;
}

void on_device_irq(u32 intid) {
  if (intid != g_intid) {
    return;
  }
  char in[kDrainMax];
  const usize n = g_uart.receive(in, sizeof in);
  // Runs of bytes for one domain go to its vPL011 together (a switch or a change of focus ends one).
  char run[kDrainMax + ConsoleInput::kSwitchPresses];
  usize len = 0;
  u16 to = 0;
  for (usize i = 0; i < n; ++i) {
    g_lock.lock();
    const ConsoleInput::Step step = g_input.feed(in[i]);
    const u16 focus = g_input.focus();
    g_lock.unlock();
    if ((step.switched || focus != to) && len != 0) {
      deliver(to, run, len);
      len = 0;
    }
    to = focus;
    if (step.switched) {
      announce(focus);
    }
    for (u32 k = 0; k < step.n; ++k) {
      run[len++] = step.bytes[k];
    }
  }
  if (len != 0 && to != 0) {
    deliver(to, run, len);
  }
}

}  // namespace runhv::hyp
