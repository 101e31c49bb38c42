// Event channels, 2-level ABI: every EVTCHNOP with Xen's results and error codes, the delivery
// bits word by word, and a model of Linux's upcall handler consuming what was sent
// SPDX-License-Identifier: MIT
#include "core/evtchn.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace runhv {
namespace {

using xen::Errno;
using xen::error;
using xen::EvtchnStat;
constexpr u16 kSelf = static_cast<u16>(DomId::self);

class CapturedLog final : public LogSink {
 public:
  CapturedLog() { previous_ = set_log_sink(this); }
  ~CapturedLog() { set_log_sink(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  void line(const char* text, usize len) override { lines.emplace_back(text, len); }
  [[nodiscard]] bool contains(const std::string& needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::vector<std::string> lines;

 private:
  LogSink* previous_;
};

// One guest: its shared_info page and a vcpu_info per vCPU in plain memory, and its state.
struct Guest {
  alignas(4096) xen::shared_info shared{};
  xen::vcpu_info vcpu_info[kMaxVcpusPerDomain]{};
  // Linux's per-CPU cpu_evtchn_mask: which ports each vCPU's handler takes (when filtering).
  u64 cpu_bound[kMaxVcpusPerDomain][64]{};
  bool filter_by_cpu = false;
  LogBudget budget;
  EvtchnDomain ev;

  Guest(u16 id, u32 vcpus) {
    evtchn_init(ev, xen::domid(id), vcpus, &shared, &budget);
    for (u32 v = 0; v < vcpus; ++v) {
      evtchn_set_vcpu_info(ev, v, &vcpu_info[v]);
    }
  }
  [[nodiscard]] bool pending(u32 port) const { return ((shared.evtchn_pending[port / 64] >> (port % 64)) & 1) != 0; }
  [[nodiscard]] bool masked(u32 port) const { return ((shared.evtchn_mask[port / 64] >> (port % 64)) & 1) != 0; }
  void mask(u32 port) { shared.evtchn_mask[port / 64] |= u64{1} << (port % 64); }
  void bind_to_cpu(u32 port, u32 v) {
    for (auto& m : cpu_bound) {
      m[port / 64] &= ~(u64{1} << (port % 64));
    }
    cpu_bound[v][port / 64] |= u64{1} << (port % 64);
    filter_by_cpu = true;
  }
  void mask_all() {
    for (u64& w : shared.evtchn_mask) {
      w = ~u64{0};
    }
  }
  // Linux's 2-level handler (drivers/xen/events/events_2l.c, events_base.c) on vCPU `v`: clear
  // upcall_pending, take the selector, scan pending & ~mask (& the ports bound to this CPU, when
  // filter_by_cpu) word by word, and clear (ack) each
  // port handled; again while upcall_pending was set meanwhile. Returns the ports it handled.
  std::vector<u32> linux_upcall(u32 v) {
    std::vector<u32> handled;
    xen::vcpu_info& vi = vcpu_info[v];
    do {
      __atomic_store_n(&vi.evtchn_upcall_pending, u8{0}, __ATOMIC_SEQ_CST);
      u64 words = __atomic_exchange_n(&vi.evtchn_pending_sel, u64{0}, __ATOMIC_SEQ_CST);
      while (words != 0) {
        const u32 w = static_cast<u32>(__builtin_ctzll(words));
        words &= words - 1;
        u64 bits = shared.evtchn_pending[w] & ~shared.evtchn_mask[w] & (filter_by_cpu ? cpu_bound[v][w] : ~u64{0});
        while (bits != 0) {
          const u32 b = static_cast<u32>(__builtin_ctzll(bits));
          bits &= bits - 1;
          const u32 port = w * 64 + b;
          __atomic_fetch_and(&shared.evtchn_pending[w], ~(u64{1} << b), __ATOMIC_SEQ_CST);
          handled.push_back(port);
        }
      }
    } while (__atomic_load_n(&vi.evtchn_upcall_pending, __ATOMIC_SEQ_CST) != 0);
    return handled;
  }
};

class Directory final : public EvtchnDirectory {
 public:
  EvtchnDomain* find(DomId id) override {
    auto it = domains.find(static_cast<u16>(id));
    return it == domains.end() ? nullptr : it->second;
  }
  std::map<u16, EvtchnDomain*> domains;
};

class EvtchnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a = std::make_unique<Guest>(1, 4);
    b = std::make_unique<Guest>(2, 2);
    dir.domains[1] = &a->ev;
    dir.domains[2] = &b->ev;
  }

  long alloc_unbound(Guest& g, u16 dom, u16 remote, u32* port = nullptr) {
    xen::evtchn_alloc_unbound arg{dom, remote, 0xdead};
    const long rc = evtchn_alloc_unbound(dir, g.ev, arg);
    if (port != nullptr) {
      *port = arg.port;
    }
    return rc;
  }
  long bind_interdomain(Guest& g, u16 remote, u32 rport, u32* lport = nullptr, Upcall* up = nullptr) {
    xen::evtchn_bind_interdomain arg{remote, 0, rport, 0xdead};
    Upcall u;
    const long rc = evtchn_bind_interdomain(dir, g.ev, arg, u);
    if (lport != nullptr) {
      *lport = arg.local_port;
    }
    if (up != nullptr) {
      *up = u;
    }
    return rc;
  }
  long bind_virq(Guest& g, u32 virq, u32 vcpu, u32* port = nullptr) {
    xen::evtchn_bind_virq arg{virq, vcpu, 0xdead};
    const long rc = evtchn_bind_virq(g.ev, arg);
    if (port != nullptr) {
      *port = arg.port;
    }
    return rc;
  }
  u32 ipi(Guest& g, u32 vcpu) {
    xen::evtchn_bind_ipi arg{vcpu, 0};
    EXPECT_EQ(evtchn_bind_ipi(g.ev, arg), 0);
    return arg.port;
  }
  long send(Guest& g, u32 port, Upcall* up = nullptr) {
    Upcall u;
    const long rc = evtchn_send(dir, g.ev, xen::evtchn_send{port}, u);
    if (up != nullptr) {
      *up = u;
    }
    return rc;
  }
  long close(Guest& g, u32 port) { return evtchn_close(dir, g.ev, xen::evtchn_close{port}); }
  long unmask(Guest& g, u32 port, Upcall* up = nullptr) {
    Upcall u;
    const long rc = evtchn_unmask(g.ev, xen::evtchn_unmask{port}, u);
    if (up != nullptr) {
      *up = u;
    }
    return rc;
  }
  xen::evtchn_status status(Guest& g, u32 port, long expect_rc = 0, u16 dom = kSelf) {
    xen::evtchn_status st{};
    st.dom = dom;
    st.port = port;
    EXPECT_EQ(evtchn_status(dir, g.ev, st), expect_rc);
    return st;
  }
  // An interdomain channel a:pa <-> b:pb (a allocates, b binds).
  void connect(u32& pa, u32& pb) {
    ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
    ASSERT_EQ(bind_interdomain(*b, 1, pa, &pb), 0);
    b->linux_upcall(0);  // the bind's own pending event
  }

  Directory dir;
  std::unique_ptr<Guest> a, b;
};

// ---- ABI

TEST(EvtchnAbi, NumbersAndLayoutsAreXens) {
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::bind_interdomain), 0U);
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::send), 4U);
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::alloc_unbound), 6U);
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::unmask), 9U);
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::init_control), 11U);
  EXPECT_EQ(static_cast<u32>(xen::EvtchnOp::reset_cont), 14U);
  EXPECT_EQ(kEvtchnPorts, 4096U);
  EXPECT_EQ(xen::virq::count, 24U);
  EXPECT_EQ(evtchn_op_info(5).size, 24U);
  EXPECT_TRUE(evtchn_op_info(5).copy_back);
  EXPECT_EQ(evtchn_op_info(4).size, 4U);
  EXPECT_FALSE(evtchn_op_info(4).copy_back);
  EXPECT_EQ(evtchn_op_info(15).size, 0U);
}

