// C string and memory functions for the freestanding hypervisor and libfdt
// SPDX-License-Identifier: MIT
//
// Straightforward and alignment-safe (the image first runs with the MMU off, where every data
// access is to Device memory and must be aligned): word-sized accesses only when both sides are
// 8-byte aligned, bytes otherwise. Built with -fno-builtin and without loop-to-call rewriting so
// that the compiler cannot turn these loops back into calls to themselves.
#include <stdint.h>
#include <string.h>

namespace {

using Word = uint64_t;
constexpr size_t kWord = sizeof(Word);

bool word_aligned(const void* p) { return (reinterpret_cast<uintptr_t>(p) & (kWord - 1)) == 0; }

}  // namespace

extern "C" {

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (word_aligned(d) && word_aligned(s)) {
    for (; n >= kWord; n -= kWord, d += kWord, s += kWord) {
      *reinterpret_cast<Word*>(d) = *reinterpret_cast<const Word*>(s);
    }
  }
  while (n-- != 0) {
    *d++ = *s++;
  }
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) {
    return dst;
  }
  if (d < s || d >= s + n) {
    // No overlap that a forward copy would clobber.
    while (n-- != 0) {
      *d++ = *s++;
    }
  } else {
    d += n;
    s += n;
    while (n-- != 0) {
      *--d = *--s;
    }
  }
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto byte = static_cast<unsigned char>(c);
  while (n != 0 && !word_aligned(d)) {
    *d++ = byte;
    --n;
  }
  const Word pattern = Word{byte} * 0x0101010101010101ULL;
  for (; n >= kWord; n -= kWord, d += kWord) {
    *reinterpret_cast<Word*>(d) = pattern;
  }
  while (n-- != 0) {
    *d++ = byte;
  }
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) {
      return x[i] < y[i] ? -1 : 1;
    }
  }
  return 0;
}

void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const unsigned char*>(s);
  const auto byte = static_cast<unsigned char>(c);
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == byte) {
      return const_cast<unsigned char*>(p + i);
    }
  }
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    ++n;
  }
  return n;
}

int strcmp(const char* a, const char* b) {
  const auto* x = reinterpret_cast<const unsigned char*>(a);
  const auto* y = reinterpret_cast<const unsigned char*>(b);
  while (*x != '\0' && *x == *y) {
    ++x;
    ++y;
  }
  return *x < *y ? -1 : (*x > *y ? 1 : 0);
}

int strncmp(const char* a, const char* b, size_t n) {
  const auto* x = reinterpret_cast<const unsigned char*>(a);
  const auto* y = reinterpret_cast<const unsigned char*>(b);
  for (; n != 0; --n, ++x, ++y) {
    if (*x != *y) {
      return *x < *y ? -1 : 1;
    }
    if (*x == '\0') {
      break;
    }
  }
  return 0;
}

char* strchr(const char* s, int c) {
  const auto ch = static_cast<char>(c);
  for (;; ++s) {
    if (*s == ch) {
      return const_cast<char*>(s);
    }
    if (*s == '\0') {
      return nullptr;
    }
  }
}

char* strrchr(const char* s, int c) {
  const auto ch = static_cast<char>(c);
  const char* last = nullptr;
  for (;; ++s) {
    if (*s == ch) {
      last = s;
    }
    if (*s == '\0') {
      return const_cast<char*>(last);
    }
  }
}

}  // extern "C"
