// Translation-table builders for tests, fuzzers and benchmarks (host only)
// SPDX-License-Identifier: MIT
//
// Stage2Builder writes a domain's stage 2 tables into hypervisor-owned pages of a
// model::Machine and yields VTCR_EL2/VTTBR_EL2. Stage1Builder writes a guest's own stage 1
// tables into the guest's RAM (addressed by IPA, resolved through stage 2) and yields
// SCTLR_EL1/TCR_EL1/TTBR0_EL1/TTBR1_EL1. GuestSpace puts the two together: a domain with RAM at
// IPA 0x4000'0000 and kernel virtual addresses from 0xffff'0000'0000'0000.
//
// Descriptor bits are core/pte.hpp, register fields core/walker.hpp (Arm ARM DDI 0487, D8).
// The builders never free tables and do no TLB maintenance (there is no TLB in the model).
// Misuse (unaligned ranges, exhausted guest RAM, inconsistent geometry) throws
// std::invalid_argument or std::runtime_error.
//
// Typical use:
//   model::Machine m;
//   model::GuestSpace g(m);                       // domain 1, 16 MiB of RAM at IPA 0x4000'0000
//   Ipa data = g.map_kernel(0x1000, kPageSize);   // a fresh page at VA 0xffff'0000'0000'1000
//   auto walker = g.walker();
//   auto w = walker.translate(g.s1_regs(), g.kernel_va(0x1000), {mmu::AccessType::write});
#pragma once

#include <functional>
#include <optional>
#include <utility>

#include "core/walker.hpp"
#include "model/machine.hpp"

namespace runhv::model {

enum class Granule : u8 { k4K, k16K, k64K };

constexpr unsigned granule_shift(Granule g) { return g == Granule::k4K ? 12U : (g == Granule::k16K ? 14U : 16U); }
constexpr u64 granule_bytes(Granule g) { return u64{1} << granule_shift(g); }

// Shape of one set of tables: granule, input size, start level and the index bits it resolves
// (more than stride() at a stage 2 start level means concatenated tables).
struct Geometry {
  Granule granule = Granule::k4K;
  unsigned ia_bits = 48;
  int start_level = 0;
  unsigned start_bits = 9;

  [[nodiscard]] unsigned gshift() const { return granule_shift(granule); }
  [[nodiscard]] unsigned stride() const { return gshift() - 3; }
  [[nodiscard]] unsigned level_shift(int level) const;
  [[nodiscard]] u64 level_size(int level) const { return u64{1} << level_shift(level); }
  [[nodiscard]] u64 index(u64 input, int level) const;
  [[nodiscard]] int first_block_level() const { return granule == Granule::k4K ? 1 : 2; }
  // Bytes of the start-level table(s): at least one granule.
  [[nodiscard]] u64 root_bytes() const;
  // Number of concatenated start-level tables (1 unless start_bits > stride()).
  [[nodiscard]] unsigned root_tables() const;

  // Stage 1: the start level follows from the input size.
  static Geometry stage1(Granule g, unsigned ia_bits);
  // Stage 2: start_level -1 picks the deepest level that needs at most 16 concatenated tables
  // (what KVM and Xen do); an explicit level must be consistent with ia_bits.
  static Geometry stage2(Granule g, unsigned ia_bits, int start_level = -1);
};

// TCR_EL1.IPS / VTCR_EL2.PS encoding of an address size (32, 36, 40, 42, 44 or 48 bits).
u64 ps_encoding(unsigned bits);

// Contiguous RAM pages owned by `owner`, `bytes` long (a multiple of 4 KiB) and aligned to
// `align`, allocated above everything the machine holds so far.
Pa alloc_contiguous(Machine& m, DomId owner, u64 bytes, u64 align);

// ------------------------------------------------------------------------------ stage 2

struct S2Perms {
  bool read = true;
  bool write = true;
  bool exec = true;
};

// A block of RAM given to a domain: `bytes` at `ipa`, backed by contiguous host pages at `pa`.
struct RamRegion {
  Ipa ipa{};
  Pa pa{};
  u64 bytes = 0;
  [[nodiscard]] bool contains(Ipa a) const { return a >= ipa && a.raw() - ipa.raw() < bytes; }
  [[nodiscard]] Pa pa_of(Ipa a) const { return pa + (a.raw() - ipa.raw()); }
};

class Stage2Builder {
 public:
  struct Options {
    Granule granule = Granule::k4K;
    unsigned ipa_bits = 40;    // VTCR_EL2.T0SZ = 64 - ipa_bits
    int start_level = -1;      // -1: automatic (see Geometry::stage2); else SL0 names this level
    unsigned pa_bits = 40;     // VTCR_EL2.PS
    bool hardware_af = false;  // VTCR_EL2.HA
    u16 vmid = 1;              // VTTBR_EL2[63:48] (ignored by the walker)
  };

  explicit Stage2Builder(Machine& m) : Stage2Builder(m, Options{}) {}
  Stage2Builder(Machine& m, const Options& opt);