TEST(EvtchnAbi, StateIsConstantInitialisable) {
  static constinit EvtchnDomain d;
  EXPECT_EQ(d.ports[0].state, PortState::reserved);
  EXPECT_EQ(d.ports[1].state, PortState::free);
  EXPECT_EQ(d.max_port, 4095U);
}

// ---- alloc_unbound

TEST_F(EvtchnTest, AllocUnboundGivesLowestFreePortFromOne) {
  u32 p1 = 0;
  u32 p2 = 0;
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2, &p1), 0);
  EXPECT_EQ(alloc_unbound(*a, 1, kSelf, &p2), 0);  // own id works like DOMID_SELF
  EXPECT_EQ(p1, 1U);
  EXPECT_EQ(p2, 2U);
  auto st = status(*a, p1);
  EXPECT_EQ(st.status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(st.u.unbound.dom, 2);
  EXPECT_EQ(st.vcpu, 0U);
  EXPECT_EQ(status(*a, p2).u.unbound.dom, 1);  // remote DOMID_SELF is the caller
  ASSERT_EQ(close(*a, p1), 0);
  u32 p3 = 0;
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2, &p3), 0);
  EXPECT_EQ(p3, 1U);  // reused
}

TEST_F(EvtchnTest, AllocUnboundInAnotherDomainIsRefused) {
  EXPECT_EQ(alloc_unbound(*a, 7, 2), error(Errno::esrch));
  EXPECT_EQ(alloc_unbound(*a, 2, 1), error(Errno::eperm));
  EXPECT_EQ(status(*b, 1).status, static_cast<u32>(EvtchnStat::closed));  // nothing allocated there
  EXPECT_EQ(alloc_unbound(*a, static_cast<u16>(DomId::io), 1), error(Errno::esrch));
}

TEST_F(EvtchnTest, FullTableIsEnospcAndLogged) {
  CapturedLog log;
  for (u32 i = 1; i < kEvtchnPorts; ++i) {
    u32 p = 0;
    ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &p), 0);
    ASSERT_EQ(p, i);
  }
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2), error(Errno::enospc));
  EXPECT_EQ(bind_virq(*a, xen::virq::debug, 0), error(Errno::enospc));
  xen::evtchn_bind_ipi ipi_arg{0, 0};
  EXPECT_EQ(evtchn_bind_ipi(a->ev, ipi_arg), error(Errno::enospc));
  EXPECT_TRUE(log.contains("d1: EVTCHNOP alloc_unbound failure: no free port"));
  // The table of another domain is not affected, and a freed port is found again.
  EXPECT_EQ(alloc_unbound(*b, kSelf, 1), 0);
  ASSERT_EQ(close(*a, 4095), 0);
  u32 p = 0;
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2, &p), 0);
  EXPECT_EQ(p, 4095U);
}

TEST_F(EvtchnTest, MaxPortLimitsAllocationAndValidity) {
  a->ev.max_port = 3;  // as dom0less's max_evtchn_port, smaller
  for (u32 i = 0; i < 3; ++i) {
    ASSERT_EQ(alloc_unbound(*a, kSelf, 2), 0);
  }
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2), error(Errno::enospc));
  status(*a, 4, error(Errno::einval));
  EXPECT_EQ(send(*a, 4), error(Errno::einval));
}

TEST_F(EvtchnTest, DyingDomainAllocatesNothing) {
  a->ev.dying = true;
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2), error(Errno::einval));
}

// ---- bind_interdomain

TEST_F(EvtchnTest, BindInterdomainConnectsBothEnds) {
  u32 pa = 0;
  u32 pb = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
  ASSERT_EQ(alloc_unbound(*b, kSelf, 1), 0);  // b's port 1 taken, so b binds on 2
  Upcall up;
  ASSERT_EQ(bind_interdomain(*b, 1, pa, &pb, &up), 0);
  EXPECT_EQ(pb, 2U);
  auto sa = status(*a, pa);
  EXPECT_EQ(sa.status, static_cast<u32>(EvtchnStat::interdomain));
  EXPECT_EQ(sa.u.interdomain.dom, 2);
  EXPECT_EQ(sa.u.interdomain.port, pb);
  auto sb = status(*b, pb);
  EXPECT_EQ(sb.status, static_cast<u32>(EvtchnStat::interdomain));
  EXPECT_EQ(sb.u.interdomain.dom, 1);
  EXPECT_EQ(sb.u.interdomain.port, pa);
  // Xen sets the binder's new port pending, for events sent before the bind.
  EXPECT_TRUE(b->pending(pb));
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.domain, xen::domid(2));
  EXPECT_EQ(up.vcpu, 0U);
  EXPECT_FALSE(a->pending(pa));
}

TEST_F(EvtchnTest, BindInterdomainErrors) {
  u32 pa = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
  EXPECT_EQ(bind_interdomain(*b, 9, pa), error(Errno::esrch));
  EXPECT_EQ(bind_interdomain(*b, 1, 4096), error(Errno::einval));    // not a port
  EXPECT_EQ(bind_interdomain(*b, 1, 0), error(Errno::einval));       // reserved
  EXPECT_EQ(bind_interdomain(*b, 1, pa + 1), error(Errno::einval));  // free
  u32 other = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 1, &other), 0);  // offered to d1 itself, not d2
  EXPECT_EQ(bind_interdomain(*b, 1, other), error(Errno::einval));
  ASSERT_EQ(bind_interdomain(*b, 1, pa), 0);
  EXPECT_EQ(bind_interdomain(*b, 1, pa), error(Errno::einval));  // already connected
  // A failed bind leaves no port behind in the binder's table.
  EXPECT_EQ(status(*b, 2).status, static_cast<u32>(EvtchnStat::closed));
}

