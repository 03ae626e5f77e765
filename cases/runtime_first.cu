// runtime_first: the runtime makes the context, then the driver API looks at it and uses it.
// Source: cuda_runtime_api.h, "Interactions with the CUDA Driver API" (CUDART_DRIVER), sections
// Primary Contexts and Initialization and Tear-Down. The harness has called cuInit(0) and nothing
// else: no context exists when a case starts.
#include "cases/kernels.cuh"
#include "harness/case.h"

namespace ctxshare {

namespace {
constexpr const char* kInit = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down";
constexpr const char* kPrimary = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Primary Contexts";
}  // namespace

CTXSHARE_CASE(runtime_first, first_runtime_call_makes_primary_current,
              {.claims = {"RT-IMPLICIT", "SEED-RUNTIME-ON-DRIVER", "DRV-RETAIN"}, .source = kInit}) {
  CUcontext before = nullptr;
  CU(cuCtxGetCurrent(&before));
  h.expect_eq("current context before any runtime call", before, static_cast<CUcontext>(nullptr));

  CUDA(cudaFree(nullptr));  // needs a context: the runtime selects, initializes and binds the primary
  CUcontext current = nullptr, primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("cuCtxGetCurrent after cudaFree(0) is device 0's primary context", current, primary,
              FindingKind::wrong_context);
  unsigned int flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  h.expect_eq("primary context active", active, 1);
}

CTXSHARE_CASE(runtime_first, cudaSetDevice_makes_primary_current,
              {.claims = {"RT-SETDEVICE", "RT-PRIMARY", "DRV-RETAIN"}, .source = kInit}) {
  CUDA(cudaSetDevice(0));
  CUcontext current = nullptr, primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("cuCtxGetCurrent after cudaSetDevice(0)", current, primary, FindingKind::wrong_context);
  // Retaining does not push: the thread's current context is still the one cudaSetDevice set.
  CUcontext after_retain = nullptr;
  CU(cuCtxGetCurrent(&after_retain));
  h.expect_eq("cuCtxGetCurrent after cuDevicePrimaryCtxRetain", after_retain, current, FindingKind::context_changed);
}

CTXSHARE_CASE(runtime_first, cudaInitDevice_initializes_without_making_current,
              {.claims = {"RT-INITDEVICE"}, .source = kInit, .needs = {.min_driver = 12000}}) {
  CUDA(cudaInitDevice(0, 0, 0));
  unsigned int flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  h.expect_eq("primary context active after cudaInitDevice", active, 1);
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cudaInitDevice", current, static_cast<CUcontext>(nullptr),
              FindingKind::context_changed);
}

CTXSHARE_CASE(runtime_first, cudaSetDeviceFlags_sets_primary_context_flags,
              {.claims = {"RT-FLAGS"}, .source = kInit}) {
  CUDA(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
  CUDA(cudaFree(nullptr));
  unsigned int flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  h.expect_eq("CU_CTX_SCHED_MASK of the primary context", flags & CU_CTX_SCHED_MASK,
              static_cast<unsigned>(CU_CTX_SCHED_BLOCKING_SYNC));
  unsigned int current_flags = 0;
  CU(cuCtxGetFlags(&current_flags));
  h.expect_eq("CU_CTX_SCHED_MASK of cuCtxGetFlags", current_flags & CU_CTX_SCHED_MASK,
              static_cast<unsigned>(CU_CTX_SCHED_BLOCKING_SYNC));
}

CTXSHARE_CASE(runtime_first, runtime_allocation_is_driver_memory_of_the_primary_context,
              {.claims = {"SEED-RUNTIME-ON-DRIVER", "RT-PRIMARY"}, .source = kPrimary}) {
  const std::size_t n = 1 << 20;
  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(buffer, words.data(), n * sizeof(std::uint32_t), cudaMemcpyHostToDevice));

  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(buffer), n * sizeof(std::uint32_t)));
  h.expect_same_words("runtime-written words read by cuMemcpyDtoH", seen, words);

  CUcontext owner = nullptr, primary = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(buffer)));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("CU_POINTER_ATTRIBUTE_CONTEXT of a cudaMalloc pointer", owner, primary, FindingKind::wrong_context);
}

CTXSHARE_CASE(runtime_first, runtime_stream_is_a_driver_stream,
              {.claims = {"RT-TYPES", "DRV-STREAM-CTX"}, .source = "cuda_runtime_api.h, Interactions between CUstream and cudaStream_t"}) {
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  CUcontext stream_ctx = nullptr, current = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuStreamGetCtx of a cudaStreamCreate stream", stream_ctx, current, FindingKind::wrong_context);
  unsigned int flags = 0;
  CU(cuStreamGetFlags(stream, &flags));
  h.expect_eq("cuStreamGetFlags of a cudaStreamNonBlocking stream", flags, static_cast<unsigned>(CU_STREAM_NON_BLOCKING));

  // Work the driver enqueues on the runtime's stream, then a runtime kernel behind it.
  const std::size_t n = 1 << 16;
  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::runtime);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(buffer), words.data(), n * sizeof(std::uint32_t), stream));
  add_value<<<blocks_for(n), 256, 0, stream>>>(buffer, 7, n);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoHAsync(seen.data(), reinterpret_cast<CUdeviceptr>(buffer), n * sizeof(std::uint32_t), stream));
  CU(cuStreamSynchronize(stream));
  h.expect_same_words("driver copy, runtime kernel, driver copy on one runtime stream", seen, plus(words, 7));
}

}  // namespace ctxshare
