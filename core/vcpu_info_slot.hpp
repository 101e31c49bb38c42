// A vCPU's VCPUOP_register_vcpu_info registration, claimed once and atomically
// SPDX-License-Identifier: MIT
//
// Any vCPU of a domain may register the vcpu_info of any other, so two registrations for one
// vCPU can race on two pCPUs. The slot is taken by one compare-and-swap: exactly one wins, every
// other gets false (the hypercall's -EBUSY) and drops the pin it took.
#pragma once

#include "abi/xen.hpp"
#include "core/guest_memory.hpp"

namespace runhv {

class VcpuInfoSlot {
 public:
  // Takes the slot for `area`, in `frame`, which the caller has pinned; false if it is taken
  // (the pin is then still the caller's to drop).
  [[nodiscard]] bool claim(Frame* frame, xen::vcpu_info* area) {
    Frame* expected = nullptr;
    if (!__atomic_compare_exchange_n(&frame_, &expected, frame, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      return false;
    }
    __atomic_store_n(&area_, area, __ATOMIC_RELEASE);
    return true;
  }
  [[nodiscard]] bool taken() const { return __atomic_load_n(&frame_, __ATOMIC_ACQUIRE) != nullptr; }
  [[nodiscard]] xen::vcpu_info* area() const { return __atomic_load_n(&area_, __ATOMIC_ACQUIRE); }
  // Drops the registration and its pin (teardown, once no vCPU of the domain runs); false if
  // there was none.
  bool release() {
    Frame* f = __atomic_exchange_n(&frame_, nullptr, __ATOMIC_ACQ_REL);
    if (f == nullptr) {
      return false;
    }
    __atomic_store_n(&area_, nullptr, __ATOMIC_RELEASE);
    (void)f->unpin();
    return true;
  }

 private:
  Frame* frame_ = nullptr;
  xen::vcpu_info* area_ = nullptr;
};

}  // namespace runhv
