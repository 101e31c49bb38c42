// The guests' boot seeds (hyp/boot_entropy.hpp)
// SPDX-License-Identifier: MIT
#include "hyp/boot_entropy.hpp"

#include "hyp/console.hpp"

namespace runhv::hyp {
namespace {

SeedPool g_pool;

// Absorbs /chosen/<name> and overwrites it with zeros: no copy of the firmware's seed outlives
// the pool (the boot tree stays in hypervisor memory, which no guest maps).
usize absorb_chosen(const dt::DeviceTree& tree, const char* name) {
  usize len = 0;
  const u8* value = tree.chosen_property(name, len);
  if (value == nullptr) {
    return 0;
  }
  g_pool.absorb(name, value, len);
  auto* bytes = const_cast<volatile u8*>(value);
  for (usize i = 0; i < len; ++i) {
    bytes[i] = 0;
  }
  return len;
}

}  // namespace

void boot_entropy_init(const dt::DeviceTree& tree) {
  const usize rng = absorb_chosen(tree, "rng-seed");
  const usize kaslr = absorb_chosen(tree, "kaslr-seed");
  if (g_pool.has_entropy()) {
    console::print(
        "runhv: entropy: %zu bytes from the boot device tree (rng-seed %zu, kaslr-seed %zu): each guest "
        "gets its own /chosen/rng-seed\n",
        rng + kaslr, rng, kaslr);
  } else {
    console::print(
        "runhv: entropy: none (the boot device tree has no /chosen/rng-seed or kaslr-seed): guests get "
        "no /chosen/rng-seed\n");
  }
}

bool guest_rng_seed(u32 domain, u8 (&out)[kGuestRngSeedBytes]) { return g_pool.draw(domain, out); }

}  // namespace runhv::hyp
