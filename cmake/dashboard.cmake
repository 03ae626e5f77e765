# A CTest dashboard run of ctxshare on one GPU machine: configure, build, test with JUnit and a GPU
# resource spec, then submit to CDash with the GPU and driver in the build name.
#
#   ctest -S cmake/dashboard.cmake                                  # no submission
#   ctest -S cmake/dashboard.cmake -DCTXSHARE_SUBMIT_URL=https://my.cdash/submit.php?project=ctxshare
#   ctest -S cmake/dashboard.cmake -DCTXSHARE_PRESET=hopper -DCTXSHARE_SLOTS_PER_GPU=4
#
# Leaves build-dashboard/junit.xml, build-dashboard/results.json (from `ctxshare run`, for
# `ctxshare matrix`) and build-dashboard/gpus.json (the resource spec it tested with).
cmake_minimum_required(VERSION 3.25)
get_filename_component(source "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT DEFINED CTXSHARE_PRESET)
  set(CTXSHARE_PRESET default)
endif()
if(NOT DEFINED CTXSHARE_SLOTS_PER_GPU)
  set(CTXSHARE_SLOTS_PER_GPU 2)
endif()
set(CTEST_SOURCE_DIRECTORY "${source}")
set(CTEST_BINARY_DIRECTORY "${source}/build-dashboard")
set(CTEST_CMAKE_GENERATOR "Unix Makefiles")
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
set(CTEST_BUILD_FLAGS "-j${cores}")
set(CTEST_SITE "${CTXSHARE_SITE}")
if(NOT CTEST_SITE)
  cmake_host_system_information(RESULT CTEST_SITE QUERY HOSTNAME)
endif()

# The build name carries the GPU and driver, so ctxshare is built once before the dashboard starts.
execute_process(COMMAND ${CMAKE_COMMAND} --preset ${CTXSHARE_PRESET} -B "${CTEST_BINARY_DIRECTORY}"
                WORKING_DIRECTORY "${source}" RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc EQUAL 0)
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${CTEST_BINARY_DIRECTORY}" --target ctxshare --parallel ${cores} RESULT_VARIABLE rc OUTPUT_QUIET)
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dashboard: the first build of ctxshare failed")
endif()
execute_process(COMMAND "${CTEST_BINARY_DIRECTORY}/ctxshare" env --json OUTPUT_VARIABLE env)
string(JSON gpu ERROR_VARIABLE no_gpu GET "${env}" cuda devices 0 name)
string(JSON driver ERROR_VARIABLE no_driver GET "${env}" cuda driver nvml_version)
string(JSON variant GET "${env}" build variant)
string(JSON gpus ERROR_VARIABLE no_devices LENGTH "${env}" cuda devices)
if(no_gpu)
  set(gpu "no-gpu")
endif()
if(no_driver OR driver STREQUAL "")
  set(driver "no-driver")
endif()
if(no_devices)
  set(gpus 0)
endif()
string(REPLACE " " "_" gpu "${gpu}")
set(CTEST_BUILD_NAME "${gpu}-driver-${driver}-${variant}")

ctest_start(Experimental)
ctest_configure(OPTIONS "--preset;${CTXSHARE_PRESET}")
ctest_build()

# One resource per GPU with CTXSHARE_SLOTS_PER_GPU slots; a case takes a slot of each GPU it needs
# (RESOURCE_GROUPS), and the runner turns the ids ctest hands it into CUDA_VISIBLE_DEVICES.
# The reproducer build test is CI's (it needs no GPU); the dashboard is about the GPU.
set(test_args OUTPUT_JUNIT "${CTEST_BINARY_DIRECTORY}/junit.xml" PARALLEL_LEVEL 4 EXCLUDE_LABEL repro)
if(gpus GREATER 0)
  set(spec "{\"version\": {\"major\": 1, \"minor\": 0}, \"local\": [{\"gpus\": [")
  math(EXPR last "${gpus} - 1")
  foreach(i RANGE ${last})
    if(i GREATER 0)
      string(APPEND spec ", ")
    endif()
    string(APPEND spec "{\"id\": \"${i}\", \"slots\": ${CTXSHARE_SLOTS_PER_GPU}}")
  endforeach()
  string(APPEND spec "]}]}\n")
  file(WRITE "${CTEST_BINARY_DIRECTORY}/gpus.json" "${spec}")
  list(APPEND test_args RESOURCE_SPEC_FILE "${CTEST_BINARY_DIRECTORY}/gpus.json")
endif()
ctest_test(${test_args} RETURN_VALUE test_rc)
execute_process(COMMAND "${CTEST_BINARY_DIRECTORY}/ctxshare" run --json "${CTEST_BINARY_DIRECTORY}/results.json"
                OUTPUT_QUIET)

if(CTXSHARE_SUBMIT_URL)
  set(CTEST_SUBMIT_URL "${CTXSHARE_SUBMIT_URL}")
  ctest_submit(RETURN_VALUE submit_rc)
  if(NOT submit_rc EQUAL 0)
    message(FATAL_ERROR "dashboard: submission to ${CTXSHARE_SUBMIT_URL} failed")
  endif()
else()
  message(STATUS "dashboard: ${CTEST_BUILD_NAME}: submission disabled (set CTXSHARE_SUBMIT_URL); files are in ${CTEST_BINARY_DIRECTORY}")
endif()
if(NOT test_rc EQUAL 0)
  message(FATAL_ERROR "dashboard: some tests failed")
endif()
