# wsalloc_add_beast_interop(): registers the Boost.Beast client interoperability test against one
# server command line, one ctest per case: `interop.beast.<NAME>.BeastClient.<case>`.
#
#   wsalloc_add_beast_interop(NAME <name> COMMAND <server argv...> [DEFLATE] [TIMEOUT <seconds>] [LABELS <label>...])
#
# DEFLATE: the permessage-deflate cases (beast_deflate_client_test.cpp) instead; the command must
# start the server with compression on, e.g. `--deflate`.
#
# The server must follow the wsalloc CLI contract (`--host 127.0.0.1 --port 0` is appended; one
# `listening on H:P` line; exit 0 on SIGTERM). Generator expressions are fine in COMMAND, e.g.
#   wsalloc_add_beast_interop(NAME arena COMMAND $<TARGET_FILE:wsalloc-server> --variant arena)
# Include from anywhere:
#   include(${PROJECT_SOURCE_DIR}/tests/interop_beast/WsallocBeastInterop.cmake)
include_guard(GLOBAL)
include(GoogleTest)

function(wsalloc_add_beast_interop)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DEFLATE" "NAME;TIMEOUT" "COMMAND;LABELS")
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "wsalloc_add_beast_interop: NAME and COMMAND are required (got NAME='${arg_NAME}')")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)  # per case; a case takes well under a second here
  endif()
  # Cases are read from the source (no run-time discovery), so COMMAND may hold generator
  # expressions and the test binary need not exist at configure time.
  set(target wsalloc_interop_beast_test)
  set(source beast_client_test.cpp)
  if(arg_DEFLATE)
    set(target wsalloc_interop_beast_deflate_test)
    set(source beast_deflate_client_test.cpp)
  endif()
  gtest_add_tests(TARGET ${target}
    SOURCES ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${source}
    TEST_PREFIX interop.beast.${arg_NAME}.
    EXTRA_ARGS -- ${arg_COMMAND}
    TEST_LIST cases)
  set_tests_properties(${cases} PROPERTIES
    TIMEOUT ${arg_TIMEOUT}
    LABELS "interop;beast;${arg_NAME};${arg_LABELS}")
endfunction()
