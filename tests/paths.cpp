#include "tests/paths.h"

#include "tests/test_paths.h"  // generated: CTXSHARE_TEST_PATH_* for this build directory

namespace ctxshare::test_paths {

const char* const kSuite = CTXSHARE_TEST_PATH_SUITE;
const char* const kSelftestExe = CTXSHARE_TEST_PATH_SELFTEST;
const char* const kWatchProbe = CTXSHARE_TEST_PATH_WATCH_PROBE;
const char* const kFakeDriver = CTXSHARE_TEST_PATH_FAKE_DRIVER;
const char* const kWatchDriver = CTXSHARE_TEST_PATH_WATCH_DRIVER;
const char* const kMutateProbe = CTXSHARE_TEST_PATH_MUTATE_PROBE;
const char* const kMutateDriver = CTXSHARE_TEST_PATH_MUTATE_DRIVER;
const char* const kCudaDriverStub = CTXSHARE_TEST_PATH_CUDA_DRIVER_STUB;

}  // namespace ctxshare::test_paths