  // Maps [ipa, ipa+size) to [pa, pa+size). With `blocks`, uses block descriptors wherever both
  // addresses are aligned to a block size and the range covers it; otherwise pages. An existing
  // block in the way is split; an existing entry at the leaf level is overwritten.
  void map(Ipa ipa, Pa pa, u64 size, S2Perms perms = {}, bool device = false, bool blocks = false);
  // Removes the mappings of [ipa, ipa+size), splitting blocks that are partly covered.
  void unmap(Ipa ipa, u64 size);
  // Removes the mapping of the one granule at `ipa`.
  void unmap(Ipa ipa) { unmap(ipa, granule_bytes(geo_.granule)); }
  // Allocates `bytes` of host RAM owned by `dom` (contiguous, granule aligned) and maps it at
  // `ipa` with `perms` (pages, or blocks if `blocks`).
  RamRegion give_ram(DomId dom, Ipa ipa, u64 bytes, S2Perms perms = {}, bool blocks = false);

  // Software walk of the tables written so far (no permission or AF checks).
  [[nodiscard]] std::optional<Pa> lookup(Ipa ipa) const;
  // Host address of the descriptor for `ipa` at `level` (nullopt if no table reaches there).
  [[nodiscard]] std::optional<Pa> entry_pa(Ipa ipa, int level) const;
  // Read / overwrite that descriptor (throws if it does not exist), for tests that corrupt one.
  [[nodiscard]] u64 read_entry(Ipa ipa, int level) const;
  void write_entry(Ipa ipa, int level, u64 value);

  [[nodiscard]] mmu::Stage2Regs regs() const;
  [[nodiscard]] Pa root() const { return root_; }
  [[nodiscard]] const Geometry& geometry() const { return geo_; }
  [[nodiscard]] const Options& options() const { return opt_; }
  [[nodiscard]] Machine& machine() const { return m_; }
  // Host pages taken for tables (start-level tables included).
  [[nodiscard]] u64 table_pages() const { return table_pages_; }

 private:
  u64 alloc_table();

  Machine& m_;
  Options opt_;
  Geometry geo_;
  Pa root_{};
  u64 table_pages_ = 0;
};

// ------------------------------------------------------------------------------ stage 1

struct S1Attrs {
  bool el0 = false;        // AP[1]: EL0 may access
  bool read_only = false;  // AP[2]
  bool pxn = false;
  bool uxn = false;
  bool af = true;       // access flag
  bool device = false;  // AttrIndx 1 (MAIR_EL1 attr 1 = Device) instead of 0 (Normal)
  bool global = true;   // nG = !global
};

// Bump allocator of guest pages (by IPA) inside a guest RAM region.
class GuestPageAllocator {
 public:
  GuestPageAllocator(Ipa begin, u64 bytes) : next_(begin.raw()), end_(begin.raw() + bytes) {}
  // `bytes` of guest RAM aligned to `align` (default: to `bytes`); throws when exhausted.
  Ipa alloc(u64 bytes = kPageSize, u64 align = 0);
  [[nodiscard]] u64 remaining() const { return end_ - next_; }

 private:
  u64 next_;
  u64 end_;
};

enum class Half : u8 { lower, upper };  // TTBR0 / TTBR1 region
constexpr Half half_of(Va va) { return bit(va.raw(), 55) ? Half::upper : Half::lower; }

class Stage1Builder {
 public:
  using IpaToPa = std::function<std::optional<Pa>(Ipa)>;
  // Returns `bytes` of guest RAM (IPA) aligned to `bytes`; need not be zeroed.
  using TableAlloc = std::function<Ipa(u64 bytes)>;

  struct Options {
    Granule granule0 = Granule::k4K;  // TCR_EL1.TG0
    Granule granule1 = Granule::k4K;  // TCR_EL1.TG1
    unsigned va_bits0 = 48;           // TCR_EL1.T0SZ = 64 - va_bits0
    unsigned va_bits1 = 48;           // TCR_EL1.T1SZ = 64 - va_bits1
    unsigned ips_bits = 40;           // TCR_EL1.IPS
    bool hardware_af = false;         // TCR_EL1.HA
    bool tbi0 = false;
    bool tbi1 = false;
    u16 asid = 0;  // TTBR0_EL1[63:48] (ignored by the walker)
  };

  // Tables are written at IPAs resolved by `resolve` and allocated by `alloc`. Both halves get
  // an empty root at once.
  Stage1Builder(Machine& m, IpaToPa resolve, TableAlloc alloc, const Options& opt);
  Stage1Builder(Machine& m, IpaToPa resolve, TableAlloc alloc)
      : Stage1Builder(m, std::move(resolve), std::move(alloc), Options{}) {}
  // Resolves through `s2` and allocates tables from `pages`.
  Stage1Builder(Stage2Builder& s2, GuestPageAllocator& pages, const Options& opt);
  Stage1Builder(Stage2Builder& s2, GuestPageAllocator& pages) : Stage1Builder(s2, pages, Options{}) {}

