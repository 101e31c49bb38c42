// panic(): report "runhv: FATAL: <message>" on the console and power the machine off
// SPDX-License-Identifier: MIT
#include "lib/panic.hpp"

#include <stdarg.h>

#include "arch/arch.hpp"
#include "hyp/console.hpp"

namespace runhv {

void panic(const char* fmt, ...) {
  static bool g_panicking = false;
  if (!g_panicking) {  // a panic while panicking (say, in the console) just powers off
    g_panicking = true;
    console::write("runhv: FATAL: ");
    va_list args;
    va_start(args, fmt);
    console::vprint(fmt, args);
    va_end(args);
    console::write("\n");
  }
  arch::system_off();
}

}  // namespace runhv
