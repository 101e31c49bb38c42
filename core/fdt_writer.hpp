// A sequential writer of flattened device trees (DTB, version 17) into a caller's buffer
// SPDX-License-Identifier: MIT
//
// Freestanding and heap-free, with no FP/SIMD use: the hypervisor (built -mgeneral-regs-only)
// generates every guest's device tree with it, where Debian's libfdt.a write functions cannot go.
//
// The blob follows the Devicetree Specification (v0.4, chapter 5): a 40-byte header; the memory
// reservation block at offset 40 (8-byte aligned), its entries big-endian {address, size} pairs
// ending with a {0, 0} entry; the structure block right after it (FDT_BEGIN_NODE, FDT_PROP,
// FDT_END_NODE tokens, each 4-byte aligned, names and values zero-padded to 4 bytes, FDT_END
// last); the strings block (property names, each stored once) right after the structure block.
// Version 17, last compatible version 16, boot_cpuid_phys 0.
//
// Use, in this order:
//   FdtWriter w(buf, size);
//   w.add_reservation(addr, size);   // any number, all before the first begin_node
//   w.begin_node("");                // the root, exactly one
//     w.prop_u32("#address-cells", 2);
//     w.begin_node("memory@40000000"); w.prop_reg(...); w.end_node();
//   w.end_node();
//   FdtResult r = w.finish();        // r.error == FdtError::none: the blob is r.size bytes
//
// While it is being built the strings grow down from the end of the buffer and the structure
// block grows up from the front; finish() moves the strings behind the structure block. The
// writer never writes outside [buf, buf + size). The first error is kept: every later call is a
// no-op (the buffer is left as it was at the error), and finish() reports it.
#pragma once

#include "core/types.hpp"

namespace runhv {

enum class FdtError : u8 {
  none,
  overflow,          // the buffer is too small for the tree (or the tree exceeds 4 GiB)
  unbalanced,        // end_node() with no open node, or finish() with a node still open
  misplaced,         // reservation after the first node, property outside the root, a second
                     // root, finish() without a root, any call after finish()
  invalid_argument,  // a null name or data pointer, an empty property or child-node name, a named
                     // root; for build_guest_fdt also a configuration it cannot describe
};

// A name for log lines ("overflow").
const char* fdt_error_name(FdtError error);

struct FdtResult {
  usize size;      // the blob's total size (header.totalsize); 0 unless error == none
  FdtError error;  // none: the blob is complete and valid
  [[nodiscard]] constexpr bool ok() const { return error == FdtError::none; }
};

namespace fdt {

inline constexpr u32 kMagic = 0xD00D'FEED;
inline constexpr u32 kVersion = 17;
inline constexpr u32 kLastCompatibleVersion = 16;
inline constexpr usize kHeaderSize = 40;
inline constexpr usize kReservationEntrySize = 16;

inline constexpr u32 kTokenBeginNode = 1;
inline constexpr u32 kTokenEndNode = 2;
inline constexpr u32 kTokenProp = 3;
inline constexpr u32 kTokenNop = 4;
inline constexpr u32 kTokenEnd = 9;

// Header field offsets (all big-endian u32).
inline constexpr usize kOffMagic = 0;
inline constexpr usize kOffTotalSize = 4;
inline constexpr usize kOffDtStruct = 8;
inline constexpr usize kOffDtStrings = 12;
inline constexpr usize kOffMemRsvmap = 16;
inline constexpr usize kOffVersion = 20;
inline constexpr usize kOffLastCompVersion = 24;
inline constexpr usize kOffBootCpuidPhys = 28;
inline constexpr usize kOffSizeDtStrings = 32;
inline constexpr usize kOffSizeDtStruct = 36;

}  // namespace fdt

class FdtWriter {
 public:
  // `buf` need not be aligned (the writer stores bytes); Linux wants the finished blob 8-byte
  // aligned in guest memory, which is the caller's business. Only the first 4 GiB - 1 of a larger
  // buffer are used (FDT offsets are 32-bit).
  FdtWriter(void* buf, usize size);
  FdtWriter(const FdtWriter&) = delete;
  FdtWriter& operator=(const FdtWriter&) = delete;

  // A memory reservation block entry. Only before the first begin_node().
  void add_reservation(u64 address, u64 size);

  // A node: "" for the root (the first node; there is exactly one), "name" or "name@unit" below.
  void begin_node(const char* name);
  void end_node();

  // A property of the innermost open node: `len` bytes from `data` (nullptr allowed when len is 0).
  void property(const char* name, const void* data, usize len);

  // Typed helpers; all values are stored big-endian.
  void prop_empty(const char* name);                                          // a boolean property
  void prop_u32(const char* name, u32 value);                                 // <value>
  void prop_u64(const char* name, u64 value);                                 // /bits/ 64 <value>
  void prop_cells(const char* name, const u32* cells, usize count);           // <c0 c1 ...>
  void prop_u64s(const char* name, const u64* values, usize count);           // each as two cells
  void prop_string(const char* name, const char* value);                      // "value"
  void prop_strings(const char* name, const char* const* list, usize count);  // "a", "b"
  // `reg` = <address size> with #address-cells = #size-cells = 2 (all runhv's guest nodes use).
  void prop_reg(u64 address, u64 size);

  template <usize N>
  void prop_cells(const char* name, const u32 (&cells)[N]) {
    prop_cells(name, cells, N);
  }
  template <usize N>
  void prop_u64s(const char* name, const u64 (&values)[N]) {
    prop_u64s(name, values, N);
  }
  template <usize N>
  void prop_strings(const char* name, const char* const (&list)[N]) {
    prop_strings(name, list, N);
  }

  // Completes the blob: FDT_END, the strings block, the header. Returns its size, or the first
  // error. The buffer bytes the writer used beyond the blob are zeroed.
  FdtResult finish();

  [[nodiscard]] FdtError error() const { return error_; }
  // Open nodes (the root counts).
  [[nodiscard]] u32 depth() const { return depth_; }

 private:
  void fail(FdtError e);
  [[nodiscard]] bool usable();  // no error yet and not finished (else records misplaced)
  // Where the next reservation entry (before the first node) or structure byte goes.
  [[nodiscard]] usize front() const { return started_ ? struct_end_ : rsv_end_; }
  [[nodiscard]] bool room(usize bytes);  // `bytes` fit between front() and the strings, else overflow
  void put_u32(u32 value);
  void put_bytes(const u8* data, usize len);
  void pad4();
  void start_structure();  // after the reservations: their terminator, then the structure block
  // Starts an FDT_PROP of `len` bytes of value named `name` (adding the name to the strings if it
  // is new). False (with the error recorded) if it cannot; else the caller writes exactly `len`
  // bytes with put_u32 / put_bytes and then calls pad4().
  bool open_property(const char* name, usize len);
  [[nodiscard]] usize find_string(const char* name, usize len) const;  // position or 0
  void store_u32(usize at, u32 value);
  [[nodiscard]] u32 load_u32(usize at) const;

  u8* buf_;
  usize size_;     // usable size (at most 0xFFFF'FFFF)
  usize rsv_end_;  // end of the reservation entries written so far
  usize struct_start_ = 0;
  usize struct_end_ = 0;  // the structure block grows up from struct_start_ to here
  usize strings_low_;     // the strings occupy [strings_low_, size_)
  u32 depth_ = 0;
  bool started_ = false;  // the first begin_node() has been seen
  bool has_root_ = false;
  bool finished_ = false;
  FdtError error_ = FdtError::none;
};

}  // namespace runhv
