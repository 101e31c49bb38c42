// Xen event channels, 2-level ABI: the per-domain port table, the EVTCHNOP_* operations and the
// delivery protocol over shared_info / vcpu_info
// SPDX-License-Identifier: MIT
//
// What Xen does (xen/common/event_channel.c, event_2l.c, as of 4.19/4.20), with these choices:
//
// * Ports. A domain has the 2-level ABI's 4096 ports; port 0 is reserved. A fresh port is the
//   lowest free one not above the domain's max_port (dom0less gives a domU 1023; the default here
//   is 4095), else -ENOSPC. Xen grows its table in buckets and calls a port beyond the highest
//   bucket invalid (-EINVAL); here every port up to max_port is valid and a port above it is
//   invalid, so a never-used port below max_port reads as EVTCHNSTAT_closed.
// * No FIFO ABI. EVTCHNOP_init_control and expand_array answer -EOPNOTSUPP, what Xen built
//   without CONFIG_EVTCHN_FIFO answers; Linux treats any error from init_control as "no FIFO",
//   logs "Using 2-level ABI" and uses shared_info's bitmaps. set_priority: -EINVAL for a bad port,
//   else -ENOSYS (the 2-level ABI has no priorities). There are no PIRQs on Arm: bind_pirq is
//   -EOPNOTSUPP (Xen without CONFIG_HAS_PIRQ).
// * Privilege. Every domain is unprivileged (Xen's XSM dummy policy): an op naming another
//   domain's table (alloc_unbound, status, reset) gets -EPERM after that domain is found
//   (-ESRCH if not). bind_interdomain may name any domain.
// * Global VIRQs. Xen sends them to one handler domain (the hardware domain unless the toolstack
//   chose another); a domain that is not the handler gets -EBUSY binding one. runhv has no
//   hardware domain: EvtchnDomain::global_virqs says which global VIRQs a domain handles (none by
//   default, so binding one is -EBUSY as on a Xen dom0less system without dom0).
// * A vCPU's vcpu_info is the one registered with VCPUOP_register_vcpu_info, else, for vCPUs
//   below XEN_LEGACY_MAX_VCPUS (1 on Arm), shared_info.vcpu_info[n]. Xen points the other vCPUs
//   at a dummy vcpu_info shared by every domain; here such a vCPU's events only set the port's
//   pending bit and raise no upcall. Registration marks everything pending (the hypervisor's
//   register_vcpu_info sets evtchn_pending_sel = ~0 and evtchn_upcall_pending = 1), so nothing
//   sent before it is lost.
// * EVTCHNOP_reset closes every port of the caller's own domain in one go (Xen may preempt and
//   continue with the internal reset_cont; a guest's own reset_cont gets -EBUSY, as in Xen when
//   no reset is in progress).
//
// Locking: every function here is called with the hypervisor's one event-channel lock held (a
// single lock for all domains' tables: interdomain ops, send and close touch the peer's table as
// well, and with a handful of domains one lock costs nothing). Delivery writes shared_info and
// vcpu_info with atomic read-modify-writes, so a guest reading or clearing bits concurrently on
// another CPU is safe. A returned Upcall names the vCPU whose event interrupt (INTID 31) the
// hypervisor must raise and wake; it may do so after dropping the lock.
#pragma once

#include "abi/xen.hpp"
#include "core/limits.hpp"
#include "core/log.hpp"
#include "core/types.hpp"

namespace runhv {

using xen::DomId;

inline constexpr u32 kEvtchnPorts = xen::kEvtchn2lPorts;  // 4096
inline constexpr u32 kEvtchnWordBits = xen::kEvtchn2lWordBits;

enum class PortState : u8 {
  free,         // ECS_FREE
  reserved,     // ECS_RESERVED: port 0
  unbound,      // ECS_UNBOUND: waiting for remote_dom to bind
  interdomain,  // ECS_INTERDOMAIN: connected to remote_dom's remote_port
  virq,         // ECS_VIRQ
  ipi,          // ECS_IPI
};

struct EvtchnPort {
  PortState state = PortState::free;
  u8 virq = 0;          // virq: the VIRQ number
  u16 notify_vcpu = 0;  // the vCPU whose vcpu_info is told (vCPU 0 for a fresh port)
  u16 remote_dom = 0;   // unbound: the domain that may bind; interdomain: the peer
  u16 remote_port = 0;  // interdomain: the peer's port
};
static_assert(sizeof(EvtchnPort) == 8);

// One domain's event-channel state. Constant-initialisable (it lives inside the hypervisor's
// Domain); evtchn_init() names it before use.
struct EvtchnDomain {
  constexpr EvtchnDomain() { ports[0].state = PortState::reserved; }

