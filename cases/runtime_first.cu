// runtime_first: the runtime makes the context, then the driver API looks at it and uses it.
// Source: cuda_runtime_api.h, "Interactions with the CUDA Driver API" (CUDART_DRIVER), sections
// Primary Contexts and Initialization and Tear-Down. The harness has called cuInit(0) and nothing
// else: no context exists when a case starts.
#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

__device__ std::uint32_t runtime_first_counter;

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

CTXSHARE_CASE(runtime_first, cudaSetDevice_replaces_a_pushed_created_context,
              {.claims = {"RT-SETDEVICE", "RT-CURRENT"}, .source = kInit}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUDA(cudaSetDevice(0));  // documented to bind the primary context "by calling cuCtxSetCurrent()"
  CUcontext current = nullptr, primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("cuCtxGetCurrent after cudaSetDevice over a pushed created context", current, primary,
              FindingKind::wrong_context);
  // cuCtxSetCurrent replaced the top of the stack: popping it leaves nothing current.
  CUcontext popped = nullptr, below = nullptr;
  CU(cuCtxPopCurrent(&popped));
  CU(cuCtxGetCurrent(&below));
  h.expect_eq("the context cudaSetDevice left on top of the stack", popped, primary, FindingKind::wrong_context);
  h.expect_eq("what is current once it is popped", below, static_cast<CUcontext>(nullptr), FindingKind::context_changed);
}

CTXSHARE_CASE(runtime_first, cudaSetDeviceFlags_overwrites_on_an_active_primary,
              {.claims = {"RT-FLAGS"}, .source = kInit}) {
  CUDA(cudaFree(nullptr));
  // The other setters fail with cudaErrorSetOnActiveProcess here; cudaSetDeviceFlags overwrites.
  CUDA(cudaSetDeviceFlags(cudaDeviceScheduleYield));
  unsigned int runtime_flags = 0;
  CUDA(cudaGetDeviceFlags(&runtime_flags));
  h.expect_eq("cudaGetDeviceFlags schedule bits after the overwrite", runtime_flags & cudaDeviceScheduleMask,
              static_cast<unsigned>(cudaDeviceScheduleYield));
  unsigned int flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  h.expect_eq("cuDevicePrimaryCtxGetState schedule bits after the overwrite", flags & CU_CTX_SCHED_MASK,
              static_cast<unsigned>(CU_CTX_SCHED_YIELD));
}

CTXSHARE_CASE(runtime_first, cudaSetDeviceFlags_initializes_the_primary_with_its_flags,
              {.claims = {"RT-FLAGS", "DRV-RETAIN"}, .source = "cuda_runtime_api.h: cudaSetDeviceFlags"}) {
  // "If the current device has not been initialized, it is initialized with the provided flags."
  CUDA(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
  unsigned int flags = 0;
  int active = 0;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  h.expect_eq("primary active right after cudaSetDeviceFlags", active, 1);
  h.expect_eq("primary schedule flags", flags & CU_CTX_SCHED_MASK, static_cast<unsigned>(CU_CTX_SCHED_BLOCKING_SYNC));
  CUcontext primary = nullptr, current = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("the context cudaSetDeviceFlags made current is the retained primary", current, primary,
              FindingKind::wrong_context);
}

CTXSHARE_CASE(runtime_first, runtime_event_is_a_driver_event,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h, Interactions between CUevent and cudaEvent_t"}) {
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);
  cudaEvent_t start = nullptr, stop = nullptr;
  CUDA(cudaEventCreate(&start));
  h.own_event(start, Owner::runtime);
  CUDA(cudaEventCreate(&stop));
  h.own_event(stop, Owner::runtime);
  const std::size_t n = 1 << 20;
  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::runtime);

  Gate gate(h);
  CU(cuEventRecord(start, stream));
  gate.hold(stream, fill_pattern);  // the kernel and the stop event stay pending until the gate opens
  fill_pattern<<<blocks_for(n), 256, 0, stream>>>(buffer, 1, n);
  CUDA(cudaGetLastError());
  CU(cuEventRecord(stop, stream));
  gate.open_after(kSettle);
  CU(cuEventSynchronize(stop));
  gate.expect_waited(h, "cuEventSynchronize of a runtime event");
  float by_runtime = -1, by_driver = -1;
  CUDA(cudaEventElapsedTime(&by_runtime, start, stop));
  CU(cuEventElapsedTime(&by_driver, start, stop));
  h.expect(by_runtime >= 0 && by_runtime == by_driver, FindingKind::mismatch,
           "elapsed time between two runtime events recorded by the driver, through each API",
           {{"cudaEventElapsedTime", by_runtime}, {"cuEventElapsedTime", by_driver}});
}

