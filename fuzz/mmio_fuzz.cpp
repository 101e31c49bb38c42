// libFuzzer target: the MMIO bus and the emulated devices' register files (vGICv3, vPL011)
// SPDX-License-Identifier: MIT
//
// A domain's bus as the hypervisor builds it (distributor, redistributors for 1..8 vCPUs, vPL011
// on SPI 32), driven by the input: guest loads and stores decoded from arbitrary data-abort
// syndromes, UART input, interrupt edges and levels, SGIs, list-register fills and syncs as the
// world switch makes them. Checked (abort = finding), each against the architecture's rule:
//   - an access goes to the one region that holds all of it, or to none; a load's register
//     value is the datum truncated and extended as the syndrome says (W registers: top half 0);
//   - GICD/GICR set-enable, set-pending and set-active registers read as their clear twins;
//     a bit written to a set register reads back set, to a clear register clear (SPIs, SGI/PPIs);
//   - fill() hands out at most what was asked, no INTID twice nor in two vCPUs' list registers,
//     each one enabled and in range;
//   - the vPL011's flags agree with its FIFO (RXFE empty, RXFF full, never more than 32 bytes),
//     its interrupt line is high exactly while a masked status bit is set, and every byte the
//     guest stores to DR reaches the console, in order.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/guest_layout.hpp"
#include "core/mmio.hpp"
#include "core/vgic.hpp"
#include "core/vpl011.hpp"

namespace runhv {
namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "mmio_fuzz: invariant broken: %s\n", what);
  std::abort();
}

struct Console final : ByteSink {
  std::vector<char> bytes;
  void put(const char* b, usize n) override { bytes.insert(bytes.end(), b, b + n); }
};

struct UartLine final : IrqLine {
  Vgic* vgic = nullptr;
  bool level = false;
  void set_level(bool high) override {
    level = high;
    (void)vgic->set_level(kGuestLayout.uart_intid, high);
  }
};

struct World {
  Vgic vgic;
  Console console;
  UartLine line;
  Vpl011 uart{console, line};
  MmioBus bus;
  u32 vcpus = 1;
  std::vector<char> stored;  // the bytes the guest stored to DR, in order
  LrEntry lrs[kMaxVcpusPerDomain][4];
  u32 lr_count[kMaxVcpusPerDomain] = {};

  explicit World(u32 n) : vcpus(n) {
    line.vgic = &vgic;
    if (!vgic.reset(n)) {
      finding("vgic reset refused a vCPU count in 1..8");
    }
    const bool ok = bus.add(Ipa(kGuestLayout.gicd.base), Vgic::kDistSize, vgic.distributor(), "gicd") &&
                    bus.add(Ipa(kGuestLayout.gicr.base), vgic.redistributors_size(), vgic.redistributors(), "gicr") &&
                    bus.add(Ipa(kGuestLayout.uart.base), kGuestLayout.uart.size, uart, "vpl011");
    if (!ok) {
      finding("the guest layout's device regions do not fit on the bus");
    }
  }

  // An IPA near one of the devices (or anywhere), as a guest's stray pointer might be.
  static Ipa pick_ipa(FuzzedDataProvider& in) {
    const u64 bases[] = {kGuestLayout.gicd.base, kGuestLayout.gicr.base, kGuestLayout.uart.base};
    const u32 which = in.ConsumeIntegralInRange<u32>(0, 3);
    if (which == 3) {
      return Ipa(in.ConsumeIntegral<u64>());
    }
    const u64 span = which == 1 ? u64{kMaxVcpusPerDomain} * Vgic::kRedistStride + 0x100 : 0x1'0100;
    return Ipa(bases[which] + in.ConsumeIntegralInRange<u64>(0, span) - 0x80);
  }

  // Which region, by the bus's own table, holds all of [ipa, ipa+bytes) (computed here).
  [[nodiscard]] const MmioBus::Region* holder(Ipa ipa, u8 bytes) const {
    for (u32 i = 0; i < bus.region_count(); ++i) {
      const MmioBus::Region& r = bus.region(i);
      if (ipa.raw() >= r.base.raw() && ipa.raw() - r.base.raw() < r.size &&
          r.size - (ipa.raw() - r.base.raw()) >= bytes) {
        return &r;
      }
    }
    return nullptr;
  }

