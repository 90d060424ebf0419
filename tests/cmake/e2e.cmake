# The dashboard in a real browser (tests/e2e): chromium, playwright-core and axe-core from the
# dashboard's packages, against a server and database the test starts.
add_test(NAME e2e/browser
         COMMAND ${MAILCAST_PYTHON} -m unittest -v test_browser
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
set_tests_properties(e2e/browser PROPERTIES TIMEOUT 1200
  ENVIRONMENT "MAILCAST_BIN=$<TARGET_FILE:mailcast>;MAILCAST_SOURCE_DIR=${CMAKE_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1")

# The dashboard's message catalogs agree with each other and with the code.
add_test(NAME web/catalogs COMMAND node ${CMAKE_SOURCE_DIR}/web/scripts/check-catalogs.mjs ${CMAKE_SOURCE_DIR}/web)
