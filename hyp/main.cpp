// hyp_main: the boot CPU's C++ entry; for now a smoke test that reports the machine and stops
// SPDX-License-Identifier: MIT
//
// Prints, on the console:
//   runhv <version>: started at EL<n> on <board>        (n read from CurrentEL)
//   runhv: dtb: <N> cpus, <M> MiB RAM at 0x<base>       (from the device tree)
//   runhv: smoke test done, powering off
// and powers off with PSCI SYSTEM_OFF. Any failure prints "runhv: FATAL: ..." and powers off.
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "core/types.hpp"
#include "hyp/console.hpp"
#include "hyp/devicetree.hpp"
#include "hyp/version.hpp"
#include "lib/panic.hpp"
#include "platform/qemu-virt/board.hpp"

namespace runhv {
namespace {

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

  console::print("runhv: smoke test done, powering off\n");
  arch::psci::system_off();
}
