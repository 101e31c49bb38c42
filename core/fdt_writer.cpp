// A sequential writer of flattened device trees (DTB, version 17) into a caller's buffer
// SPDX-License-Identifier: MIT
#include "core/fdt_writer.hpp"

namespace runhv {

namespace {

constexpr usize kMaxBlob = 0xFFFF'FFFF;  // header offsets and sizes are u32

constexpr usize align4(usize n) { return (n + 3) & ~usize{3}; }

usize string_length(const char* s) {
  usize n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

}  // namespace

const char* fdt_error_name(FdtError error) {
  switch (error) {
    case FdtError::none:
      return "none";
    case FdtError::overflow:
      return "overflow";
    case FdtError::unbalanced:
      return "unbalanced";
    case FdtError::misplaced:
      return "misplaced";
    case FdtError::invalid_argument:
      return "invalid_argument";
  }
  return "?";
}

FdtWriter::FdtWriter(void* buf, usize size)
    : buf_(static_cast<u8*>(buf)),
      size_(size > kMaxBlob ? kMaxBlob : size),
      rsv_end_(fdt::kHeaderSize),
      strings_low_(size_) {
  // Keeps front() <= strings_low_, which room() relies on.
  if (buf_ == nullptr || size_ < fdt::kHeaderSize + fdt::kReservationEntrySize) {
    size_ = 0;
    strings_low_ = 0;
    fail(FdtError::overflow);
  }
}

void FdtWriter::fail(FdtError e) {
  if (error_ == FdtError::none) {
    error_ = e;
  }
}

bool FdtWriter::usable() {
  if (error_ != FdtError::none) {
    return false;
  }
  if (finished_) {
    fail(FdtError::misplaced);
    return false;
  }
  return true;
}

bool FdtWriter::room(usize bytes) {
  // front() <= strings_low_ always holds, so the subtraction cannot wrap.
  if (bytes > strings_low_ - front()) {
    fail(FdtError::overflow);
    return false;
  }
  return true;
}

void FdtWriter::store_u32(usize at, u32 value) {
  buf_[at] = static_cast<u8>(value >> 24);
  buf_[at + 1] = static_cast<u8>(value >> 16);
  buf_[at + 2] = static_cast<u8>(value >> 8);
  buf_[at + 3] = static_cast<u8>(value);
}

u32 FdtWriter::load_u32(usize at) const {
  return (u32{buf_[at]} << 24) | (u32{buf_[at + 1]} << 16) | (u32{buf_[at + 2]} << 8) | u32{buf_[at + 3]};
}

void FdtWriter::put_u32(u32 value) {
  store_u32(struct_end_, value);
  struct_end_ += 4;
}

void FdtWriter::put_bytes(const u8* data, usize len) {
  for (usize i = 0; i < len; ++i) {
    buf_[struct_end_ + i] = data[i];
  }
  struct_end_ += len;
}

void FdtWriter::pad4() {
  while ((struct_end_ & 3) != 0) {
    buf_[struct_end_++] = 0;
  }
}

void FdtWriter::add_reservation(u64 address, u64 size) {
  if (!usable()) {
    return;
  }
  if (started_) {
    fail(FdtError::misplaced);
    return;
  }
  // Room for this entry and, later, the terminating {0, 0} entry.
  if (!room(2 * fdt::kReservationEntrySize)) {
    return;
  }
  store_u32(rsv_end_, static_cast<u32>(address >> 32));
  store_u32(rsv_end_ + 4, static_cast<u32>(address));
  store_u32(rsv_end_ + 8, static_cast<u32>(size >> 32));
  store_u32(rsv_end_ + 12, static_cast<u32>(size));
  rsv_end_ += fdt::kReservationEntrySize;
}

void FdtWriter::start_structure() {
  if (started_) {
    return;
  }
  for (usize i = 0; i < fdt::kReservationEntrySize; ++i) {
    buf_[rsv_end_ + i] = 0;
  }
  struct_start_ = rsv_end_ + fdt::kReservationEntrySize;
  struct_end_ = struct_start_;
  started_ = true;
}

void FdtWriter::begin_node(const char* name) {
  if (!usable()) {
    return;
  }
  if (name == nullptr) {
    fail(FdtError::invalid_argument);
    return;
  }
  const usize len = string_length(name);
  if (depth_ == 0) {
    if (has_root_) {
      fail(FdtError::misplaced);
      return;
    }
    if (len != 0) {
      fail(FdtError::invalid_argument);
      return;
    }
  } else if (len == 0) {
    fail(FdtError::invalid_argument);
    return;
  }
  // Before the first node the reservation block's terminator comes too.
  if (!room((started_ ? 0 : fdt::kReservationEntrySize) + 4 + align4(len + 1))) {
    return;
  }
  start_structure();
  put_u32(fdt::kTokenBeginNode);
  put_bytes(reinterpret_cast<const u8*>(name), len + 1);
  pad4();
  has_root_ = true;
  ++depth_;
}

void FdtWriter::end_node() {
  if (!usable()) {
    return;
  }
  if (depth_ == 0) {
    fail(FdtError::unbalanced);
    return;
  }
  if (!room(4)) {
    return;
  }
  put_u32(fdt::kTokenEndNode);
  --depth_;
}

usize FdtWriter::find_string(const char* name, usize len) const {
  usize at = strings_low_;
  while (at < size_) {
    usize n = 0;
    while (buf_[at + n] != 0 && n < len && buf_[at + n] == static_cast<u8>(name[n])) {
      ++n;
    }
    if (n == len && buf_[at + n] == 0) {
      return at;
    }
    while (buf_[at] != 0) {  // to the next string
      ++at;
    }
    ++at;
  }
  return 0;
}

bool FdtWriter::open_property(const char* name, usize len) {
  if (!usable()) {
    return false;
  }
  if (name == nullptr || name[0] == '\0') {
    fail(FdtError::invalid_argument);
    return false;
  }
  if (depth_ == 0) {
    fail(FdtError::misplaced);
    return false;
  }
  if (len > kMaxBlob) {
    fail(FdtError::overflow);
    return false;
  }
  const usize name_len = string_length(name);
  usize at = find_string(name, name_len);
  const usize new_string = at == 0 ? name_len + 1 : 0;
  const usize value = align4(len);
  // Structure growth plus, for a new name, the strings' growth: both come out of the gap.
  if (!room(12 + value + new_string)) {
    return false;
  }
  if (new_string != 0) {
    strings_low_ -= new_string;
    for (usize i = 0; i < new_string; ++i) {
      buf_[strings_low_ + i] = static_cast<u8>(name[i]);  // includes the NUL
    }
    at = strings_low_;
  }
  put_u32(fdt::kTokenProp);
  put_u32(static_cast<u32>(len));
  // Until finish() the name offset is the distance from the end of the buffer to the name: the
  // final strings block starts at strings_low_, which keeps moving down as names are added.
  put_u32(static_cast<u32>(size_ - at));
  return true;
}

void FdtWriter::property(const char* name, const void* data, usize len) {
  if (data == nullptr && len != 0) {
    if (usable()) {
      fail(FdtError::invalid_argument);
    }
    return;
  }
  if (!open_property(name, len)) {
    return;
  }
  put_bytes(static_cast<const u8*>(data), len);
  pad4();
}

void FdtWriter::prop_empty(const char* name) { property(name, nullptr, 0); }

void FdtWriter::prop_u32(const char* name, u32 value) { prop_cells(name, &value, 1); }

void FdtWriter::prop_u64(const char* name, u64 value) { prop_u64s(name, &value, 1); }

void FdtWriter::prop_cells(const char* name, const u32* cells, usize count) {
  if (cells == nullptr && count != 0) {
    if (usable()) {
      fail(FdtError::invalid_argument);
    }
    return;
  }
  if (count > kMaxBlob / 4) {
    if (usable()) {
      fail(FdtError::overflow);
    }
    return;
  }
  if (!open_property(name, 4 * count)) {
    return;
  }
  for (usize i = 0; i < count; ++i) {
    put_u32(cells[i]);
  }
}

void FdtWriter::prop_u64s(const char* name, const u64* values, usize count) {
  if (values == nullptr && count != 0) {
    if (usable()) {
      fail(FdtError::invalid_argument);
    }
    return;
  }
  if (count > kMaxBlob / 8) {
    if (usable()) {
      fail(FdtError::overflow);
    }
    return;
  }
  if (!open_property(name, 8 * count)) {
    return;
  }
  for (usize i = 0; i < count; ++i) {
    put_u32(static_cast<u32>(values[i] >> 32));
    put_u32(static_cast<u32>(values[i]));
  }
}

void FdtWriter::prop_string(const char* name, const char* value) { prop_strings(name, &value, 1); }

void FdtWriter::prop_strings(const char* name, const char* const* list, usize count) {
  usize len = 0;
  bool valid = list != nullptr || count == 0;
  for (usize i = 0; valid && i < count; ++i) {
    valid = list[i] != nullptr;
    if (valid) {
      len += string_length(list[i]) + 1;
    }
  }
  if (!valid) {
    if (usable()) {
      fail(FdtError::invalid_argument);
    }
    return;
  }
  if (!open_property(name, len)) {
    return;
  }
  for (usize i = 0; i < count; ++i) {
    put_bytes(reinterpret_cast<const u8*>(list[i]), string_length(list[i]) + 1);
  }
  pad4();
}

void FdtWriter::prop_reg(u64 address, u64 size) {
  const u64 reg[] = {address, size};
  prop_u64s("reg", reg);
}

FdtResult FdtWriter::finish() {
  if (!usable()) {
    return {0, error_};
  }
  if (!has_root_) {
    fail(FdtError::misplaced);
    return {0, error_};
  }
  if (depth_ != 0) {
    fail(FdtError::unbalanced);
    return {0, error_};
  }
  if (!room(4)) {
    return {0, error_};
  }
  put_u32(fdt::kTokenEnd);

  const usize strings_size = size_ - strings_low_;
  // Name offsets: from "distance to the end of the buffer" to "offset in the strings block".
  usize at = struct_start_;
  for (;;) {
    const u32 token = load_u32(at);
    at += 4;
    if (token == fdt::kTokenEnd) {
      break;
    }
    if (token == fdt::kTokenBeginNode) {
      while (buf_[at] != 0) {
        ++at;
      }
      at = align4(at + 1);
    } else if (token == fdt::kTokenProp) {
      const u32 len = load_u32(at);
      const u32 distance = load_u32(at + 4);
      store_u32(at + 4, static_cast<u32>(strings_size - distance));
      at += 8 + align4(len);
    }
    // kTokenEndNode: nothing follows it.
  }

  // Move the strings down behind the structure block (a forward copy: the target is lower).
  const usize strings_at = struct_end_;
  for (usize i = 0; i < strings_size; ++i) {
    buf_[strings_at + i] = buf_[strings_low_ + i];
  }
  const usize total = strings_at + strings_size;
  // Zero what is left of the old strings area beyond the blob.
  for (usize i = total > strings_low_ ? total : strings_low_; i < size_; ++i) {
    buf_[i] = 0;
  }

  store_u32(fdt::kOffMagic, fdt::kMagic);
  store_u32(fdt::kOffTotalSize, static_cast<u32>(total));
  store_u32(fdt::kOffDtStruct, static_cast<u32>(struct_start_));
  store_u32(fdt::kOffDtStrings, static_cast<u32>(strings_at));
  store_u32(fdt::kOffMemRsvmap, static_cast<u32>(fdt::kHeaderSize));
  store_u32(fdt::kOffVersion, fdt::kVersion);
  store_u32(fdt::kOffLastCompVersion, fdt::kLastCompatibleVersion);
  store_u32(fdt::kOffBootCpuidPhys, 0);
  store_u32(fdt::kOffSizeDtStrings, static_cast<u32>(strings_size));
  store_u32(fdt::kOffSizeDtStruct, static_cast<u32>(struct_end_ - struct_start_));
  finished_ = true;
  return {total, FdtError::none};
}

}  // namespace runhv
