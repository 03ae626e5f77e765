// modules_rtc: functions and kernels handed between the APIs, and code compiled at run time with
// NVRTC (the PyCUDA pattern) living beside the runtime.
// Sources: cuda_runtime_api.h, cudaGetFuncBySymbol, cudaGetKernel, cudaLaunchKernel (which takes a
// cudaKernel_t too), cudaGetDriverEntryPointByVersion; cuda.h, cuModuleLoadData, cuLibraryLoadData,
// cuGetProcAddress, cuModuleGetLoadingMode.
#include "cases/kernels.cuh"
#include "harness/case/case.h"
#include "harness/cuda/libraries.h"

namespace ctxshare {

namespace {

constexpr const char* kRtcSource = R"(
extern "C" __device__ unsigned int rtc_value;
__device__ unsigned int rtc_value = 0;
extern "C" __global__ void rtc_scale(unsigned int* data, unsigned int factor, unsigned long long n) {
  unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
  if (i < n) data[i] = data[i] * factor + rtc_value;
}
)";

std::vector<std::uint32_t> scaled(std::vector<std::uint32_t> v, std::uint32_t factor, std::uint32_t offset) {
  for (auto& w : v) w = w * factor + offset;
  return v;
}

}  // namespace

CTXSHARE_CASE(modules_rtc, cudaGetFuncBySymbol_function_launches_with_cuLaunchKernel,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h: cudaGetFuncBySymbol; cuda.h: cuLaunchKernel"}) {
  CUDA(cudaSetDevice(0));
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
  const std::size_t n = 1 << 16;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &seed, &count};
  CU(cuLaunchKernel(static_cast<CUfunction>(function), blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a runtime kernel launched by cuLaunchKernel through cudaGetFuncBySymbol", seen, pattern(seed, n));
}

CTXSHARE_CASE(modules_rtc, cudaGetKernel_kernel_launches_through_cuKernelGetFunction,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h: cudaGetKernel; cuda.h: cuKernelGetFunction",
               .needs = {.min_driver = 12050}}) {
  CUDA(cudaSetDevice(0));
  cudaKernel_t kernel = nullptr;
  CUDA(cudaGetKernel(&kernel, fill_pattern));
  CUfunction function = nullptr;
  CU(cuKernelGetFunction(&function, static_cast<CUkernel>(kernel)));
  const std::size_t n = 1 << 16;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &seed, &count};
  CU(cuLaunchKernel(function, blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a runtime kernel launched through cudaGetKernel and cuKernelGetFunction", seen, pattern(seed, n));
}

CTXSHARE_CASE(modules_rtc, cudaGetFuncBySymbol_is_per_context,
              {.claims = {"RT-TYPES", "RT-STATE-TRAVELS", "RT-NONPRIMARY"},
               .source = "cuda_runtime_api.h: cudaGetFuncBySymbol, Context Interoperability"}) {
  CUDA(cudaSetDevice(0));
  cudaFunction_t in_primary = nullptr, in_created = nullptr;
  CUDA(cudaGetFuncBySymbol(&in_primary, reinterpret_cast<const void*>(&fill_pattern)));
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUDA(cudaGetFuncBySymbol(&in_created, reinterpret_cast<const void*>(&fill_pattern)));
  h.observe("the same function handle in both contexts", in_primary == in_created);
  // Whatever the handles, the one obtained under the created context must launch in it.
  const std::size_t n = 4096;
  CUdeviceptr out = 0;
  CU(cuMemAlloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::driver);
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &seed, &count};
  CU(cuLaunchKernel(static_cast<CUfunction>(in_created), blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), out, n * 4));
  h.expect_same_words("launch of the created context's function handle", seen, pattern(seed, n));
}

CTXSHARE_CASE(modules_rtc, nvrtc_cubin_module_launches_on_a_runtime_stream,
              {.claims = {"SEED-RTC"}, .source = "cuda.h: cuModuleLoadData; nvrtc.h",
               .needs = {.libraries = {"nvrtc"}}}) {
  CUDA(cudaSetDevice(0));
  const std::string cubin = h.compile(kRtcSource, "rtc_scale.cu", true);
  CUmodule module = nullptr;
  CU(cuModuleLoadData(&module, cubin.data()));
  h.own_module(module);
  CUfunction scale = nullptr;
  CU(cuModuleGetFunction(&scale, module, "rtc_scale"));
  CUdeviceptr value = 0;
  std::size_t value_bytes = 0;
  CU(cuModuleGetGlobal(&value, &value_bytes, module, "rtc_value"));
  const std::uint32_t offset = h.random_words(1)[0];
  CUDA(cudaMemcpy(reinterpret_cast<void*>(value), &offset, sizeof offset, cudaMemcpyHostToDevice));

  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);
  const std::size_t n = 1 << 16;
  std::uint32_t* data = nullptr;
  CUDA(cudaMalloc(&data, n * 4));
  h.own_device_memory(data, n * 4, Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpyAsync(data, words.data(), n * 4, cudaMemcpyHostToDevice, stream));
  std::uint32_t factor = 3;
  unsigned long long count = n;
  void* args[] = {&data, &factor, &count};
  CU(cuLaunchKernel(scale, blocks_for(n), 1, 1, 256, 1, 1, 0, stream, args, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), data, n * 4, cudaMemcpyDeviceToHost, stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("NVRTC kernel on a runtime stream over runtime memory, module global set by cudaMemcpy", seen,
                      scaled(words, 3, offset));
}

