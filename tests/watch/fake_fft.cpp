// A stand-in for cuFFT, built as libcufft_watchprobe.so: cuFFT calls the driver's exported symbols (on
// the H100 run its cuLaunchKernel came as the program's component, from libcufft), not the pointers
// of a runtime instance's cuGetProcAddress.
#include <cuda.h>

namespace {
CUresult g_last_result = CUDA_SUCCESS;
}

// A plan's execution: its kernel launched on the plan's stream (the NULL stream here).
extern "C" [[gnu::visibility("default")]] CUresult fakefft_launch(CUfunction f) {
  g_last_result = cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);
  return g_last_result;  // not a tail call: the caller is this object
}
