// The guests' boot entropy: one pool fed from what the boot firmware handed runhv, a distinct
// /chosen/rng-seed for every guest drawn from it
// SPDX-License-Identifier: MIT
//
// A guest booted without a seed has no entropy until its interrupts supply some: Linux 6.1 then
// draws every early random number (slab freelists, stack canaries, uuids) straight from its input
// pool, hashing it each time, and reports its crng not ready to userspace. QEMU and firmware
// give a kernel /chosen/rng-seed; runhv gives each guest its own, as a VMM does.
//
// Pool: BLAKE2s (core/blake2s.hpp) over everything absorb()ed, labelled, into a 32-byte key.
// Seed n: BLAKE2s keyed with it over ("runhv guest rng-seed", domain, n, block), two 32-byte
// blocks. Seeds are one-way from the key and from each other: a guest learns nothing of another
// guest's seed or of the pool from its own; n counts every seed drawn, so no two are the same
// even for one domain number. Not thread-safe: the boot CPU builds the domains.
#pragma once

#include "core/types.hpp"

namespace runhv {

inline constexpr usize kGuestRngSeedBytes = 64;

class SeedPool {
 public:
  constexpr SeedPool() = default;
  SeedPool(const SeedPool&) = delete;
  SeedPool& operator=(const SeedPool&) = delete;
  ~SeedPool();

  // Entropy material (a firmware seed), `label` naming its source. Ignored when len == 0.
  void absorb(const char* label, const void* data, usize len);
  // Whether anything has been absorbed: without entropy, runhv gives guests no seed.
  [[nodiscard]] bool has_entropy() const { return absorbed_ != 0; }
  [[nodiscard]] usize absorbed_bytes() const { return absorbed_; }
  // The next seed, for domain `domain`; false (and `out` untouched) without entropy.
  bool draw(u32 domain, u8 (&out)[kGuestRngSeedBytes]);

 private:
  u8 key_[32]{};
  usize absorbed_ = 0;
  u64 drawn_ = 0;
};

}  // namespace runhv
