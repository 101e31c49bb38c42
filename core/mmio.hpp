// The per-domain MMIO bus: emulated device regions and the loads/stores a guest makes to them
// SPDX-License-Identifier: MIT
//
// A guest access to an IPA no RAM backs faults at stage 2 (a data abort, EC 0x24). When the
// syndrome is valid (ISV = 1) the hypervisor turns it into an MmioAccess, dispatches it to the
// region holding it, and for a load writes mmio_load_value() into the guest's register. An access
// with no region is the caller's to report; one the device refuses, or one inside a region with no
// usable syndrome, gets Xen's data abort injected into the guest (arch/aarch64/exits.cpp).
#pragma once

#include "core/esr.hpp"
#include "core/types.hpp"

namespace runhv {

struct MmioAccess {
  Ipa ipa;
  u8 bytes = 0;              // 1, 2, 4 or 8
  bool write = false;        // a store; else a load
  bool sign_extend = false;  // a load that sign-extends (LDRSB, LDRSH, LDRSW)
  bool sixty_four = false;   // the register is an X register; else a W register
  u8 reg = 0;                // the transfer register, 0..31; 31 is XZR
  u64 data = 0;              // a store: the value written (truncated to bytes); a load: the device's value
};

// Builds the access from a data abort's syndrome, the faulting IPA and the transfer register's
// current value. False when the syndrome cannot be emulated: ISV = 0 (no access description, as
// for load/store pair or writeback forms), S1PTW = 1 (the fault was the stage-1 table walk, not the
// instruction's own access) or CM = 1 (a cache maintenance instruction, not a load or store).
bool mmio_access_from(const esr::DataAbort& da, Ipa ipa, u64 reg_value, MmioAccess& out);

// The one access without a syndrome Xen (4.17+, xen/arch/arm/decode.c) emulates: LDR/STR
// (immediate, post-index) of a general register, 8 to 64 bits, not sign-extending (LDRS* is
// refused), Rn != Rt unless Rn is SP. `insn` is the instruction at the faulting PC, `write` the
// abort's WnR (a different instruction than the one that faulted is refused). On success `da` is
// the syndrome the hardware would have given and Rn is to be advanced by `offset` once the
// access is done.
struct PostIndexed {
  esr::DataAbort da;
  u8 rn = 0;       // the base register; 31 is SP
  i64 offset = 0;  // imm9
};
bool mmio_decode_post_indexed(u32 insn, bool write, PostIndexed& out);

// What the destination register receives for a load: the value truncated to the access size,
// then sign- or zero-extended; a W register's upper 32 bits are always zero.
u64 mmio_load_value(const MmioAccess& a);

// Whether the access writes a guest register back: loads do, except into XZR (register 31).
constexpr bool mmio_writes_register(const MmioAccess& a) { return !a.write && a.reg != 31; }

// An emulated device. The offset is from its region's base; the access lies wholly inside the
// region. Returning false refuses the access (a width or alignment the device does not serve):
// it is then treated like an access outside every region.
class MmioDevice {
 public:
  virtual bool read(u64 offset, u8 bytes, u64& value) = 0;
  virtual bool write(u64 offset, u8 bytes, u64 value) = 0;

 protected:
  MmioDevice() = default;
  ~MmioDevice() = default;
  MmioDevice(const MmioDevice&) = default;
  MmioDevice& operator=(const MmioDevice&) = default;
};

enum class MmioOutcome : u8 {
  done,       // the device served it (a load's value is in MmioAccess::data)
  no_region,  // no region holds the whole access
  refused,    // the region's device refused it
};

// Up to kMaxRegions non-overlapping regions. Constant-initialisable: it lives inside a Domain.
class MmioBus {
 public:
  static constexpr u32 kMaxRegions = 8;

  struct Region {
    Ipa base;
    u64 size = 0;
    MmioDevice* device = nullptr;
    const char* name = nullptr;
  };

  // False (and nothing added) for an empty range, one that wraps past the top of the address
  // space, one that overlaps a region already added, or a full bus.
  bool add(Ipa base, u64 size, MmioDevice& device, const char* name);

  // The region holding every byte of [ipa, ipa + bytes), or nullptr.
  [[nodiscard]] const Region* find(Ipa ipa, u8 bytes) const;

  // Sends the access to its region's device; for a load that is served, fills a.data with the
  // device's value truncated to the access size (otherwise a.data is left as it was). The region
  // the last dispatch found is tried first: a guest's accesses come in runs (Linux's console
  // polls the vPL011's flags before every character it writes).
  MmioOutcome dispatch(MmioAccess& a);

  [[nodiscard]] u32 region_count() const { return count_; }
  [[nodiscard]] const Region& region(u32 i) const { return regions_[i]; }

 private:
  Region regions_[kMaxRegions] = {};
  u32 count_ = 0;
  u32 last_hit_ = 0;  // an index below count_ once a dispatch has found a region
};

}  // namespace runhv
