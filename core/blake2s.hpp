// BLAKE2s (RFC 7693): the hash runhv derives each guest's boot seed with
// SPDX-License-Identifier: MIT
//
// Sequential mode only, 1..32 output bytes, an optional key of 1..32 bytes (keyed mode is the
// PRF core/guest_seed.hpp needs). final() wipes the state, so no key or input stays behind.
#pragma once

#include "core/types.hpp"

namespace runhv {

class Blake2s {
 public:
  static constexpr usize kBlockBytes = 64;
  static constexpr usize kMaxOutBytes = 32;
  static constexpr usize kMaxKeyBytes = 32;

  // `out_len` 1..32 (clamped), `key_len` 0..32 (clamped).
  explicit Blake2s(usize out_len = kMaxOutBytes, const void* key = nullptr, usize key_len = 0);
  Blake2s(const Blake2s&) = delete;
  Blake2s& operator=(const Blake2s&) = delete;
  ~Blake2s() { wipe(); }

  void update(const void* data, usize len);
  // Writes the digest (out_len bytes) to `out`; the object is spent afterwards.
  void final(u8* out);

 private:
  void compress(bool last);
  void wipe();

  u32 h_[8]{};
  u32 t_[2]{};
  u8 buf_[kBlockBytes]{};
  usize used_ = 0;
  usize out_len_ = kMaxOutBytes;
};

}  // namespace runhv