TEST_F(EvtchnTest, LoopbackWithinOneDomain) {
  u32 p1 = 0;
  u32 p2 = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, kSelf, &p1), 0);
  ASSERT_EQ(bind_interdomain(*a, kSelf, p1, &p2), 0);
  EXPECT_EQ(p2, 2U);
  a->linux_upcall(0);
  Upcall up;
  ASSERT_EQ(send(*a, p1, &up), 0);
  EXPECT_TRUE(a->pending(p2));
  EXPECT_FALSE(a->pending(p1));
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(a->linux_upcall(0), std::vector<u32>{p2});
  ASSERT_EQ(send(*a, p2), 0);
  EXPECT_EQ(a->linux_upcall(0), std::vector<u32>{p1});
  ASSERT_EQ(close(*a, p1), 0);
  auto st = status(*a, p2);
  EXPECT_EQ(st.status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(st.u.unbound.dom, 1);
}

// ---- interdomain send, close

TEST_F(EvtchnTest, InterdomainSendBothWays) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  Upcall up;
  ASSERT_EQ(send(*a, pa, &up), 0);
  EXPECT_TRUE(b->pending(pb));
  EXPECT_FALSE(a->pending(pa));
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.domain, xen::domid(2));
  EXPECT_EQ(b->linux_upcall(0), std::vector<u32>{pb});
  ASSERT_EQ(send(*b, pb, &up), 0);
  EXPECT_TRUE(a->pending(pa));
  EXPECT_EQ(up.domain, xen::domid(1));
  EXPECT_EQ(up.vcpu, 0U);
  EXPECT_EQ(a->linux_upcall(0), std::vector<u32>{pa});
}

TEST_F(EvtchnTest, CloseMakesThePeerUnboundAndSendsThenDrop) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  ASSERT_EQ(send(*b, pb), 0);
  ASSERT_TRUE(a->pending(pa));
  ASSERT_EQ(close(*a, pa), 0);
  EXPECT_FALSE(a->pending(pa));  // a closed port's event is dropped
  EXPECT_EQ(status(*a, pa).status, static_cast<u32>(EvtchnStat::closed));
  auto sb = status(*b, pb);
  EXPECT_EQ(sb.status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(sb.u.unbound.dom, 1);
  const auto before = a->shared.evtchn_pending[0];
  Upcall up;
  EXPECT_EQ(send(*b, pb, &up), 0);  // unbound: silently nothing
  EXPECT_FALSE(up.raise);
  EXPECT_EQ(a->shared.evtchn_pending[0], before);
  EXPECT_FALSE(b->pending(pb));
  EXPECT_EQ(send(*a, pa), error(Errno::einval));  // closed
  // d1 can connect again to the waiting end.
  u32 again = 0;
  ASSERT_EQ(bind_interdomain(*a, 2, pb, &again), 0);
  EXPECT_EQ(status(*b, pb).status, static_cast<u32>(EvtchnStat::interdomain));
}

TEST_F(EvtchnTest, CloseByTheBinderLeavesTheAllocatorWaiting) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  ASSERT_EQ(close(*b, pb), 0);
  auto sa = status(*a, pa);
  EXPECT_EQ(sa.status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(sa.u.unbound.dom, 2);
  Upcall up;
  EXPECT_EQ(send(*a, pa, &up), 0);
  EXPECT_FALSE(up.raise);
  EXPECT_FALSE(b->pending(pb));
  EXPECT_EQ(status(*b, pb).status, static_cast<u32>(EvtchnStat::closed));
}

TEST_F(EvtchnTest, CloseErrors) {
  EXPECT_EQ(close(*a, 0), error(Errno::einval));     // reserved
  EXPECT_EQ(close(*a, 5), error(Errno::einval));     // free
  EXPECT_EQ(close(*a, 4096), error(Errno::einval));  // not a port
  EXPECT_EQ(close(*a, ~0U), error(Errno::einval));
  u32 p = ipi(*a, 1);
  EXPECT_EQ(close(*a, p), 0);
  EXPECT_EQ(close(*a, p), error(Errno::einval));
}

TEST_F(EvtchnTest, ClosedPortRebindsOnVcpu0) {
  u32 pa = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
  ASSERT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{pa, 3}), 0);
  EXPECT_EQ(status(*a, pa).vcpu, 3U);
  ASSERT_EQ(close(*a, pa), 0);
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
  EXPECT_EQ(status(*a, pa).vcpu, 0U);
}

// ---- send

TEST_F(EvtchnTest, SendErrors) {
  EXPECT_EQ(send(*a, 0), error(Errno::einval));
  EXPECT_EQ(send(*a, 1), error(Errno::einval));
  EXPECT_EQ(send(*a, 4096), error(Errno::einval));
  u32 v = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::debug, 0, &v), 0);
  EXPECT_EQ(send(*a, v), error(Errno::einval));  // VIRQs are Xen's to raise, not the guest's
  EXPECT_FALSE(a->pending(v));
}

TEST_F(EvtchnTest, IpiGoesToItsVcpu) {
  u32 p = ipi(*a, 2);
  EXPECT_EQ(status(*a, p).status, static_cast<u32>(EvtchnStat::ipi));
  EXPECT_EQ(status(*a, p).vcpu, 2U);
  Upcall up;
  ASSERT_EQ(send(*a, p, &up), 0);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.vcpu, 2U);
  EXPECT_EQ(a->vcpu_info[2].evtchn_upcall_pending, 1);
  EXPECT_EQ(a->vcpu_info[0].evtchn_upcall_pending, 0);
  EXPECT_EQ(a->linux_upcall(2), std::vector<u32>{p});
  xen::evtchn_bind_ipi bad{4, 0};
  EXPECT_EQ(evtchn_bind_ipi(a->ev, bad), error(Errno::enoent));
  bad.vcpu = kMaxVcpusPerDomain + 100;
  EXPECT_EQ(evtchn_bind_ipi(a->ev, bad), error(Errno::enoent));
}

// ---- delivery bits

