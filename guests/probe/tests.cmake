# Probe guest system tests: boot guests/probe natively under QEMU at EL1 (label "system")
# SPDX-License-Identifier: MIT
#
# Included by tests/system/CMakeLists.txt (host build): runhv_boot_test() and RUNHV_IMAGE_DIR
# come from there. The probe is an arm64 Image, so QEMU boots it as a Linux kernel: EL1, MMU
# off, x0 = the DTB, bootargs from -append. Each scenario ends with one `PROBE {json}` line and
# PSCI SYSTEM_OFF (QEMU exits 0). Under runhv the same image gets a /hypervisor node and uses
# console_io and SCHEDOP_shutdown instead; those tests come with runhv's Image loader.

# probe_native_test(<name> APPEND <bootargs> [SMP <n>] [MEMORY <size>] [FAILURE_EXPECTED]
#                   [QEMU_ARGS <arg>...] EXPECT <regex>... [FORBID <regex>...])
# Forbids crash lines, the FORBID regexes and, unless FAILURE_EXPECTED, any record with
# "pass":false.
function(probe_native_test name)
  cmake_parse_arguments(ARG "FAILURE_EXPECTED" "APPEND;SMP;MEMORY" "EXPECT;QEMU_ARGS;FORBID" ${ARGN})
  set(forbid "^probe: (unexpected exception|panic|task [0-9]+ faulted|gic:)" ${ARG_FORBID})
  if(NOT ARG_FAILURE_EXPECTED)
    list(APPEND forbid "\"pass\":false")
  endif()
  if(NOT ARG_SMP)
    set(ARG_SMP 1)
  endif()
  if(NOT ARG_MEMORY)
    set(ARG_MEMORY 256M)
  endif()
  set(RUNHV_IMAGE ${RUNHV_IMAGE_DIR}/guests/probe.bin)  # function scope: runhv_boot_test's image
  runhv_boot_test(${name}
    QEMU_ARGS -machine virt,gic-version=3 -cpu cortex-a57 -smp ${ARG_SMP} -m ${ARG_MEMORY}
              -append "${ARG_APPEND}" ${ARG_QEMU_ARGS}
    EXPECT "^probe: started at EL1, loaded at 0x[0-9a-f]+, dtb 0x[0-9a-f]+$"
           ${ARG_EXPECT}
    FORBID ${forbid})
endfunction()

set(PROBE_NATIVE_PLATFORM
    "^probe: 256 MiB RAM at 0x40000000, 1 cpu, hypervisor none, psci hvc, gic-v3 0x8000000 0x80a0000, pl011 0x9000000, timer intid 27$")

# KPTI on: every exception from EL0 came through the trampoline with the trampoline root live.
probe_native_test(probe_native_selftest_kpti
  APPEND "probe.scenario=selftest probe.kpti=1"
  EXPECT "${PROBE_NATIVE_PLATFORM}"
         "^probe: hello from EL0$"
         "^PROBE [{]\"scenario\":\"selftest\",\"kpti\":1,\"hypervisor\":false,.*\"el0_entries\":([1-9][0-9]*),\"el0_entries_trampoline\":\\1,\"el0_entries_direct\":0,.*\"el0_syscalls\":[1-9][0-9][0-9]+,.*\"fpsimd_preserved\":true,\"timer_irqs\":[1-9][0-9]*,.*\"pass\":true[}]$")

# KPTI off: the same tasks, every exception from EL0 straight into the kernel vectors.
probe_native_test(probe_native_selftest_nokpti
  APPEND "probe.scenario=selftest probe.kpti=0"
  EXPECT "${PROBE_NATIVE_PLATFORM}"
         "^probe: hello from EL0$"
         "^PROBE [{]\"scenario\":\"selftest\",\"kpti\":0,\"hypervisor\":false,.*\"el0_entries\":([1-9][0-9]*),\"el0_entries_trampoline\":0,\"el0_entries_direct\":\\1,.*\"el0_syscalls\":[1-9][0-9][0-9]+,.*\"timer_irqs\":[1-9][0-9]*,.*\"pass\":true[}]$")

