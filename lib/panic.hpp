// panic(): the one way out when something is broken; the hypervisor provides it
// SPDX-License-Identifier: MIT
//
// Declared here so that lib/ (the stack protector, the C++ ABI stubs) can report fatal errors
// without knowing about consoles or firmware. hyp/panic.cpp defines it: it prints
// "runhv: FATAL: <message>" and powers the machine off.
#pragma once

namespace runhv {

[[noreturn, gnu::format(printf, 1, 2)]] void panic(const char* fmt, ...);

}  // namespace runhv
