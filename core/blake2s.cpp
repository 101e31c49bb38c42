// BLAKE2s (RFC 7693 sections 2 and 3, sequential mode)
// SPDX-License-Identifier: MIT
#include "core/blake2s.hpp"

namespace runhv {
namespace {

constexpr u32 kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

constexpr u8 kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

constexpr u32 rotr(u32 x, unsigned n) { return (x >> n) | (x << (32 - n)); }

constexpr u32 load_le32(const u8* p) { return u32{p[0]} | (u32{p[1]} << 8) | (u32{p[2]} << 16) | (u32{p[3]} << 24); }

constexpr void mix(u32 (&v)[16], int a, int b, int c, int d, u32 x, u32 y) {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}

}  // namespace

Blake2s::Blake2s(usize out_len, const void* key, usize key_len) {
  out_len_ = out_len == 0 ? 1 : out_len > kMaxOutBytes ? kMaxOutBytes : out_len;
  if (key == nullptr || key_len > kMaxKeyBytes) {
    key_len = key == nullptr ? 0 : kMaxKeyBytes;
  }
  for (usize i = 0; i < 8; ++i) {
    h_[i] = kIv[i];
  }
  h_[0] ^= 0x01010000U ^ static_cast<u32>(key_len << 8) ^ static_cast<u32>(out_len_);
  if (key_len != 0) {
    update(key, key_len);
    used_ = kBlockBytes;  // the key is a whole block of its own, zero-padded
  }
}

void Blake2s::compress(bool last) {
  u32 m[16];
  for (usize i = 0; i < 16; ++i) {
    m[i] = load_le32(buf_ + 4 * i);
  }
  u32 v[16];
  for (usize i = 0; i < 8; ++i) {
    v[i] = h_[i];
    v[i + 8] = kIv[i];
  }
  v[12] ^= t_[0];
  v[13] ^= t_[1];
  if (last) {
    v[14] = ~v[14];
  }
  for (const auto& s : kSigma) {
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (usize i = 0; i < 8; ++i) {
    h_[i] ^= v[i] ^ v[i + 8];
  }
}

void Blake2s::update(const void* data, usize len) {
  const auto* in = static_cast<const u8*>(data);
  while (len != 0) {
    if (used_ == kBlockBytes) {  // a full block is compressed only once more input follows
      t_[0] += kBlockBytes;
      t_[1] += t_[0] < kBlockBytes ? 1 : 0;
      compress(false);
      used_ = 0;
    }
    const usize n = kBlockBytes - used_ < len ? kBlockBytes - used_ : len;
    for (usize i = 0; i < n; ++i) {
      buf_[used_ + i] = in[i];
    }
    used_ += n;
    in += n;
    len -= n;
  }
}

void Blake2s::final(u8* out) {
  t_[0] += static_cast<u32>(used_);
  t_[1] += t_[0] < used_ ? 1 : 0;
  for (usize i = used_; i < kBlockBytes; ++i) {
    buf_[i] = 0;
  }
  compress(true);
  for (usize i = 0; i < out_len_; ++i) {
    out[i] = static_cast<u8>(h_[i / 4] >> (8 * (i % 4)));
  }
  wipe();
}

void Blake2s::wipe() {
  // Volatile stores: the compiler must not drop them as dead.
  auto* h = static_cast<volatile u32*>(h_);
  auto* b = static_cast<volatile u8*>(buf_);
  for (usize i = 0; i < 8; ++i) {
    h[i] = 0;
  }
  for (usize i = 0; i < kBlockBytes; ++i) {
    b[i] = 0;
  }
  used_ = 0;
}

}  // namespace runhv