TEST_F(EvtchnTest, DeliveryBitsWordByWord) {
  // Ports 1, 63, 64 and 4095: bit p % 64 of word p / 64; selector bits 0, 0, 1, 63.
  std::vector<u32> ports;
  for (u32 i = 1; i < kEvtchnPorts; ++i) {
    ports.push_back(ipi(*a, 0));
  }
  ASSERT_EQ(ports.back(), 4095U);
  auto& sh = a->shared;
  auto& vi = a->vcpu_info[0];
  Upcall up;
  ASSERT_EQ(send(*a, 1, &up), 0);
  EXPECT_EQ(sh.evtchn_pending[0], u64{1} << 1);
  EXPECT_EQ(vi.evtchn_pending_sel, u64{1});
  EXPECT_TRUE(up.raise);
  ASSERT_EQ(send(*a, 63, &up), 0);
  EXPECT_EQ(sh.evtchn_pending[0], (u64{1} << 1) | (u64{1} << 63));
  EXPECT_EQ(sh.evtchn_pending[1], 0U);
  EXPECT_FALSE(up.raise);  // selector bit 0 was already set
  ASSERT_EQ(send(*a, 64, &up), 0);
  EXPECT_EQ(sh.evtchn_pending[1], u64{1});
  EXPECT_EQ(vi.evtchn_pending_sel, u64{3});
  EXPECT_FALSE(up.raise);  // upcall_pending was already 1
  ASSERT_EQ(send(*a, 4095, &up), 0);
  EXPECT_EQ(sh.evtchn_pending[63], u64{1} << 63);
  EXPECT_EQ(vi.evtchn_pending_sel, u64{3} | (u64{1} << 63));
  EXPECT_EQ(vi.evtchn_upcall_pending, 1);
  for (u32 w = 2; w < 63; ++w) {
    EXPECT_EQ(sh.evtchn_pending[w], 0U) << w;
  }
  for (u64 m : sh.evtchn_mask) {
    EXPECT_EQ(m, 0U);
  }
  EXPECT_EQ(a->linux_upcall(0), (std::vector<u32>{1, 63, 64, 4095}));
  for (u64 w : sh.evtchn_pending) {
    EXPECT_EQ(w, 0U);
  }
  EXPECT_EQ(vi.evtchn_pending_sel, 0U);
}

TEST_F(EvtchnTest, UpcallRaisedOnlyOnFirstTransition) {
  u32 p1 = ipi(*a, 0);
  u32 p2 = ipi(*a, 0);
  Upcall up;
  ASSERT_EQ(send(*a, p1, &up), 0);
  EXPECT_TRUE(up.raise);
  ASSERT_EQ(send(*a, p1, &up), 0);  // already pending: nothing at all
  EXPECT_FALSE(up.raise);
  a->vcpu_info[0].evtchn_pending_sel = 0;  // the guest took the selector but not yet the flag
  ASSERT_EQ(send(*a, p2, &up), 0);
  EXPECT_FALSE(up.raise);  // selector set again, but upcall_pending is still 1
  EXPECT_EQ(a->vcpu_info[0].evtchn_pending_sel, 1U);
  a->linux_upcall(0);
  ASSERT_EQ(send(*a, p2, &up), 0);
  EXPECT_TRUE(up.raise);
}

TEST_F(EvtchnTest, MaskedDeliveryThenUnmask) {
  u32 p = ipi(*a, 1);
  a->mask(p);
  Upcall up;
  ASSERT_EQ(send(*a, p, &up), 0);
  EXPECT_TRUE(a->pending(p));
  EXPECT_FALSE(up.raise);
  EXPECT_EQ(a->vcpu_info[1].evtchn_pending_sel, 0U);
  EXPECT_EQ(a->vcpu_info[1].evtchn_upcall_pending, 0);
  EXPECT_TRUE(a->linux_upcall(1).empty());
  ASSERT_EQ(unmask(*a, p, &up), 0);
  EXPECT_FALSE(a->masked(p));
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.vcpu, 1U);
  EXPECT_EQ(a->vcpu_info[1].evtchn_pending_sel, 1U);
  EXPECT_EQ(a->linux_upcall(1), std::vector<u32>{p});
  // Unmasking a port already unmasked, or masked but not pending, notifies nobody.
  ASSERT_EQ(unmask(*a, p, &up), 0);
  EXPECT_FALSE(up.raise);
  a->mask(p);
  ASSERT_EQ(unmask(*a, p, &up), 0);
  EXPECT_FALSE(up.raise);
  EXPECT_FALSE(a->masked(p));
}

TEST_F(EvtchnTest, UnmaskEdgeCases) {
  EXPECT_EQ(unmask(*a, 4096), error(Errno::einval));
  a->mask(7);  // a free port: Xen succeeds and leaves the mask bit
  EXPECT_EQ(unmask(*a, 7), 0);
  EXPECT_TRUE(a->masked(7));
  a->mask(0);
  EXPECT_EQ(unmask(*a, 0), 0);
  EXPECT_TRUE(a->masked(0));
}

TEST_F(EvtchnTest, UnmaskNotifiesTheBoundVcpu) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  ASSERT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{pa, 3}), 0);
  a->mask(pa);
  ASSERT_EQ(send(*b, pb), 0);
  EXPECT_EQ(a->vcpu_info[3].evtchn_upcall_pending, 0);
  Upcall up;
  ASSERT_EQ(unmask(*a, pa, &up), 0);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.domain, xen::domid(1));
  EXPECT_EQ(up.vcpu, 3U);
  EXPECT_EQ(a->linux_upcall(3), std::vector<u32>{pa});
}

TEST_F(EvtchnTest, LinuxMasksEverythingThenUnmasksWhatItBinds) {
  a->mask_all();  // what Linux's 2-level init does
  u32 p = ipi(*a, 0);
  ASSERT_EQ(send(*a, p), 0);
  EXPECT_EQ(a->vcpu_info[0].evtchn_upcall_pending, 0);
  Upcall up;
  ASSERT_EQ(unmask(*a, p, &up), 0);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(a->linux_upcall(0), std::vector<u32>{p});
}

TEST_F(EvtchnTest, VcpuInfoDefaultsToSharedInfoForVcpu0Only) {
  Guest g(3, 2);
  evtchn_set_vcpu_info(g.ev, 0, nullptr);
  evtchn_set_vcpu_info(g.ev, 1, nullptr);
  dir.domains[3] = &g.ev;
  EXPECT_EQ(evtchn_vcpu_info(g.ev, 0), &g.shared.vcpu_info_[0]);
  EXPECT_EQ(evtchn_vcpu_info(g.ev, 1), nullptr);
  u32 p0 = ipi(g, 0);
  u32 p1 = ipi(g, 1);
  Upcall up;
  ASSERT_EQ(evtchn_send(dir, g.ev, xen::evtchn_send{p0}, up), 0);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(g.shared.vcpu_info_[0].evtchn_upcall_pending, 1);
  EXPECT_EQ(g.shared.vcpu_info_[0].evtchn_pending_sel, 1U);
  up = {};
  ASSERT_EQ(evtchn_send(dir, g.ev, xen::evtchn_send{p1}, up), 0);
  EXPECT_FALSE(up.raise);  // vCPU 1 has nowhere to be told yet; the port is pending
  EXPECT_TRUE(g.pending(p1));
  // After registration (the hypervisor sets sel = ~0, upcall = 1) Linux finds it.
  evtchn_set_vcpu_info(g.ev, 1, &g.vcpu_info[1]);
  g.vcpu_info[1].evtchn_pending_sel = ~u64{0};
  g.vcpu_info[1].evtchn_upcall_pending = 1;
  g.shared.evtchn_mask[0] |= u64{1} << p0;  // vCPU 0's port is not vCPU 1's to handle here
  EXPECT_EQ(g.linux_upcall(1), std::vector<u32>{p1});
}

