# The message catalogs (templates/locales): every language has every key, and every word the
# templates and the server name exists (tests/catalogs/check_catalogs.py); the check itself
# fails on a tree that breaks them.
add_test(NAME catalogs/check
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/catalogs/check_catalogs.py ${CMAKE_SOURCE_DIR})
set_tests_properties(catalogs/check PROPERTIES TIMEOUT 60)
add_test(NAME catalogs/check_catalogs_test
         COMMAND /usr/bin/python3 -m unittest -v test_check_catalogs
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/catalogs)
set_tests_properties(catalogs/check_catalogs_test PROPERTIES TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
