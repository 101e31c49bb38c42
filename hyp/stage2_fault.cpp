// A guest's stage-2 abort that no device serves: a break-before-make window of a sibling's
// stage-2 change (retried), or a real fault (the guest takes an abort)
// SPDX-License-Identifier: MIT
//
// Stage-2 changes (add_to_physmap on any vCPU's pCPU) write an entry invalid, drop it from the
// TLBs, then write the new one; a vCPU of the same domain on another pCPU touching that address
// in the window takes a translation fault for an address that is mapped again a moment later.
// Looked at again under the table's update lock (which waits out a change in progress), such an
// address is mapped, and the instruction is run again.
#include "core/guest_copy.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

bool on_stage2_abort(arch::VcpuState& s, Ipa ipa, mmu::AccessType type) {
  Vcpu& v = vcpu_of(s);
  if (!stage2_maps(v.domain->space, ipa, type)) {
    return false;
  }
  ++v.counters.stage2_fault_retries;
  return true;
}

}  // namespace runhv::hyp
