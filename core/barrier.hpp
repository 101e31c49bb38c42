// Memory barriers between the hypervisor and guests reading shared memory on other CPUs
// SPDX-License-Identifier: MIT
#pragma once

namespace runhv {

// Orders earlier stores before later stores as seen by other observers (Xen's smp_wmb()).
inline void write_barrier() {
#if defined(__aarch64__)
  asm volatile("dmb ishst" ::: "memory");
#else
  // x86 (host builds) keeps stores in order (TSO): only the compiler must not reorder.
  asm volatile("" ::: "memory");
#endif
}

}  // namespace runhv