TEST_F(EvtchnTest, UnregisteredVcpuInfoIsNoLongerWritten) {
  const u32 p = ipi(*a, 1);
  evtchn_set_vcpu_info(a->ev, 1, nullptr);  // vCPU teardown, before its frame is unpinned
  Upcall up;
  ASSERT_EQ(send(*a, p, &up), 0);
  EXPECT_FALSE(up.raise);
  EXPECT_EQ(a->vcpu_info[1].evtchn_pending_sel, 0U);
  EXPECT_EQ(a->vcpu_info[1].evtchn_upcall_pending, 0);
  EXPECT_TRUE(a->pending(p));
}

TEST_F(EvtchnTest, NoSharedInfoMeansNoDelivery) {
  EvtchnDomain d;
  evtchn_init(d, xen::domid(4), 1, nullptr, nullptr);
  xen::evtchn_bind_ipi arg{0, 0};
  ASSERT_EQ(evtchn_bind_ipi(d, arg), 0);
  Upcall up;
  EXPECT_EQ(evtchn_send(dir, d, xen::evtchn_send{arg.port}, up), 0);
  EXPECT_FALSE(up.raise);
  EXPECT_FALSE(evtchn_is_pending(d, arg.port));
  EXPECT_TRUE(evtchn_is_masked(d, arg.port));
}

// ---- VIRQs

TEST_F(EvtchnTest, BindVirqPerVcpuOncePerVcpu) {
  u32 p0 = 0;
  u32 p1 = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::debug, 0, &p0), 0);
  ASSERT_EQ(bind_virq(*a, xen::virq::debug, 1, &p1), 0);
  EXPECT_NE(p0, p1);
  EXPECT_EQ(bind_virq(*a, xen::virq::debug, 1), error(Errno::eexist));
  auto st = status(*a, p1);
  EXPECT_EQ(st.status, static_cast<u32>(EvtchnStat::virq));
  EXPECT_EQ(st.u.virq, xen::virq::debug);
  EXPECT_EQ(st.vcpu, 1U);
  // Per-vCPU VIRQs cannot move.
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{p1, 2}), error(Errno::einval));
}

TEST_F(EvtchnTest, BindVirqErrors) {
  EXPECT_EQ(bind_virq(*a, xen::virq::count, 0), error(Errno::einval));
  EXPECT_EQ(bind_virq(*a, ~0U, 0), error(Errno::einval));
  EXPECT_EQ(bind_virq(*a, xen::virq::argo, 1), error(Errno::einval));     // domain VIRQ: vCPU 0 only
  EXPECT_EQ(bind_virq(*a, xen::virq::console, 1), error(Errno::einval));  // global: vCPU 0 only
  EXPECT_EQ(bind_virq(*a, xen::virq::timer, 4), error(Errno::enoent));
  EXPECT_EQ(bind_virq(*a, xen::virq::timer, ~0U), error(Errno::enoent));
  // Global VIRQs belong to their handler domain (the hardware domain, and there is none).
  EXPECT_EQ(bind_virq(*a, xen::virq::console, 0), error(Errno::ebusy));
  EXPECT_EQ(bind_virq(*a, xen::virq::arch_0, 0), error(Errno::ebusy));
  EXPECT_EQ(bind_virq(*a, 5, 0), error(Errno::ebusy));  // unnamed numbers are global
  a->ev.global_virqs = u32{1} << xen::virq::console;
  u32 p = 0;
  EXPECT_EQ(bind_virq(*a, xen::virq::console, 0, &p), 0);
  EXPECT_EQ(p, 1U);
}

TEST_F(EvtchnTest, VirqRebindingAfterClose) {
  u32 p = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::argo, 0, &p), 0);
  EXPECT_EQ(bind_virq(*a, xen::virq::argo, 0), error(Errno::eexist));
  // A domain VIRQ may move to another vCPU; raising follows it.
  ASSERT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{p, 2}), 0);
  Upcall up = evtchn_raise_virq(a->ev, 0, xen::virq::argo);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.vcpu, 2U);
  EXPECT_EQ(a->linux_upcall(2), std::vector<u32>{p});
  ASSERT_EQ(close(*a, p), 0);
  EXPECT_FALSE(evtchn_raise_virq(a->ev, 0, xen::virq::argo).raise);
  u32 q = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::argo, 0, &q), 0);
  EXPECT_EQ(q, p);
  EXPECT_EQ(status(*a, q).vcpu, 0U);
}

TEST_F(EvtchnTest, RaiseVirqPerVcpu) {
  u32 p0 = 0;
  u32 p3 = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::timer, 0, &p0), 0);
  ASSERT_EQ(bind_virq(*a, xen::virq::timer, 3, &p3), 0);
  Upcall up = evtchn_raise_virq(a->ev, 3, xen::virq::timer);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.domain, xen::domid(1));
  EXPECT_EQ(up.vcpu, 3U);
  EXPECT_TRUE(a->pending(p3));
  EXPECT_FALSE(a->pending(p0));
  EXPECT_EQ(a->linux_upcall(3), std::vector<u32>{p3});
  EXPECT_FALSE(evtchn_raise_virq(a->ev, 1, xen::virq::timer).raise);  // not bound on vCPU 1
  EXPECT_FALSE(a->pending(p0));
  EXPECT_FALSE(evtchn_raise_virq(a->ev, 0, xen::virq::debug).raise);
  EXPECT_FALSE(evtchn_raise_virq(a->ev, 99, 0).raise);
  EXPECT_FALSE(evtchn_raise_virq(a->ev, 0, 99).raise);
}

TEST_F(EvtchnTest, RaiseGlobalVirqToItsHandler) {
  a->ev.global_virqs = u32{1} << xen::virq::console;
  u32 p = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::console, 0, &p), 0);
  ASSERT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{p, 1}), 0);
  Upcall up = evtchn_raise_virq(a->ev, 3, xen::virq::console);  // vcpu ignored for a global VIRQ
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.vcpu, 1U);
  EXPECT_EQ(a->linux_upcall(1), std::vector<u32>{p});
}

// ---- status, bind_vcpu

TEST_F(EvtchnTest, StatusOfEveryStateAndErrors) {
  auto st = status(*a, 0);
  EXPECT_EQ(st.status, static_cast<u32>(EvtchnStat::closed));
  EXPECT_EQ(status(*a, 4095).status, static_cast<u32>(EvtchnStat::closed));
  status(*a, 4096, error(Errno::einval));
  status(*a, 1, error(Errno::esrch), 9);
  status(*a, 1, error(Errno::eperm), 2);
  status(*a, 5000, error(Errno::einval), 2);  // Xen checks the port before the permission
  EXPECT_EQ(status(*a, 1, 0, 1).status, static_cast<u32>(EvtchnStat::closed));
}

