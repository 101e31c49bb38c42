// The few C++ runtime entry points the compiler may reference, for a runtime-less image
// SPDX-License-Identifier: MIT
//
// No exceptions, no RTTI, no heap, no exit: what remains are traps for "cannot happen" calls,
// and atexit(), which -fno-use-cxa-atexit makes the compiler call to register destructors of
// function-local statics. The hypervisor never exits, so they are never run.
#include <stddef.h>

#include "lib/panic.hpp"

extern "C" {

void __cxa_pure_virtual() { runhv::panic("pure virtual function called"); }

int atexit(void (*)()) { return 0; }

}  // extern "C"

// A class with a virtual destructor references the sized/unsized delete from its deleting
// destructor even when nothing is ever allocated with new.
void operator delete(void*) noexcept { runhv::panic("operator delete called (there is no heap)"); }
void operator delete(void*, size_t) noexcept { runhv::panic("operator delete called (there is no heap)"); }
