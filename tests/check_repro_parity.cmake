# A reproducer judges its case exactly as the suite does: for a harness self-test case that passes,
# fails, makes no check, skips at run time or crashes, the suite's outcome and the reproducer's exit
# status agree. One case per run, so that ctest builds them side by side.
# Run as: cmake -D EXE=<ctxshare_selftest> -D ID=<case> -D WORK=<dir> -P check_repro_parity.cmake
cmake_minimum_required(VERSION 3.25...4.4)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
# No driver anywhere: what a machine without one does (a signal reaches RESULT_VARIABLE only when the
# program is run directly, so the variable is set here rather than through cmake -E env).
set(ENV{CTXSHARE_LIBCUDA} /nonexistent/libcuda.so.1)
set(expected_exit_passed 0)
set(expected_exit_failed 1)
set(expected_exit_error 2)
set(expected_exit_skipped 77)
set(expected_exit_crash "Segmentation fault")
foreach(id ${ID})
  execute_process(COMMAND "${EXE}" run "${id}" --json "${WORK}/${id}.json" OUTPUT_QUIET ERROR_QUIET)
  file(READ "${WORK}/${id}.json" results)
  string(JSON outcome GET "${results}" cases 0 outcome)
  execute_process(COMMAND "${EXE}" repro "${id}" --out "${WORK}/${id}" OUTPUT_QUIET)
  execute_process(COMMAND sh "${WORK}/${id}/build.sh" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${id}: its reproducer does not build:\n${out}\n${err}")
  endif()
  execute_process(COMMAND "${WORK}/${id}/repro"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT "${rc}" STREQUAL "${expected_exit_${outcome}}")
    message(FATAL_ERROR "${id}: the suite says ${outcome}, the reproducer exited ${rc}:\n${out}\n${err}")
  endif()
  message(STATUS "${id}: ${outcome} in the suite, exit ${rc} from its reproducer")
endforeach()
