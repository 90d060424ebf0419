# Turns the built dashboard (web/dist) into a C source: one byte array per file, with its URL
# path and whether it is a hashed asset (under assets/, cached for good), so that the mailcast
# binary serves the dashboard by itself. With no dist folder it writes an empty table, and the
# server answers its short "not built" page.
# Usage: cmake -DDIST=<web/dist> -DOUT=<file.c> -P embed_web.cmake
if(NOT DIST OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DDIST=<web/dist> -DOUT=<file.c> -P embed_web.cmake")
endif()

set(files "")
if(IS_DIRECTORY "${DIST}")
  file(GLOB_RECURSE files RELATIVE "${DIST}" "${DIST}/*")
  list(SORT files)
endif()

set(arrays "")
set(table "")
set(count 0)
foreach(rel IN LISTS files)
  # hidden files are never served (the same rule as serving from a folder)
  if(rel MATCHES "(^|/)\\.")
    continue()
  endif()
  file(READ "${DIST}/${rel}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  # 32 bytes a line, then every byte as 0xNN; a final 0 keeps an empty file's array legal
  string(REPEAT "[0-9a-f]" 64 line)
  string(REGEX REPLACE "${line}" "\\0\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND arrays "static const unsigned char FILE_${count}[] = {\n${hex}0};\n")
  if(rel MATCHES "^assets/")
    set(hashed true)
  else()
    set(hashed false)
  endif()
  string(APPEND table "    {\"/${rel}\", FILE_${count}, ${size}, ${hashed}},\n")
  math(EXPR count "${count} + 1")
endforeach()

if(count EQUAL 0)
  set(table "    {NULL, NULL, 0, false},\n")
endif()

set(source "/* Written by scripts/embed_web.cmake from web/dist at build time. */
#include \"http/web_files.h\"

${arrays}
const web_file_t WEB_FILES[] = {
${table}};
const size_t WEB_FILE_COUNT = ${count};
")

# rewriting an unchanged file would rebuild the binary for nothing
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL source)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${source}")