  DomId id = DomId::invalid;
  u32 nr_vcpus = 0;                                          // vCPUs 0..nr_vcpus-1 exist
  u32 max_port = kEvtchnPorts - 1;                           // Xen's max_evtchn_port, at most 4095
  bool dying = false;                                        // set at teardown: no port is allocated any more (-EINVAL)
  u32 global_virqs = 0;                                      // bit n: this domain is the handler of global VIRQ n
  xen::shared_info* shared = nullptr;                        // hypervisor memory (its page)
  xen::vcpu_info* vcpu_info[kMaxVcpusPerDomain] = {};        // registered areas (hypervisor view)
  u16 virq_port[kMaxVcpusPerDomain][xen::virq::count] = {};  // Xen's virq_to_evtchn; 0: unbound
  LogBudget* budget = nullptr;  // the domain's budget for guest-triggered lines, or own_budget
  LogBudget own_budget;
  EvtchnPort ports[kEvtchnPorts];
};

// Where the hypervisor keeps the other domains' states: find() returns the state of domain `id`
// (a real id, never DOMID_SELF) or nullptr.
class EvtchnDirectory {
 public:
  virtual EvtchnDomain* find(DomId id) = 0;

 protected:
  EvtchnDirectory() = default;
  ~EvtchnDirectory() = default;
  EvtchnDirectory(const EvtchnDirectory&) = default;
  EvtchnDirectory& operator=(const EvtchnDirectory&) = default;
};

// A vCPU whose event interrupt must be raised: the one whose evtchn_upcall_pending went 0 -> 1.
struct Upcall {
  bool raise = false;
  DomId domain = DomId::invalid;
  u32 vcpu = 0;
};

// Names a fresh (or torn-down) state: every port free but 0, no VIRQ bound, no vcpu_info
// registered. `shared` is the domain's shared_info page, `budget` its log budget (may be null).
void evtchn_init(EvtchnDomain& d, DomId id, u32 nr_vcpus, xen::shared_info* shared, LogBudget* budget);

// VCPUOP_register_vcpu_info moved vCPU `vcpu`'s vcpu_info to `area` (nullptr: back to the
// default, at vCPU teardown).
void evtchn_set_vcpu_info(EvtchnDomain& d, u32 vcpu, xen::vcpu_info* area);
// The vcpu_info events for `vcpu` go to, or nullptr (an unregistered vCPU >= kLegacyMaxVcpus).
[[nodiscard]] xen::vcpu_info* evtchn_vcpu_info(const EvtchnDomain& d, u32 vcpu);

// ---- The operations. Each takes the argument the hypervisor copied from the guest, fills its
// OUT fields on success and returns the hypercall's result (0 or a negative Xen errno).
long evtchn_alloc_unbound(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_alloc_unbound& arg);
// May set the new local port pending (as Xen does, for events the peer sent before the bind).
long evtchn_bind_interdomain(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_bind_interdomain& arg,
                             Upcall& upcall);
long evtchn_bind_virq(EvtchnDomain& d, xen::evtchn_bind_virq& arg);
long evtchn_bind_ipi(EvtchnDomain& d, xen::evtchn_bind_ipi& arg);
long evtchn_bind_pirq(EvtchnDomain& d, xen::evtchn_bind_pirq& arg);
long evtchn_close(EvtchnDirectory& dir, EvtchnDomain& d, const xen::evtchn_close& arg);
long evtchn_send(EvtchnDirectory& dir, EvtchnDomain& d, const xen::evtchn_send& arg, Upcall& upcall);
long evtchn_status(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_status& arg);
long evtchn_bind_vcpu(EvtchnDomain& d, const xen::evtchn_bind_vcpu& arg);
long evtchn_unmask(EvtchnDomain& d, const xen::evtchn_unmask& arg, Upcall& upcall);
// `cont`: the call was EVTCHNOP_reset_cont.
long evtchn_reset(EvtchnDirectory& dir, EvtchnDomain& caller, const xen::evtchn_reset& arg, bool cont);
long evtchn_init_control(EvtchnDomain& d, xen::evtchn_init_control& arg);
long evtchn_expand_array(EvtchnDomain& d, const xen::evtchn_expand_array& arg);
long evtchn_set_priority(EvtchnDomain& d, const xen::evtchn_set_priority& arg);

// ---- The hypercall as a whole: how many bytes of argument `cmd` takes (0: unknown, answer
// -ENOSYS without reading the guest) and whether the argument is copied back on success.
struct EvtchnOpInfo {
  usize size = 0;
  bool copy_back = false;
};
[[nodiscard]] EvtchnOpInfo evtchn_op_info(u32 cmd);
// Runs `cmd` on `arg`, evtchn_op_info(cmd).size bytes the hypervisor copied from the guest (and
// copies back if copy_back and the result is 0). Unknown cmd: -ENOSYS.
long evtchn_op(EvtchnDirectory& dir, EvtchnDomain& caller, u32 cmd, void* arg, Upcall& upcall);

// ---- The hypervisor's own events: VIRQ `virq` of domain `d`, for vCPU `vcpu` if it is a
// per-vCPU VIRQ (ignored otherwise: a domain or global VIRQ goes to the vCPU its port notifies).
// Nothing happens if it is not bound.
Upcall evtchn_raise_virq(EvtchnDomain& d, u32 vcpu, u32 virq);

// Domain teardown: marks the state dying and closes every port (a peer's end becomes unbound).
void evtchn_destroy(EvtchnDirectory& dir, EvtchnDomain& d);

// For the hypervisor's diagnostics and for tests.
[[nodiscard]] bool evtchn_is_pending(const EvtchnDomain& d, u32 port);
[[nodiscard]] bool evtchn_is_masked(const EvtchnDomain& d, u32 port);

}  // namespace runhv