TEST_F(EvtchnTest, StatusLeavesTheUnfilledFieldsAsPassed) {
  const u32 p = ipi(*a, 1);
  xen::evtchn_status st{};
  st.dom = kSelf;
  st.port = p;
  st.u.virq = 0x1234'5678;
  ASSERT_EQ(evtchn_status(dir, a->ev, st), 0);
  EXPECT_EQ(st.status, static_cast<u32>(EvtchnStat::ipi));
  EXPECT_EQ(st.vcpu, 1U);
  EXPECT_EQ(st.u.virq, 0x1234'5678U);
}

TEST_F(EvtchnTest, BindVcpuRules) {
  u32 pa = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &pa), 0);
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{pa, 4}), error(Errno::enoent));
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{4096, 4}), error(Errno::enoent));  // vCPU first
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{4096, 1}), error(Errno::einval));
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{0, 1}), error(Errno::einval));
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{pa + 1, 1}), error(Errno::einval));
  const u32 i = ipi(*a, 2);
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{i, 1}), error(Errno::einval));
  EXPECT_EQ(evtchn_bind_vcpu(a->ev, xen::evtchn_bind_vcpu{pa, 1}), 0);
  EXPECT_EQ(status(*a, pa).vcpu, 1U);
}

TEST_F(EvtchnTest, InterdomainEventFollowsBindVcpu) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  ASSERT_EQ(evtchn_bind_vcpu(b->ev, xen::evtchn_bind_vcpu{pb, 1}), 0);
  Upcall up;
  ASSERT_EQ(send(*a, pa, &up), 0);
  EXPECT_TRUE(up.raise);
  EXPECT_EQ(up.domain, xen::domid(2));
  EXPECT_EQ(up.vcpu, 1U);
  EXPECT_TRUE(b->linux_upcall(0).empty());
  EXPECT_EQ(b->linux_upcall(1), std::vector<u32>{pb});
}

// ---- reset, FIFO, PIRQ, dispatcher

TEST_F(EvtchnTest, ResetClosesEveryPortOfTheCaller) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  u32 v = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::debug, 2, &v), 0);
  const u32 i = ipi(*a, 0);
  ASSERT_EQ(send(*a, i), 0);
  EXPECT_EQ(evtchn_reset(dir, a->ev, xen::evtchn_reset{9}, false), error(Errno::esrch));
  EXPECT_EQ(evtchn_reset(dir, a->ev, xen::evtchn_reset{2}, false), error(Errno::eperm));
  EXPECT_EQ(evtchn_reset(dir, a->ev, xen::evtchn_reset{kSelf}, true), error(Errno::ebusy));
  ASSERT_EQ(evtchn_reset(dir, a->ev, xen::evtchn_reset{kSelf}, false), 0);
  for (u32 p : {pa, v, i}) {
    EXPECT_EQ(status(*a, p).status, static_cast<u32>(EvtchnStat::closed)) << p;
    EXPECT_FALSE(a->pending(p));
  }
  EXPECT_EQ(status(*a, 0).status, static_cast<u32>(EvtchnStat::closed));
  EXPECT_EQ(close(*a, 0), error(Errno::einval));  // port 0 stays reserved
  EXPECT_EQ(status(*b, pb).status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(bind_virq(*a, xen::virq::debug, 2), 0);  // the VIRQ is free again
  u32 first = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &first), 0);
  EXPECT_EQ(first, 2U);  // port 1 went to the VIRQ just now
}

TEST_F(EvtchnTest, DestroyUnbindsThePeers) {
  u32 pa = 0;
  u32 pb = 0;
  connect(pa, pb);
  evtchn_destroy(dir, a->ev);
  EXPECT_EQ(status(*b, pb).status, static_cast<u32>(EvtchnStat::unbound));
  EXPECT_EQ(alloc_unbound(*a, kSelf, 2), error(Errno::einval));
  Upcall up;
  EXPECT_EQ(send(*b, pb, &up), 0);
  EXPECT_FALSE(up.raise);
}

TEST_F(EvtchnTest, NoFifoNoPirqNoPriorities) {
  xen::evtchn_init_control ic{0x1234, 0, 0, 0xAA, {}};
  EXPECT_EQ(evtchn_init_control(a->ev, ic), error(Errno::eopnotsupp));
  EXPECT_EQ(ic.link_bits, 0xAA);
  EXPECT_EQ(evtchn_expand_array(a->ev, xen::evtchn_expand_array{0x1234}), error(Errno::eopnotsupp));
  xen::evtchn_bind_pirq bp{1, 0, 0};
  EXPECT_EQ(evtchn_bind_pirq(a->ev, bp), error(Errno::eopnotsupp));
  EXPECT_EQ(evtchn_set_priority(a->ev, xen::evtchn_set_priority{4096, 0}), error(Errno::einval));
  EXPECT_EQ(evtchn_set_priority(a->ev, xen::evtchn_set_priority{1, 0}), error(Errno::enosys));
}

TEST_F(EvtchnTest, DispatcherRunsOpsAndCopiesBackOnSuccessOnly) {
  Upcall up;
  alignas(8) u8 buf[24] = {};
  xen::evtchn_alloc_unbound au{kSelf, 2, 0};
  std::memcpy(buf, &au, sizeof au);
  ASSERT_EQ(evtchn_op(dir, a->ev, 6, buf, up), 0);
  std::memcpy(&au, buf, sizeof au);
  EXPECT_EQ(au.port, 1U);
  xen::evtchn_bind_interdomain bi{1, 0, au.port, 0};
  std::memcpy(buf, &bi, sizeof bi);
  ASSERT_EQ(evtchn_op(dir, b->ev, 0, buf, up), 0);
  std::memcpy(&bi, buf, sizeof bi);
  EXPECT_EQ(bi.local_port, 1U);
  EXPECT_TRUE(up.raise);
  b->linux_upcall(0);  // the bind's own event
  xen::evtchn_send s{au.port};
  std::memcpy(buf, &s, sizeof s);
  up = {};
  ASSERT_EQ(evtchn_op(dir, a->ev, 4, buf, up), 0);
  EXPECT_EQ(up.domain, xen::domid(2));
  // A failed op leaves the buffer as it was.
  xen::evtchn_bind_virq bv{xen::virq::console, 0, 0x5555};
  std::memcpy(buf, &bv, sizeof bv);
  EXPECT_EQ(evtchn_op(dir, a->ev, 1, buf, up), error(Errno::ebusy));
  std::memcpy(&bv, buf, sizeof bv);
  EXPECT_EQ(bv.port, 0x5555U);
  xen::evtchn_reset r{kSelf};
  std::memcpy(buf, &r, sizeof r);
  EXPECT_EQ(evtchn_op(dir, a->ev, 14, buf, up), error(Errno::ebusy));
  EXPECT_EQ(evtchn_op(dir, a->ev, 10, buf, up), 0);
  EXPECT_EQ(evtchn_op(dir, a->ev, 11, buf, up), error(Errno::eopnotsupp));
  EXPECT_EQ(evtchn_op(dir, a->ev, 15, buf, up), error(Errno::enosys));
  EXPECT_EQ(evtchn_op(dir, a->ev, ~0U, buf, up), error(Errno::enosys));
}

