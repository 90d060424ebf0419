# The template engine's extra suites: the official Mustache specification, read at run time
# from the shared conformance folder beside the repository (never copied into it).
add_executable(mustache_spec ${CMAKE_CURRENT_SOURCE_DIR}/conformance/mustache_spec.c)
target_link_libraries(mustache_spec PRIVATE mailcast_lib)
add_test(NAME conformance/mustache_spec
         COMMAND mustache_spec ${CMAKE_SOURCE_DIR}/../shared/conformance/mustache-spec)
set_tests_properties(conformance/mustache_spec PROPERTIES TIMEOUT 120)
