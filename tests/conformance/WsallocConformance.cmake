# wsalloc_add_conformance(): registers the RFC 6455 conformance suite (this folder) against one
# server command line, one ctest per group so a failure names its area:
#   conformance.<NAME>.<group>      e.g. conformance.malloc.utf8
#
#   wsalloc_add_conformance(NAME <name> COMMAND <server argv...>
#                           [GROUPS <group>...] [TIMEOUT <seconds per group>] [LABELS <label>...]
#                           [ENVIRONMENT <VAR=value>...] [LAUNCHER <argv...>])
#
# The server must follow the wsalloc-server contract: accept `--host H --port 0` (appended by
# the suite), print one line `listening on H:P`, echo text and binary messages, exit 0 on
# SIGTERM. The `limits` group also appends `--max-message 65536`; leave it out of GROUPS for a
# server without that flag. GROUPS defaults to every test_<group>.py here. LAUNCHER prefixes each
# test's command (tests/uring_gate.cmake: skipped, with the reason, where io_uring is unavailable).
#
# Include this file from anywhere (it is include_guard'ed), so registrations do not depend on
# the order in which folders are added:
#   include(${PROJECT_SOURCE_DIR}/tests/conformance/WsallocConformance.cmake)
#   wsalloc_add_conformance(NAME arena COMMAND $<TARGET_FILE:wsalloc-server> --variant arena)
include_guard(GLOBAL)

if(NOT WSALLOC_PYTHON)
  # The suite uses only the standard library; /usr/bin/python3 is the documented interpreter
  # (it is also the one that sees Debian's python3-websockets for the interop test).
  if(EXISTS /usr/bin/python3)
    set(WSALLOC_PYTHON /usr/bin/python3 CACHE FILEPATH "Python 3 used by the conformance and interop tests")
  else()
    find_program(WSALLOC_PYTHON NAMES python3 REQUIRED)
  endif()
endif()

function(wsalloc_add_conformance)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;TIMEOUT" "COMMAND;GROUPS;LABELS;ENVIRONMENT;LAUNCHER")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "wsalloc_add_conformance: NAME and COMMAND are required (got NAME='${arg_NAME}')")
  endif()
  set(dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  if(NOT arg_GROUPS)
    file(GLOB group_files CONFIGURE_DEPENDS ${dir}/test_*.py)
    foreach(f ${group_files})
      get_filename_component(stem ${f} NAME_WE)
      string(REGEX REPLACE "^test_" "" group ${stem})
      list(APPEND arg_GROUPS ${group})
    endforeach()
    list(SORT arg_GROUPS)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 180)   # the in-process watchdog; a healthy group takes a few seconds
  endif()
  math(EXPR ctest_timeout "${arg_TIMEOUT} + 30")
  foreach(group ${arg_GROUPS})
    if(NOT EXISTS ${dir}/test_${group}.py)
      message(FATAL_ERROR "wsalloc_add_conformance(${arg_NAME}): no group '${group}' (no ${dir}/test_${group}.py)")
    endif()
    set(test conformance.${arg_NAME}.${group})
    add_test(NAME ${test}
             COMMAND ${arg_LAUNCHER} ${WSALLOC_PYTHON} ${dir}/run_group.py --timeout ${arg_TIMEOUT} ${group} -- ${arg_COMMAND})
    set_tests_properties(${test} PROPERTIES
      TIMEOUT ${ctest_timeout}
      LABELS "conformance;${arg_NAME};${arg_LABELS}"
      ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;${arg_ENVIRONMENT}")
    if(arg_LAUNCHER)
      set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
    endif()
  endforeach()
endfunction()