CTXSHARE_CASE(runtime_first, device_variable_is_a_driver_global_of_the_primary_context,
              {.claims = {"RT-STATE-TRAVELS", "RT-PRIMARY"}, .source = kInterop}) {
  const std::uint32_t value = h.random_words(1)[0];
  CUDA(cudaMemcpyToSymbol(runtime_first_counter, &value, sizeof value));
  void* address = nullptr;
  CUDA(cudaGetSymbolAddress(&address, runtime_first_counter));
  std::uint32_t seen = 0;
  CU(cuMemcpyDtoH(&seen, reinterpret_cast<CUdeviceptr>(address), sizeof seen));
  h.expect_eq("__device__ variable read by the driver at cudaGetSymbolAddress", seen, value, FindingKind::data_mismatch);
  CUcontext owner = nullptr, current = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(address)));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("context of the __device__ variable", owner, current, FindingKind::wrong_context);
}

CTXSHARE_CASE(runtime_first, primary_context_is_not_a_legacy_context,
              {.claims = {"RT-LEGACY"}, .source = kInterop,
               .weak_evidence = "shows the runtime's own context is not a legacy one, not that a legacy context is refused"}) {
  CUDA(cudaFree(nullptr));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  unsigned int version = 0;
  CU(cuCtxGetApiVersion(current, &version));
  h.observe("cuCtxGetApiVersion of the primary context", version);
  h.expect(version != 3010, FindingKind::mismatch, "the runtime's own context has the legacy API version 3010");
}

CTXSHARE_CASE(runtime_first, legacy_context_is_refused_by_the_runtime,
              {.claims = {"RT-LEGACY", "DRV-ENTRY"}, .source = kInterop}) {
  // The CUDA 3.0 cuCtxCreate made legacy (3010) contexts; a driver may no longer offer it, and then
  // there is nothing the documented refusal could apply to.
  using LegacyCreate = CUresult(CUDAAPI*)(CUcontext*, unsigned int, CUdevice);
  auto legacy_create = reinterpret_cast<LegacyCreate>(h.driver_entry_point("cuCtxCreate", 3000));
  if (legacy_create == nullptr) h.skip("this driver no longer offers the CUDA 3.0 cuCtxCreate: no legacy context can be made");
  CUcontext legacy = nullptr;
  const CUdevice dev = h.device(0);
  const CUresult created =
      traced_driver_call("cuCtxCreate (ABI 3000)", [&] { return legacy_create(&legacy, 0, dev); });
  if (created != CUDA_SUCCESS) h.skip("the CUDA 3.0 cuCtxCreate returned " + describe(created).text() + ": no legacy context to offer the runtime");
  h.own_context(legacy);
  unsigned int version = 0;
  CU(cuCtxGetApiVersion(legacy, &version));
  h.observe("cuCtxGetApiVersion of the context it made", version);
  if (version != 3010) h.skip("the CUDA 3.0 cuCtxCreate made a context of API version " + std::to_string(version) + ", not a legacy one");
  void* p = nullptr;
  const cudaError_t r = cudaMalloc(&p, 256);
  if (r == cudaSuccess) h.own_device_memory(p, 256, Owner::runtime);
  EXPECT_ERROR(cudaErrorIncompatibleDriverContext, r);
}

}  // namespace ctxshare
