# Bare-metal aarch64 build: the portable core, lib/, and the hypervisor image runhv.elf/.bin
# SPDX-License-Identifier: MIT
#
# Included by the top CMakeLists.txt when RUNHV_TARGET=ON, with cmake/aarch64-none.cmake as the
# toolchain. Outputs (in the binary directory, build/aarch64/ for the full build):
#   runhv.elf  the image for QEMU -kernel (linked at 0x40200000, see arch/aarch64/runhv.ld)
#   runhv.bin  the same as a raw binary
#   runhv.map  the link map
#   guests/smoke.elf, guests/smoke.bin   the smoke guest (linked at IPA 0x40000000), which
#              runhv.elf embeds (hyp/guest_images.S)
get_filename_component(RUNHV_SOURCE_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)

set(RUNHV_TARGET_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast)
# The hypervisor and its core are optimised across files at link time: an exit's path crosses
# arch/, hyp/ and core/ in small functions (./runhv bench: hypercall_null 131 -> 104
# instructions). The guests and lib/ are not (lib/'s memset must exist before LTO emits calls).
set(RUNHV_LTO -flto=auto)

# --------------------------------------------------------------- libfdt (Debian's arm64 build)
# Not built with -mgeneral-regs-only: its read-write objects (fdt_rw.o, and fdt_addresses.o,
# which pulls fdt_rw.o in) use FP/SIMD registers. Use only the read-only API (fdt.o, fdt_ro.o,
# fdt_strerror.o); the system test image_has_no_fpsimd_instructions checks the linked image.
set(RUNHV_LIBFDT /usr/lib/aarch64-linux-gnu/libfdt.a CACHE FILEPATH "libfdt.a built for aarch64")
set(RUNHV_LIBFDT_INCLUDE /usr/include CACHE PATH "Directory holding libfdt.h, libfdt_env.h, fdt.h")
if(NOT EXISTS ${RUNHV_LIBFDT} OR NOT EXISTS ${RUNHV_LIBFDT_INCLUDE}/libfdt.h)
  message(FATAL_ERROR "libfdt for aarch64 not found (${RUNHV_LIBFDT}); install libfdt-dev:arm64")
endif()
# The headers sit in the host's /usr/include; putting that on the cross include path would let
# the host C library's headers in. Copy just the three libfdt headers aside instead.
set(_fdt_include ${CMAKE_BINARY_DIR}/libfdt-include)
file(COPY ${RUNHV_LIBFDT_INCLUDE}/libfdt.h ${RUNHV_LIBFDT_INCLUDE}/libfdt_env.h
          ${RUNHV_LIBFDT_INCLUDE}/fdt.h DESTINATION ${_fdt_include})
add_library(runhv_libfdt STATIC IMPORTED)
set_target_properties(runhv_libfdt PROPERTIES IMPORTED_LOCATION ${RUNHV_LIBFDT})
target_include_directories(runhv_libfdt SYSTEM INTERFACE ${_fdt_include})

# ------------------------------------------------------------------ shared compile settings
# lib/include holds the few C headers (string.h, stdlib.h) the freestanding code and libfdt
# need; they shadow the cross toolchain's glibc headers.
add_library(runhv_target_settings INTERFACE)
target_include_directories(runhv_target_settings INTERFACE ${RUNHV_SOURCE_ROOT})
target_include_directories(runhv_target_settings SYSTEM INTERFACE ${RUNHV_SOURCE_ROOT}/lib/include)
# x29 is one more register and no call sets up a frame (gdb unwinds from .debug_frame). Here, not
# in the toolchain file, so that an existing build directory picks it up too.
target_compile_options(runhv_target_settings INTERFACE -fomit-frame-pointer)

# ------------------------------------------------------------------------ the portable core
# Built with the target flags; warnings are not errors here because the core's -Werror gate is
# the host (clang) build, and GCC may warn differently.
add_library(runhv_core_target STATIC ${RUNHV_CORE_SOURCES})
target_link_libraries(runhv_core_target PUBLIC runhv_target_settings)
target_compile_options(runhv_core_target PRIVATE ${RUNHV_TARGET_WARNINGS} ${RUNHV_LTO})

# --------------------------------------------------------------- lib/: freestanding runtime
add_library(runhv_lib STATIC
  ${RUNHV_SOURCE_ROOT}/lib/string.cpp
  ${RUNHV_SOURCE_ROOT}/lib/cxxabi.cpp
  ${RUNHV_SOURCE_ROOT}/lib/stack_protector.cpp)
target_link_libraries(runhv_lib PUBLIC runhv_target_settings)
target_compile_options(runhv_lib PRIVATE ${RUNHV_TARGET_WARNINGS} -Werror)
# GCC turns a byte loop into a call to memset/memcpy; inside memset that is infinite recursion.
set_source_files_properties(${RUNHV_SOURCE_ROOT}/lib/string.cpp PROPERTIES
  COMPILE_OPTIONS "-fno-builtin;-fno-tree-loop-distribute-patterns")

