// Arm semihosting as QEMU implements it (`-semihosting-config enable=on,target=native`): host
// files opened and written from EL2
// SPDX-License-Identifier: MIT
//
// Only when the launcher turned semihosting on: otherwise the HLT these use is undefined at EL2.
#pragma once

#include "core/types.hpp"

namespace runhv::semihosting {

// Opens (creates, truncates) host file `path` (`len` characters) for binary writing: the handle,
// or -1.
long open_for_write(const char* path, usize len);
// Writes all of `len` bytes; false if the host wrote fewer.
bool write(long handle, const void* data, usize len);
void close(long handle);

}  // namespace runhv::semihosting
