// The cost of `ctxshare watch` (docs/watch.md): N launches of an empty kernel through cuLaunchKernel
// (exported symbol: the program's wrapper) and through the runtime's <<<>>> (whatever entry points the
// runtime resolved), then a synchronize, each loop timed `reps` times after a warm-up; prints one JSON
// line of seconds. `ctxshare bench --watch-cost` runs it with and without the interposer and prints the
// median ratio (target: within 1.2x).
//
// The warm-up keeps one-time work out of the timed loops (the runtime's lazy load of the kernel at its
// first launch, which watch also watches): the target is about launches. The repetitions give each
// process several samples, so one slow process (the bare runs on one H100 spread from 0.30 to 0.40 s)
// weighs less on the median.
#include <cuda.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
__global__ void empty_kernel() {}

// PTX for the driver's launches: the driver compiles it for whatever GPU runs it.
const char kEmptyPtx[] = R"(.version 7.0
.target sm_52
.address_size 64
.visible .entry empty() { ret; }
)";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int fail(const char* what, int code) {
  std::fprintf(stderr, "bench_launches: %s failed: %d\n", what, code);
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const int warm_up = 1000;
  if (cudaError_t e = cudaFree(nullptr); e != cudaSuccess) return fail("cudaFree(nullptr)", e);  // the primary, current
  CUmodule module = nullptr;
  CUfunction function = nullptr;
  if (CUresult r = cuModuleLoadData(&module, kEmptyPtx); r != CUDA_SUCCESS) return fail("cuModuleLoadData", r);
  if (CUresult r = cuModuleGetFunction(&function, module, "empty"); r != CUDA_SUCCESS) return fail("cuModuleGetFunction", r);
  cudaStream_t stream = nullptr;
  if (cudaError_t e = cudaStreamCreate(&stream); e != cudaSuccess) return fail("cudaStreamCreate", e);

  auto driver_loop = [&](int count) -> CUresult {
    for (int i = 0; i < count; ++i)
      if (CUresult r = cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr); r != CUDA_SUCCESS) return r;
    return static_cast<CUresult>(cudaStreamSynchronize(stream));
  };
  auto runtime_loop = [&](int count) -> cudaError_t {
    for (int i = 0; i < count; ++i) empty_kernel<<<1, 1, 0, stream>>>();
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    return cudaStreamSynchronize(stream);
  };
  if (CUresult r = driver_loop(warm_up); r != CUDA_SUCCESS) return fail("cuLaunchKernel (warm-up)", r);
  if (cudaError_t e = runtime_loop(warm_up); e != cudaSuccess) return fail("empty_kernel<<<>>> (warm-up)", e);

  std::string driver_s, runtime_s;
  for (int rep = 0; rep < reps; ++rep) {
    auto start = std::chrono::steady_clock::now();
    if (CUresult r = driver_loop(n); r != CUDA_SUCCESS) return fail("cuLaunchKernel", r);
    driver_s += (rep ? ", " : "") + std::to_string(seconds_since(start));
    start = std::chrono::steady_clock::now();
    if (cudaError_t e = runtime_loop(n); e != cudaSuccess) return fail("empty_kernel<<<>>>", e);
    runtime_s += (rep ? ", " : "") + std::to_string(seconds_since(start));
  }
  std::printf("{\"launches\": %d, \"cuLaunchKernel_s\": [%s], \"runtime_launch_s\": [%s]}\n", n, driver_s.c_str(),
              runtime_s.c_str());
  cudaStreamDestroy(stream);
  cuModuleUnload(module);
  return 0;
}