CTXSHARE_CASE(modules_rtc, nvrtc_ptx_library_kernel_launches_with_cudaLaunchKernel,
              {.claims = {"SEED-RTC", "RT-TYPES"}, .source = "cuda.h: cuLibraryLoadData; cuda_runtime_api.h: cudaLaunchKernel",
               .needs = {.min_driver = 12050, .libraries = {"nvrtc"}}}) {
  CUDA(cudaSetDevice(0));
  const std::string ptx = h.compile(kRtcSource, "rtc_scale.cu", false);
  CUlibrary library = nullptr;
  CU(cuLibraryLoadData(&library, ptx.c_str(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  h.own_library(library);
  CUkernel kernel = nullptr;
  CU(cuLibraryGetKernel(&kernel, library, "rtc_scale"));

  const std::size_t n = 1 << 16;
  std::uint32_t* data = nullptr;
  CUDA(cudaMalloc(&data, n * 4));
  h.own_device_memory(data, n * 4, Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(data, words.data(), n * 4, cudaMemcpyHostToDevice));
  std::uint32_t factor = 5;
  unsigned long long count = n;
  void* args[] = {&data, &factor, &count};
  CUDA(cudaLaunchKernel(reinterpret_cast<const void*>(kernel), dim3(blocks_for(n)), dim3(256), args, 0, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), data, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a CUkernel from cuLibraryLoadData launched by cudaLaunchKernel", seen, scaled(words, 5, 0));
}

CTXSHARE_CASE(modules_rtc, nvrtc_module_in_a_created_context_reads_runtime_memory,
              {.claims = {"SEED-RTC", "RT-NONPRIMARY"}, .source = "cuda.h: cuModuleLoadData, cuCtxCreate",
               .needs = {.libraries = {"nvrtc"}}}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  const std::string cubin = h.compile(kRtcSource, "rtc_scale.cu", true);
  CUmodule module = nullptr;
  CU(cuModuleLoadData(&module, cubin.data()));
  h.own_module(module);
  CUfunction scale = nullptr;
  CU(cuModuleGetFunction(&scale, module, "rtc_scale"));
  const std::size_t n = 1 << 14;
  std::uint32_t* data = nullptr;
  CUDA(cudaMalloc(&data, n * 4));
  h.own_device_memory(data, n * 4, Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(data, words.data(), n * 4, cudaMemcpyHostToDevice));
  std::uint32_t factor = 7;
  unsigned long long count = n;
  void* args[] = {&data, &factor, &count};
  CU(cuLaunchKernel(scale, blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), data, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("NVRTC kernel in a created context over cudaMalloc memory", seen, scaled(words, 7, 0));
}

namespace {
CTXSHARE_AXIS(StreamFlavour, legacy_stream, per_thread_stream);
}  // namespace

CTXSHARE_CASE(modules_rtc, driver_entry_point_through_the_runtime_is_the_drivers,
              {.claims = {"DRV-ENTRY"}, .source = "cuda_runtime_api.h: cudaGetDriverEntryPointByVersion; cuda.h: cuGetProcAddress",
               .axes = {axis<StreamFlavour>()}}) {
  // The same flavour asked of both: the runtime's default follows how this binary was compiled
  // (--default-stream), the driver's cannot know, so the defaults are only observed.
  const bool per_thread = h.param<StreamFlavour>() == StreamFlavour::per_thread_stream;
  const unsigned long long runtime_flags = per_thread ? cudaEnablePerThreadDefaultStream : cudaEnableLegacyStream;
  const cuuint64_t driver_flags = per_thread ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM : CU_GET_PROC_ADDRESS_LEGACY_STREAM;
  for (const char* symbol : {"cuCtxGetCurrent", "cuMemAlloc", "cuCtxCreate", "cuStreamGetCtx", "cuMemcpyAsync"}) {
    void* by_runtime = nullptr;
    cudaDriverEntryPointQueryResult status{};
    const int version = std::string(symbol) == "cuCtxCreate" ? 12050 : 12000;
    CUDA(cudaGetDriverEntryPointByVersion(symbol, &by_runtime, version, runtime_flags, &status));
    h.expect_eq(std::string(symbol) + ": cudaGetDriverEntryPointByVersion found it", status, cudaDriverEntryPointSuccess);
    void* by_driver = h.driver_entry_point(symbol, version, driver_flags);  // null unless found
    h.expect(by_driver != nullptr, FindingKind::unexpected_error, std::string(symbol) + ": cuGetProcAddress found it");
    h.expect_eq(std::string(symbol) + " entry point, runtime against cuGetProcAddress", by_runtime, by_driver);
    void* runtime_default = nullptr;
    CUDA(cudaGetDriverEntryPointByVersion(symbol, &runtime_default, version, cudaEnableDefault, &status));
    h.observe(std::string(symbol) + ": cudaEnableDefault gives this flavour", runtime_default == by_runtime);
  }
  // The pointer the runtime gives works: it reports the runtime's own context.
  void* entry = nullptr;
  cudaDriverEntryPointQueryResult status{};
  CUDA(cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &entry, 4000, runtime_flags, &status));
  CUDA(cudaFree(nullptr));
  CUcontext through_entry = nullptr, current = nullptr;
  auto get_current = reinterpret_cast<CUresult(CUDAAPI*)(CUcontext*)>(entry);
  CU(traced_driver_call("cuCtxGetCurrent (from cudaGetDriverEntryPointByVersion)", [&] { return get_current(&through_entry); }));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent through the runtime's entry point", through_entry, current, FindingKind::wrong_context);
}

namespace {
// Whatever CUDA_MODULE_LOADING says, runtime kernels launch in contexts made before and after the
// runtime's first call.
void launch_in_contexts_created_before_and_after(Case& h, CUmoduleLoadingMode expected) {
  CUmoduleLoadingMode mode{};
  CU(cuModuleGetLoadingMode(&mode));
  h.expect_eq("cuModuleGetLoadingMode", static_cast<int>(mode), static_cast<int>(expected));

  CUcontext before = nullptr, after = nullptr;
  CU(cuCtxCreate(&before, nullptr, 0, h.device(0)));
  h.own_context(before);
  const std::size_t n = 4096;
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      CUDA(cudaFree(nullptr));  // the runtime has registered its kernels: now a context made after
      CU(cuCtxCreate(&after, nullptr, 0, h.device(0)));
      h.own_context(after);
    }
    std::uint32_t* out = nullptr;
    CUDA(cudaMalloc(&out, n * 4));
    h.own_device_memory(out, n * 4, Owner::runtime);
    const std::uint32_t seed = h.random_words(1)[0];
    fill_pattern<<<blocks_for(n), 256>>>(out, seed, n);
    CUDA(cudaGetLastError());
    std::vector<std::uint32_t> seen(n);
    CUDA(cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost));
    h.expect_same_words(round == 0 ? "runtime kernel in a context created before the runtime's first call"
                                   : "runtime kernel in a context created after it",
                        seen, pattern(seed, n));
  }
}

}  // namespace

// CUDA_MODULE_LOADING is read at cuInit, before the body: the case's process starts with it set.
CTXSHARE_CASE(modules_rtc, eager_loading_with_contexts_created_before_and_after,
              {.claims = {"SEED-RTC", "RT-NONPRIMARY"}, .source = "cuda.h: cuModuleGetLoadingMode; CUDA_MODULE_LOADING",
               .environment = {{"CUDA_MODULE_LOADING", "EAGER"}}}) {
  launch_in_contexts_created_before_and_after(h, CU_MODULE_EAGER_LOADING);
}

CTXSHARE_CASE(modules_rtc, lazy_loading_with_contexts_created_before_and_after,
              {.claims = {"SEED-RTC", "RT-NONPRIMARY"}, .source = "cuda.h: cuModuleGetLoadingMode; CUDA_MODULE_LOADING",
               .environment = {{"CUDA_MODULE_LOADING", "LAZY"}}}) {
  launch_in_contexts_created_before_and_after(h, CU_MODULE_LAZY_LOADING);
}

CTXSHARE_CASE(modules_rtc, function_attributes_agree_between_the_apis,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h: cudaFuncGetAttributes; cuda.h: cuFuncGetAttribute"}) {
  CUDA(cudaSetDevice(0));
  cudaFuncAttributes attributes{};
  CUDA(cudaFuncGetAttributes(&attributes, fill_pattern));
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
  int registers = -1, max_threads = -1;
  CU(cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, static_cast<CUfunction>(function)));
  CU(cuFuncGetAttribute(&max_threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, static_cast<CUfunction>(function)));
  h.expect_eq("registers per thread, runtime against driver", attributes.numRegs, registers);
  h.expect_eq("max threads per block, runtime against driver", attributes.maxThreadsPerBlock, max_threads);
  const char* name = nullptr;
  CU(cuFuncGetName(&name, static_cast<CUfunction>(function)));
  h.expect(name != nullptr && std::string(name).find("fill_pattern") != std::string::npos, FindingKind::mismatch,
           "cuFuncGetName of the runtime's function", {{"name", describe(name)}});
}

}  // namespace ctxshare
