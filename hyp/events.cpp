// Event delivery: the domain's event-channel interrupt raised for one vCPU, which is woken
// SPDX-License-Identifier: MIT
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {

bool vcpu_raise_event(Vcpu& v) {
  const auto self = static_cast<i32>(arch::this_cpu_index());
  const i32 on = __atomic_load_n(&v.loaded_on, __ATOMIC_ACQUIRE);
  if ((on != -1 && on != self) || !arch::inject_irq(v.arch, kEventChannelIntid)) {
    return false;
  }
  apply(scheduler().wake(v.sched, arch::now_ns()));
  return true;
}

}  // namespace runhv::hyp