// ---- Refusals change nothing

// Every refused EVTCHNOP, through the dispatcher as the hypercall reaches it, against Xen's error
// (xen/common/event_channel.c): ports out of range (0, above max_port, ~0), free and reserved
// ports, double binds, closes of ports never bound, other domains' tables, bad vCPUs and VIRQs.
// Each leaves both domains' port tables, shared_info and vcpu_info byte for byte as they were.
TEST_F(EvtchnTest, RefusalsGetXensErrorAndChangeNothing) {
  a->ev.max_port = 1023;  // what the hypervisor gives a domU
  b->ev.max_port = 1023;
  u32 unbound = 0;
  u32 pa = 0;
  u32 pb = 0;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2, &unbound), 0);  // a:1, offered to d2
  connect(pa, pb);                                      // a:2 <-> b:1
  const u32 ipi1 = ipi(*a, 1);                          // a:3
  u32 timer0 = 0;
  ASSERT_EQ(bind_virq(*a, xen::virq::timer, 0, &timer0), 0);  // a:4
  u32 timer_b = 0;
  ASSERT_EQ(bind_virq(*b, xen::virq::timer, 1, &timer_b), 0);
  ASSERT_EQ(send(*b, pb), 0);  // something pending, something masked
  a->mask(ipi1);
  ASSERT_EQ(send(*a, ipi1), 0);
  constexpr u32 kFree = 100;
  constexpr u32 kAbove = 1024;
  constexpr u32 kAll = ~0U;

  const auto bytes = [](const auto& x) {
    const auto* p = reinterpret_cast<const u8*>(&x);
    return std::vector<u8>(p, p + sizeof x);
  };
  const auto snapshot = [&] {
    std::vector<u8> all;
    for (Guest* g : {a.get(), b.get()}) {
      for (const auto& part : {bytes(g->ev), bytes(g->shared), bytes(g->vcpu_info)}) {
        all.insert(all.end(), part.begin(), part.end());
      }
    }
    return all;
  };
  const std::vector<u8> before = snapshot();

  struct Call {
    const char* what;
    Guest* caller;
    xen::EvtchnOp cmd;
    std::vector<u8> arg;
    Errno expected;
  };
  const u16 d9 = 9;  // no such domain
  const std::vector<Call> calls = {
      {"close port 0 (reserved)", a.get(), xen::EvtchnOp::close, bytes(xen::evtchn_close{0}), Errno::einval},
      {"close a free port", a.get(), xen::EvtchnOp::close, bytes(xen::evtchn_close{kFree}), Errno::einval},
      {"close above max_port", a.get(), xen::EvtchnOp::close, bytes(xen::evtchn_close{kAbove}), Errno::einval},
      {"close port ~0", a.get(), xen::EvtchnOp::close, bytes(xen::evtchn_close{kAll}), Errno::einval},
      {"send on port 0", a.get(), xen::EvtchnOp::send, bytes(xen::evtchn_send{0}), Errno::einval},
      {"send on a free port", a.get(), xen::EvtchnOp::send, bytes(xen::evtchn_send{kFree}), Errno::einval},
      {"send above max_port", a.get(), xen::EvtchnOp::send, bytes(xen::evtchn_send{kAbove}), Errno::einval},
      {"send on a VIRQ", a.get(), xen::EvtchnOp::send, bytes(xen::evtchn_send{timer0}), Errno::einval},
      {"unmask above max_port", a.get(), xen::EvtchnOp::unmask, bytes(xen::evtchn_unmask{kAbove}), Errno::einval},
      {"unmask port ~0", a.get(), xen::EvtchnOp::unmask, bytes(xen::evtchn_unmask{kAll}), Errno::einval},
      {"bind to no domain", b.get(), xen::EvtchnOp::bind_interdomain,
       bytes(xen::evtchn_bind_interdomain{d9, 0, unbound, 0}), Errno::esrch},
      {"bind to port 0", b.get(), xen::EvtchnOp::bind_interdomain, bytes(xen::evtchn_bind_interdomain{1, 0, 0, 0}),
       Errno::einval},
      {"bind above max_port", b.get(), xen::EvtchnOp::bind_interdomain,
       bytes(xen::evtchn_bind_interdomain{1, 0, kAbove, 0}), Errno::einval},
      {"bind to a free port", b.get(), xen::EvtchnOp::bind_interdomain,
       bytes(xen::evtchn_bind_interdomain{1, 0, kFree, 0}), Errno::einval},
      {"bind twice (connected)", b.get(), xen::EvtchnOp::bind_interdomain,
       bytes(xen::evtchn_bind_interdomain{1, 0, pa, 0}), Errno::einval},
      {"bind to a port offered to another", a.get(), xen::EvtchnOp::bind_interdomain,
       bytes(xen::evtchn_bind_interdomain{kSelf, 0, unbound, 0}), Errno::einval},
      {"bind to an IPI", b.get(), xen::EvtchnOp::bind_interdomain, bytes(xen::evtchn_bind_interdomain{1, 0, ipi1, 0}),
       Errno::einval},
      {"bind to a VIRQ", b.get(), xen::EvtchnOp::bind_interdomain, bytes(xen::evtchn_bind_interdomain{1, 0, timer0, 0}),
       Errno::einval},
      {"bind a VIRQ twice", a.get(), xen::EvtchnOp::bind_virq, bytes(xen::evtchn_bind_virq{xen::virq::timer, 0, 0}),
       Errno::eexist},
      {"bind VIRQ count", a.get(), xen::EvtchnOp::bind_virq, bytes(xen::evtchn_bind_virq{xen::virq::count, 0, 0}),
       Errno::einval},
      {"bind VIRQ ~0", a.get(), xen::EvtchnOp::bind_virq, bytes(xen::evtchn_bind_virq{kAll, 0, 0}), Errno::einval},
      {"bind a VIRQ on no vCPU", a.get(), xen::EvtchnOp::bind_virq,
       bytes(xen::evtchn_bind_virq{xen::virq::timer, 4, 0}), Errno::enoent},
      {"bind a global VIRQ", a.get(), xen::EvtchnOp::bind_virq, bytes(xen::evtchn_bind_virq{xen::virq::console, 0, 0}),
       Errno::ebusy},
      {"bind an IPI on no vCPU", a.get(), xen::EvtchnOp::bind_ipi, bytes(xen::evtchn_bind_ipi{4, 0}), Errno::enoent},
      {"bind an IPI on vCPU ~0", a.get(), xen::EvtchnOp::bind_ipi, bytes(xen::evtchn_bind_ipi{kAll, 0}), Errno::enoent},
      {"bind_pirq (no PIRQs on Arm)", a.get(), xen::EvtchnOp::bind_pirq, bytes(xen::evtchn_bind_pirq{1, 0, 0}),
       Errno::eopnotsupp},
      {"bind_vcpu to no vCPU", a.get(), xen::EvtchnOp::bind_vcpu, bytes(xen::evtchn_bind_vcpu{unbound, 9}),
       Errno::enoent},
      {"bind_vcpu above max_port", a.get(), xen::EvtchnOp::bind_vcpu, bytes(xen::evtchn_bind_vcpu{kAbove, 1}),
       Errno::einval},
      {"bind_vcpu a free port", a.get(), xen::EvtchnOp::bind_vcpu, bytes(xen::evtchn_bind_vcpu{kFree, 1}),
       Errno::einval},
      {"bind_vcpu an IPI", a.get(), xen::EvtchnOp::bind_vcpu, bytes(xen::evtchn_bind_vcpu{ipi1, 2}), Errno::einval},
      {"bind_vcpu a per-vCPU VIRQ", a.get(), xen::EvtchnOp::bind_vcpu, bytes(xen::evtchn_bind_vcpu{timer0, 1}),
       Errno::einval},
      {"alloc_unbound in another domain", a.get(), xen::EvtchnOp::alloc_unbound,
       bytes(xen::evtchn_alloc_unbound{2, kSelf, 0}), Errno::eperm},
      {"alloc_unbound in no domain", a.get(), xen::EvtchnOp::alloc_unbound,
       bytes(xen::evtchn_alloc_unbound{d9, kSelf, 0}), Errno::esrch},
      {"status above max_port", a.get(), xen::EvtchnOp::status, bytes(xen::evtchn_status{kSelf, 0, kAbove, 0, 0, {}}),
       Errno::einval},
      {"status of another domain", a.get(), xen::EvtchnOp::status, bytes(xen::evtchn_status{2, 0, 1, 0, 0, {}}),
       Errno::eperm},
      {"reset another domain", a.get(), xen::EvtchnOp::reset, bytes(xen::evtchn_reset{2}), Errno::eperm},
      {"reset no domain", a.get(), xen::EvtchnOp::reset, bytes(xen::evtchn_reset{d9}), Errno::esrch},
      {"reset_cont with no reset running", a.get(), xen::EvtchnOp::reset_cont, bytes(xen::evtchn_reset{kSelf}),
       Errno::ebusy},
      {"set_priority above max_port", a.get(), xen::EvtchnOp::set_priority, bytes(xen::evtchn_set_priority{kAbove, 0}),
       Errno::einval},
      {"set_priority (2-level ABI)", a.get(), xen::EvtchnOp::set_priority, bytes(xen::evtchn_set_priority{pa, 0}),
       Errno::enosys},
      {"init_control (no FIFO ABI)", a.get(), xen::EvtchnOp::init_control, std::vector<u8>(16), Errno::eopnotsupp},
      {"expand_array (no FIFO ABI)", a.get(), xen::EvtchnOp::expand_array, std::vector<u8>(8), Errno::eopnotsupp},
      {"unknown command 15", a.get(), static_cast<xen::EvtchnOp>(15), std::vector<u8>(8), Errno::enosys},
  };
  for (const Call& c : calls) {
    alignas(8) u8 buf[64] = {};
    ASSERT_LE(c.arg.size(), sizeof buf);
    std::memcpy(buf, c.arg.data(), c.arg.size());
    Upcall up;
    EXPECT_EQ(evtchn_op(dir, c.caller->ev, static_cast<u32>(c.cmd), buf, up), error(c.expected)) << c.what;
    EXPECT_FALSE(up.raise) << c.what;
    EXPECT_TRUE(snapshot() == before) << c.what << ": the refusal changed event-channel state";
    EXPECT_EQ(std::memcmp(buf, c.arg.data(), c.arg.size()), 0) << c.what << ": the argument was written";
  }
  // The control: closing the unbound port is allowed (Xen frees an ECS_UNBOUND port), and the
  // snapshot sees it; a second close is a close of a free port.
  EXPECT_EQ(close(*a, unbound), 0);
  EXPECT_FALSE(snapshot() == before);
  EXPECT_EQ(status(*a, unbound).status, static_cast<u32>(EvtchnStat::closed));
  EXPECT_EQ(close(*a, unbound), error(Errno::einval));
}