  // A guest load or store from an arbitrary syndrome.
  void guest_access(FuzzedDataProvider& in) {
    const u64 iss = in.ConsumeIntegralInRange<u64>(0, (u64{1} << 25) - 1) | (in.ConsumeBool() ? u64{1} << 24 : 0);
    const esr::Esr syndrome((u64{0x24} << 26) | (u64{1} << 25) | iss);
    const Ipa ipa = pick_ipa(in);
    const u64 reg = in.ConsumeIntegral<u64>();
    MmioAccess a;
    if (!mmio_access_from(esr::DataAbort::decode(syndrome), ipa, reg, a)) {
      return;
    }
    if (a.bytes != 1 && a.bytes != 2 && a.bytes != 4 && a.bytes != 8) {
      finding("an access size other than 1, 2, 4 or 8");
    }
    const u64 size_mask = a.bytes == 8 ? ~u64{0} : (u64{1} << (8 * a.bytes)) - 1;
    const MmioBus::Region* want = holder(a.ipa, a.bytes);
    if (bus.find(a.ipa, a.bytes) != want) {
      finding("the bus chose another region than the one that holds the access");
    }
    const bool to_dr =
        want != nullptr && want->device == &uart && a.write && a.ipa.raw() - want->base.raw() == pl011::kDr;
    const u64 stored_value = a.data;
    const u64 before = a.data;
    const MmioOutcome out = bus.dispatch(a);
    if ((out == MmioOutcome::no_region) != (want == nullptr)) {
      finding("dispatch's no_region differs from the region table");
    }
    if (out == MmioOutcome::done && to_dr) {
      stored.push_back(static_cast<char>(stored_value & 0xFF));
    }
    if (a.write || out != MmioOutcome::done) {
      if (a.data != before && a.write) {
        finding("a store changed the access's datum");
      }
      return;
    }
    if ((a.data & ~size_mask) != 0) {
      finding("a load's datum is wider than the access");
    }
    // The register value, from the datum as the Arm ARM's load pseudocode makes it.
    u64 want_value = a.data & size_mask;
    if (a.sign_extend && a.bytes < 8 && ((want_value >> (8 * a.bytes - 1)) & 1) != 0) {
      want_value |= ~size_mask;
    }
    if (!a.sixty_four) {
      want_value &= 0xFFFF'FFFF;
    }
    if (mmio_load_value(a) != want_value) {
      finding("a load's register value is not the datum truncated and extended");
    }
  }

  u64 read32(u64 ipa) {
    MmioAccess a;
    a.ipa = Ipa(ipa);
    a.bytes = 4;
    if (bus.dispatch(a) != MmioOutcome::done) {
      finding("a 32-bit read of an implemented GIC register was refused");
    }
    return a.data;
  }
  void write32(u64 ipa, u32 value) {
    MmioAccess a;
    a.ipa = Ipa(ipa);
    a.bytes = 4;
    a.write = true;
    a.data = value;
    (void)bus.dispatch(a);
  }

  // The set/clear register pairs: the distributor's for SPIs 32..63 (register 1) or one vCPU's
  // SGI_base frame for its SGIs and PPIs (register 0), at the same offsets.
  void register_pairs(FuzzedDataProvider& in) {
    const bool spi = in.ConsumeBool();
    const u32 vcpu = in.ConsumeIntegralInRange<u32>(0, vcpus - 1);
    const u64 base =
        spi ? kGuestLayout.gicd.base + 4 : kGuestLayout.gicr.base + vcpu * Vgic::kRedistStride + Vgic::kFrameSize;
    const u64 pairs[][2] = {{gicv3::kGicdIsenabler, gicv3::kGicdIcenabler},
                            {gicv3::kGicdIspendr, gicv3::kGicdIcpendr},
                            {gicv3::kGicdIsactiver, gicv3::kGicdIcactiver}};
    const u32 which = in.ConsumeIntegralInRange<u32>(0, 2);
    const u64 set = base + pairs[which][0], clear = base + pairs[which][1];
    const u32 bits = in.ConsumeIntegral<u32>();
    const bool setting = in.ConsumeBool();
    write32(setting ? set : clear, bits);
    const u64 s = read32(set), c = read32(clear);
    if (s != c) {
      finding("a set register and its clear twin read differently");
    }
    if (which == 0 && setting && (s & bits) != bits) {
      finding("a bit written to a set-enable register does not read back set");
    }
    if (which == 0 && !setting && (s & bits) != 0) {
      finding("a bit written to a clear-enable register reads back set");
    }
  }

