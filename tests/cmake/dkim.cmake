# DKIM: mailcast's signer checked by two verifiers independent of it, libopendkim (here) and
# dkimpy (tests/dkim/verify_dkimpy.py). The server itself no longer links libopendkim.
pkg_check_modules(OPENDKIM REQUIRED IMPORTED_TARGET opendkim)
add_executable(dkim_sign_message ${CMAKE_CURRENT_SOURCE_DIR}/dkim/sign_message.c)
target_link_libraries(dkim_sign_message PRIVATE mailcast_lib)
add_executable(dkim_verify_opendkim ${CMAKE_CURRENT_SOURCE_DIR}/dkim/verify_opendkim.c)
target_link_libraries(dkim_verify_opendkim PRIVATE PkgConfig::OPENDKIM)
# without the sanitizers: libopendkim 2.11 leaks what it decodes for every ed25519-sha256
# signature it checks, and LeakSanitizer would fail the verifier rather than the signer
set_property(TARGET dkim_verify_opendkim PROPERTY COMPILE_OPTIONS -Wall -Wextra -Werror)
set_property(TARGET dkim_verify_opendkim PROPERTY LINK_OPTIONS "")
set(MAILCAST_DKIM_TOOLS
  "MAILCAST_DKIM_SIGN=$<TARGET_FILE:dkim_sign_message>"
  "MAILCAST_DKIM_VERIFY_OPENDKIM=$<TARGET_FILE:dkim_verify_opendkim>"
  "MAILCAST_DKIM_VERIFY_DKIMPY=${CMAKE_CURRENT_SOURCE_DIR}/dkim/verify_dkimpy.py")
foreach(test_name unit/test_mail_dkim integration/test_dkim_signatures
        integration/test_mail_delivery)
  if(TEST ${test_name})
    set_property(TEST ${test_name} APPEND PROPERTY ENVIRONMENT ${MAILCAST_DKIM_TOOLS})
  endif()
endforeach()
