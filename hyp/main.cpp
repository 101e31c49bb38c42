// hyp_main: the boot CPU's C++ entry: reads the machine, turns the MMU on, runs the smoke guest
// SPDX-License-Identifier: MIT
//
// Prints, on the console:
//   runhv <version>: started at EL<n> on <board>        (n read from CurrentEL)
//   runhv: dtb: <N> cpus, <M> MiB RAM at 0x<base>       (from the device tree)
//   runhv: mmu: ...                                     (memory set-up)
//   runhv: gic: ...; runhv: cpu<N> up ...; ...          (every pCPU, hyp/cpus.hpp)
//   runhv: cpu0 vcpu context ok (...)                   (save/restore self-test)
//   runhv: d1: ...                                      (the guest)
// then runs d1 (the smoke guest, guests/smoke) until it powers off: "[d1] ..." lines are its
// console, and "runhv: all domains down, powering off" ends the run with PSCI SYSTEM_OFF. Any
// failure prints "runhv: FATAL: ..." and powers off.
#include "arch/aarch64/irq.hpp"
#include "arch/aarch64/mmu_el2.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "core/types.hpp"
#include "hyp/boot_ram.hpp"
#include "hyp/console.hpp"
#include "hyp/cpus.hpp"
#include "hyp/devicetree.hpp"
#include "hyp/domain.hpp"
#include "hyp/frame_table.hpp"
#include "hyp/version.hpp"
#include "lib/panic.hpp"
#include "platform/qemu-virt/board.hpp"

extern "C" const runhv::u8 __image_end[];
extern "C" const runhv::u8 smoke_guest_image[];
extern "C" const runhv::u64 smoke_guest_image_size;

namespace runhv {
namespace {

// The device region of the board, identity mapped as Device-nGnRE (GIC, UART, RTC, ...).
constexpr Pa kDeviceBase{0x0800'0000};
constexpr u64 kDeviceSize = 0x0200'0000;

// d1, the smoke guest: 16 MiB of RAM at IPA 0x40000000 (the same RAM base as the board).
constexpr Ipa kGuestRamIpa{0x4000'0000};
constexpr u64 kGuestRamSize = u64{16} << 20;
constexpr u64 k2MiB = u64{2} << 20;

// Turns on the EL2 MMU, builds the frame table and hands out RAM; then starts d1.
[[noreturn]] void run_guests(const dt::DeviceTree& tree, const dt::MemoryInfo& memory) {
  const u64 mapped = arch::mmu_el2::enable(
      {.ram_base = memory.base, .ram_size = memory.size, .device_base = kDeviceBase, .device_size = kDeviceSize});
  console::print("runhv: mmu: EL2 stage 1 on, %lu MiB RAM write-back, devices 0x%lx-0x%lx\n", mapped >> 20,
                 kDeviceBase.raw(), kDeviceBase.raw() + kDeviceSize);

  hyp::cpus_boot(tree);
  if (!hyp::vcpu_context_self_test()) {
    panic("vcpu context save/restore self-test failed");
  }
  if (arch::irq_ready() && !hyp::vtimer_self_test()) {
    panic("virtual timer self-test failed");
  }

  const Pa image_end{reinterpret_cast<u64>(__image_end)};
  hyp::BootRam ram(image_end, memory.base + mapped);
  const Pa frames = ram.take(hyp::FrameTable::bytes_for(mapped), kPageSize);
  if (frames.raw() == 0) {
    panic("no RAM for the frame table");
  }
  hyp::FrameTable& table = hyp::frame_table();
  table.init(memory.base, mapped, reinterpret_cast<void*>(frames.raw()));

  const Pa guest_ram = ram.take(kGuestRamSize, k2MiB);
  if (guest_ram.raw() == 0) {
    panic("no RAM for d1 (%lu MiB)", kGuestRamSize >> 20);
  }
  // Everything below the guest's RAM (boot DTB, image, frame table) is the hypervisor's.
  if (!table.assign(memory.base, guest_ram.raw() - memory.base.raw(), DomId::xen)) {
    panic("frame table: cannot claim the hypervisor's frames");
  }
  const auto image_size = static_cast<usize>(smoke_guest_image_size);
  hyp::Domain& d1 = hyp::create_domain({.number = 1,
                                        .ram_ipa = kGuestRamIpa,
                                        .ram_pa = guest_ram,
                                        .ram_size = kGuestRamSize,
                                        .image = smoke_guest_image,
                                        .image_size = image_size});
  console::print("runhv: d1: %lu MiB RAM at 0x%lx (IPA 0x%lx), vmid 1, smoke guest (%zu bytes)\n", d1.ram_size >> 20,
                 d1.ram_pa.raw(), d1.ram_ipa.raw(), image_size);
  if (arch::irq_ready()) {
    // A deadline already passed: the EL2 timer interrupts the guest's first instruction, which
    // exercises the world switch's IRQ exit on every boot ("interrupts taken while a guest ran").
    arch::timer_program(0, arch::now_ns());
  }
  hyp::start_domain(d1, 0);
}

// Where the device tree is: x0 at entry if it points at one (Linux boot protocol), else where
// QEMU copies it for an ELF image (the start of RAM). Pa{0} if neither holds the FDT magic.
Pa find_dtb(u64 boot_x0) {
  if (boot_x0 != 0 && (boot_x0 & 7) == 0 && dt::has_magic(Pa{boot_x0})) {
    return Pa{boot_x0};
  }
  if (dt::has_magic(board::kBoard.dtb)) {
    return board::kBoard.dtb;
  }
  return Pa{0};
}

}  // namespace
}  // namespace runhv

extern "C" [[noreturn]] void hyp_main(runhv::u64 boot_x0) {
  using namespace runhv;

  const unsigned el = arch::sysreg::current_el();
  if (el == 2) {
    hyp::cpus_early_init();
  }
  const Pa dtb = find_dtb(boot_x0);

  // The console: the DT's UART if there is one, else the board's.
  if (dtb.raw() != 0 && dt::DeviceTree(dtb).check() == 0) {
    const dt::UartInfo uart = dt::DeviceTree(dtb).pl011();
    if (uart.found) {
      console::use_uart(uart.base);
    }
  }

  console::attach_core_log();
  console::print("runhv %s: started at EL%u on %s\n", kVersion, el, board::kBoard.name);
  if (el != 2) {
    panic("started at EL%u, not EL2 (QEMU needs -machine virt,virtualization=on)", el);
  }

  if (dtb.raw() == 0) {
    console::print("runhv: dtb: no FDT magic at x0 (0x%lx) or at 0x%lx\n", boot_x0, board::kBoard.dtb.raw());
    panic("no device tree");
  }
  const dt::DeviceTree tree(dtb);
  if (const int error = tree.check(); error != 0) {
    panic("device tree at 0x%lx: %s", dtb.raw(), dt::DeviceTree::error_string(error));
  }
  const usize cpus = tree.cpu_count();
  const dt::MemoryInfo memory = tree.memory();
  if (cpus == 0) {
    panic("device tree at 0x%lx: no /cpus/cpu@* nodes", dtb.raw());
  }
  if (!memory.found) {
    panic("device tree at 0x%lx: no memory node", dtb.raw());
  }
  console::print("runhv: dtb: %zu cpus, %lu MiB RAM at 0x%lx\n", cpus, memory.size >> 20, memory.base.raw());

  run_guests(tree, memory);
}