// ---- Linux's handler consumes exactly what was sent

TEST_F(EvtchnTest, LinuxHandlerConsumesExactlyWhatWasSent) {
  a->mask_all();
  std::vector<u32> ipis;
  for (u32 i = 0; i < 300; ++i) {
    ipis.push_back(ipi(*a, i % 4));
    a->bind_to_cpu(ipis.back(), i % 4);
  }
  for (u32 p : ipis) {
    Upcall up;
    ASSERT_EQ(unmask(*a, p, &up), 0);
    EXPECT_FALSE(up.raise);
  }
  std::set<u32> sent[4];
  std::set<u32> raised;
  u64 x = 0x9e37'79b9'7f4a'7c15;
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 40; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const u32 p = ipis[x % ipis.size()];
      Upcall up;
      ASSERT_EQ(send(*a, p, &up), 0);
      sent[(p - 1) % 4].insert(p);
      if (up.raise) {
        EXPECT_TRUE(raised.insert(up.vcpu).second) << "raised twice before the handler ran";
      }
    }
    for (u32 v = 0; v < 4; ++v) {
      const bool was_raised = raised.count(v) != 0;
      EXPECT_EQ(was_raised, !sent[v].empty()) << v;
      const auto got = a->linux_upcall(v);
      EXPECT_EQ(std::set<u32>(got.begin(), got.end()), sent[v]) << "vCPU " << v << " round " << round;
      EXPECT_EQ(got.size(), sent[v].size());
      sent[v].clear();
    }
    raised.clear();
  }
  for (u64 w : a->shared.evtchn_pending) {
    EXPECT_EQ(w, 0U);
  }
}

TEST_F(EvtchnTest, GuestFloodIsRateLimited) {
  CapturedLog log;
  a->ev.max_port = 1;
  ASSERT_EQ(alloc_unbound(*a, kSelf, 2), 0);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(alloc_unbound(*a, kSelf, 2), error(Errno::enospc));
  }
  EXPECT_LT(log.lines.size(), 100U);
  EXPECT_GE(log.lines.size(), 64U);
}

}  // namespace
}  // namespace runhv