# ------------------------------------------------------------------------ the smoke guest
# A freestanding EL1 program with its own linker script; its raw binary is embedded in runhv.
set(RUNHV_SMOKE_LINKER_SCRIPT ${RUNHV_SOURCE_ROOT}/guests/smoke/smoke.ld)
add_executable(smoke_guest
  ${RUNHV_SOURCE_ROOT}/guests/smoke/start.S
  ${RUNHV_SOURCE_ROOT}/guests/smoke/main.cpp)
set_target_properties(smoke_guest PROPERTIES OUTPUT_NAME smoke SUFFIX ".elf"
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/guests LINK_DEPENDS ${RUNHV_SMOKE_LINKER_SCRIPT})
target_include_directories(smoke_guest PRIVATE ${RUNHV_SOURCE_ROOT})
target_compile_options(smoke_guest PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${RUNHV_TARGET_WARNINGS};-Werror>")
target_link_options(smoke_guest PRIVATE -T ${RUNHV_SMOKE_LINKER_SCRIPT} -Wl,--gc-sections
  -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack)
target_link_libraries(smoke_guest PRIVATE gcc)

set(RUNHV_SMOKE_GUEST_BIN ${CMAKE_CURRENT_BINARY_DIR}/guests/smoke.bin)
add_custom_command(OUTPUT ${RUNHV_SMOKE_GUEST_BIN}
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:smoke_guest> ${RUNHV_SMOKE_GUEST_BIN}
  DEPENDS smoke_guest
  COMMENT "objcopy smoke.elf -> smoke.bin")
add_custom_target(smoke_guest_bin DEPENDS ${RUNHV_SMOKE_GUEST_BIN})
set_source_files_properties(${RUNHV_SOURCE_ROOT}/hyp/guest_images.S PROPERTIES
  COMPILE_DEFINITIONS "RUNHV_SMOKE_GUEST_BIN=\"${RUNHV_SMOKE_GUEST_BIN}\""
  OBJECT_DEPENDS ${RUNHV_SMOKE_GUEST_BIN})

# ------------------------------------------------------------------------ the hypervisor ELF
set(RUNHV_LINKER_SCRIPT ${RUNHV_SOURCE_ROOT}/arch/aarch64/runhv.ld)
add_executable(runhv
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/boot.S
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/vectors.S
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/exception.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/world_switch.S
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/exits.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/mmu_el2.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/stage2.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/percpu.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/cpus.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/el2_instructions.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/gicv3_dist.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/gicv3_redist.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/gicv3_cpuif.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/ich.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/timer.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/vtimer.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/vgic_lr.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/irq.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/vcpu.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/vcpu_context.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/fpsimd_switch.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/self_test.cpp
  ${RUNHV_SOURCE_ROOT}/arch/aarch64/fpsimd.S
  ${RUNHV_SOURCE_ROOT}/platform/qemu-virt/pl011.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/console.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/panic.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/devicetree.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/boot_entropy.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/dom0less.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/frame_table.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/domain_console.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/console_input.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/domain.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/domain_build.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/switch.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/vcpu_lifecycle.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/liveness.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/irq.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/stats.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/trace.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/shutdown.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/smccc.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/mmio.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/stage2_fault.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/injected_exception.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/xen/hypercall.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/xen/host.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/xen/vcpu_op.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/xen/vcpu_info.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/xen/event_channel.cpp
  ${RUNHV_SOURCE_ROOT}/hyp/guest_images.S
  ${RUNHV_SOURCE_ROOT}/hyp/main.cpp)
add_dependencies(runhv smoke_guest_bin)
set_target_properties(runhv PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${RUNHV_LINKER_SCRIPT})
target_compile_options(runhv PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${RUNHV_TARGET_WARNINGS};-Werror;${RUNHV_LTO}>")
target_link_options(runhv PRIVATE
  ${RUNHV_LTO}
  -T ${RUNHV_LINKER_SCRIPT}
  -Wl,--gc-sections
  -Wl,--orphan-handling=warn
  -Wl,-z,max-page-size=4096
  -Wl,-z,noexecstack
  -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/runhv.map)
# Static libraries in dependency order: the C pieces after libfdt, which needs them; libgcc last
# for any helper the compiler emits (128-bit division and the like).
target_link_libraries(runhv PRIVATE runhv_core_target runhv_libfdt runhv_lib gcc)

add_custom_command(OUTPUT runhv.bin
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:runhv> runhv.bin
  DEPENDS runhv
  COMMENT "objcopy runhv.elf -> runhv.bin")
add_custom_target(runhv_bin ALL DEPENDS runhv.bin)

# ------------------------------------------------------------------------ the probe guest
# guests/probe builds its own image (an arm64 Linux-boot-protocol Image); see that directory.
include(${RUNHV_SOURCE_ROOT}/guests/probe/probe.cmake OPTIONAL)