# The device tree is read, not assumed: more CPUs and RAM show up in the banner.
probe_native_test(probe_native_selftest_reads_device_tree
  APPEND "probe.scenario=selftest"
  SMP 2
  MEMORY 512M
  EXPECT "^probe: 512 MiB RAM at 0x40000000, 2 cpus, hypervisor none, psci hvc, gic-v3 "
         "^probe: bootargs \"probe.scenario=selftest\"$"
         "^PROBE [{]\"scenario\":\"selftest\",\"kpti\":1,.*\"pass\":true[}]$")

# One busy EL0 task for a second: it counts, and the tick interrupts it.
probe_native_test(probe_native_busy
  APPEND "probe.scenario=busy probe.kpti=1 probe.seconds=1"
  EXPECT "^PROBE [{]\"scenario\":\"busy\",\"cpu\":0,\"kpti\":1,\"hypervisor\":false,\"seconds\":1,.*\"iterations\":[1-9][0-9]*,\"iterations_per_second\":[1-9][0-9]*,\"timer_irqs\":[1-9][0-9]*,.*\"pass\":true[}]$")

# Every CPU of the DT busy at once (PSCI CPU_ON; secondaries at EL1 with their own timer and
# redistributor): one passing record per CPU, CPU 0's first, then the others in order.
set(PROBE_BUSY_SECONDARY ",\"el\":1,\"hypervisor\":false,\"seconds\":1,.*\"iterations\":[1-9][0-9]*,.*\"timer_irqs\":[1-9][0-9]*,\"timer_hz\":100,\"pass\":true[}]$")
probe_native_test(probe_native_busy_smp4
  APPEND "probe.scenario=busy probe.seconds=1"
  SMP 4
  MEMORY 512M
  EXPECT "^probe: 512 MiB RAM at 0x40000000, 4 cpus, "
         "^PROBE [{]\"scenario\":\"busy\",\"cpu\":0,\"kpti\":1,.*\"iterations\":[1-9][0-9]*,.*\"cpus\":4,\"pass\":true[}]$"
         "^PROBE [{]\"scenario\":\"busy\",\"cpu\":1,\"mpidr\":1${PROBE_BUSY_SECONDARY}"
         "^PROBE [{]\"scenario\":\"busy\",\"cpu\":2,\"mpidr\":2${PROBE_BUSY_SECONDARY}"
         "^PROBE [{]\"scenario\":\"busy\",\"cpu\":3,\"mpidr\":3${PROBE_BUSY_SECONDARY}")

# probe.cpus= limits the CPUs started: only CPU 0's record.
probe_native_test(probe_native_busy_cpus_limit
  APPEND "probe.scenario=busy probe.seconds=1 probe.cpus=1"
  SMP 2
  EXPECT "^PROBE [{]\"scenario\":\"busy\",\"cpu\":0,.*\"cpus\":1,\"pass\":true[}]$"
  FORBID "\"cpu\":1")

# bench without a hypervisor: no hvc loop runs, but the method's self-check does, and under
# -icount shift=0 a subs/b.ne loop is exactly 2 instructions (2.000 ns) per iteration.
probe_native_test(probe_native_bench_icount_self_check
  APPEND "probe.scenario=bench"
  QEMU_ARGS -icount shift=0,sleep=off
  FAILURE_EXPECTED
  EXPECT "^PROBE [{]\"scenario\":\"bench\",\"cntfrq\":62500000,\"iterations\":100000,\"loop_check_ns_x1000\":2000,\"baseline_ns_x1000\":4000,.*\"error\":\"no hypervisor\",\"pass\":false[}]$")

# A scenario it does not know is reported, not ignored; the probe still powers off.
probe_native_test(probe_native_unknown_scenario
  APPEND "probe.scenario=no-such-thing"
  FAILURE_EXPECTED
  EXPECT "^PROBE [{]\"scenario\":\"no-such-thing\",\"error\":\"unknown scenario\",\"pass\":false[}]$")

