// Xen guest ABI (Arm64): hypercall numbers, sub-ops, error codes and shared structures
// SPDX-License-Identifier: MIT
//
// Facts from xen/include/public/{xen,vcpu,version,sched,memory,features,errno}.h and
// xen/include/public/arch-arm.h; layouts are the AArch64 ones (AAPCS64, little endian) and are
// pinned below with static_assert so a mistake cannot compile.
#pragma once

#include "core/types.hpp"

namespace runhv::xen {

// ---- Calling convention: HVC #0xEA1, number in x16, arguments in x0..x4, result in x0.
inline constexpr u32 kHypercallTag = 0xEA1;

enum class Hypercall : u64 {
  memory_op = 12,
  multicall = 13,
  xen_version = 17,
  console_io = 18,
  grant_table_op = 20,
  vm_assist = 21,
  vcpu_op = 24,
  sched_op = 29,
  event_channel_op = 32,
  physdev_op = 33,
  hvm_op = 34,
};

// Error codes (xen/include/public/errno.h). Named in lower case so that host <errno.h>
// macros cannot collide with them. Hypercalls return the negated value.
enum class Errno : i32 {
  eperm = 1,
  enoent = 2,
  esrch = 3,
  eio = 5,
  enxio = 6,
  eagain = 11,
  enomem = 12,
  eacces = 13,
  efault = 14,
  ebusy = 16,
  eexist = 17,
  enodev = 19,
  einval = 22,
  enospc = 28,
  enosys = 38,
  etime = 62,
  erestart = 85,  // internal: the hypercall is re-executed (continuation), never seen by a guest
  eopnotsupp = 95,
};
constexpr long error(Errno e) { return -static_cast<long>(e); }

enum class XenVer : u32 {
  version = 0,
  extraversion = 1,
  compile_info = 2,
  capabilities = 3,
  changeset = 4,
  platform_parameters = 5,
  get_features = 6,
  pagesize = 7,
  guest_handle = 8,
  commandline = 9,
  build_id = 10,
};

enum class SchedOp : u32 { yield = 0, block = 1, shutdown = 2, poll = 3, remote_shutdown = 4, shutdown_code = 5 };
enum class ShutdownReason : u32 { poweroff = 0, reboot = 1, suspend = 2, crash = 3, watchdog = 4, soft_reset = 5 };

enum class VcpuOp : u32 {
  initialise = 0,
  up = 1,
  down = 2,
  is_up = 3,
  get_runstate_info = 4,
  register_runstate_memory_area = 5,
  set_periodic_timer = 6,
  stop_periodic_timer = 7,
  set_singleshot_timer = 8,
  stop_singleshot_timer = 9,
  register_vcpu_info = 10,
  send_nmi = 11,
  get_physid = 12,
  register_vcpu_time_memory_area = 13,
  register_runstate_phys_area = 14,
  register_vcpu_time_phys_area = 15,
};

enum class ConsoleIo : u32 { write = 0, read = 1 };
enum class MemoryOp : u32 {
  decrease_reservation = 1,
  populate_physmap = 6,
  add_to_physmap = 7,
  remove_from_physmap = 15
};
enum class MapSpace : u32 {
  shared_info = 0,
  grant_table = 1,
  gmfn = 2,
  gmfn_range = 3,
  gmfn_foreign = 4,
  dev_mmio = 5
};

// vm_assist(cmd, type)
enum class VmAssistCmd : u32 { enable = 0, disable = 1 };
inline constexpr u32 kVmAssistRunstateUpdateFlag = 5;  // the only type valid on Arm

// XENFEAT_* bit numbers (features.h), submap 0.
namespace feat {
inline constexpr u32 writable_page_tables = 0;
inline constexpr u32 auto_translated_physmap = 2;
inline constexpr u32 memory_op_vnode_supported = 13;
inline constexpr u32 arm_smccc_supported = 14;
inline constexpr u32 not_direct_mapped = 16;
inline constexpr u32 runstate_phys_area = 18;
inline constexpr u32 vcpu_time_phys_area = 19;
}  // namespace feat

// Domain ids (xen.h).
enum class DomId : u16 {
  self = 0x7FF0,
  io = 0x7FF1,
  xen = 0x7FF2,  // pages owned by the hypervisor itself
  cow = 0x7FF3,
  invalid = 0x7FF4,  // used here for free pages
  idle = 0x7FFF,
};
constexpr DomId domid(u16 n) { return static_cast<DomId>(n); }

// ---- Runstate (vcpu.h)
enum class RunstateState : i32 { running = 0, runnable = 1, blocked = 2, offline = 3 };
inline constexpr unsigned kRunstateCount = 4;
inline constexpr u64 kRunstateUpdate = u64{1} << 63;  // XEN_RUNSTATE_UPDATE, in state_entry_time

struct vcpu_runstate_info {
  i32 state;
  u32 pad_;  // implicit padding in the C header, made explicit
  u64 state_entry_time;
  u64 time[kRunstateCount];
};
static_assert(sizeof(vcpu_runstate_info) == 48);
static_assert(alignof(vcpu_runstate_info) == 8);
static_assert(offsetof(vcpu_runstate_info, state) == 0);
static_assert(offsetof(vcpu_runstate_info, state_entry_time) == 8);
static_assert(offsetof(vcpu_runstate_info, time) == 16);
// XEN_RUNSTATE_UPDATE is bit 7 of this byte of the area (little endian, bit 63 of the u64 at 8).
inline constexpr unsigned kRunstateUpdateByte = 15;

// VCPUOP_register_runstate_memory_area / _phys_area argument: addr.v (guest VA) or addr.p (GPA).
struct vcpu_register_runstate_memory_area {
  u64 addr;
};
static_assert(sizeof(vcpu_register_runstate_memory_area) == 8);
inline constexpr u64 kPhysAreaUnregister = ~u64{0};  // addr.p == ~0 drops a phys area

struct vcpu_register_vcpu_info {
  u64 mfn;  // a guest frame number (IPA >> 12) on Arm
  u32 offset;
  u32 rsvd;
};
static_assert(sizeof(vcpu_register_vcpu_info) == 16);
static_assert(offsetof(vcpu_register_vcpu_info, offset) == 8);

struct vcpu_time_info {
  u32 version;
  u32 pad0;
  u64 tsc_timestamp;
  u64 system_time;
  u32 tsc_to_system_mul;
  i8 tsc_shift;
  u8 flags;
  u8 pad1[2];
};
static_assert(sizeof(vcpu_time_info) == 32);
static_assert(offsetof(vcpu_time_info, tsc_to_system_mul) == 24);
static_assert(offsetof(vcpu_time_info, tsc_shift) == 28);

// Arm has no upcall mask and an empty arch_vcpu_info: the C++ type omits that member, since an
// empty member would occupy a byte and shift `time` to offset 24.
struct vcpu_info {
  u8 evtchn_upcall_pending;
  u8 pad0;
  u8 pad_[6];
  u64 evtchn_pending_sel;
  vcpu_time_info time;
};
static_assert(sizeof(vcpu_info) == 48);
static_assert(offsetof(vcpu_info, evtchn_pending_sel) == 8);
static_assert(offsetof(vcpu_info, time) == 16);

inline constexpr unsigned kLegacyMaxVcpus = 1;  // XEN_LEGACY_MAX_VCPUS on Arm

struct shared_info {
  vcpu_info vcpu_info_[kLegacyMaxVcpus];
  u64 evtchn_pending[64];
  u64 evtchn_mask[64];
  u32 wc_version;
  u32 wc_sec;
  u32 wc_nsec;
  u32 wc_sec_hi;
};
static_assert(sizeof(shared_info) == 1088);
static_assert(offsetof(shared_info, evtchn_pending) == 48);
static_assert(offsetof(shared_info, evtchn_mask) == 560);
static_assert(offsetof(shared_info, wc_version) == 1072);
static_assert(offsetof(shared_info, wc_sec_hi) == 1084);

// ---- grant_table_op (public/grant_table.h): the calls a guest makes to set its table up.
enum class GnttabOp : u32 { setup_table = 2, query_size = 6, set_version = 8, get_version = 10 };
enum class GnttabStatus : i16 { okay = 0, general_error = -1, bad_domain = -2, permission_denied = -8 };
inline constexpr u64 kMapIdxGrantTableStatus = u64{1} << 31;  // XENMAPIDX_grant_table_status
struct gnttab_query_size {
  u16 dom;  // IN
  u16 pad_;
  u32 nr_frames;      // OUT
  u32 max_nr_frames;  // OUT
  i16 status;         // OUT
  u16 pad1_;
};
static_assert(sizeof(gnttab_query_size) == 16);
static_assert(offsetof(gnttab_query_size, status) == 12);
struct gnttab_set_version {
  u32 version;  // IN/OUT
};
struct gnttab_get_version {
  u16 dom;  // IN
  u16 pad_;
  u32 version;  // OUT
};
static_assert(sizeof(gnttab_get_version) == 8);

// ---- hvm_op (public/hvm/hvm_op.h, params.h): the parameters a guest may read.
enum class HvmOp : u32 { set_param = 0, get_param = 1 };
enum class HvmParam : u32 {
  callback_irq = 0,
  store_pfn = 1,
  store_evtchn = 2,
  console_pfn = 17,
  console_evtchn = 18,
  monitor_ring_pfn = 28,
};
struct xen_hvm_param {
  u16 domid;
  u16 pad_;  // implicit padding in the C header, made explicit
  u32 index;
  u64 value;
};
static_assert(sizeof(xen_hvm_param) == 16);
static_assert(offsetof(xen_hvm_param, index) == 4);
static_assert(offsetof(xen_hvm_param, value) == 8);

struct xen_add_to_physmap {
  u16 domid;
  u16 size;
  u32 space;
  u64 idx;
  u64 gpfn;
};
static_assert(sizeof(xen_add_to_physmap) == 24);
static_assert(offsetof(xen_add_to_physmap, idx) == 8);
static_assert(offsetof(xen_add_to_physmap, gpfn) == 16);

struct xen_feature_info {
  u32 submap_idx;
  u32 submap;
};
static_assert(sizeof(xen_feature_info) == 8);

struct sched_shutdown {
  u32 reason;
};
static_assert(sizeof(sched_shutdown) == 4);

// ---- Event channels (event_channel.h; VIRQ numbers from xen.h)
// event_channel_op(cmd, arg): cmd is one of these, arg the matching struct below.
enum class EvtchnOp : u32 {
  bind_interdomain = 0,
  bind_virq = 1,
  bind_pirq = 2,
  close = 3,
  send = 4,
  status = 5,
  alloc_unbound = 6,
  bind_ipi = 7,
  bind_vcpu = 8,
  unmask = 9,
  reset = 10,
  init_control = 11,
  expand_array = 12,
  set_priority = 13,
  reset_cont = 14,  // Xen-internal (the continuation of reset); a guest calling it gets reset's path
};

// The 2-level ABI: one pending and one mask bit per port in shared_info, 64 words of 64 bits on a
// 64-bit guest (EVTCHN_2L_NR_CHANNELS), and a selector word per vCPU naming the words to scan.
inline constexpr u32 kEvtchn2lWordBits = 64;
inline constexpr u32 kEvtchn2lPorts = kEvtchn2lWordBits * kEvtchn2lWordBits;

// EVTCHNSTAT_*: evtchn_status.status.
enum class EvtchnStat : u32 { closed = 0, unbound = 1, interdomain = 2, pirq = 3, virq = 4, ipi = 5 };

// VIRQ_* (xen.h): (V) per vCPU, (D) per domain, (G) global.
namespace virq {
inline constexpr u32 timer = 0;       // V
inline constexpr u32 debug = 1;       // V
inline constexpr u32 console = 2;     // G
inline constexpr u32 dom_exc = 3;     // G
inline constexpr u32 tbuf = 4;        // G
inline constexpr u32 debugger = 6;    // G
inline constexpr u32 xenoprof = 7;    // V
inline constexpr u32 con_ring = 8;    // G
inline constexpr u32 pcpu_state = 9;  // G
inline constexpr u32 mem_event = 10;  // G
inline constexpr u32 argo = 11;       // D
inline constexpr u32 enomem = 12;     // G
inline constexpr u32 xenpmu = 13;     // V
inline constexpr u32 arch_0 = 16;     // VIRQ_ARCH_0..7: global on Arm
inline constexpr u32 arch_7 = 23;
inline constexpr u32 count = 24;  // NR_VIRQS
}  // namespace virq

inline constexpr u32 kBindPirqWillShare = 1;  // BIND_PIRQ__WILL_SHARE

struct evtchn_alloc_unbound {
  u16 dom;         // IN: DOMID_SELF (or the caller's own id, or a domain it controls)
  u16 remote_dom;  // IN: who may bind to it; DOMID_SELF is the caller
  u32 port;        // OUT
};
static_assert(sizeof(evtchn_alloc_unbound) == 8);
static_assert(offsetof(evtchn_alloc_unbound, remote_dom) == 2);
static_assert(offsetof(evtchn_alloc_unbound, port) == 4);

struct evtchn_bind_interdomain {
  u16 remote_dom;   // IN
  u16 pad_;         // implicit in the C header
  u32 remote_port;  // IN
  u32 local_port;   // OUT
};
static_assert(sizeof(evtchn_bind_interdomain) == 12);
static_assert(offsetof(evtchn_bind_interdomain, remote_port) == 4);
static_assert(offsetof(evtchn_bind_interdomain, local_port) == 8);

struct evtchn_bind_virq {
  u32 virq;  // IN
  u32 vcpu;  // IN
  u32 port;  // OUT
};
static_assert(sizeof(evtchn_bind_virq) == 12);
static_assert(offsetof(evtchn_bind_virq, port) == 8);

struct evtchn_bind_pirq {
  u32 pirq;   // IN
  u32 flags;  // IN: kBindPirqWillShare
  u32 port;   // OUT
};
static_assert(sizeof(evtchn_bind_pirq) == 12);

struct evtchn_bind_ipi {
  u32 vcpu;  // IN
  u32 port;  // OUT
};
static_assert(sizeof(evtchn_bind_ipi) == 8);
static_assert(offsetof(evtchn_bind_ipi, port) == 4);

struct evtchn_close {
  u32 port;
};
struct evtchn_send {
  u32 port;
};
struct evtchn_unmask {
  u32 port;
};
static_assert(sizeof(evtchn_close) == 4 && sizeof(evtchn_send) == 4 && sizeof(evtchn_unmask) == 4);

struct evtchn_status {
  u16 dom;     // IN: DOMID_SELF or a domain id
  u16 pad_;    // implicit in the C header
  u32 port;    // IN
  u32 status;  // OUT: EvtchnStat
  u32 vcpu;    // OUT: the vCPU the channel notifies
  union {      // OUT, by status; members other than the one filled keep what the guest passed
    struct {
      u16 dom;
    } unbound;
    struct {
      u16 dom;
      u16 pad_;
      u32 port;
    } interdomain;
    u32 pirq;
    u32 virq;
  } u;
};
static_assert(sizeof(evtchn_status) == 24);
static_assert(alignof(evtchn_status) == 4);
static_assert(offsetof(evtchn_status, port) == 4);
static_assert(offsetof(evtchn_status, status) == 8);
static_assert(offsetof(evtchn_status, vcpu) == 12);
static_assert(offsetof(evtchn_status, u) == 16);
static_assert(offsetof(evtchn_status, u.interdomain.port) == 20);

struct evtchn_bind_vcpu {
  u32 port;  // IN
  u32 vcpu;  // IN
};
static_assert(sizeof(evtchn_bind_vcpu) == 8);

struct evtchn_reset {
  u16 dom;  // IN: DOMID_SELF or a domain id
};
static_assert(sizeof(evtchn_reset) == 2);

// FIFO ABI (not offered by runhv; the structs are here for their sizes).
struct evtchn_init_control {
  u64 control_gfn;  // IN
  u32 offset;       // IN
  u32 vcpu;         // IN
  u8 link_bits;     // OUT
  u8 pad_[7];
};
static_assert(sizeof(evtchn_init_control) == 24);
static_assert(offsetof(evtchn_init_control, offset) == 8);
static_assert(offsetof(evtchn_init_control, vcpu) == 12);
static_assert(offsetof(evtchn_init_control, link_bits) == 16);

struct evtchn_expand_array {
  u64 array_gfn;
};
static_assert(sizeof(evtchn_expand_array) == 8);

struct evtchn_set_priority {
  u32 port;
  u32 priority;
};
static_assert(sizeof(evtchn_set_priority) == 8);

}  // namespace runhv::xen
