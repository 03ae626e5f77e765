# One family's reproducers: every case of the family file exports one, and the first case's compiles
# with its own build line (build.sh) against the toolkit and, started where libcuda cannot be loaded,
# exits 77 as build.sh promises.
# With COMPILE=OFF the reproducers are exported only.
# Run as: cmake -D EXE=<ctxshare> -D FAMILY_FILE=<cases/x.cu> -D WORK=<dir> [-D COMPILE=OFF] -P check_repros.cmake
cmake_minimum_required(VERSION 3.25...4.4)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
# No driver anywhere: what a machine without one does (a signal reaches RESULT_VARIABLE only when the
# program is run directly, so the variable is set here rather than through cmake -E env).
set(ENV{CTXSHARE_LIBCUDA} /nonexistent/libcuda.so.1)
# The family's cases only (a family's file is named after it): string(JSON) reads the whole text at
# each call, so the listing of the whole suite would cost each family a second or more per case.
get_filename_component(family "${FAMILY_FILE}" NAME_WE)
execute_process(COMMAND "${EXE}" list --json "${family}.*" OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctxshare list failed")
endif()
string(JSON count LENGTH "${listing}")
math(EXPR last "${count} - 1")
set(first "")
set(exported 0)
foreach(i RANGE ${last})
  string(JSON id GET "${listing}" ${i} id)
  string(JSON source GET "${listing}" ${i} file)
  # __FILE__ may be relative to the build directory (a compiler launcher's doing): compare names.
  get_filename_component(source "${source}" NAME)
  get_filename_component(family_name "${FAMILY_FILE}" NAME)
  if(NOT source STREQUAL family_name)
    continue()
  endif()
  execute_process(COMMAND "${EXE}" repro "${id}" --out "${WORK}/${id}" RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/${id}/repro.cu" OR NOT EXISTS "${WORK}/${id}/REPORT.md")
    message(FATAL_ERROR "${id}: could not be exported: ${err}")
  endif()
  math(EXPR exported "${exported} + 1")
  if(first STREQUAL "")
    set(first "${id}")
  endif()
endforeach()
if(first STREQUAL "")
  message(FATAL_ERROR "no case comes from ${FAMILY_FILE}")
endif()
if(DEFINED COMPILE AND NOT COMPILE)
  message(STATUS "${exported} reproducers exported (not compiled: CTXSHARE_REPRO_FAMILIES)")
  return()
endif()
execute_process(COMMAND sh "${WORK}/${first}/build.sh" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/${first}/repro")
  message(FATAL_ERROR "${first}: its reproducer does not build:\n${out}\n${err}")
endif()
execute_process(COMMAND "${WORK}/${first}/repro"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 77 OR NOT out MATCHES "SKIPPED: no driver")
  message(FATAL_ERROR "${first}: without libcuda its reproducer exited ${rc}, not 77:\n${out}\n${err}")
endif()
message(STATUS "${exported} reproducers exported; ${first} built, and exits 77 without libcuda")
