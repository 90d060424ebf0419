# docs/api/openapi.yaml checked by an independent OpenAPI validator from npm
# (@apidevtools/swagger-parser, pinned in tests/openapi/package-lock.json). The packages are
# installed into the build folder by a set-up test, once per lock file.
set(MAILCAST_OPENAPI_MODULES ${CMAKE_CURRENT_BINARY_DIR}/openapi)
add_test(NAME openapi/install
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/openapi/install.sh ${MAILCAST_OPENAPI_MODULES})
set_tests_properties(openapi/install PROPERTIES TIMEOUT 300 FIXTURES_SETUP openapi_packages)
add_test(NAME openapi/validate
         COMMAND node ${CMAKE_CURRENT_SOURCE_DIR}/openapi/validate.js
                 ${CMAKE_SOURCE_DIR}/docs/api/openapi.yaml)
set_tests_properties(openapi/validate PROPERTIES TIMEOUT 120 FIXTURES_REQUIRED openapi_packages
  ENVIRONMENT "NODE_PATH=${MAILCAST_OPENAPI_MODULES}/node_modules")
