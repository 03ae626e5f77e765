// driver_first: the driver API makes a context current, then the runtime works on it.
// Source: cuda_runtime_api.h, "Interactions with the CUDA Driver API" (CUDART_DRIVER), section
// Context Interoperability; cuda.h for cuCtxCreate and cuDevicePrimaryCtxRetain.
#include "cases/kernels.cuh"
#include "harness/case.h"

namespace ctxshare {

namespace {
constexpr const char* kInterop = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Context Interoperability";

// cuCtxCreate with the default parameters of the header it was built with.
CUresult create_context(CUcontext* ctx, CUdevice dev) { return cuCtxCreate(ctx, nullptr, 0, dev); }
}  // namespace

CTXSHARE_CASE(driver_first, retained_primary_context_is_the_runtimes_context,
              {.claims = {"SEED-DRIVER-FIRST", "DRV-RETAIN", "RT-PRIMARY"},
               .source = "cuda.h: cuDevicePrimaryCtxRetain; " "cuda_runtime_api.h, Primary Contexts"}) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuDevicePrimaryCtxRetain does not make it current", current, static_cast<CUcontext>(nullptr),
              FindingKind::context_changed);
  CU(cuCtxSetCurrent(primary));

  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, 4096));
  h.own_device_memory(buffer, 4096, Owner::runtime);
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(buffer)));
  h.expect_eq("context of the runtime's allocation", owner, primary, FindingKind::wrong_context);
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("the runtime kept the retained primary current", current, primary, FindingKind::context_changed);
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_allocations,
              {.claims = {"RT-NONPRIMARY", "DRV-CREATE", "SEED-DRIVER-FIRST"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxCreate pushes the new context", current, ctx, FindingKind::wrong_context);

  const std::size_t n = 1 << 18;
  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::runtime);
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(buffer)));
  h.expect_eq("context of cudaMalloc memory under a created context", owner, ctx, FindingKind::wrong_context);

  const auto words = h.random_words(n);
  CU(cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(buffer), words.data(), n * sizeof(std::uint32_t)));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), buffer, n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  h.expect_same_words("driver-written words read by cudaMemcpy", seen, words);
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_launches,
              {.claims = {"RT-NONPRIMARY", "DRV-CREATE"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  const std::size_t n = 1 << 18;
  CUdeviceptr buffer = 0;
  CU(cuMemAlloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::driver);

  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256>>>(reinterpret_cast<std::uint32_t*>(buffer), seed, n);
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), buffer, n * sizeof(std::uint32_t)));
  h.expect_same_words("runtime kernel's output in cuMemAlloc memory of a created context", seen, pattern(seed, n));
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_streams_and_events,
              {.claims = {"RT-NONPRIMARY", "RT-TYPES", "DRV-STREAM-CTX"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreate(&done));
  h.own_event(done, Owner::runtime);

  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  h.expect_eq("cuStreamGetCtx of a runtime stream made under a created context", stream_ctx, ctx,
              FindingKind::wrong_context);
  CU(cuEventRecord(done, stream));
  CU(cuEventSynchronize(done));
  CUDA(cudaEventQuery(done));
  h.checkpoint("after the driver recorded the runtime's event on the runtime's stream");
}

CTXSHARE_CASE(driver_first, runtime_calls_keep_the_created_context_current,
              {.claims = {"RT-CURRENT", "RT-NONPRIMARY"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  h.name_context(ctx, "created");
  const Ledger before = h.ledger();
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 1024));
  h.own_device_memory(p, 1024, Owner::runtime);
  CUDA(cudaMemset(p, 0x5a, 1024));
  CUDA(cudaDeviceSynchronize());
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_ledger_unchanged(before, "cudaMalloc, cudaMemset, cudaDeviceSynchronize, cudaGetDevice");
  h.expect_eq("cudaGetDevice under a created context", device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(driver_first, cudaPointerGetAttributes_refuses_created_context_memory,
              {.claims = {"RT-PTRATTR"}, .source = kInterop, .verdict = Verdict::fails,
               .expected_error = "cudaErrorIncompatibleDriverContext"}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  CUdeviceptr buffer = 0;
  CU(cuMemAlloc(&buffer, 4096));
  h.own_device_memory(buffer, 4096, Owner::driver);
  cudaPointerAttributes attributes{};
  if (!EXPECT_ERROR(cudaErrorIncompatibleDriverContext,
                    cudaPointerGetAttributes(&attributes, reinterpret_cast<void*>(buffer)))) {
    h.observe("attributes_returned", {{"type", static_cast<int>(attributes.type)}, {"device", attributes.device}});
  }
}

}  // namespace ctxshare
