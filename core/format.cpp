// Freestanding printf-style formatting into a caller's buffer
// SPDX-License-Identifier: MIT
#include "core/format.hpp"

namespace runhv {
namespace {

class Out {
 public:
  Out(char* buf, usize size) : buf_(buf), size_(size) {}
  void put(char c) {
    if (len_ + 1 < size_) {
      buf_[len_++] = c;
    }
  }
  void pad(usize n, char c) {
    for (usize i = 0; i < n; ++i) {
      put(c);
    }
  }
  usize finish() {
    if (size_ > 0) {
      buf_[len_] = '\0';
    }
    return len_;
  }

 private:
  char* buf_;
  usize size_;
  usize len_ = 0;
};

struct Spec {
  bool left = false;
  bool zero = false;
  usize width = 0;
};

void emit(Out& out, const Spec& spec, const char* s, usize n) {
  usize fill = spec.width > n ? spec.width - n : 0;
  if (!spec.left) {
    out.pad(fill, spec.zero ? '0' : ' ');
  }
  for (usize i = 0; i < n; ++i) {
    out.put(s[i]);
  }
  if (spec.left) {
    out.pad(fill, ' ');
  }
}

void emit_number(Out& out, Spec spec, u64 value, unsigned base, bool upper, bool negative) {
  char digits[24];
  usize n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = set[value % base];
    value /= base;
  } while (value != 0);
  char text[25];
  usize len = 0;
  if (negative) {
    if (spec.zero && spec.width > 0) {
      out.put('-');
      --spec.width;
    } else {
      text[len++] = '-';
    }
  }
  while (n > 0) {
    text[len++] = digits[--n];
  }
  emit(out, spec, text, len);
}

}  // namespace

usize vformat(char* buf, usize size, const char* fmt, va_list ap) {
  Out out(buf, size);
  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      out.put(*p);
      continue;
    }
    ++p;
    Spec spec;
    for (;; ++p) {
      if (*p == '-') {
        spec.left = true;
      } else if (*p == '0') {
        spec.zero = true;
      } else {
        break;
      }
    }
    while (*p >= '0' && *p <= '9') {
      spec.width = spec.width * 10 + static_cast<usize>(*p - '0');
      ++p;
    }
    int longs = 0;
    bool size_t_arg = false;
    for (;; ++p) {
      if (*p == 'l') {
        ++longs;
      } else if (*p == 'z') {
        size_t_arg = true;
      } else {
        break;
      }
    }
    auto unsigned_arg = [&]() -> u64 {
      if (size_t_arg) {
        return va_arg(ap, usize);
      }
      if (longs >= 2) {
        return va_arg(ap, unsigned long long);
      }
      if (longs == 1) {
        return va_arg(ap, unsigned long);
      }
      return va_arg(ap, unsigned int);
    };
    switch (*p) {
      case 'd':
      case 'i': {
        // LP64 (AArch64 and x86-64): long, long long and ssize_t are all 64 bits.
        static_assert(sizeof(long) == sizeof(long long));
        const i64 v = (longs > 0 || size_t_arg) ? va_arg(ap, long long) : va_arg(ap, int);
        u64 mag = v < 0 ? u64{0} - static_cast<u64>(v) : static_cast<u64>(v);
        emit_number(out, spec, mag, 10, false, v < 0);
        break;
      }
      case 'u':
        emit_number(out, spec, unsigned_arg(), 10, false, false);
        break;
      case 'x':
      case 'X':
        emit_number(out, spec, unsigned_arg(), 16, *p == 'X', false);
        break;
      case 'p': {
        out.put('0');
        out.put('x');
        emit_number(out, spec, reinterpret_cast<u64>(va_arg(ap, void*)), 16, false, false);
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(ap, int));
        emit(out, spec, &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (s == nullptr) {
          s = "(null)";
        }
        usize n = 0;
        while (s[n] != '\0') {
          ++n;
        }
        emit(out, spec, s, n);
        break;
      }
      case '%':
        out.put('%');
        break;
      case '\0':
        return out.finish();
      default:  // unknown conversion: print it as is
        out.put('%');
        out.put(*p);
        break;
    }
  }
  return out.finish();
}

usize format(char* buf, usize size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  usize n = vformat(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace runhv
