# wsalloc_add_python_interop(): registers the Python `websockets` interoperability test against
# one server command line as the ctest `interop.websockets.<NAME>`.
#
#   wsalloc_add_python_interop(NAME <name> COMMAND <server argv...> [MODULE <test module>]
#                              [TIMEOUT <seconds>] [LABELS <label>...] [LAUNCHER <argv...>])
# MODULE: default test_websockets_client; test_websockets_deflate for a server run with --deflate.
#
# Same server contract as the conformance suite (`--host 127.0.0.1 --port 0` is appended).
# LAUNCHER: as in wsalloc_add_conformance (tests/uring_gate.cmake).
# Include from anywhere:
#   include(${PROJECT_SOURCE_DIR}/tests/interop/WsallocInterop.cmake)
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/../conformance/WsallocConformance.cmake)   # WSALLOC_PYTHON

function(wsalloc_add_python_interop)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;TIMEOUT;MODULE" "COMMAND;LABELS;LAUNCHER")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "wsalloc_add_python_interop: NAME and COMMAND are required (got NAME='${arg_NAME}')")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  if(NOT arg_MODULE)
    set(arg_MODULE test_websockets_client)
  endif()
  math(EXPR ctest_timeout "${arg_TIMEOUT} + 30")
  set(test interop.websockets.${arg_NAME})
  add_test(NAME ${test}
           COMMAND ${arg_LAUNCHER} ${WSALLOC_PYTHON} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/run_interop.py
                   --timeout ${arg_TIMEOUT} --module ${arg_MODULE} -- ${arg_COMMAND})
  set_tests_properties(${test} PROPERTIES
    TIMEOUT ${ctest_timeout}
    LABELS "interop;${arg_NAME};${arg_LABELS}"
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
  if(arg_LAUNCHER)
    set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endfunction()
