// Boot-time carving of host RAM: the free RAM after the hypervisor image, handed out in order
// SPDX-License-Identifier: MIT
//
// Used before the frame table exists (it is itself carved here): the secondary pCPUs' stacks,
// the frame table, guest RAM. Nothing is ever given back. Everything below next() when carving
// ends belongs to the hypervisor.
#pragma once

#include "core/types.hpp"

namespace runhv::hyp {

class BootRam {
 public:
  constexpr BootRam(Pa start, Pa end) : next_(start), end_(end) {}

  // `size` bytes aligned to `align` (a power of two), or Pa{0} if RAM is exhausted.
  Pa take(u64 size, u64 align) {
    const u64 at = (next_.raw() + align - 1) & ~(align - 1);
    if (at < next_.raw() || at > end_.raw() || end_.raw() - at < size) {
      return Pa{0};
    }
    next_ = Pa{at + size};
    return Pa{at};
  }
  [[nodiscard]] Pa next() const { return next_; }

 private:
  Pa next_;
  Pa end_;
};

}  // namespace runhv::hyp
