// The guests' boot entropy (core/guest_seed.hpp)
// SPDX-License-Identifier: MIT
#include "core/guest_seed.hpp"

#include "core/blake2s.hpp"

namespace runhv {
namespace {

constexpr char kSeedLabel[] = "runhv guest rng-seed";

usize length(const char* s) {
  usize n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

void put_le(u8* out, u64 value, usize bytes) {
  for (usize i = 0; i < bytes; ++i) {
    out[i] = static_cast<u8>(value >> (8 * i));
  }
}

}  // namespace

SeedPool::~SeedPool() {
  auto* k = static_cast<volatile u8*>(key_);
  for (usize i = 0; i < sizeof key_; ++i) {
    k[i] = 0;
  }
}

void SeedPool::absorb(const char* label, const void* data, usize len) {
  if (len == 0) {
    return;
  }
  // key' = BLAKE2s(key || len(label) || label || len || data): each source framed, none lost.
  Blake2s h;
  h.update(key_, sizeof key_);
  u8 frame[8];
  const usize label_len = length(label);
  put_le(frame, label_len, sizeof frame);
  h.update(frame, sizeof frame);
  h.update(label, label_len);
  put_le(frame, len, sizeof frame);
  h.update(frame, sizeof frame);
  h.update(data, len);
  h.final(key_);
  absorbed_ += len;
}

bool SeedPool::draw(u32 domain, u8 (&out)[kGuestRngSeedBytes]) {
  if (!has_entropy()) {
    return false;
  }
  const u64 n = drawn_++;
  for (usize block = 0; block < kGuestRngSeedBytes / Blake2s::kMaxOutBytes; ++block) {
    u8 message[sizeof kSeedLabel + 4 + 8 + 1];
    usize at = 0;
    for (; at < sizeof kSeedLabel; ++at) {
      message[at] = static_cast<u8>(kSeedLabel[at]);  // with its NUL: the label's end is explicit
    }
    put_le(message + at, domain, 4);
    put_le(message + at + 4, n, 8);
    message[at + 12] = static_cast<u8>(block);
    Blake2s h(Blake2s::kMaxOutBytes, key_, sizeof key_);
    h.update(message, sizeof message);
    h.final(out + block * Blake2s::kMaxOutBytes);
  }
  return true;
}

}  // namespace runhv
