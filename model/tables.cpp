// Translation-table builders for tests, fuzzers and benchmarks (host only)
// SPDX-License-Identifier: MIT
#include "model/tables.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace runhv::model {

using mmu::Stage1Regs;
using mmu::Stage2Regs;
namespace pte = runhv::pte;

namespace {

constexpr u64 mask_range(unsigned hi, unsigned lo) {
  const u64 upto = hi >= 63 ? ~u64{0} : ((u64{1} << (hi + 1)) - 1);
  return upto & ~((u64{1} << lo) - 1);
}
constexpr bool is_pow2(u64 v) { return v != 0 && (v & (v - 1)) == 0; }
constexpr bool aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }

// Index bits a level would resolve for an input size (<= 0: the level is too deep).
int bits_at(Granule g, unsigned ia, int level) {
  const int gs = static_cast<int>(granule_shift(g));
  return static_cast<int>(ia) - gs - (3 - level) * (gs - 3);
}

int natural_start(Granule g, unsigned ia) {
  const unsigned gs = granule_shift(g);
  return 3 - static_cast<int>((ia - gs - 1) / (gs - 3));
}

// Start levels VTCR_EL2.SL0 can name (no FEAT_TTST / LPA2 except the 16K level 0 encoding).
bool s2_level_encodable(Granule g, int level) {
  switch (g) {
    case Granule::k4K:
      return level >= 0 && level <= 2;
    case Granule::k16K:
      return level >= 0 && level <= 3;
    case Granule::k64K:
      return level >= 1 && level <= 3;
  }
  return false;
}

void check_ia(unsigned ia) {
  if (ia < 25 || ia > 48) {
    throw std::invalid_argument("input address size must be 25..48 bits, got " + std::to_string(ia));
  }
}

}  // namespace

// One set of tables in some address space (PA for stage 2, IPA for stage 1), reached through
// callbacks. The operations are shared by both builders.
namespace detail {

struct TableIo {
  const Geometry& geo;
  std::function<u64(u64)> read;         // the descriptor at a table address
  std::function<void(u64, u64)> write;  // store a descriptor
  std::function<u64()> alloc;           // a zeroed, granule-sized and aligned table

  [[nodiscard]] static bool is_table(u64 d, int level) { return level < 3 && (d & pte::TYPE_MASK) == pte::TYPE_TABLE; }
  [[nodiscard]] u64 next_table(u64 d) const { return d & mask_range(47, geo.gshift()); }

  // Replaces the block `d` at `entry` (level `level`) by a table of equivalent entries.
  void split(u64 entry, int level, u64 d) {
    const int child = level + 1;
    const u64 table = alloc();
    const u64 attrs = d & pte::LEAF_ATTR_MASK;
    const u64 base = d & mask_range(47, geo.level_shift(level));
    const u64 step = geo.level_size(child);
    const u64 n = u64{1} << geo.stride();
    const u64 kind = child == 3 ? pte::TYPE_PAGE : pte::TYPE_BLOCK;
    for (u64 i = 0; i < n; ++i) {
      write(table + i * 8, attrs | kind | (base + i * step));
    }
    write(entry, table | pte::TYPE_TABLE);
  }

  // Address of the descriptor for `in` at `level`. With `create`, missing tables are allocated
  // and blocks on the way are split; without, nullopt when the path stops earlier.
  std::optional<u64> entry(u64 root, u64 in, int level, bool create) {
    if (level < geo.start_level || level > 3) {
      throw std::invalid_argument("level outside the tables");
    }
    u64 table = root;
    for (int l = geo.start_level;; ++l) {
      const u64 e = table + geo.index(in, l) * 8;
      if (l == level) {
        return e;
      }
      u64 d = read(e);
      if ((d & pte::VALID) == 0) {
        if (!create) {
          return std::nullopt;
        }
        d = alloc() | pte::TYPE_TABLE;
        write(e, d);
      } else if (!is_table(d, l)) {
        if (!create) {
          return std::nullopt;
        }
        split(e, l, d);
        d = read(e);
      }
      table = next_table(d);
    }
  }

  void check_aligned(u64 in, u64 out, u64 size) const {
    const u64 g = granule_bytes(geo.granule);
    if (!aligned(in, g) || !aligned(out, g) || !aligned(size, g) || size == 0) {
      throw std::invalid_argument("mapping not aligned to the granule");
    }
  }

