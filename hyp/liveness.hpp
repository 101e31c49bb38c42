// A domain that can never run again: every vCPU down, or every vCPU blocked with nothing to wake it
// SPDX-License-Identifier: MIT
#pragma once

#include "hyp/domain.hpp"

namespace runhv::hyp {

// `v` just blocked with no wake deadline: one budgeted line if that leaves every vCPU of its
// domain offline or blocked without one (only an event can wake the domain now).
void note_blocked_without_timer(Vcpu& v);
// This pCPU goes idle with nothing armed: if nothing can ever run again and no console input can
// arrive, the first domain still running is stopped as hung (hyp/liveness.cpp); with console
// input possible, one line says so. Returns unless it stops a domain.
void check_nothing_ahead();

}  // namespace runhv::hyp
