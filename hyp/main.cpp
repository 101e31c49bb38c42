// hyp_main: the boot CPU's C++ entry: the order of boot, nothing else
// SPDX-License-Identifier: MIT
//
// Prints, on the console:
//   runhv <version>: started at EL<n> on <board>        (n read from CurrentEL)
//   runhv: dtb: <N> cpus, <M> MiB RAM at 0x<base>       (from the device tree)
//   runhv: mmu: ...                                     (memory set-up)
//   runhv: gic: ...; runhv: cpu<N> up ...; ...          (every pCPU: arch::cpus_boot)
//   runhv: cpu0 vcpu context ok (...)                   (save/restore self-test)
//   runhv: smccc: ARCH_FEATURES(ARCH_WORKAROUND_1/2/3) = ...  (hyp/smccc.hpp)
//   runhv: dN ...: ...                                  (each domain: hyp/domain_build.hpp)
//   runhv: console input to dN (...)                   (when a domain has a vPL011)
// then schedules the domains of the boot device tree (/chosen/domU*, Xen's dom0less binding:
// hyp/dom0less.hpp) over every pCPU, or, when it has none, d1 = the smoke guest (guests/smoke),
// until they power off: "[dN] ..." lines are their consoles, "runhv: stats {...}" and
// "runhv: dN stopped (<reason>)" end each, and "runhv: all domains down, powering off" ends the
// run with PSCI SYSTEM_OFF. Any failure prints "runhv: FATAL: ..." and powers off.
#include <string.h>

#include "arch/arch.hpp"
#include "core/types.hpp"
#include "hyp/boot_entropy.hpp"
#include "hyp/boot_ram.hpp"
#include "hyp/console.hpp"
#include "hyp/console_input.hpp"
#include "hyp/devicetree.hpp"
#include "hyp/dom0less.hpp"
#include "hyp/domain_build.hpp"
#include "hyp/frame_table.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/smccc.hpp"
#include "hyp/trace.hpp"
#include "hyp/version.hpp"
#include "lib/panic.hpp"
#include "platform/qemu-virt/board.hpp"

extern "C" const runhv::u8 __image_end[];

namespace runhv {
namespace {

// The device region of the board, identity mapped as device memory (GIC, UART, RTC, ...).
constexpr Pa kDeviceBase{0x0800'0000};
constexpr u64 kDeviceSize = 0x0200'0000;

arch::CpuTopology topology(const dt::DeviceTree& tree) {
  arch::CpuTopology t;
  t.count = static_cast<u32>(tree.cpu_mpidrs(t.mpidrs, kMaxPcpus));
  const dt::GicInfo gic = tree.gic();
  t.gic_version = gic.version;
  t.gicd = gic.dist;
  t.gicr = gic.redist;
  t.gicr_size = gic.redist_size;
  const char* method = tree.psci_method();
  t.psci_smc = method != nullptr && strcmp(method, "smc") == 0;
  return t;
}

// Turns on the MMU, brings every pCPU up, builds the frame table; creates the domains of the
// boot device tree (/chosen/domU*) or, without any, d1 = the smoke guest; then schedules.
[[noreturn]] void run_guests(const dt::DeviceTree& tree, const dt::MemoryInfo& memory, Pa dtb, u32 uart_intid) {
  const u64 mapped = arch::mm_init(
      {.ram_base = memory.base, .ram_size = memory.size, .device_base = kDeviceBase, .device_size = kDeviceSize});
  console::print("runhv: mmu: EL2 stage 1 on, %lu MiB RAM write-back, devices 0x%lx-0x%lx\n", mapped >> 20,
                 kDeviceBase.raw(), kDeviceBase.raw() + kDeviceSize);
  console::enable_locking();

  const Pa image_end{reinterpret_cast<u64>(__image_end)};
  hyp::BootRam ram(image_end, memory.base + mapped);
  const arch::CpuTopology cpus = topology(tree);
  const Pa stacks = ram.take(arch::cpus_boot_bytes(cpus), kPageSize);
  if (stacks.raw() == 0) {
    panic("no RAM for the pCPU stacks");
  }
  const u32 pcpus = arch::cpus_boot(cpus, stacks);
  hyp::scheduling_init(pcpus);
  hyp::smccc_init(pcpus);

  const Pa frames = ram.take(hyp::FrameTable::bytes_for(mapped), kPageSize);
  if (frames.raw() == 0) {
    panic("no RAM for the frame table");
  }
  hyp::frame_table().init(memory.base, mapped, reinterpret_cast<void*>(frames.raw()));

  static dt::DomUList domus;
  dt::read_domus(reinterpret_cast<const void*>(dtb.raw()), pcpus, domus);
  if (domus.error != nullptr) {
    panic("dom0less: %s", domus.error);
  }
  hyp::set_progress_interval(domus.stats_interval_ms);
  if (domus.trace_bytes != 0) {
    hyp::trace_start(ram, domus.trace_bytes, pcpus);
  }
  hyp::boot_entropy_init(tree);
  hyp::build_boot_domains(domus, ram, memory.base, memory.base + mapped, pcpus);
  arch::flush_guest_tlbs();
  hyp::console_input_start(console::uart(), uart_intid);
  hyp::scheduling_start();
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

  const unsigned el = arch::exception_level();
  if (el == 2) {
    arch::early_init();
  }
  const Pa dtb = find_dtb(boot_x0);

  // The console: the DT's UART if there is one, else the board's.
  u32 uart_intid = board::kBoard.uart_intid;
  if (dtb.raw() != 0 && dt::DeviceTree(dtb).check() == 0) {
    const dt::UartInfo uart = dt::DeviceTree(dtb).pl011();
    if (uart.found) {
      console::use_uart(uart.base);
      uart_intid = uart.intid;
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

  run_guests(tree, memory, dtb, uart_intid);
}