  void map(u64 root, u64 in, u64 out, u64 size, bool blocks, const std::function<u64(int)>& leaf_attrs) {
    check_aligned(in, out, size);
    for (u64 off = 0; off < size;) {
      const u64 i = in + off;
      const u64 o = out + off;
      int level = 3;
      if (blocks) {
        for (int l = std::max(geo.first_block_level(), geo.start_level); l < 3; ++l) {
          const u64 bs = geo.level_size(l);
          if (aligned(i, bs) && aligned(o, bs) && size - off >= bs) {
            level = l;
            break;
          }
        }
      }
      const u64 e = *entry(root, i, level, true);
      write(e, leaf_attrs(level) | o | (level == 3 ? pte::TYPE_PAGE : pte::TYPE_BLOCK));
      off += geo.level_size(level);
    }
  }

  void unmap(u64 root, u64 in, u64 size) {
    check_aligned(in, 0, size);
    for (u64 off = 0; off < size;) {
      const u64 i = in + off;
      u64 table = root;
      u64 advance = 0;
      for (int l = geo.start_level;; ++l) {
        const u64 e = table + geo.index(i, l) * 8;
        u64 d = read(e);
        const u64 sz = geo.level_size(l);
        if ((d & pte::VALID) == 0) {
          advance = sz - (i & (sz - 1));  // nothing mapped up to the end of this entry
          break;
        }
        if (!is_table(d, l)) {
          if (aligned(i, sz) && size - off >= sz) {
            write(e, 0);
            advance = sz;
            break;
          }
          split(e, l, d);  // partly covered block: unmap inside it
          d = read(e);
        }
        table = next_table(d);
      }
      off += std::min(advance, size - off);
    }
  }

  [[nodiscard]] std::optional<u64> lookup(u64 root, u64 in) const {
    u64 table = root;
    for (int l = geo.start_level;; ++l) {
      const u64 d = read(table + geo.index(in, l) * 8);
      if ((d & pte::VALID) == 0) {
        return std::nullopt;
      }
      if (is_table(d, l)) {
        table = next_table(d);
        continue;
      }
      if (l == 3 ? (d & pte::PAGE) == 0 : l < geo.first_block_level()) {
        return std::nullopt;
      }
      const unsigned shift = geo.level_shift(l);
      return (d & mask_range(47, shift)) | (in & ((u64{1} << shift) - 1));
    }
  }
};

}  // namespace detail

// ------------------------------------------------------------------------------ Geometry

unsigned Geometry::level_shift(int level) const { return gshift() + static_cast<unsigned>(3 - level) * stride(); }

u64 Geometry::index(u64 input, int level) const {
  const unsigned n = level == start_level ? start_bits : stride();
  return (input >> level_shift(level)) & ((u64{1} << n) - 1);
}

u64 Geometry::root_bytes() const { return std::max(granule_bytes(granule), u64{8} << start_bits); }

unsigned Geometry::root_tables() const { return start_bits > stride() ? 1U << (start_bits - stride()) : 1U; }

Geometry Geometry::stage1(Granule g, unsigned ia_bits) {
  check_ia(ia_bits);
  Geometry geo;
  geo.granule = g;
  geo.ia_bits = ia_bits;
  geo.start_level = natural_start(g, ia_bits);
  geo.start_bits = static_cast<unsigned>(bits_at(g, ia_bits, geo.start_level));
  return geo;
}

Geometry Geometry::stage2(Granule g, unsigned ia_bits, int start_level) {
  check_ia(ia_bits);
  const int stride = static_cast<int>(granule_shift(g)) - 3;
  int level = start_level;
  if (level < 0) {
    level = natural_start(g, ia_bits);
    const int deeper = level + 1;
    if (deeper <= 3 && s2_level_encodable(g, deeper) && bits_at(g, ia_bits, deeper) <= stride + 4) {
      level = deeper;  // concatenate up to 16 tables rather than add a level
    }
  }
  const int n = bits_at(g, ia_bits, level);
  if (!s2_level_encodable(g, level) || n < 1 || n > stride + 4) {
    throw std::invalid_argument("stage 2 start level " + std::to_string(level) + " does not fit a " +
                                std::to_string(ia_bits) + "-bit IPA");
  }
  Geometry geo;
  geo.granule = g;
  geo.ia_bits = ia_bits;
  geo.start_level = level;
  geo.start_bits = static_cast<unsigned>(n);
  return geo;
}