# Ten 20 ms sleeps in WFI on the virtual timer: none ends early, none takes three times as long
# (the probe's own bound; wall time under a loaded host, so no tighter).
probe_native_test(probe_native_sleep
  APPEND "probe.scenario=sleep"
  EXPECT "^PROBE [{]\"scenario\":\"sleep\",.*\"sleeps\":10,\"sleep_ms\":20,\"elapsed_ms\":(19[89]|[2-5][0-9][0-9]|600),.*\"pass\":true[}]$")

# The virtual timer due while INTID 27 is disabled, then while four higher-priority SGIs are
# pending, interrupts masked: natively the GIC holds the level, the loop runs at full speed, and
# the timer (and the SGIs) arrive once enabled and unmasked (the reference for vtimer-held.dts).
probe_native_test(probe_native_vtimer_held
  APPEND "probe.scenario=vtimer-held"
  EXPECT "^PROBE [{]\"scenario\":\"vtimer-held\",\"hypervisor\":false,.*\"disabled_istatus\":true,\"disabled_taken\":true,.*\"crowded_taken\":true,\"sgis_taken\":4,\"pass\":true[}]$")

# A T32 task at AArch32 EL0: natively its WFIs just wait for ticks and its result is 3 (the
# reference for el0-a32.dts, where each WFI traps to runhv from AArch32).
probe_native_test(probe_native_el0_a32
  APPEND "probe.scenario=el0-a32"
  EXPECT "^PROBE [{]\"scenario\":\"el0-a32\",\"hypervisor\":false,\"aarch32_el0\":true,\"exited\":true,\"r4\":3,.*\"pass\":true[}]$")

# Natively the debug and PMU registers are the CPU's (the negative control for runhv's emulation,
# tests/system trapped_sysregs_emulated_unknown_undefined): written values read back, the PMU
# shows, and CNTP_CTL_EL0 is read and written without an exception.
probe_native_test(probe_native_sysregs
  APPEND "probe.scenario=sysregs"
  EXPECT "^PROBE [{]\"scenario\":\"sysregs\",\"hypervisor\":false,\"mdscr_readback\":4096,\"dbgbvr0_readback\":305418240,\"oslsr\":[0-9]+,\"pmcr\":[1-9][0-9]*,\"pass\":true[}]$"
         "^PROBE [{]\"scenario\":\"sysregs_cntp\",\"hypervisor\":false,\"cntp_ctl\":[0-9]+,\"undefs\":0,.*\"pass\":true[}]$")

# Natively a load, store and fetch at the physical address the fault scenario uses (nothing there
# on QEMU virt) are synchronous external aborts (FSC 0x10), FAR the VA: the negative control for
# tests/system faulting_guest_takes_aborts_neighbour_finishes, where runhv injects Xen's ISS 0.
probe_native_test(probe_native_fault
  APPEND "probe.scenario=fault"
  EXPECT "^PROBE [{]\"scenario\":\"fault\",\"hypervisor\":false,\"aborts\":3,\"load_esr\":2516582416,\"store_esr\":2516582480,\"fetch_esr\":2248146960,\"load_ok\":true,\"store_ok\":true,\"fetch_ok\":true,\"repeats_aborted\":2000,\"pass\":true[}]$")

# The isolation scenario natively: every register keeps what was written, 17 of the debug and PMU
# registers runhv traps included (QEMU implements them), so RAZ under runhv is runhv's doing.
probe_native_test(probe_native_isolation_registers_keep_their_values
  APPEND "probe.scenario=isolation probe.seed=1"
  EXPECT "^PROBE [{]\"scenario\":\"isolation\",\"hypervisor\":false,\"seed\":1,\"registers\":48,\"rounds\":[1-9][0-9]*,.*\"reset_mismatches\":0,\"mismatches\":0,\"trapped_retained\":16,\"pass\":true[}]$")
