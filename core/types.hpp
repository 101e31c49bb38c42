// Basic types: fixed-width integers and strongly typed addresses
// SPDX-License-Identifier: MIT
#pragma once

// Freestanding: only the compiler's own headers, which exist without a C library.
#include <stddef.h>
#include <stdint.h>

namespace runhv {

using i8 = int8_t;
using i16 = int16_t;
using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;

inline constexpr u64 kPageShift = 12;
inline constexpr u64 kPageSize = u64{1} << kPageShift;
inline constexpr u64 kPageMask = kPageSize - 1;

// An address in one of the three address spaces a hypervisor juggles. The tag keeps a guest
// virtual address from being passed where a host physical one is expected.
template <class Tag>
class Addr {
 public:
  constexpr Addr() = default;
  constexpr explicit Addr(u64 raw) : raw_(raw) {}
  [[nodiscard]] constexpr u64 raw() const { return raw_; }
  [[nodiscard]] constexpr u64 page_offset() const { return raw_ & kPageMask; }
  [[nodiscard]] constexpr Addr page_base() const { return Addr(raw_ & ~kPageMask); }
  [[nodiscard]] constexpr u64 page_number() const { return raw_ >> kPageShift; }
  constexpr Addr operator+(u64 off) const { return Addr(raw_ + off); }
  constexpr bool operator==(const Addr&) const = default;
  constexpr bool operator<(const Addr& o) const { return raw_ < o.raw_; }
  constexpr bool operator<=(const Addr& o) const { return raw_ <= o.raw_; }
  constexpr bool operator>(const Addr& o) const { return raw_ > o.raw_; }
  constexpr bool operator>=(const Addr& o) const { return raw_ >= o.raw_; }

 private:
  u64 raw_ = 0;
};

using Va = Addr<struct VaTag>;    // guest virtual address (stage-1 input)
using Ipa = Addr<struct IpaTag>;  // intermediate physical = guest physical (stage-2 input)
using Pa = Addr<struct PaTag>;    // host physical address

constexpr u64 bits(u64 value, unsigned hi, unsigned lo) {
  return (value >> lo) & ((hi - lo == 63) ? ~u64{0} : ((u64{1} << (hi - lo + 1)) - 1));
}
constexpr bool bit(u64 value, unsigned n) { return ((value >> n) & 1) != 0; }

}  // namespace runhv