u64 ps_encoding(unsigned bits) {
  switch (bits) {
    case 32:
      return 0;
    case 36:
      return 1;
    case 40:
      return 2;
    case 42:
      return 3;
    case 44:
      return 4;
    case 48:
      return 5;
    default:
      throw std::invalid_argument("unsupported address size " + std::to_string(bits));
  }
}

Pa alloc_contiguous(Machine& m, DomId owner, u64 bytes, u64 align) {
  if (bytes == 0 || !aligned(bytes, kPageSize) || !is_pow2(align)) {
    throw std::invalid_argument("alloc_contiguous: bad size or alignment");
  }
  align = std::max(align, kPageSize);
  const Pa first = m.alloc(owner);  // above every page the machine holds
  if (bytes == kPageSize && aligned(first.raw(), align)) {
    return first;
  }
  u64 start = align_up(first.raw(), align);
  for (bool clash = true; clash;) {
    clash = false;
    for (u64 off = 0; off < bytes; off += kPageSize) {
      const Pa pa(start + off);
      if (pa != first && (m.is_mmio(pa) || m.frame(pa) != nullptr)) {
        start = align_up(pa.raw() + kPageSize, align);
        clash = true;
        break;
      }
    }
  }
  const bool first_used = first.raw() >= start && first.raw() < start + bytes;
  if (!first_used) {
    (void)m.frame(first)->release();  // left free
  }
  for (u64 off = 0; off < bytes; off += kPageSize) {
    if (Pa(start + off) != first) {
      m.add_ram(Pa(start + off), owner);
    }
  }
  return Pa(start);
}

// ------------------------------------------------------------------------------ stage 2

namespace {

u64 s2_leaf_attrs(S2Perms p, bool device) {
  u64 a = pte::AF | (device ? pte::s2::MEMATTR_DEVICE_NGNRE : pte::s2::MEMATTR_NORMAL_WB);
  if (!device) {
    a |= pte::SH_INNER;
  }
  if (p.read) {
    a |= pte::s2::S2AP_R;
  }
  if (p.write) {
    a |= pte::s2::S2AP_W;
  }
  if (!p.exec) {
    a |= pte::s2::XN;  // not executable at any EL
  }
  return a;
}

}  // namespace

Stage2Builder::Stage2Builder(Machine& m, const Options& opt)
    : m_(m), opt_(opt), geo_(Geometry::stage2(opt.granule, opt.ipa_bits, opt.start_level)) {
  (void)ps_encoding(opt.pa_bits);
  const u64 bytes = geo_.root_bytes();
  root_ = alloc_contiguous(m_, DomId::xen, bytes, bytes);
  table_pages_ += bytes / kPageSize;
}

u64 Stage2Builder::alloc_table() {
  const u64 bytes = granule_bytes(geo_.granule);
  table_pages_ += bytes / kPageSize;
  return alloc_contiguous(m_, DomId::xen, bytes, bytes).raw();
}

// The table accessors of this builder. Only non-const members ever allocate.
static detail::TableIo s2_io(const Stage2Builder& b, Machine& m, const std::function<u64()>& alloc) {
  return detail::TableIo{
      b.geometry(),
      [&m](u64 a) { return m.read64(Pa(a)); },
      [&m](u64 a, u64 v) { m.write64(Pa(a), v); },
      alloc,
  };
}

void Stage2Builder::map(Ipa ipa, Pa pa, u64 size, S2Perms perms, bool device, bool blocks) {
  if (((ipa.raw() + size - 1) >> geo_.ia_bits) != 0) {
    throw std::invalid_argument("stage 2 map: IPA beyond the IPA size");
  }
  auto io = s2_io(*this, m_, [this] { return alloc_table(); });
  const u64 attrs = s2_leaf_attrs(perms, device);
  io.map(root_.raw(), ipa.raw(), pa.raw(), size, blocks, [attrs](int) { return attrs; });
}

void Stage2Builder::unmap(Ipa ipa, u64 size) {
  auto io = s2_io(*this, m_, [this] { return alloc_table(); });
  io.unmap(root_.raw(), ipa.raw(), size);
}

RamRegion Stage2Builder::give_ram(DomId dom, Ipa ipa, u64 bytes, S2Perms perms, bool blocks) {
  const u64 g = granule_bytes(geo_.granule);
  bytes = align_up(bytes, g);
  u64 align = g;
  if (blocks && bytes >= geo_.level_size(2)) {
    align = geo_.level_size(2);
  }
  RamRegion r;
  r.ipa = ipa;
  r.pa = alloc_contiguous(m_, dom, bytes, align);
  r.bytes = bytes;
  map(ipa, r.pa, bytes, perms, false, blocks);
  return r;
}

