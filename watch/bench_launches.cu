// The cost of `ctxshare watch` (docs/watch.md): N launches of an empty kernel through cuLaunchKernel
// (exported symbol: the program's wrapper) and through the runtime's <<<>>> (whatever entry points the
// runtime resolved), then a synchronize; prints one JSON line of seconds. `ctxshare bench --watch-cost` runs it
// with and without the interposer and prints the median ratio (target: within 1.2x).
#include <cuda.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

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
  if (cudaError_t e = cudaFree(nullptr); e != cudaSuccess) return fail("cudaFree(nullptr)", e);  // the primary, current
  CUmodule module = nullptr;
  CUfunction function = nullptr;
  if (CUresult r = cuModuleLoadData(&module, kEmptyPtx); r != CUDA_SUCCESS) return fail("cuModuleLoadData", r);
  if (CUresult r = cuModuleGetFunction(&function, module, "empty"); r != CUDA_SUCCESS) return fail("cuModuleGetFunction", r);
  cudaStream_t stream = nullptr;
  if (cudaError_t e = cudaStreamCreate(&stream); e != cudaSuccess) return fail("cudaStreamCreate", e);

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    if (CUresult r = cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr); r != CUDA_SUCCESS)
      return fail("cuLaunchKernel", r);
  if (cudaError_t e = cudaStreamSynchronize(stream); e != cudaSuccess) return fail("cudaStreamSynchronize", e);
  const double driver_s = seconds_since(start);

  start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) empty_kernel<<<1, 1, 0, stream>>>();
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return fail("empty_kernel<<<>>>", e);
  if (cudaError_t e = cudaStreamSynchronize(stream); e != cudaSuccess) return fail("cudaStreamSynchronize", e);
  const double runtime_s = seconds_since(start);

  std::printf("{\"launches\": %d, \"cuLaunchKernel_s\": %.6f, \"runtime_launch_s\": %.6f}\n", n, driver_s, runtime_s);
  cudaStreamDestroy(stream);
  cuModuleUnload(module);
  return 0;
}
