// Arm semihosting calls (SYS_OPEN, SYS_WRITE, SYS_CLOSE) through `hlt #0xf000`
// SPDX-License-Identifier: MIT
#include "platform/qemu-virt/semihosting.hpp"

namespace runhv::semihosting {
namespace {

constexpr u64 kSysOpen = 0x01;
constexpr u64 kSysClose = 0x02;
constexpr u64 kSysWrite = 0x05;
constexpr u64 kModeWriteBinary = 5;  // fopen's "wb"

long call(u64 op, const u64* params) {
  register u64 x0 asm("x0") = op;
  register const u64* x1 asm("x1") = params;
  asm volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return static_cast<long>(x0);
}

}  // namespace

long open_for_write(const char* path, usize len) {
  const u64 params[3] = {reinterpret_cast<u64>(path), kModeWriteBinary, len};
  return call(kSysOpen, params);
}

bool write(long handle, const void* data, usize len) {
  const u64 params[3] = {static_cast<u64>(handle), reinterpret_cast<u64>(data), len};
  return call(kSysWrite, params) == 0;  // SYS_WRITE returns the bytes it did not write
}

void close(long handle) {
  const u64 params[1] = {static_cast<u64>(handle)};
  call(kSysClose, params);
}

}  // namespace runhv::semihosting
