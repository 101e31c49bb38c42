// Xen event channels, 2-level ABI: the per-domain port table, the EVTCHNOP_* operations and the
// delivery protocol over shared_info / vcpu_info
// SPDX-License-Identifier: MIT
#include "core/evtchn.hpp"

namespace runhv {

namespace {

using xen::Errno;
using xen::error;
using xen::EvtchnOp;
using xen::EvtchnStat;

constexpr u16 kSelf = static_cast<u16>(DomId::self);

enum class VirqType : u8 { vcpu, domain, global };

// Xen's get_virq_type; the architecture's VIRQ_ARCH_* are global on Arm, and so is every number
// below NR_VIRQS that xen.h leaves unnamed.
VirqType virq_type(u32 virq) {
  switch (virq) {
    case xen::virq::timer:
    case xen::virq::debug:
    case xen::virq::xenoprof:
    case xen::virq::xenpmu:
      return VirqType::vcpu;
    case xen::virq::argo:
      return VirqType::domain;
    default:
      return VirqType::global;
  }
}

u16 raw(DomId id) { return static_cast<u16>(id); }
unsigned num(const EvtchnDomain& d) { return static_cast<unsigned>(raw(d.id)); }
LogBudget& budget(EvtchnDomain& d) { return d.budget != nullptr ? *d.budget : d.own_budget; }

bool valid_port(const EvtchnDomain& d, u32 port) { return port <= d.max_port && port < kEvtchnPorts; }
bool valid_vcpu(const EvtchnDomain& d, u32 vcpu) { return vcpu < d.nr_vcpus && vcpu < kMaxVcpusPerDomain; }
// Xen's evtchn_usable: a port that can be pending (bound in some way).
bool usable(const EvtchnPort& p) { return p.state != PortState::free && p.state != PortState::reserved; }

u64 port_bit(u32 port) { return u64{1} << (port % kEvtchnWordBits); }
u32 port_word(u32 port) { return port / kEvtchnWordBits; }

// The domain a guest's domid names (DOMID_SELF or its own id: itself), or nullptr.
EvtchnDomain* resolve(EvtchnDirectory& dir, EvtchnDomain& caller, u16 dom) {
  if (dom == kSelf || dom == raw(caller.id)) {
    return &caller;
  }
  return dir.find(static_cast<DomId>(dom));
}

// The lowest free port (port 0 is reserved), -ENOSPC when there is none, -EINVAL while dying.
long get_free_port(EvtchnDomain& d, const char* op) {
  if (d.dying) {
    return error(Errno::einval);
  }
  for (u32 p = 1; valid_port(d, p); ++p) {
    if (d.ports[p].state == PortState::free) {
      return p;
    }
  }
  guest_logf(budget(d), "d%u: EVTCHNOP %s failure: no free port (max %u), error %ld", num(d), op, d.max_port,
             error(Errno::enospc));
  return error(Errno::enospc);
}

// The second half of delivery: bit `word` in the vCPU's selector, then its upcall flag. Returns
// the vCPU to interrupt when the flag went 0 -> 1.
Upcall mark_word(const EvtchnDomain& d, u32 vcpu, u32 word) {
  xen::vcpu_info* vi = evtchn_vcpu_info(d, vcpu);
  if (vi == nullptr) {
    return {};
  }
  const u64 sel = u64{1} << word;
  if ((__atomic_fetch_or(&vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel) != 0) {
    return {};
  }
  if ((__atomic_fetch_or(&vi->evtchn_upcall_pending, u8{1}, __ATOMIC_SEQ_CST) & 1) != 0) {
    return {};
  }
  return Upcall{true, d.id, vcpu};
}

// Xen's evtchn_2l_set_pending: the port's pending bit; if it was clear and the port is not
// masked, the selector bit and the upcall flag of `vcpu`.
Upcall set_pending(const EvtchnDomain& d, u32 vcpu, u32 port) {
  if (d.shared == nullptr || !usable(d.ports[port])) {
    return {};
  }
  const u64 bit = port_bit(port);
  const u32 w = port_word(port);
  if ((__atomic_fetch_or(&d.shared->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit) != 0) {
    return {};
  }
  if ((__atomic_load_n(&d.shared->evtchn_mask[w], __ATOMIC_SEQ_CST) & bit) != 0) {
    return {};
  }
  return mark_word(d, vcpu, w);
}

void clear_pending(const EvtchnDomain& d, u32 port) {
  if (d.shared != nullptr) {
    __atomic_fetch_and(&d.shared->evtchn_pending[port_word(port)], ~port_bit(port), __ATOMIC_SEQ_CST);
  }
}

// Xen's evtchn_free: the pending bit is dropped (a later bind must not see a stale event), the
// binding goes back to vCPU 0. The mask bit stays as the guest left it.
void free_port(EvtchnDomain& d, u32 port) {
  clear_pending(d, port);
  d.ports[port] = EvtchnPort{};
}

// The peer domain of an interdomain port.
EvtchnDomain* peer_of(EvtchnDirectory& dir, EvtchnDomain& d, const EvtchnPort& p) {
  return p.remote_dom == raw(d.id) ? &d : dir.find(static_cast<DomId>(p.remote_dom));
}

long close_port(EvtchnDirectory& dir, EvtchnDomain& d, u32 port) {
  if (!valid_port(d, port)) {
    return error(Errno::einval);
  }
  EvtchnPort& p = d.ports[port];
  switch (p.state) {
    case PortState::free:
    case PortState::reserved:
      return error(Errno::einval);
    case PortState::unbound:
    case PortState::ipi:
      break;
    case PortState::virq: {
      const u32 row = virq_type(p.virq) == VirqType::vcpu ? p.notify_vcpu : 0;
      d.virq_port[row][p.virq] = 0;
      break;
    }
    case PortState::interdomain: {
      EvtchnDomain* rd = peer_of(dir, d, p);
      const u32 rport = p.remote_port;
      const u16 me = raw(d.id);
      free_port(d, port);
      // The peer's end waits for a new connection from this domain (EVTCHNSTAT_unbound).
      if (rd != nullptr && valid_port(*rd, rport) && rd->ports[rport].state == PortState::interdomain &&
          rd->ports[rport].remote_dom == me) {
        EvtchnPort& r = rd->ports[rport];
        r.state = PortState::unbound;
        r.remote_dom = me;
        r.remote_port = 0;
      }
      return 0;
    }
  }
  free_port(d, port);
  return 0;
}

void close_all(EvtchnDirectory& dir, EvtchnDomain& d) {
  for (u32 port = 1; port < kEvtchnPorts; ++port) {
    if (usable(d.ports[port])) {
      (void)close_port(dir, d, port);
    }
  }
}

}  // namespace

void evtchn_init(EvtchnDomain& d, DomId id, u32 nr_vcpus, xen::shared_info* shared, LogBudget* log_budget) {
  d.id = id;
  d.nr_vcpus = nr_vcpus < kMaxVcpusPerDomain ? nr_vcpus : kMaxVcpusPerDomain;
  d.max_port = kEvtchnPorts - 1;
  d.dying = false;
  d.global_virqs = 0;
  d.shared = shared;
  d.budget = log_budget;
  d.own_budget = LogBudget{};
  for (auto& vi : d.vcpu_info) {
    vi = nullptr;
  }
  for (auto& row : d.virq_port) {
    for (u16& port : row) {
      port = 0;
    }
  }
  for (auto& p : d.ports) {
    p = EvtchnPort{};
  }
  d.ports[0].state = PortState::reserved;
}

void evtchn_set_vcpu_info(EvtchnDomain& d, u32 vcpu, xen::vcpu_info* area) {
  if (vcpu < kMaxVcpusPerDomain) {
    d.vcpu_info[vcpu] = area;
  }
}

xen::vcpu_info* evtchn_vcpu_info(const EvtchnDomain& d, u32 vcpu) {
  if (vcpu >= kMaxVcpusPerDomain) {
    return nullptr;
  }
  if (d.vcpu_info[vcpu] != nullptr) {
    return d.vcpu_info[vcpu];
  }
  if (vcpu < xen::kLegacyMaxVcpus && d.shared != nullptr) {
    return &d.shared->vcpu_info_[vcpu];
  }
  return nullptr;
}

long evtchn_alloc_unbound(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_alloc_unbound& arg) {
  EvtchnDomain* d = resolve(dir, caller, arg.dom);
  if (d == nullptr) {
    return error(Errno::esrch);
  }
  const long port = get_free_port(*d, "alloc_unbound");
  if (port < 0) {
    return port;
  }
  if (d != &caller) {  // Xen asks XSM only once it has a port; the port stays free
    return error(Errno::eperm);
  }
  EvtchnPort& p = d->ports[port];
  p.state = PortState::unbound;
  p.remote_dom = arg.remote_dom == kSelf ? raw(caller.id) : arg.remote_dom;
  arg.port = static_cast<u32>(port);
  return 0;
}

long evtchn_bind_interdomain(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_bind_interdomain& arg,
                             Upcall& upcall) {
  EvtchnDomain* rd = resolve(dir, caller, arg.remote_dom);
  if (rd == nullptr) {
    return error(Errno::esrch);
  }
  const long lport = get_free_port(caller, "bind_interdomain");
  if (lport < 0) {
    return lport;
  }
  const u32 rport = arg.remote_port;
  if (!valid_port(*rd, rport) || rd->ports[rport].state != PortState::unbound ||
      rd->ports[rport].remote_dom != raw(caller.id)) {
    guest_logf(budget(caller), "d%u: EVTCHNOP bind_interdomain failure: d%u port %u is not unbound for d%u",
               num(caller), num(*rd), rport, num(caller));
    return error(Errno::einval);
  }
  EvtchnPort& l = caller.ports[lport];
  l.state = PortState::interdomain;
  l.remote_dom = raw(rd->id);
  l.remote_port = static_cast<u16>(rport);
  EvtchnPort& r = rd->ports[rport];
  r.state = PortState::interdomain;
  r.remote_dom = raw(caller.id);
  r.remote_port = static_cast<u16>(lport);
  // Events the peer sent while its end was unbound were dropped: the new port starts pending.
  upcall = set_pending(caller, l.notify_vcpu, static_cast<u32>(lport));
  arg.local_port = static_cast<u32>(lport);
  return 0;
}

long evtchn_bind_virq(EvtchnDomain& d, xen::evtchn_bind_virq& arg) {
  const u32 virq = arg.virq;
  if (virq >= xen::virq::count) {
    return error(Errno::einval);
  }
  const VirqType type = virq_type(virq);
  if (type != VirqType::vcpu && arg.vcpu != 0) {
    return error(Errno::einval);
  }
  if (!valid_vcpu(d, arg.vcpu)) {
    return error(Errno::enoent);
  }
  if (type == VirqType::global && (d.global_virqs & (u32{1} << virq)) == 0) {
    return error(Errno::ebusy);
  }
  if (d.virq_port[arg.vcpu][virq] != 0) {
    guest_logf(budget(d), "d%u: EVTCHNOP bind_virq failure: VIRQ %u of vCPU %u already bound to port %u", num(d), virq,
               arg.vcpu, static_cast<unsigned>(d.virq_port[arg.vcpu][virq]));
    return error(Errno::eexist);
  }
  const long port = get_free_port(d, "bind_virq");
  if (port < 0) {
    return port;
  }
  EvtchnPort& p = d.ports[port];
  p.state = PortState::virq;
  p.virq = static_cast<u8>(virq);
  p.notify_vcpu = static_cast<u16>(arg.vcpu);
  d.virq_port[arg.vcpu][virq] = static_cast<u16>(port);
  arg.port = static_cast<u32>(port);
  return 0;
}

long evtchn_bind_ipi(EvtchnDomain& d, xen::evtchn_bind_ipi& arg) {
  if (!valid_vcpu(d, arg.vcpu)) {
    return error(Errno::enoent);
  }
  const long port = get_free_port(d, "bind_ipi");
  if (port < 0) {
    return port;
  }
  EvtchnPort& p = d.ports[port];
  p.state = PortState::ipi;
  p.notify_vcpu = static_cast<u16>(arg.vcpu);
  arg.port = static_cast<u32>(port);
  return 0;
}

long evtchn_bind_pirq(EvtchnDomain& /*d*/, xen::evtchn_bind_pirq& /*arg*/) { return error(Errno::eopnotsupp); }

long evtchn_close(EvtchnDirectory& dir, EvtchnDomain& d, const xen::evtchn_close& arg) {
  return close_port(dir, d, arg.port);
}

long evtchn_send(EvtchnDirectory& dir, EvtchnDomain& d, const xen::evtchn_send& arg, Upcall& upcall) {
  const u32 port = arg.port;
  if (!valid_port(d, port)) {
    return error(Errno::einval);
  }
  const EvtchnPort& p = d.ports[port];
  switch (p.state) {
    case PortState::interdomain:
      if (EvtchnDomain* rd = peer_of(dir, d, p); rd != nullptr) {
        upcall = set_pending(*rd, rd->ports[p.remote_port].notify_vcpu, p.remote_port);
      }
      return 0;
    case PortState::ipi:
      upcall = set_pending(d, p.notify_vcpu, port);
      return 0;
    case PortState::unbound:
      return 0;  // nobody listens yet: dropped (bind_interdomain sets the binder's port pending)
    default:
      return error(Errno::einval);  // free, reserved, VIRQ: not the guest's to send on
  }
}

long evtchn_status(EvtchnDirectory& dir, EvtchnDomain& caller, xen::evtchn_status& arg) {
  EvtchnDomain* d = resolve(dir, caller, arg.dom);
  if (d == nullptr) {
    return error(Errno::esrch);
  }
  if (!valid_port(*d, arg.port)) {
    return error(Errno::einval);
  }
  if (d != &caller) {
    return error(Errno::eperm);
  }
  const EvtchnPort& p = d->ports[arg.port];
  switch (p.state) {
    case PortState::free:
    case PortState::reserved:
      arg.status = static_cast<u32>(EvtchnStat::closed);
      break;
    case PortState::unbound:
      arg.status = static_cast<u32>(EvtchnStat::unbound);
      arg.u.unbound.dom = p.remote_dom;
      break;
    case PortState::interdomain:
      arg.status = static_cast<u32>(EvtchnStat::interdomain);
      arg.u.interdomain.dom = p.remote_dom;
      arg.u.interdomain.port = p.remote_port;
      break;
    case PortState::virq:
      arg.status = static_cast<u32>(EvtchnStat::virq);
      arg.u.virq = p.virq;
      break;
    case PortState::ipi:
      arg.status = static_cast<u32>(EvtchnStat::ipi);
      break;
  }
  arg.vcpu = p.notify_vcpu;
  return 0;
}

long evtchn_bind_vcpu(EvtchnDomain& d, const xen::evtchn_bind_vcpu& arg) {
  if (!valid_vcpu(d, arg.vcpu)) {
    return error(Errno::enoent);
  }
  if (!valid_port(d, arg.port)) {
    return error(Errno::einval);
  }
  EvtchnPort& p = d.ports[arg.port];
  switch (p.state) {
    case PortState::virq:
      if (virq_type(p.virq) == VirqType::vcpu) {
        return error(Errno::einval);  // a per-vCPU VIRQ stays on the vCPU it was bound for
      }
      break;
    case PortState::unbound:
    case PortState::interdomain:
      break;
    default:
      return error(Errno::einval);  // IPIs stay where they were bound; free and reserved ports
  }
  p.notify_vcpu = static_cast<u16>(arg.vcpu);
  return 0;
}

long evtchn_unmask(EvtchnDomain& d, const xen::evtchn_unmask& arg, Upcall& upcall) {
  const u32 port = arg.port;
  if (!valid_port(d, port)) {
    return error(Errno::einval);
  }
  if (!usable(d.ports[port]) || d.shared == nullptr) {
    return 0;  // Xen leaves an unbound port's mask bit alone and succeeds
  }
  const u64 bit = port_bit(port);
  const u32 w = port_word(port);
  // Xen's evtchn_2l_unmask: only a 1 -> 0 mask transition with the event pending notifies.
  if ((__atomic_fetch_and(&d.shared->evtchn_mask[w], ~bit, __ATOMIC_SEQ_CST) & bit) != 0 &&
      (__atomic_load_n(&d.shared->evtchn_pending[w], __ATOMIC_SEQ_CST) & bit) != 0) {
    upcall = mark_word(d, d.ports[port].notify_vcpu, w);
  }
  return 0;
}

long evtchn_reset(EvtchnDirectory& dir, EvtchnDomain& caller, const xen::evtchn_reset& arg, bool cont) {
  EvtchnDomain* d = resolve(dir, caller, arg.dom);
  if (d == nullptr) {
    return error(Errno::esrch);
  }
  if (d != &caller) {
    return error(Errno::eperm);
  }
  if (cont) {
    return error(Errno::ebusy);  // no reset in progress: this one never stops half-way
  }
  close_all(dir, *d);
  return 0;
}

long evtchn_init_control(EvtchnDomain& /*d*/, xen::evtchn_init_control& /*arg*/) { return error(Errno::eopnotsupp); }

long evtchn_expand_array(EvtchnDomain& /*d*/, const xen::evtchn_expand_array& /*arg*/) {
  return error(Errno::eopnotsupp);
}

long evtchn_set_priority(EvtchnDomain& d, const xen::evtchn_set_priority& arg) {
  if (!valid_port(d, arg.port)) {
    return error(Errno::einval);
  }
  return error(Errno::enosys);
}

EvtchnOpInfo evtchn_op_info(u32 cmd) {
  switch (static_cast<EvtchnOp>(cmd)) {
    case EvtchnOp::bind_interdomain:
      return {sizeof(xen::evtchn_bind_interdomain), true};
    case EvtchnOp::bind_virq:
      return {sizeof(xen::evtchn_bind_virq), true};
    case EvtchnOp::bind_pirq:
      return {sizeof(xen::evtchn_bind_pirq), true};
    case EvtchnOp::close:
      return {sizeof(xen::evtchn_close), false};
    case EvtchnOp::send:
      return {sizeof(xen::evtchn_send), false};
    case EvtchnOp::status:
      return {sizeof(xen::evtchn_status), true};
    case EvtchnOp::alloc_unbound:
      return {sizeof(xen::evtchn_alloc_unbound), true};
    case EvtchnOp::bind_ipi:
      return {sizeof(xen::evtchn_bind_ipi), true};
    case EvtchnOp::bind_vcpu:
      return {sizeof(xen::evtchn_bind_vcpu), false};
    case EvtchnOp::unmask:
      return {sizeof(xen::evtchn_unmask), false};
    case EvtchnOp::reset:
    case EvtchnOp::reset_cont:
      return {sizeof(xen::evtchn_reset), false};
    case EvtchnOp::init_control:
      return {sizeof(xen::evtchn_init_control), true};
    case EvtchnOp::expand_array:
      return {sizeof(xen::evtchn_expand_array), false};
    case EvtchnOp::set_priority:
      return {sizeof(xen::evtchn_set_priority), false};
  }
  return {};
}

namespace {

struct OpContext {
  EvtchnDirectory* dir;
  EvtchnDomain* caller;
  Upcall* upcall;
  bool cont;
};

template <class T, long (*Fn)(T&, OpContext&)>
long typed(void* arg, OpContext& c) {
  T a;
  __builtin_memcpy(&a, arg, sizeof(T));
  const long rc = Fn(a, c);
  if (rc == 0) {
    __builtin_memcpy(arg, &a, sizeof(T));
  }
  return rc;
}

long op_alloc_unbound(xen::evtchn_alloc_unbound& a, OpContext& c) { return evtchn_alloc_unbound(*c.dir, *c.caller, a); }
long op_bind_interdomain(xen::evtchn_bind_interdomain& a, OpContext& c) {
  return evtchn_bind_interdomain(*c.dir, *c.caller, a, *c.upcall);
}
long op_bind_virq(xen::evtchn_bind_virq& a, OpContext& c) { return evtchn_bind_virq(*c.caller, a); }
long op_bind_pirq(xen::evtchn_bind_pirq& a, OpContext& c) { return evtchn_bind_pirq(*c.caller, a); }
long op_bind_ipi(xen::evtchn_bind_ipi& a, OpContext& c) { return evtchn_bind_ipi(*c.caller, a); }
long op_close(xen::evtchn_close& a, OpContext& c) { return evtchn_close(*c.dir, *c.caller, a); }
long op_send(xen::evtchn_send& a, OpContext& c) { return evtchn_send(*c.dir, *c.caller, a, *c.upcall); }
long op_status(xen::evtchn_status& a, OpContext& c) { return evtchn_status(*c.dir, *c.caller, a); }
long op_bind_vcpu(xen::evtchn_bind_vcpu& a, OpContext& c) { return evtchn_bind_vcpu(*c.caller, a); }
long op_unmask(xen::evtchn_unmask& a, OpContext& c) { return evtchn_unmask(*c.caller, a, *c.upcall); }
long op_reset(xen::evtchn_reset& a, OpContext& c) { return evtchn_reset(*c.dir, *c.caller, a, c.cont); }
long op_init_control(xen::evtchn_init_control& a, OpContext& c) { return evtchn_init_control(*c.caller, a); }
long op_expand_array(xen::evtchn_expand_array& a, OpContext& c) { return evtchn_expand_array(*c.caller, a); }
long op_set_priority(xen::evtchn_set_priority& a, OpContext& c) { return evtchn_set_priority(*c.caller, a); }

}  // namespace

long evtchn_op(EvtchnDirectory& dir, EvtchnDomain& caller, u32 cmd, void* arg, Upcall& upcall) {
  OpContext c{&dir, &caller, &upcall, false};
  switch (static_cast<EvtchnOp>(cmd)) {
    case EvtchnOp::bind_interdomain:
      return typed<xen::evtchn_bind_interdomain, op_bind_interdomain>(arg, c);
    case EvtchnOp::bind_virq:
      return typed<xen::evtchn_bind_virq, op_bind_virq>(arg, c);
    case EvtchnOp::bind_pirq:
      return typed<xen::evtchn_bind_pirq, op_bind_pirq>(arg, c);
    case EvtchnOp::close:
      return typed<xen::evtchn_close, op_close>(arg, c);
    case EvtchnOp::send:
      return typed<xen::evtchn_send, op_send>(arg, c);
    case EvtchnOp::status:
      return typed<xen::evtchn_status, op_status>(arg, c);
    case EvtchnOp::alloc_unbound:
      return typed<xen::evtchn_alloc_unbound, op_alloc_unbound>(arg, c);
    case EvtchnOp::bind_ipi:
      return typed<xen::evtchn_bind_ipi, op_bind_ipi>(arg, c);
    case EvtchnOp::bind_vcpu:
      return typed<xen::evtchn_bind_vcpu, op_bind_vcpu>(arg, c);
    case EvtchnOp::unmask:
      return typed<xen::evtchn_unmask, op_unmask>(arg, c);
    case EvtchnOp::reset_cont:
      c.cont = true;
      [[fallthrough]];
    case EvtchnOp::reset:
      return typed<xen::evtchn_reset, op_reset>(arg, c);
    case EvtchnOp::init_control:
      return typed<xen::evtchn_init_control, op_init_control>(arg, c);
    case EvtchnOp::expand_array:
      return typed<xen::evtchn_expand_array, op_expand_array>(arg, c);
    case EvtchnOp::set_priority:
      return typed<xen::evtchn_set_priority, op_set_priority>(arg, c);
  }
  return error(Errno::enosys);
}

Upcall evtchn_raise_virq(EvtchnDomain& d, u32 vcpu, u32 virq) {
  if (virq >= xen::virq::count) {
    return {};
  }
  const bool per_vcpu = virq_type(virq) == VirqType::vcpu;
  const u32 row = per_vcpu ? vcpu : 0;
  if (row >= kMaxVcpusPerDomain) {
    return {};
  }
  const u32 port = d.virq_port[row][virq];
  if (port == 0) {
    return {};
  }
  return set_pending(d, per_vcpu ? vcpu : d.ports[port].notify_vcpu, port);
}

void evtchn_destroy(EvtchnDirectory& dir, EvtchnDomain& d) {
  d.dying = true;
  close_all(dir, d);
}

bool evtchn_is_pending(const EvtchnDomain& d, u32 port) {
  return port < kEvtchnPorts && d.shared != nullptr &&
         (__atomic_load_n(&d.shared->evtchn_pending[port_word(port)], __ATOMIC_SEQ_CST) & port_bit(port)) != 0;
}

bool evtchn_is_masked(const EvtchnDomain& d, u32 port) {
  return port >= kEvtchnPorts || d.shared == nullptr ||
         (__atomic_load_n(&d.shared->evtchn_mask[port_word(port)], __ATOMIC_SEQ_CST) & port_bit(port)) != 0;
}

}  // namespace runhv
