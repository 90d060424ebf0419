# The layers of server/: every "#include "folder/..." follows server/LAYERS
# (tests/layers/check_layers.py), and the check itself fails on a tree that breaks them.
add_test(NAME layers/check
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/layers/check_layers.py ${CMAKE_SOURCE_DIR})
set_tests_properties(layers/check PROPERTIES TIMEOUT 60)
add_test(NAME layers/check_layers_test
         COMMAND /usr/bin/python3 -m unittest -v test_check_layers
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/layers)
set_tests_properties(layers/check_layers_test PROPERTIES TIMEOUT 120
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
