// Where this build put the programs the tests start: paths inside the build directory, so they differ
// from build to build. They live in one small file (paths.cpp, from a generated header), so that the
// tests' own files compile alike in every build variant and ccache shares them.
#pragma once

namespace ctxshare::test_paths {

extern const char* const kSuite;         // ctxshare
extern const char* const kSelftestExe;   // ctxshare_selftest
extern const char* const kWatchProbe;    // tests/watch_probe
extern const char* const kFakeDriver;    // the fake libcuda.so.1 the drivers forward to
extern const char* const kWatchDriver;   // the interposing libcuda.so.1
extern const char* const kMutateProbe;   // tests/mutate_probe
extern const char* const kMutateDriver;  // the mutating libcuda.so.1
extern const char* const kCudaDriverStub;  // the toolkit's stub libcuda.so

}  // namespace ctxshare::test_paths

#define CTXSHARE_EXE ::ctxshare::test_paths::kSuite
#define CTXSHARE_SELFTEST_EXE ::ctxshare::test_paths::kSelftestExe
#define WATCH_PROBE ::ctxshare::test_paths::kWatchProbe
#define FAKE_DRIVER ::ctxshare::test_paths::kFakeDriver
#define WATCH_DRIVER ::ctxshare::test_paths::kWatchDriver
#define MUTATE_PROBE ::ctxshare::test_paths::kMutateProbe
#define MUTATE_DRIVER ::ctxshare::test_paths::kMutateDriver
#define CUDA_DRIVER_STUB ::ctxshare::test_paths::kCudaDriverStub
