# The template engine's extra suites: the official Mustache specification, read at run time
# from the shared conformance folder beside the repository (never copied into it).
add_executable(mustache_spec ${CMAKE_CURRENT_SOURCE_DIR}/conformance/mustache_spec.c)
target_link_libraries(mustache_spec PRIVATE mailcast_lib)
add_test(NAME conformance/mustache_spec
         COMMAND mustache_spec ${CMAKE_SOURCE_DIR}/../shared/conformance/mustache-spec)
set_tests_properties(conformance/mustache_spec PROPERTIES TIMEOUT 120)

# A libFuzzer target for compile + render, built with clang (the main build uses gcc)
# straight from the sources it needs, and run for a bounded time on a copy of the seed
# corpus in the build folder. Any finding fails the test.
find_program(MAILCAST_CLANG NAMES clang clang-16 clang-15 clang-14)
if(MAILCAST_CLANG)
  # clang links libFuzzer only when its runtime (libclang-rt-dev) is installed
  set(MAILCAST_FUZZ_PROBE ${CMAKE_CURRENT_BINARY_DIR}/fuzz-probe.c)
  file(WRITE ${MAILCAST_FUZZ_PROBE} "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n")
  execute_process(COMMAND ${MAILCAST_CLANG} -fsanitize=fuzzer,address,undefined ${MAILCAST_FUZZ_PROBE}
                          -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz-probe
                  RESULT_VARIABLE MAILCAST_FUZZ_PROBE_RESULT OUTPUT_QUIET ERROR_QUIET)
endif()
if(MAILCAST_CLANG AND NOT MAILCAST_FUZZ_PROBE_RESULT EQUAL 0)
  add_test(NAME fuzz/template COMMAND sh -c "echo 'clang cannot link libFuzzer: install libclang-rt-dev (scripts/lib/packages.sh)' >&2; exit 1")
elseif(MAILCAST_CLANG)
  file(GLOB MAILCAST_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/server/template/*.c)
  foreach(core buf utf8 utf8_case alloc arena error str)
    list(APPEND MAILCAST_FUZZ_SOURCES ${CMAKE_SOURCE_DIR}/server/core/${core}.c)
  endforeach()
  list(APPEND MAILCAST_FUZZ_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_template.c)
  set(MAILCAST_FUZZ_BINARY ${CMAKE_CURRENT_BINARY_DIR}/fuzz_template)
  add_custom_command(
    OUTPUT ${MAILCAST_FUZZ_BINARY}
    COMMAND ${MAILCAST_CLANG} -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=undefined -I${CMAKE_SOURCE_DIR}/server ${JANSSON_CFLAGS}
            -o ${MAILCAST_FUZZ_BINARY} ${MAILCAST_FUZZ_SOURCES} ${JANSSON_LDFLAGS} -lpthread
    DEPENDS ${MAILCAST_FUZZ_SOURCES} ${CMAKE_SOURCE_DIR}/server/template/template.h
            ${CMAKE_SOURCE_DIR}/server/template/template_internal.h
    COMMENT "Building the template fuzzer with clang"
    VERBATIM)
  add_custom_target(fuzz_template ALL DEPENDS ${MAILCAST_FUZZ_BINARY})
  set(MAILCAST_FUZZ_SECONDS 60 CACHE STRING "How long ctest runs the template fuzzer")
  set(MAILCAST_FUZZ_WORK ${CMAKE_CURRENT_BINARY_DIR}/fuzz-template-work)
  add_test(NAME fuzz/template
           COMMAND sh -c "rm -rf corpus && mkdir -p corpus && cp \"$1\"/* corpus/ && exec \"$2\" -max_total_time=$3 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus"
                   fuzz ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus ${MAILCAST_FUZZ_BINARY}
                   ${MAILCAST_FUZZ_SECONDS})
  file(MAKE_DIRECTORY ${MAILCAST_FUZZ_WORK})
  set_tests_properties(fuzz/template PROPERTIES WORKING_DIRECTORY ${MAILCAST_FUZZ_WORK}
                       TIMEOUT 300 COST 1000 ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0")
else()
  message(WARNING "clang not found: the template fuzzer is not built (apt-get install clang)")
endif()
