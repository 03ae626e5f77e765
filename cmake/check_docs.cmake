# The committed docs are what the committed results generate: runs `ctxshare matrix` on
# docs/results/*.json into a scratch directory and compares with docs/.
# Run as: cmake -D EXE=<ctxshare> -D SOURCE=<repo> -D WORK=<dir> -P check_docs.cmake
cmake_minimum_required(VERSION 3.25...4.4)
file(GLOB runs "${SOURCE}/docs/results/*.json")
list(SORT runs)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${EXE}" matrix ${runs} --out "${WORK}" --claims "${SOURCE}/docs/claims-reference.md"
                WORKING_DIRECTORY "${SOURCE}" RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctxshare matrix failed: ${err}")
endif()
foreach(name patterns.md claims.md matrix.html)
  file(READ "${WORK}/${name}" generated)
  if(NOT EXISTS "${SOURCE}/docs/${name}")
    message(FATAL_ERROR "docs/${name} is missing: run `ctxshare matrix docs/results/*.json --out docs`")
  endif()
  file(READ "${SOURCE}/docs/${name}" committed)
  if(NOT generated STREQUAL committed)
    message(FATAL_ERROR "docs/${name} is not what docs/results/*.json generate: run `ctxshare matrix docs/results/*.json --out docs`")
  endif()
endforeach()
message(STATUS "docs/patterns.md, docs/claims.md and docs/matrix.html match the committed results")
