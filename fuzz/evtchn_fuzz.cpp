// libFuzzer target: event channels (core/evtchn), three domains making EVTCHNOP_* calls
// SPDX-License-Identifier: MIT
//
// Each input plays EVTCHNOP_* calls with arbitrary commands and arguments (fields drawn from
// small ports, real and unknown domain ids, DOMID_SELF, and anything), VIRQs raised by the
// hypervisor, vcpu_info registrations, domain teardown and rebirth. Checked after every call
// (abort = finding), as Xen's event_channel.c keeps them:
//   - the result is 0 or one of the errors Xen's event channel code returns;
//   - an interdomain port's peer port is interdomain and points back; an unbound port's remote
//     domain exists; a VIRQ binding's port is a VIRQ port of that number, and back;
//   - a port a bind returned is above 0, not above max_port, and in the state the bind makes;
//   - an upcall names an existing vCPU whose vcpu_info says an upcall is pending.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/evtchn.hpp"

namespace runhv {
namespace {

using xen::Errno;
using xen::error;
using xen::EvtchnOp;

constexpr u32 kDomains = 3;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "evtchn_fuzz: invariant broken: %s\n", what);
  std::abort();
}

struct World final : EvtchnDirectory {
  EvtchnDomain doms[kDomains];
  xen::shared_info shared[kDomains];
  xen::vcpu_info areas[kDomains][kMaxVcpusPerDomain];
  LogBudget budgets[kDomains];

  EvtchnDomain* find(DomId id) override {
    const auto n = static_cast<u16>(id);
    return n >= 1 && n <= kDomains && !doms[n - 1].dying ? &doms[n - 1] : nullptr;
  }

  void init(FuzzedDataProvider& in) {
    for (u32 i = 0; i < kDomains; ++i) {
      std::memset(&shared[i], 0, sizeof shared[i]);
      evtchn_init(doms[i], xen::domid(static_cast<u16>(i + 1)), in.ConsumeIntegralInRange<u32>(1, kMaxVcpusPerDomain),
                  &shared[i], &budgets[i]);
      doms[i].dying = false;
      doms[i].max_port = in.ConsumeBool() ? 1023 : kEvtchnPorts - 1;
      doms[i].global_virqs = in.ConsumeBool() ? ~u32{0} : 0;
    }
  }

