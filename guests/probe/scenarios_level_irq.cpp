// Probe scenario `level-irq`: a level-sensitive SPI still high after the guest's EOI is taken
// again at once, and not once its source is cleared
// SPDX-License-Identifier: MIT
//
// The vPL011's transmit interrupt (SPI 32) is a level: TXRIS, set by a write to UARTDR, stays set
// until UARTICR clears it, and the line is RIS & IMSC. The probe routes SPI 32 to itself through
// the distributor as Linux does, unmasks TXIM, writes one byte and spins reading CNTVCT, which
// never traps. Its handler ends the interrupt without clearing the source: a GIC takes a level
// input that is still high again at once after its EOI, so the deliveries follow each other with
// nothing else bringing the vCPU out of the guest. At the kDeliveries'th the handler writes
// UARTICR first: from then on no delivery may come (the in-run control: a redelivery follows the
// line, not the EOI). Run under -icount so that "at once" is a count of instructions.
#include "abi/xen_arch_arm.hpp"
#include "guests/probe/exception.hpp"
#include "guests/probe/gic.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

namespace layout = runhv::xen::arm;

constexpr u32 kSpi = layout::kVpl011Spi;
constexpr u64 kDeliveries = 64;
// GICD registers (IHI 0069): CTLR, IGROUPR, ISENABLER, IPRIORITYR, IROUTER.
constexpr u64 kGicdCtlr = 0x0000;
constexpr u32 kCtlrLinux = (1U << 4) | (1U << 1) | (1U << 0);  // ARE_NS, EnableGrp1A, EnableGrp1
constexpr u32 kCtlrRwp = 1U << 31;
constexpr u64 kGicdIgroupr = 0x0080;
constexpr u64 kGicdIsenabler = 0x0100;
constexpr u64 kGicdIcenabler = 0x0180;
constexpr u64 kGicdIpriorityr = 0x0400;
constexpr u64 kGicdIrouter = 0x6000;
// SBSA UART registers.
constexpr u64 kUartDr = 0x000;
constexpr u64 kUartImsc = 0x038;
constexpr u64 kUartIcr = 0x044;
constexpr u32 kUartTx = 1U << 5;  // TXIM / TXRIS / TXIC

volatile u64 gicd = 0;
volatile u64 uart = 0;
volatile u64 deliveries = 0;
volatile u64 other_intids = 0;
volatile u64 first_at = 0;
volatile u64 last_at = 0;

void write32(u64 va, u32 v) { *reinterpret_cast<volatile u32*>(va) = v; }
u32 read32(u64 va) { return *reinterpret_cast<volatile u32*>(va); }

void on_irq(u32 intid) {
  if (intid != kSpi) {
    other_intids = other_intids + 1;
    return;
  }
  const u64 n = deliveries + 1;
  deliveries = n;
  last_at = timer::now();
  if (n == 1) {
    first_at = last_at;
  }
  if (n == kDeliveries) {
    write32(uart + kUartIcr, kUartTx);  // the line drops before this EOI
  }
}

bool wait_rwp() {
  const u64 until = timer::now() + timer::frequency() / 100;
  while ((read32(gicd + kGicdCtlr) & kCtlrRwp) != 0) {
    if (timer::now() > until) {
      return false;
    }
  }
  return true;
}

void spin_ticks(u64 ticks, u64 until_deliveries) {
  const u64 until = timer::now() + ticks;
  while (timer::now() < until && deliveries < until_deliveries) {
  }
}

}  // namespace

bool run_level_irq(const Options& /*options*/, const Platform& platform) {
  constexpr const char* kName = "level-irq";
  if (!platform.xen) {
    Record(kName).flag("hypervisor", false).text("error", "needs a hypervisor").flag("pass", false).end();
    return false;
  }
  gicd = mmu::map_device(layout::kGicv3DistBase, layout::kGicv3DistSize);
  uart = mmu::map_device(layout::kPl011Base, layout::kPl011Size);
  if (gicd == 0 || uart == 0) {
    Record(kName).text("error", "map_device").flag("pass", false).end();
    return false;
  }
  // Linux's gic_dist_init and irq set-up for one SPI: group 1, a priority, routed to this vCPU.
  write32(gicd + kGicdCtlr, kCtlrLinux);
  const bool rwp_ok = wait_rwp();
  const u64 word = 4 * (kSpi / 32);
  const u32 bit = 1U << (kSpi % 32);
  write32(gicd + kGicdIgroupr + word, read32(gicd + kGicdIgroupr + word) | bit);
  *reinterpret_cast<volatile u8*>(gicd + kGicdIpriorityr + kSpi) = 0xA0;
  *reinterpret_cast<volatile u64*>(gicd + kGicdIrouter + 8 * kSpi) = read_mpidr_el1() & 0xFF'00FF'FFFFULL;
  set_irq_hook(on_irq);
  write32(gicd + kGicdIsenabler + word, bit);
  irqs_on();

  // The line goes high: TXIM unmasked, one byte written.
  write32(uart + kUartImsc, kUartTx);
  write32(uart + kUartDr, '\n');
  const u64 hz = timer::frequency();
  spin_ticks(hz / 5, kDeliveries);  // up to 200 ms for all of them
  const u64 delivered = deliveries;
  const u64 storm_ticks = last_at - first_at;
  // Cleared at the last one: 20 ms with nothing more.
  spin_ticks(hz / 50, ~u64{0});
  const u64 after_clear = deliveries - delivered;

  write32(gicd + kGicdIcenabler + word, bit);
  write32(uart + kUartImsc, 0);
  set_irq_hook(nullptr);
  // All of them within 5 ms: at once, not at the next exit something else causes (a 1 ms slice
  // end at best: 63 ms).
  const u64 storm_us = storm_ticks * 1'000'000 / hz;
  const bool pass = rwp_ok && delivered == kDeliveries && storm_us < 5'000 && after_clear == 0 && other_intids == 0;
  Record(kName)
      .flag("hypervisor", true)
      .num("deliveries", delivered)
      .num("storm_us", storm_us)
      .num("after_clear", after_clear)
      .num("other_intids", other_intids)
      .flag("rwp_ok", rwp_ok)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
