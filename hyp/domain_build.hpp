// The boot domains: each /chosen/domU* of the boot device tree (Xen's dom0less binding) built and
// started, or d1 = the embedded smoke guest when there is none
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"
#include "hyp/boot_ram.hpp"
#include "hyp/dom0less.hpp"

namespace runhv::hyp {

// Claims every frame below `ram`'s cursor for the hypervisor (boot DTB, image, frame table, the
// PV-time pages it takes here), reserves the boot modules until their images are copied, and
// creates and starts each domain in guest RAM carved from [ram's cursor, ram_end). The frame
// table covers RAM from `ram_base`; `pcpus` pCPUs run. Panics on a configuration it cannot build.
void build_boot_domains(const dt::DomUList& domus, BootRam& ram, Pa ram_base, Pa ram_end, u32 pcpus);

}  // namespace runhv::hyp
