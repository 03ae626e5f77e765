// green_contexts: a green context (a partition of the device's SMs) converted to a CUcontext with
// cuCtxFromGreenCtx, made current, and used by the runtime.
// Source: cuda.h, Green Contexts: cuGreenCtxCreate, cuCtxFromGreenCtx, cuCtxGetDevResource.
#include <string_view>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kGreen = "cuda.h, Green Contexts: cuGreenCtxCreate, cuCtxFromGreenCtx";
constexpr Needs kGreenNeeds{.min_driver = 12040, .min_compute_capability = 60};

// A green context of one group of at least 8 SMs, converted, pushed, released with the case.
CUcontext push_green_context(Case& h, unsigned int* sm_count) {
  CUdevResource sms{};
  CU(cuDeviceGetDevResource(h.device(0), &sms, CU_DEV_RESOURCE_TYPE_SM));
  CUdevResource group{}, rest{};
  unsigned int groups = 1;
  CU(cuDevSmResourceSplitByCount(&group, &groups, &sms, &rest, 0, 8));
  *sm_count = group.sm.smCount;
  CUdevResourceDesc desc = nullptr;
  CU(cuDevResourceGenerateDesc(&desc, &group, 1));
  CUgreenCtx green = nullptr;
  CU(cuGreenCtxCreate(&green, desc, h.device(0), CU_GREEN_CTX_DEFAULT_STREAM));
  h.defer("a green context", [green] { return cuGreenCtxDestroy(green); });
  CUcontext ctx = nullptr;
  CU(cuCtxFromGreenCtx(&ctx, green));
  CU(cuCtxPushCurrent(ctx));
  // Released before the green context itself: nothing may stay current on a destroyed context.
  h.defer("the converted green context on this thread's stack", [] {
    CUcontext popped = nullptr;
    return cuCtxPopCurrent(&popped);
  });
  return ctx;
}
}  // namespace

CTXSHARE_CASE(green_contexts, converted_green_context_hosts_runtime_work,
              {.claims = {"DRV-GREEN", "RT-CURRENT", "RT-NONPRIMARY"}, .source = kGreen, .needs = kGreenNeeds}) {
  unsigned int sm_count = 0;
  const CUcontext green = push_green_context(h, &sm_count);
  const std::size_t n = 1 << 18;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  // cuCtxFromGreenCtx: "the converted context is a normal primary context but with the resources of
  // the green context". Its memory may report either handle; which one is recorded.
  CUcontext owner = nullptr, primary = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.observe("CU_POINTER_ATTRIBUTE_CONTEXT of memory allocated under the converted context",
            owner == green ? "the converted context" : owner == primary ? "the device's primary context" : "another context");
  h.expect(owner == green || owner == primary, FindingKind::wrong_context,
           "memory allocated under a converted green context belongs to neither it nor the primary context",
           {{"converted", describe(green)}, {"primary", describe(primary)}, {"observed", describe(owner)}});
  h.own_device_memory_reported_in(p, n * 4, Owner::runtime, owner);
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  h.expect_eq("context of a runtime stream made under a green context", stream_ctx, green, FindingKind::wrong_context);
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, stream>>>(p, seed, n);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, n * 4, cudaMemcpyDeviceToHost, stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("a runtime kernel on a green context", seen, pattern(seed, n));
  h.checkpoint("before the green context is popped");
}

CTXSHARE_CASE(green_contexts, runtime_view_of_a_green_contexts_sms,
              {.claims = {"DRV-GREEN"}, .source = "cuda.h, Green Contexts; cuda_runtime_api.h: cudaDeviceGetAttribute",
               .needs = kGreenNeeds}) {
  unsigned int sm_count = 0;
  const CUcontext green = push_green_context(h, &sm_count);
  CUdevResource seen{};
  CU(cuCtxGetDevResource(green, &seen, CU_DEV_RESOURCE_TYPE_SM));
  h.expect_eq("cuCtxGetDevResource SM count of the converted context", seen.sm.smCount, sm_count);
  // cudaDeviceGetAttribute describes a device, named by its ordinal, whatever context is current.
  int runtime_sms = 0, device_sms = 0;
  CUDA(cudaDeviceGetAttribute(&runtime_sms, cudaDevAttrMultiProcessorCount, 0));
  CU(cuDeviceGetAttribute(&device_sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, h.device(0)));
  h.observe("SMs in the green context", sm_count);
  h.observe("cudaDevAttrMultiProcessorCount under it", runtime_sms);
  h.expect_eq("cudaDevAttrMultiProcessorCount under a green context, against the device's by cuDeviceGetAttribute",
              runtime_sms, device_sms);
}

CTXSHARE_CASE(green_contexts, default_stream_by_every_name_under_a_converted_green_context,
              {.claims = {"DRV-GREEN", "DRV-STREAM-CTX"}, .source = kGreen, .needs = kGreenNeeds,
               .axes = {table_axis<kDefaultStreamNames>("default_stream")}}) {
  // "Runtime calls then act on it": each name of the default stream, used by both APIs.
  unsigned int sm_count = 0;
  const CUcontext green = push_green_context(h, &sm_count);
  const CUstream stream = h.row<kDefaultStreamNames>().stream;
  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  h.expect_eq("cuStreamGetCtx of this default stream under the converted green context", stream_ctx, green,
              FindingKind::wrong_context);
  const std::size_t n = 1 << 16;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
  h.own_device_memory_reported_in(p, n * 4, Owner::runtime, owner);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words.data(), n * 4, stream));
  add_value<<<blocks_for(n), 256, 0, stream>>>(p, 3, n);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, n * 4, cudaMemcpyDeviceToHost, stream));
  CU(cuStreamSynchronize(stream));
  h.expect_same_words("driver copy, runtime kernel, runtime copy on this default stream of a green context", seen,
                      plus(words, 3));
}

}  // namespace ctxshare
