# Probe guest build hook: included by cmake/target.cmake (bare-metal aarch64 build)
# SPDX-License-Identifier: MIT
#
# Outputs, in ${CMAKE_CURRENT_BINARY_DIR}/guests/ (build/aarch64/guests/ for the full build):
#   probe.elf  the probe linked at its high kernel VA (guests/probe/probe.ld)
#   probe.bin  the arm64 Image (objcopy -O binary): for QEMU -kernel, or for runhv to load
#   probe.map  the link map
# The probe is a guest: unlike the hypervisor it may use FP/SIMD, so it is built in a directory
# scope of its own (guests/probe/CMakeLists.txt) whose flags drop -mgeneral-regs-only.
set(RUNHV_PROBE_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/guests)
add_subdirectory(${RUNHV_SOURCE_ROOT}/guests/probe ${CMAKE_CURRENT_BINARY_DIR}/guests/probe-build)
