// Guest images built into the hypervisor: the smoke guest's raw binary, as read-only data
// SPDX-License-Identifier: MIT
//
// RUNHV_SMOKE_GUEST_BIN is the path of smoke.bin (set by cmake/target.cmake). The bytes sit in
// .rodata, which the FP/SIMD check of the hypervisor image does not disassemble.
  .section .rodata.guest_smoke, "a"
  .balign 16
  .global smoke_guest_image
smoke_guest_image:
  .incbin RUNHV_SMOKE_GUEST_BIN
  .global smoke_guest_image_end
smoke_guest_image_end:
  .balign 8
  .global smoke_guest_image_size
smoke_guest_image_size:
  .quad smoke_guest_image_end - smoke_guest_image
