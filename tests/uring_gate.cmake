# The io dimension of the server suites: how a test that needs `--io uring` is registered.
#
#   wsalloc_uring_launcher(<out-var> <probe argv...>)
#       sets <out-var> to the command prefix that runs a test only where the probe (e.g.
#       $<TARGET_FILE:wsalloc-server> --variant malloc --io uring) comes up; see uring_gate.py
#   wsalloc_uring_gated(<test>...)
#       marks tests so the gate's "unavailable" exit (77) shows as Skipped, not as passed
#   wsalloc_server_io(<io> <suffix-var> <flags-var> <launcher-var>)
#       for one backend of a wsalloc-server suite: the name suffix, the server flags and the
#       launcher (empty for epoll; for uring the gate probing wsalloc-server --io uring)
#
# WSALLOC_IO_BACKENDS lists the backends the suites run on, "epoll;uring" by default. The uring
# registrations are named <suite>.<variant>+uring.<...>, so `ctest -R uring` selects them.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/conformance/WsallocConformance.cmake)  # WSALLOC_PYTHON

set(WSALLOC_IO_BACKENDS "epoll;uring" CACHE STRING "I/O backends the server suites run on")

function(wsalloc_uring_launcher out)
  set(${out} ${WSALLOC_PYTHON} ${PROJECT_SOURCE_DIR}/tests/uring_gate.py ${ARGN} -- PARENT_SCOPE)
endfunction()

function(wsalloc_uring_gated)
  set_tests_properties(${ARGN} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

# Suffix and extra server flags for one backend: "" and nothing for epoll, "+uring" and --io uring.
macro(wsalloc_io_flavour io suffix_var flags_var)
  if("${io}" STREQUAL "uring")
    set(${suffix_var} "+uring")
    set(${flags_var} --io uring)
  else()
    set(${suffix_var} "")
    set(${flags_var})
  endif()
endmacro()

# Everything a wsalloc-server suite needs for one backend: wsalloc_io_flavour's suffix and flags,
# and in <launcher_var> the command prefix that runs the test only where the server's io_uring
# comes up (nothing for epoll).
macro(wsalloc_server_io io suffix_var flags_var launcher_var)
  wsalloc_io_flavour(${io} ${suffix_var} ${flags_var})
  set(${launcher_var})
  if("${io}" STREQUAL "uring")
    wsalloc_uring_launcher(${launcher_var} $<TARGET_FILE:wsalloc-server> --variant malloc --io uring)
  endif()
endmacro()
