# CMake toolchain: the Debian aarch64-linux-gnu cross GCC used bare-metal (no OS, no C library)
# SPDX-License-Identifier: MIT
#
# The compiler is a Linux-targeting GCC, so every Linux default is switched off here: no PIE/PIC,
# no outline atomics (they call into libgcc's Linux helpers), no stack protector, no exceptions or
# RTTI, no C++ runtime, no start files. -mgeneral-regs-only keeps the compiler off the FP/SIMD
# registers: they belong to the guests. -mstrict-align is needed while the MMU is off (every data
# access is Device memory then, and an unaligned one faults); it can go once stage 1 is on.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(RUNHV_CROSS_PREFIX aarch64-linux-gnu- CACHE STRING "Prefix of the cross binutils and GCC")
set(CMAKE_C_COMPILER ${RUNHV_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${RUNHV_CROSS_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${RUNHV_CROSS_PREFIX}gcc)
# gcc-ar and gcc-ranlib index the LTO objects of static libraries (cmake/target.cmake).
find_program(CMAKE_AR ${RUNHV_CROSS_PREFIX}gcc-ar REQUIRED)
find_program(CMAKE_RANLIB ${RUNHV_CROSS_PREFIX}gcc-ranlib REQUIRED)
find_program(CMAKE_OBJCOPY ${RUNHV_CROSS_PREFIX}objcopy REQUIRED)
find_program(CMAKE_OBJDUMP ${RUNHV_CROSS_PREFIX}objdump REQUIRED)

# Nothing can be linked before lib/ exists: let CMake's compiler checks build static libraries.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_runhv_machine "-march=armv8-a -mgeneral-regs-only -mstrict-align -mno-outline-atomics")
set(_runhv_common "${_runhv_machine} -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
-fno-common -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -g")

set(CMAKE_C_FLAGS_INIT "${_runhv_common}")
set(CMAKE_CXX_FLAGS_INIT "${_runhv_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics \
-fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${_runhv_machine} -g")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -nostartfiles -static -no-pie -Wl,--build-id=none")

# -O3 buys nothing here and grows the image; Release means -O2.
set(CMAKE_C_FLAGS_RELEASE_INIT "-O2 -DNDEBUG")
set(CMAKE_CXX_FLAGS_RELEASE_INIT "-O2 -DNDEBUG")

# Never pick up host libraries or headers.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