  // A u16 field as a guest might fill it.
  static u16 field16(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
      case 0:
        return static_cast<u16>(DomId::self);
      case 1:
        return in.ConsumeIntegral<u16>();
      case 2:
        return in.ConsumeBool() ? 1023 : 4095;
      default:
        return in.ConsumeIntegralInRange<u16>(0, 8);
    }
  }

  static bool known_error(long rc) {
    const Errno errs[] = {Errno::eperm,  Errno::enoent, Errno::esrch,  Errno::einval,     Errno::enospc,
                          Errno::enosys, Errno::ebusy,  Errno::eexist, Errno::eopnotsupp, Errno::efault};
    for (Errno e : errs) {
      if (rc == error(e)) {
        return true;
      }
    }
    return false;
  }

  void check_upcall(const Upcall& up) {
    if (!up.raise) {
      return;
    }
    EvtchnDomain* d = find(up.domain);
    if (d == nullptr || up.vcpu >= d->nr_vcpus) {
      finding("an upcall for a vCPU that does not exist");
    }
    const xen::vcpu_info* vi = evtchn_vcpu_info(*d, up.vcpu);
    if (vi == nullptr || __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_RELAXED) == 0) {
      finding("an upcall raised while the vCPU's vcpu_info has no upcall pending");
    }
  }

  // Ports are handed out lowest first, so after each step the first kStepPorts are checked, and
  // the whole table at the end of the input.
  static constexpr u32 kStepPorts = 40;
  __attribute__((no_sanitize("coverage"), noinline)) void check_tables(u32 ports) {
    for (u32 i = 0; i < kDomains; ++i) {
      const EvtchnDomain& d = doms[i];
      if (d.ports[0].state != PortState::reserved) {
        finding("port 0 is not reserved");
      }
      for (u32 p = 1; p < ports; ++p) {
        const EvtchnPort& port = d.ports[p];
        if (port.state != PortState::free && p > d.max_port) {
          finding("a port above max_port is in use");
        }
        if (port.state == PortState::interdomain) {
          EvtchnDomain* peer = find(xen::domid(port.remote_dom));
          if (peer == nullptr || port.remote_port >= kEvtchnPorts) {
            finding("an interdomain port's peer does not exist");
          }
          const EvtchnPort& back = peer->ports[port.remote_port];
          if (back.state != PortState::interdomain || back.remote_port != p ||
              back.remote_dom != static_cast<u16>(d.id)) {
            finding("an interdomain port's peer does not point back");
          }
        }
        if ((port.state == PortState::virq || port.state == PortState::ipi) && port.notify_vcpu >= d.nr_vcpus) {
          finding("a VIRQ or IPI port notifies a vCPU that does not exist");
        }
      }
      for (u32 v = 0; v < kMaxVcpusPerDomain; ++v) {
        for (u32 q = 0; q < xen::virq::count; ++q) {
          const u16 p = d.virq_port[v][q];
          if (p != 0 && (p >= kEvtchnPorts || d.ports[p].state != PortState::virq || d.ports[p].virq != q)) {
            finding("a VIRQ binding names a port that is not that VIRQ's");
          }
        }
      }
    }
  }

  // The port a successful bind or alloc returned, in the state it makes.
  static void check_new_port(const EvtchnDomain& d, u32 port, PortState want) {
    if (port == 0 || port > d.max_port || d.ports[port].state != want) {
      finding("a bind returned a port that is not fresh, in range and in the bind's state");
    }
  }

  void call(FuzzedDataProvider& in) {
    EvtchnDomain& caller = doms[in.ConsumeIntegralInRange<u32>(0, kDomains - 1)];
    if (caller.dying) {
      return;
    }
    const u32 cmd = in.ConsumeIntegralInRange<u32>(0, 16);
    alignas(8) u8 arg[64];
    for (usize i = 0; i < sizeof arg; i += 2) {
      const u16 f = field16(in);
      std::memcpy(arg + i, &f, 2);
    }
    Upcall up;
    const EvtchnOpInfo info = evtchn_op_info(cmd);
    if (info.size > sizeof arg) {
      finding("an argument larger than the hypervisor's 64-byte buffer");
    }
    const long rc = evtchn_op(*this, caller, cmd, arg, up);
    if (info.size == 0 && rc != error(Errno::enosys)) {
      finding("an unknown command did not answer -ENOSYS");
    }
    if (rc != 0 && !known_error(rc)) {
      std::fprintf(stderr, "evtchn_fuzz: cmd %u returned %ld\n", cmd, rc);
      finding("a result that is neither 0 nor an error Xen's event channel code returns");
    }
    check_upcall(up);
    if (rc != 0) {
      return;
    }
    switch (static_cast<EvtchnOp>(cmd)) {
      case EvtchnOp::alloc_unbound: {
        const auto& a = *reinterpret_cast<const xen::evtchn_alloc_unbound*>(arg);
        check_new_port(caller, a.port, PortState::unbound);
        break;
      }
      case EvtchnOp::bind_interdomain: {
        const auto& a = *reinterpret_cast<const xen::evtchn_bind_interdomain*>(arg);
        check_new_port(caller, a.local_port, PortState::interdomain);
        break;
      }
      case EvtchnOp::bind_virq: {
        const auto& a = *reinterpret_cast<const xen::evtchn_bind_virq*>(arg);
        check_new_port(caller, a.port, PortState::virq);
        break;
      }
      case EvtchnOp::bind_ipi: {
        const auto& a = *reinterpret_cast<const xen::evtchn_bind_ipi*>(arg);
        check_new_port(caller, a.port, PortState::ipi);
        break;
      }
      default:
        break;
    }
  }

  void step(FuzzedDataProvider& in) {
    const u32 i = in.ConsumeIntegralInRange<u32>(0, kDomains - 1);
    EvtchnDomain& d = doms[i];
    switch (in.ConsumeIntegralInRange(0, 9)) {
      case 0:
        if (!d.dying) {
          check_upcall(evtchn_raise_virq(d, in.ConsumeIntegralInRange<u32>(0, kMaxVcpusPerDomain),
                                         in.ConsumeIntegralInRange<u32>(0, xen::virq::count)));
        }
        break;
      case 1: {
        const u32 v = in.ConsumeIntegralInRange<u32>(0, d.nr_vcpus - 1);
        evtchn_set_vcpu_info(d, v, in.ConsumeBool() ? &areas[i][v] : nullptr);
        break;
      }
      case 2:
        if (in.ConsumeIntegralInRange(0, 7) == 0) {
          if (!d.dying) {
            evtchn_destroy(*this, d);
          } else {  // born again with the same id
            std::memset(&shared[i], 0, sizeof shared[i]);
            evtchn_init(d, xen::domid(static_cast<u16>(i + 1)), in.ConsumeIntegralInRange<u32>(1, kMaxVcpusPerDomain),
                        &shared[i], &budgets[i]);
            d.dying = false;
          }
        }
        break;
      default:
        call(in);
        break;
    }
    check_tables(kStepPorts);
  }
};

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static runhv::World* w = new runhv::World();
  FuzzedDataProvider in(data, size);
  w->init(in);
  for (int op = 0; op < 256 && in.remaining_bytes() > 0; ++op) {
    w->step(in);
  }
  w->check_tables(runhv::kEvtchnPorts);
  return 0;
}