std::optional<Pa> Stage2Builder::lookup(Ipa ipa) const {
  auto io = s2_io(*this, m_, nullptr);
  if ((ipa.raw() >> geo_.ia_bits) != 0) {
    return std::nullopt;
  }
  const auto out = io.lookup(root_.raw(), ipa.raw());
  return out ? std::optional<Pa>(Pa(*out)) : std::nullopt;
}

std::optional<Pa> Stage2Builder::entry_pa(Ipa ipa, int level) const {
  auto io = s2_io(*this, m_, nullptr);
  const auto e = io.entry(root_.raw(), ipa.raw(), level, false);
  return e ? std::optional<Pa>(Pa(*e)) : std::nullopt;
}

u64 Stage2Builder::read_entry(Ipa ipa, int level) const {
  const auto e = entry_pa(ipa, level);
  if (!e) {
    throw std::runtime_error("stage 2 read_entry: no table at that level");
  }
  return m_.read64(*e);
}

void Stage2Builder::write_entry(Ipa ipa, int level, u64 value) {
  const auto e = entry_pa(ipa, level);
  if (!e) {
    throw std::runtime_error("stage 2 write_entry: no table at that level");
  }
  m_.write64(*e, value);
}

Stage2Regs Stage2Builder::regs() const {
  const int level = geo_.start_level;
  const u64 sl0 = geo_.granule == Granule::k4K ? static_cast<u64>(2 - level) : static_cast<u64>(3 - level);
  const u64 tg0 = geo_.granule == Granule::k4K ? 0 : (geo_.granule == Granule::k64K ? 1 : 2);
  Stage2Regs r;
  r.vtcr = (u64{64 - opt_.ipa_bits} << mmu::vtcr::T0SZ_SHIFT) | (sl0 << mmu::vtcr::SL0_SHIFT) |
           (u64{1} << 8) /* IRGN0 WB */ | (u64{1} << 10) /* ORGN0 WB */ | (u64{3} << 12) /* SH0 inner */ |
           (tg0 << mmu::vtcr::TG0_SHIFT) | (ps_encoding(opt_.pa_bits) << mmu::vtcr::PS_SHIFT) |
           (opt_.hardware_af ? mmu::vtcr::HA : 0) | (u64{1} << 31) /* RES1 */;
  r.vttbr = root_.raw() | (u64{opt_.vmid} << 48);
  return r;
}

// ------------------------------------------------------------------------------ stage 1

Ipa GuestPageAllocator::alloc(u64 bytes, u64 align) {
  bytes = align_up(std::max<u64>(bytes, 1), kPageSize);
  if (align == 0) {
    align = is_pow2(bytes) ? bytes : kPageSize;
  }
  if (!is_pow2(align)) {
    throw std::invalid_argument("GuestPageAllocator: alignment must be a power of two");
  }
  const u64 at = align_up(next_, align);
  if (at < next_ || at + bytes > end_) {
    throw std::runtime_error("GuestPageAllocator: guest RAM exhausted");
  }
  next_ = at + bytes;
  return Ipa(at);
}

namespace {

u64 s1_leaf_attrs(const S1Attrs& a) {
  u64 d = pte::s1::attrindx(a.device ? 1 : 0);
  if (!a.device) {
    d |= pte::SH_INNER;
  }
  if (a.af) {
    d |= pte::AF;
  }
  if (a.el0) {
    d |= pte::s1::AP_EL0;
  }
  if (a.read_only) {
    d |= pte::s1::AP_RO;
  }
  if (!a.global) {
    d |= pte::s1::NG;
  }
  if (a.pxn) {
    d |= pte::s1::PXN;
  }
  if (a.uxn) {
    d |= pte::s1::UXN;
  }
  return d;
}

u64 tg0_encoding(Granule g) { return g == Granule::k4K ? 0 : (g == Granule::k64K ? 1 : 2); }
u64 tg1_encoding(Granule g) { return g == Granule::k16K ? 1 : (g == Granule::k4K ? 2 : 3); }

}  // namespace

Stage1Builder::Stage1Builder(Machine& m, IpaToPa resolve, TableAlloc alloc, const Options& opt)
    : m_(m),
      resolve_(std::move(resolve)),
      alloc_(std::move(alloc)),
      opt_(opt),
      geo_{Geometry::stage1(opt.granule0, opt.va_bits0), Geometry::stage1(opt.granule1, opt.va_bits1)} {
  (void)ps_encoding(opt.ips_bits);
  roots_[0] = new_root(Half::lower);
  roots_[1] = new_root(Half::upper);
}