  // A new empty root for `half` (not installed). Roots of a half share the half's geometry.
  Ipa new_root(Half half);
  // Installs `root` as TTBR0 (lower) or TTBR1 (upper): e.g. to switch to a KPTI trampoline.
  void use_root(Half half, Ipa root);
  [[nodiscard]] Ipa root(Half half) const { return roots_[index(half)]; }

  // Maps [va, va+size) to [ipa, ipa+size) in the installed root of va's half, or in `root`.
  void map(Va va, Ipa ipa, u64 size, S1Attrs attrs = {}, bool blocks = false);
  void map(Ipa root, Va va, Ipa ipa, u64 size, S1Attrs attrs = {}, bool blocks = false);
  void unmap(Va va, u64 size);
  void unmap(Ipa root, Va va, u64 size);
  // Removes the mapping of the one granule at `va` (installed root).
  void unmap(Va va) { unmap(va, granule_bytes(geometry(half_of(va)).granule)); }

  // Software walk (no permission or AF checks) of the installed root or `root`.
  [[nodiscard]] std::optional<Ipa> lookup(Va va) const;
  [[nodiscard]] std::optional<Ipa> lookup(Ipa root, Va va) const;
  // IPA of the descriptor for `va` at `level` (nullopt if no table reaches there).
  [[nodiscard]] std::optional<Ipa> entry_ipa(Va va, int level) const;
  [[nodiscard]] std::optional<Ipa> entry_ipa(Ipa root, Va va, int level) const;
  // Read / overwrite that descriptor in the installed root (throws if it does not exist).
  [[nodiscard]] u64 read_entry(Va va, int level) const;
  void write_entry(Va va, int level, u64 value);

  // SCTLR_EL1.M = 1, TCR_EL1 from the options, TTBR0/TTBR1 = installed roots.
  [[nodiscard]] mmu::Stage1Regs regs() const;
  [[nodiscard]] const Geometry& geometry(Half half) const { return geo_[index(half)]; }
  [[nodiscard]] const Options& options() const { return opt_; }

 private:
  static constexpr usize index(Half h) { return h == Half::upper ? 1 : 0; }
  [[nodiscard]] Pa resolve(u64 ipa) const;
  Ipa alloc_table(Half half, u64 bytes);

  Machine& m_;
  IpaToPa resolve_;
  TableAlloc alloc_;
  Options opt_;
  Geometry geo_[2];
  Ipa roots_[2]{};
};

// ------------------------------------------------------------------------------ GuestSpace

// A domain with RAM at `ram_base` mapped read/write/exec by stage 2, its own stage 1 tables in
// that RAM, TTBR0 for user addresses and TTBR1 for kernel addresses from kKernelBase.
class GuestSpace {
 public:
  static constexpr u64 kRamBase = 0x4000'0000;
  static constexpr u64 kKernelBase = 0xffff'0000'0000'0000;

  struct Options {
    DomId dom = xen::domid(1);
    u64 ram_base = kRamBase;
    u64 ram_bytes = u64{16} << 20;
    Stage2Builder::Options s2{};
    Stage1Builder::Options s1{};
  };

  explicit GuestSpace(Machine& m) : GuestSpace(m, Options{}) {}
  GuestSpace(Machine& m, const Options& opt);
  GuestSpace(const GuestSpace&) = delete;
  GuestSpace& operator=(const GuestSpace&) = delete;

  // Fresh guest RAM (zeroed), aligned to `bytes` rounded up to a 4 KiB multiple.
  Ipa alloc(u64 bytes = kPageSize);
  // Allocates `bytes` of guest RAM and maps it at `va`; returns its IPA. `va`/`bytes` must be
  // aligned to the stage 1 granule of va's half.
  Ipa map_new(Va va, u64 bytes = kPageSize, S1Attrs attrs = {});
  // The same at kernel_va(offset).
  Ipa map_kernel(u64 offset, u64 bytes = kPageSize, S1Attrs attrs = {}) {
    return map_new(kernel_va(offset), bytes, attrs);
  }
  [[nodiscard]] static Va kernel_va(u64 offset) { return Va(kKernelBase + offset); }

  // Host address of a RAM IPA (throws if it is outside the domain's RAM).
  [[nodiscard]] Pa pa(Ipa ipa) const;

  [[nodiscard]] mmu::Stage1Regs s1_regs() const { return s1_.regs(); }
  [[nodiscard]] mmu::Stage2Regs s2_regs() const { return s2_.regs(); }
  [[nodiscard]] mmu::Walker walker() const { return mmu::Walker(m_, s2_.regs()); }

  [[nodiscard]] Machine& machine() const { return m_; }
  [[nodiscard]] DomId dom() const { return opt_.dom; }
  [[nodiscard]] const RamRegion& ram() const { return ram_; }
  Stage2Builder& s2() { return s2_; }
  Stage1Builder& s1() { return s1_; }
  GuestPageAllocator& pages() { return pages_; }

 private:
  Machine& m_;
  Options opt_;
  Stage2Builder s2_;
  RamRegion ram_;
  GuestPageAllocator pages_;
  Stage1Builder s1_;
};

}  // namespace runhv::model
