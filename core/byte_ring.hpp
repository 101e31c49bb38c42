// A fixed-capacity FIFO of bytes (no heap): what a device cannot take yet
// SPDX-License-Identifier: MIT
//
// push() takes what fits; drain() offers the oldest bytes, in at most two contiguous runs, to a
// taker that returns how many it accepted, and stops at the first run it does not take whole.
// Not thread-safe: the owner's lock serialises every call.
#pragma once

#include "core/types.hpp"

namespace runhv {

template <usize N>
class ByteRing {
  static_assert(N > 0);

 public:
  static constexpr usize kCapacity = N;

  [[nodiscard]] usize size() const { return count_; }
  [[nodiscard]] usize space() const { return N - count_; }

  // Appends the first bytes of [bytes, bytes + n) that fit; returns how many.
  usize push(const char* bytes, usize n) {
    const usize taken = n < space() ? n : space();
    for (usize i = 0; i < taken; ++i) {
      data_[(head_ + count_) % N] = bytes[i];
      ++count_;
    }
    return taken;
  }

  // take(const char* run, usize len) -> usize accepted (<= len); returns the bytes removed.
  template <class Take>
  usize drain(Take&& take) {
    usize removed = 0;
    while (count_ != 0) {
      const usize run = head_ + count_ <= N ? count_ : N - head_;
      usize accepted = take(&data_[head_], run);
      accepted = accepted < run ? accepted : run;
      head_ = (head_ + accepted) % N;
      count_ -= accepted;
      removed += accepted;
      if (accepted != run) {
        break;
      }
    }
    return removed;
  }

 private:
  char data_[N] = {};
  usize head_ = 0;  // index of the oldest byte
  usize count_ = 0;
};

}  // namespace runhv