Stage1Builder::Stage1Builder(Stage2Builder& s2, GuestPageAllocator& pages, const Options& opt)
    : Stage1Builder(
          s2.machine(), [&s2](Ipa ipa) { return s2.lookup(ipa); }, [&pages](u64 bytes) { return pages.alloc(bytes); },
          opt) {}

Pa Stage1Builder::resolve(u64 ipa) const {
  const auto pa = resolve_(Ipa(ipa));
  if (!pa) {
    throw std::runtime_error("stage 1 builder: table IPA not mapped to RAM");
  }
  return *pa;
}

Ipa Stage1Builder::alloc_table(Half half, u64 bytes) {
  bytes = std::max(bytes, granule_bytes(geometry(half).granule));
  const Ipa ipa = alloc_(bytes);
  if (!aligned(ipa.raw(), bytes)) {
    throw std::runtime_error("stage 1 builder: table allocator returned an unaligned table");
  }
  static const std::array<u8, kPageSize> zeros{};
  for (u64 off = 0; off < bytes; off += kPageSize) {
    m_.write_bytes(resolve(ipa.raw() + off), zeros.data(), kPageSize);
  }
  return ipa;
}

static detail::TableIo s1_io(const Geometry& geo, Machine& m, const std::function<Pa(u64)>& resolve,
                             const std::function<u64()>& alloc) {
  return detail::TableIo{
      geo,
      [&m, resolve](u64 a) { return m.read64(resolve(a)); },
      [&m, resolve](u64 a, u64 v) { m.write64(resolve(a), v); },
      alloc,
  };
}

namespace {

// The input address of `va` in its half's tables; throws if va is outside the half's range.
u64 s1_input(const Geometry& geo, Va va) {
  const u64 v = va.raw();
  const u64 above = v >> geo.ia_bits;
  const u64 ones = (~u64{0}) >> geo.ia_bits;
  if (above != (bit(v, 55) ? ones : 0)) {
    throw std::invalid_argument("stage 1: VA outside the TTBR region");
  }
  return v & mask_range(geo.ia_bits - 1, 0);
}

}  // namespace

Ipa Stage1Builder::new_root(Half half) { return alloc_table(half, geometry(half).root_bytes()); }

void Stage1Builder::use_root(Half half, Ipa root) { roots_[index(half)] = root; }

void Stage1Builder::map(Va va, Ipa ipa, u64 size, S1Attrs attrs, bool blocks) {
  map(root(half_of(va)), va, ipa, size, attrs, blocks);
}

void Stage1Builder::map(Ipa root, Va va, Ipa ipa, u64 size, S1Attrs attrs, bool blocks) {
  const Half half = half_of(va);
  const Geometry& geo = geometry(half);
  const u64 in = s1_input(geo, va);
  (void)s1_input(geo, va + (size - 1));
  auto io = s1_io(
      geo, m_, [this](u64 a) { return resolve(a); }, [this, half] { return alloc_table(half, 0).raw(); });
  const u64 leaf = s1_leaf_attrs(attrs);
  io.map(root.raw(), in, ipa.raw(), size, blocks, [leaf](int) { return leaf; });
}

void Stage1Builder::unmap(Va va, u64 size) { unmap(root(half_of(va)), va, size); }

void Stage1Builder::unmap(Ipa root, Va va, u64 size) {
  const Half half = half_of(va);
  const Geometry& geo = geometry(half);
  auto io = s1_io(
      geo, m_, [this](u64 a) { return resolve(a); }, [this, half] { return alloc_table(half, 0).raw(); });
  io.unmap(root.raw(), s1_input(geo, va), size);
}

std::optional<Ipa> Stage1Builder::lookup(Va va) const { return lookup(root(half_of(va)), va); }

std::optional<Ipa> Stage1Builder::lookup(Ipa root, Va va) const {
  const Geometry& geo = geometry(half_of(va));
  auto io = s1_io(
      geo, m_, [this](u64 a) { return resolve(a); }, nullptr);
  const auto out = io.lookup(root.raw(), s1_input(geo, va));
  return out ? std::optional<Ipa>(Ipa(*out)) : std::nullopt;
}

std::optional<Ipa> Stage1Builder::entry_ipa(Va va, int level) const { return entry_ipa(root(half_of(va)), va, level); }

