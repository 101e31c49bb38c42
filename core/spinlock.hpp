// SpinLock: the one lock type of the hypervisor; the lock order is in DEVELOPERS.md
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv {

// A test-and-test-and-set spinlock on __atomic builtins (no library, no heap).
class SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;
  ~SpinLock() = default;

  [[nodiscard]] bool try_lock() { return __atomic_exchange_n(&word_, 1U, __ATOMIC_ACQUIRE) == 0; }
  void lock() {
    while (!try_lock()) {
      while (__atomic_load_n(&word_, __ATOMIC_RELAXED) != 0) {
        relax();
      }
    }
  }
  void unlock() { __atomic_store_n(&word_, 0U, __ATOMIC_RELEASE); }

 private:
  static void relax() {
#if defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#elif defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  u32 word_ = 0;
};

// Holds `l` for a scope.
class [[nodiscard]] Locked {
 public:
  explicit Locked(SpinLock& l) : lock_(l) { lock_.lock(); }
  ~Locked() { lock_.unlock(); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace runhv
