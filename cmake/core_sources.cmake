# The portable core: the list of sources built both for the host and for the target.
set(RUNHV_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../core/walker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/stage2_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/runstate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/runstate_area.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/guest_copy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/vcpu_op.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/psci.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/sched.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/fdt_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/guest_fdt.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/mmio.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/sysreg_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../core/evtchn.cpp
)
