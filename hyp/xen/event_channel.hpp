// The domains' event channels (hyp/xen/event_channel.cpp): set-up, vcpu_info moves, teardown
// SPDX-License-Identifier: MIT
#pragma once

#include "hyp/domain.hpp"

namespace runhv::hyp {

// At domain creation: every port free, events to shared_info / the vcpu_infos.
void evtchn_domain_init(Domain& d);
// VCPUOP_register_vcpu_info moved v's vcpu_info to `area` (nullptr: released at teardown).
void evtchn_vcpu_info_moved(Vcpu& v, xen::vcpu_info* area);
// Domain teardown: every port closed; peers' ends become unbound.
void evtchn_domain_teardown(Domain& d);

}  // namespace runhv::hyp