  void fill_and_sync(FuzzedDataProvider& in) {
    const u32 v = in.ConsumeIntegralInRange<u32>(0, vcpus - 1);
    if (lr_count[v] != 0 && in.ConsumeBool()) {  // the guest acknowledged or ended some
      for (u32 i = 0; i < lr_count[v]; ++i) {
        LrEntry& e = lrs[v][i];
        switch (in.ConsumeIntegralInRange(0, 2)) {
          case 0:  // acknowledged
            e.active = e.pending;
            e.pending = false;
            break;
          case 1:  // ended
            e.active = false;
            e.pending = false;
            break;
          default:
            break;
        }
      }
      vgic.sync(v, lrs[v], lr_count[v]);
      lr_count[v] = 0;
      return;
    }
    if (lr_count[v] != 0) {
      vgic.sync(v, lrs[v], lr_count[v]);
      lr_count[v] = 0;
    }
    const u32 max = in.ConsumeIntegralInRange<u32>(0, 4);
    const u32 n = vgic.fill(v, lrs[v], max);
    if (n > max) {
      finding("fill() handed out more list registers than it was given");
    }
    for (u32 i = 0; i < n; ++i) {
      const LrEntry& e = lrs[v][i];
      if (e.intid >= Vgic::kIntids) {
        finding("fill() handed out an INTID the vGIC does not have");
      }
      for (u32 j = 0; j < i; ++j) {
        if (lrs[v][j].intid == e.intid) {
          finding("fill() put one INTID in two list registers");
        }
      }
      for (u32 o = 0; o < vcpus; ++o) {
        for (u32 j = 0; o != v && j < lr_count[o]; ++j) {
          if (e.intid >= Vgic::kFirstSpi && lrs[o][j].intid == e.intid) {
            finding("fill() put an SPI in two vCPUs' list registers");
          }
        }
      }
      const VgicIrq* irq = vgic.irq(v, e.intid);
      if (irq == nullptr || (!irq->enabled && !e.active)) {
        finding("fill() handed out a disabled interrupt");
      }
    }
    lr_count[v] = n;
  }

  void check_uart() {
    const u32 fr = uart.flags();
    const usize n = uart.rx_pending();
    if (n > Vpl011::kFifoSize) {
      finding("the vPL011 holds more than its FIFO");
    }
    if (((fr & pl011::kFrRxfe) != 0) != (n == 0) || ((fr & pl011::kFrRxff) != 0) != (n == Vpl011::kFifoSize)) {
      finding("the vPL011's RXFE/RXFF flags disagree with its FIFO");
    }
    if (uart.irq_level() != (uart.masked_status() != 0) || line.level != uart.irq_level()) {
      finding("the vPL011's interrupt line is not the OR of its masked status");
    }
    if (console.bytes != stored) {
      finding("the console did not get exactly the bytes stored to DR");
    }
  }

  void step(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1:
        guest_access(in);
        break;
      case 2: {
        const std::string bytes = in.ConsumeRandomLengthString(40);
        (void)uart.receive(bytes.data(), bytes.size());
        break;
      }
      case 3:
        (void)vgic.set_pending(in.ConsumeIntegralInRange<u32>(0, vcpus), in.ConsumeIntegralInRange<u32>(0, 70));
        break;
      case 4:
        (void)vgic.set_level(in.ConsumeIntegralInRange<u32>(0, 70), in.ConsumeBool());
        break;
      case 5:
        (void)vgic.send_sgi(in.ConsumeIntegralInRange<u32>(0, vcpus - 1), in.ConsumeIntegral<u64>());
        break;
      case 6:
        register_pairs(in);
        break;
      default:
        fill_and_sync(in);
        break;
    }
    (void)vgic.take_kicks();
    check_uart();
  }
};

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  runhv::World w(in.ConsumeIntegralInRange<runhv::u32>(1, runhv::kMaxVcpusPerDomain));
  for (int op = 0; op < 512 && in.remaining_bytes() > 0; ++op) {
    w.step(in);
  }
  return 0;
}