std::optional<Ipa> Stage1Builder::entry_ipa(Ipa root, Va va, int level) const {
  const Geometry& geo = geometry(half_of(va));
  auto io = s1_io(
      geo, m_, [this](u64 a) { return resolve(a); }, nullptr);
  const auto e = io.entry(root.raw(), s1_input(geo, va), level, false);
  return e ? std::optional<Ipa>(Ipa(*e)) : std::nullopt;
}

u64 Stage1Builder::read_entry(Va va, int level) const {
  const auto e = entry_ipa(va, level);
  if (!e) {
    throw std::runtime_error("stage 1 read_entry: no table at that level");
  }
  return m_.read64(resolve(e->raw()));
}

void Stage1Builder::write_entry(Va va, int level, u64 value) {
  const auto e = entry_ipa(va, level);
  if (!e) {
    throw std::runtime_error("stage 1 write_entry: no table at that level");
  }
  m_.write64(resolve(e->raw()), value);
}

Stage1Regs Stage1Builder::regs() const {
  Stage1Regs r;
  r.sctlr = 1;  // M
  r.tcr = (u64{64 - opt_.va_bits0} << mmu::tcr::T0SZ_SHIFT) | (u64{1} << 8) /* IRGN0 */ | (u64{1} << 10) /* ORGN0 */ |
          (u64{3} << 12) /* SH0 */ | (tg0_encoding(opt_.granule0) << mmu::tcr::TG0_SHIFT) |
          (u64{64 - opt_.va_bits1} << mmu::tcr::T1SZ_SHIFT) | (u64{1} << 24) /* IRGN1 */ | (u64{1} << 26) /* ORGN1 */ |
          (u64{3} << 28) /* SH1 */ | (tg1_encoding(opt_.granule1) << mmu::tcr::TG1_SHIFT) |
          (ps_encoding(opt_.ips_bits) << mmu::tcr::IPS_SHIFT) | (opt_.hardware_af ? mmu::tcr::HA : 0) |
          (opt_.tbi0 ? mmu::tcr::TBI0 : 0) | (opt_.tbi1 ? mmu::tcr::TBI1 : 0);
  r.ttbr0 = roots_[0].raw() | (u64{opt_.asid} << 48);
  r.ttbr1 = roots_[1].raw();
  return r;
}

// ------------------------------------------------------------------------------ GuestSpace

GuestSpace::GuestSpace(Machine& m, const Options& opt)
    : m_(m),
      opt_(opt),
      s2_(m, opt.s2),
      ram_(s2_.give_ram(opt.dom, Ipa(opt.ram_base), opt.ram_bytes)),
      pages_(ram_.ipa, ram_.bytes),
      // Stage 1 tables live in the domain's RAM: resolve through the RAM region itself, so
      // that a test may later break the stage 2 mapping of a table and still use the builder.
      s1_(
          m,
          [this](Ipa ipa) -> std::optional<Pa> {
            if (ram_.contains(ipa)) {
              return ram_.pa_of(ipa);
            }
            return s2_.lookup(ipa);
          },
          [this](u64 bytes) { return pages_.alloc(bytes); }, opt.s1) {}

Ipa GuestSpace::alloc(u64 bytes) {
  bytes = align_up(std::max<u64>(bytes, 1), kPageSize);
  const Ipa ipa = pages_.alloc(bytes);
  static const std::array<u8, kPageSize> zeros{};
  for (u64 off = 0; off < bytes; off += kPageSize) {
    m_.write_bytes(pa(ipa + off), zeros.data(), kPageSize);
  }
  return ipa;
}

Ipa GuestSpace::map_new(Va va, u64 bytes, S1Attrs attrs) {
  const u64 g = granule_bytes(s1_.geometry(half_of(va)).granule);
  bytes = align_up(std::max<u64>(bytes, 1), g);
  const Ipa ipa = pages_.alloc(bytes, g);
  static const std::array<u8, kPageSize> zeros{};
  for (u64 off = 0; off < bytes; off += kPageSize) {
    m_.write_bytes(pa(ipa + off), zeros.data(), kPageSize);
  }
  s1_.map(va, ipa, bytes, attrs);
  return ipa;
}

Pa GuestSpace::pa(Ipa ipa) const {
  if (!ram_.contains(ipa)) {
    throw std::out_of_range("GuestSpace::pa: IPA outside the domain's RAM");
  }
  return ram_.pa_of(ipa);
}

}  // namespace runhv::model
