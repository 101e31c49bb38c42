// The boot domains: each /chosen/domU* of the boot device tree (Xen's dom0less binding) built and
// started, or d1 = the embedded smoke guest when there is none
// SPDX-License-Identifier: MIT
#include "hyp/domain_build.hpp"

#include <string.h>

#include "core/format.hpp"
#include "core/guest_fdt.hpp"
#include "core/guest_layout.hpp"
#include "hyp/boot_entropy.hpp"
#include "hyp/console.hpp"
#include "hyp/domain.hpp"
#include "hyp/frame_table.hpp"
#include "lib/panic.hpp"

extern "C" const runhv::u8 smoke_guest_image[];
extern "C" const runhv::u64 smoke_guest_image_size;

namespace runhv::hyp {
namespace {

// Every domain's RAM starts at the guest layout's RAM base.
constexpr Ipa kGuestRamIpa{kGuestLayout.ram.base};
// d1, the smoke guest (no /chosen/domU* in the boot device tree): 16 MiB of RAM.
constexpr u64 kSmokeRamSize = u64{16} << 20;
constexpr u64 k2MiB = u64{2} << 20;
// A guest device tree's room at the top of its RAM (a 2 MiB-aligned window, as Linux maps it).
constexpr u64 kGuestDtbRoom = k2MiB;
constexpr u64 kGuestDtbLimit = u64{512} << 20;  // ... and below 512 MiB from the RAM base

// arm64 Image header (Documentation/arch/arm64/booting.rst): text_offset at 8, image_size at 16,
// the magic "ARM\x64" at 0x38.
constexpr u64 kImageHeaderSize = 64;
constexpr u32 kImageMagic = 0x644D'5241;

constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }

u64 read_u64(const u8* p) {
  u64 v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

// Free, 2 MiB-aligned host RAM from `cursor` up, skipping whatever the frame table says is taken
// (the hypervisor, the boot modules, other domains).
class RamCarver {
 public:
  RamCarver(Pa from, Pa end) : cursor_(align_up(from.raw(), k2MiB)), end_(end.raw()) {}
  Pa take(u64 size) {
    FrameTable& table = frame_table();
    while (cursor_ + size <= end_ && cursor_ + size > cursor_) {
      if (table.all_free(Pa{cursor_}, size)) {
        const u64 at = cursor_;
        cursor_ += size;
        return Pa{at};
      }
      cursor_ += k2MiB;
    }
    return Pa{0};
  }

 private:
  u64 cursor_;
  u64 end_;
};

// The memory of the boot modules: the hypervisor's until their images are copied.
void reserve_module(const dt::Module& m, const char* domain) {
  if (!m.present()) {
    return;
  }
  const u64 base = m.base.raw() & ~kPageMask;
  const u64 size = align_up(m.base.raw() + m.size, kPageSize) - base;
  if (!frame_table().assign(Pa{base}, size, DomId::xen)) {
    panic("/chosen/%s: module at 0x%lx (%lu bytes) is not free RAM", domain, m.base.raw(), m.size);
  }
}

void release_module(const dt::Module& m) {
  if (m.present()) {
    const u64 base = m.base.raw() & ~kPageMask;
    frame_table().release(Pa{base}, align_up(m.base.raw() + m.size, kPageSize) - base, DomId::xen);
  }
}

// One domU: RAM, Image, device tree, vCPUs; started (vCPU 0 up).
void* take_storage(BootRam& ram) {
  const Pa at = ram.take(domain_storage_bytes(), alignof(Domain) > kPageSize ? alignof(Domain) : kPageSize);
  if (at.raw() == 0) {
    panic("no RAM for another domain (%lu KiB each)", domain_storage_bytes() >> 10);
  }
  return reinterpret_cast<void*>(at.raw());
}

void build_domu(u16 number, const dt::DomUConfig& c, RamCarver& carver, Pa pv_page, void* storage) {
  const auto n = static_cast<unsigned>(number);
  const u64 ram_size = align_up(c.memory_bytes, k2MiB);
  const auto* image = reinterpret_cast<const u8*>(c.kernel.base.raw());
  u32 magic = 0;
  if (c.kernel.size >= kImageHeaderSize) {
    magic = static_cast<u32>(image[0x38]) | static_cast<u32>(image[0x39]) << 8 | static_cast<u32>(image[0x3A]) << 16 |
            static_cast<u32>(image[0x3B]) << 24;
  }
  if (magic != kImageMagic) {
    panic("/chosen/%s: the kernel module at 0x%lx is not an arm64 Image (no \"ARM\\x64\" at 0x38)", c.name,
          c.kernel.base.raw());
  }
  const u64 text_offset = read_u64(image + 8);
  const u64 image_size = read_u64(image + 16);
  const u64 footprint = text_offset + (image_size > c.kernel.size ? image_size : c.kernel.size);
  const u64 dtb_offset = (ram_size < kGuestDtbLimit ? ram_size : kGuestDtbLimit) - kGuestDtbRoom;
  // The ramdisk goes right after the kernel's footprint, 2 MiB aligned (booting.rst: in the same
  // 1 GiB window as the kernel, which RAM below 512 MiB guarantees).
  const u64 initrd_offset = align_up(footprint, k2MiB);
  const u64 initrd_end = initrd_offset + c.ramdisk.size;
  if (ram_size <= kGuestDtbRoom || footprint > dtb_offset || initrd_end > dtb_offset) {
    panic(
        "/chosen/%s: %lu KiB of RAM do not hold the kernel (%lu bytes from offset 0x%lx), its ramdisk (%lu bytes) "
        "and its device tree",
        c.name, ram_size >> 10, footprint - text_offset, text_offset, c.ramdisk.size);
  }
  if (ram_size > kGuestLayout.ram.size) {
    panic("/chosen/%s: %lu MiB of RAM is more than the guest RAM bank (%lu MiB)", c.name, ram_size >> 20,
          kGuestLayout.ram.size >> 20);
  }
  const Pa ram = carver.take(ram_size);
  if (ram.raw() == 0) {
    panic("/chosen/%s: no free %lu MiB of host RAM", c.name, ram_size >> 20);
  }
  Domain& d = create_domain({.number = number,
                             .storage = storage,
                             .ram_ipa = kGuestRamIpa,
                             .ram_pa = ram,
                             .ram_size = ram_size,
                             .image = image,
                             .image_size = static_cast<usize>(c.kernel.size),
                             .image_offset = text_offset,
                             .vcpus = c.vcpus,
                             .pins = c.pinned ? c.pins : nullptr,
                             .slice_ns = u64{c.slice_us} * 1000,
                             .va_policy = c.runstate_mode,
                             .pv_time_page = c.pv_time ? pv_page : Pa{0},
                             .vpl011 = c.vpl011});
  if (c.ramdisk.present()) {
    memcpy(reinterpret_cast<u8*>(ram.raw() + initrd_offset), reinterpret_cast<const u8*>(c.ramdisk.base.raw()),
           c.ramdisk.size);
    arch::clean_to_poc(Pa{ram.raw() + initrd_offset}, c.ramdisk.size);
  }
  GuestFdtConfig fc{};
  fc.vcpus = c.vcpus;
  fc.bootargs = c.bootargs;
  if (c.ramdisk.present()) {
    fc.initrd_start = kGuestRamIpa.raw() + initrd_offset;
    fc.initrd_end = kGuestRamIpa.raw() + initrd_end;
  }
  fc.ram_size = ram_size;
  fc.pv_time = c.pv_time;
  fc.vpl011 = c.vpl011;
  fc.pv_time_size = kPageSize;
  u8 seed[kGuestRngSeedBytes];
  if (guest_rng_seed(number, seed)) {
    fc.rng_seed = seed;
    fc.rng_seed_len = sizeof seed;
  }
  u8* dtb = reinterpret_cast<u8*>(ram.raw() + dtb_offset);
  const FdtResult fdt = build_guest_fdt(dtb, kGuestDtbRoom, fc);
  if (!fdt.ok()) {
    panic("/chosen/%s: cannot build its device tree (error %d)", c.name, static_cast<int>(fdt.error));
  }
  arch::clean_to_poc(Pa{ram.raw() + dtb_offset}, fdt.size);
  for (volatile u8& b : seed) {
    b = 0;  // the guest's tree holds the only copy
  }
  const u64 dtb_ipa = kGuestRamIpa.raw() + dtb_offset;
  char pins[3 * kMaxVcpusPerDomain + 8] = "any";
  if (c.pinned) {
    usize at = 0;
    for (u32 i = 0; i < c.vcpus; ++i) {
      at += format(pins + at, sizeof pins - at, i == 0 ? "%u" : ",%u", static_cast<unsigned>(c.pins[i]));
    }
  }
  console::print("runhv: d%u (%s): %lu MiB RAM at 0x%lx (IPA 0x%lx), vmid %u, %u vcpu%s (pcpu %s), slice %u us\n", n,
                 c.name, ram_size >> 20, ram.raw(), kGuestRamIpa.raw(), n, c.vcpus, c.vcpus == 1 ? "" : "s", pins,
                 c.slice_us);
  console::print("runhv: d%u: Image %lu bytes at IPA 0x%lx, dtb %zu bytes at IPA 0x%lx, runstate %s, pv-time %s\n", n,
                 c.kernel.size, d.entry.raw(), fdt.size, dtb_ipa,
                 c.runstate_mode == VaPolicy::legacy ? "legacy" : "mapped", c.pv_time ? "on" : "off");
  if (c.ramdisk.present()) {
    console::print("runhv: d%u: ramdisk %lu bytes at IPA 0x%lx\n", n, c.ramdisk.size, fc.initrd_start);
  }
  start_domain(d, dtb_ipa);
}

}  // namespace

void build_boot_domains(const dt::DomUList& domus, BootRam& ram, Pa ram_base, Pa ram_end, u32 pcpus) {
  FrameTable& table = frame_table();
  if (domus.count == 0) {
    const Pa guest_ram = ram.take(kSmokeRamSize, k2MiB);
    if (guest_ram.raw() == 0) {
      panic("no RAM for d1 (%lu MiB)", kSmokeRamSize >> 20);
    }
    // Everything below the guest's RAM (boot DTB, image, frame table) is the hypervisor's.
    if (!table.assign(ram_base, guest_ram.raw() - ram_base.raw(), DomId::xen)) {
      panic("frame table: cannot claim the hypervisor's frames");
    }
    const auto image_size = static_cast<usize>(smoke_guest_image_size);
    Domain& d1 = create_domain({.number = 1,
                                .storage = take_storage(ram),
                                .ram_ipa = kGuestRamIpa,
                                .ram_pa = guest_ram,
                                .ram_size = kSmokeRamSize,
                                .image = smoke_guest_image,
                                .image_size = image_size});
    console::print("runhv: d1: %lu MiB RAM at 0x%lx (IPA 0x%lx), vmid 1, smoke guest (%zu bytes)\n", d1.ram_size >> 20,
                   d1.ram_pa.raw(), d1.ram_ipa.raw(), image_size);
    start_domain(d1, 0);
  } else {
    if (!arch::irq_ready()) {
      console::print("runhv: no GICv3: no timer interrupts, domains are not preempted\n");
    }
    // PV-time pages (one per domain), then everything below the cursor is the hypervisor's:
    // the boot DTB, the image, the frame table, these pages. The modules are too, until copied.
    Pa pv_pages[kMaxDomains] = {};
    void* storage[kMaxDomains] = {};
    for (usize i = 0; i < domus.count; ++i) {
      pv_pages[i] = ram.take(kPageSize, kPageSize);
      storage[i] = take_storage(ram);
    }
    if (!table.assign(ram_base, ram.next().raw() - ram_base.raw(), DomId::xen)) {
      panic("frame table: cannot claim the hypervisor's frames");
    }
    for (usize i = 0; i < domus.count; ++i) {
      reserve_module(domus.domains[i].kernel, domus.domains[i].name);
      reserve_module(domus.domains[i].ramdisk, domus.domains[i].name);
    }
    RamCarver carver(ram.next(), ram_end);
    for (usize i = 0; i < domus.count; ++i) {
      build_domu(static_cast<u16>(i + 1), domus.domains[i], carver, pv_pages[i], storage[i]);
    }
    for (usize i = 0; i < domus.count; ++i) {
      release_module(domus.domains[i].kernel);
      release_module(domus.domains[i].ramdisk);
    }
    console::print("runhv: %zu domain%s from the device tree on %u pcpu%s\n", domus.count, domus.count == 1 ? "" : "s",
                   pcpus, pcpus == 1 ? "" : "s");
  }
}

}  // namespace runhv::hyp
