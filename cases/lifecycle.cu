// lifecycle: resets, releases and destroys while the other API still holds things. For each, which
// handles stay valid, which fail with which error, and whether anything crashes (a crash is this
// case's finding, isolated in its own process).
// Sources: cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down;
// cuda.h: cuDevicePrimaryCtxRelease, cuDevicePrimaryCtxReset, cuCtxDestroy, cuDevicePrimaryCtxSetFlags.
#include <string_view>

#include "cases/kernels.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kTearDown = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down";

PrimaryState primary_state(Case& h) {
  PrimaryState s;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &s.flags, &s.active));
  return s;
}
}  // namespace

CTXSHARE_CASE(lifecycle, cudaDeviceReset_deinitializes_the_primary_at_once,
              {.claims = {"RT-RESET"}, .source = kTearDown}) {
  CUDA(cudaFree(nullptr));
  h.expect_eq("primary active before the reset", primary_state(h).active, 1);
  CUDA(cudaDeviceReset());
  h.expect_eq("primary active right after cudaDeviceReset", primary_state(h).active, 0);
  CUDA(cudaFree(nullptr));  // "the next runtime call ... will trigger the reinitialization"
  h.expect_eq("primary active after the next runtime call", primary_state(h).active, 1);
}

CTXSHARE_CASE(lifecycle, cudaDeviceReset_leaves_the_primary_current,
              {.claims = {"RT-RESET"}, .source = kTearDown}) {
  CUDA(cudaFree(nullptr));
  CUcontext before = nullptr, after = nullptr, reinitialized = nullptr;
  CU(cuCtxGetCurrent(&before));
  CUDA(cudaDeviceReset());
  CU(cuCtxGetCurrent(&after));
  h.expect_eq("cuCtxGetCurrent after cudaDeviceReset", after, before, FindingKind::context_changed);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 256));
  h.own_device_memory(p, 256, Owner::runtime);
  CU(cuCtxGetCurrent(&reinitialized));
  h.observe("primary context handle is the same after re-initialization", reinitialized == before);
}

CTXSHARE_CASE(lifecycle, runtime_call_on_another_thread_reinitializes_after_reset,
              {.claims = {"RT-RESET", "RT-IMPLICIT"}, .source = kTearDown}) {
  CUDA(cudaFree(nullptr));
  CUDA(cudaDeviceReset());
  h.on_thread([&] {
    void* p = nullptr;
    CUDA(cudaMalloc(&p, 256));
    h.expect_eq("primary active after a runtime call on another thread", primary_state(h).active, 1);
    CUDA(cudaFree(p));
  });
  h.expect_eq("primary active seen from the thread that reset it", primary_state(h).active, 1);
}

CTXSHARE_CASE(lifecycle, cudaDeviceReset_while_the_driver_retains_the_primary,
              {.claims = {"RT-RESET", "DRV-RETAIN"}, .source = kTearDown}) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  CU(cuCtxSetCurrent(primary));
  CUdeviceptr driver_memory = 0;
  CU(cuMemAlloc(&driver_memory, 4096));
  CUDA(cudaDeviceReset());
  // "will deinitialize the primary context ... immediately": a driver retain does not keep it alive.
  h.expect_eq("primary active right after cudaDeviceReset while retained", primary_state(h).active, 0);
  // The allocation died with the context: what using it answers is undocumented, so only recorded.
  h.observe_result("cuMemsetD8 on the driver's allocation after the reset", cuMemsetD8(driver_memory, 1, 4096));
  CUDA(cudaFree(nullptr));  // re-initializes, as documented
  h.expect_eq("primary active after the next runtime call", primary_state(h).active, 1);
  h.observe_result("cuMemsetD8 on the driver's allocation after re-initialization", cuMemsetD8(driver_memory, 1, 4096));
}

CTXSHARE_CASE(lifecycle, cuDevicePrimaryCtxRelease_without_retain_fails,
              {.claims = {"DRV-RELEASE"}, .source = "cuda.h: cuDevicePrimaryCtxRelease", .verdict = Verdict::fails,
               .expected_error = "CUDA_ERROR_INVALID_CONTEXT"}) {
  EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuDevicePrimaryCtxRelease(h.device(0)));
}

CTXSHARE_CASE(lifecycle, cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary,
              {.claims = {"DRV-RELEASE", "RT-PRIMARY"}, .source = "cuda.h: cuDevicePrimaryCtxRelease",
               .verdict = Verdict::hazard}) {
  // The driver never retained it; the runtime holds it. Documented: releasing a primary context that
  // was not retained fails with CUDA_ERROR_INVALID_CONTEXT. Either that, with the runtime's data
  // intact, or a success that destroyed another component's context, which is the finding.
  const std::size_t n = 1024;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * sizeof(std::uint32_t)));
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(p, words.data(), n * sizeof(std::uint32_t), cudaMemcpyHostToDevice));
  const CUresult released = h.observe_result("cuDevicePrimaryCtxRelease without a driver retain",
                                             cuDevicePrimaryCtxRelease(h.device(0)));
  h.observe("primary active afterwards", primary_state(h).active);
  std::vector<std::uint32_t> seen(n);
  const cudaError_t read = h.observe_result("cudaMemcpy of the runtime's allocation afterwards",
                                            cudaMemcpy(seen.data(), p, n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  if (released == CUDA_ERROR_INVALID_CONTEXT || released == CUDA_SUCCESS)
    h.expect(read == cudaSuccess && seen == words, FindingKind::handle_invalidated,
             "a release by a component that never retained the primary destroyed the runtime's allocation",
             {{"cuDevicePrimaryCtxRelease", describe(released)}, {"cudaMemcpy", describe(read)}});
  else
    h.expect(false, FindingKind::wrong_error, "cuDevicePrimaryCtxRelease without a retain",
             {{"expected", "CUDA_ERROR_INVALID_CONTEXT"}, {"observed", describe(released)}});
  CUDA(cudaFree(nullptr));
}

CTXSHARE_CASE(lifecycle, balanced_retain_and_release_keep_the_runtimes_context,
              {.claims = {"DRV-RELEASE", "DRV-RETAIN"}, .source = "cuda.h: cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease"}) {
  const std::size_t n = 1024;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * sizeof(std::uint32_t)));
  h.own_device_memory(p, n * sizeof(std::uint32_t), Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(p, words.data(), n * sizeof(std::uint32_t), cudaMemcpyHostToDevice));
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  CU(cuDevicePrimaryCtxRelease(h.device(0)));
  h.expect_eq("primary active after a balanced retain and release", primary_state(h).active, 1);
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), p, n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  h.expect_same_words("the runtime's allocation after the driver's release", seen, words);
}

CTXSHARE_CASE(lifecycle, last_release_resets_the_primary,
              {.claims = {"DRV-RELEASE"}, .source = "cuda.h: cuDevicePrimaryCtxRelease"}) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  CU(cuCtxSetCurrent(primary));
  CUdeviceptr p = 0;
  CU(cuMemAlloc(&p, 4096));
  CU(cuCtxSetCurrent(nullptr));
  CU(cuDevicePrimaryCtxRelease(h.device(0)));
  h.expect_eq("primary active after its only reference was released", primary_state(h).active, 0);
  CUcontext owner = nullptr;
  h.expect(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, p) != CUDA_SUCCESS, FindingKind::handle_invalidated,
           "an allocation of the reset primary context is still known to the driver", {{"context", describe(owner)}});
}

CTXSHARE_CASE(lifecycle, cuDevicePrimaryCtxReset_frees_runtime_allocations,
              {.claims = {"DRV-PRIMARY-RESET", "RT-RESET"}, .source = "cuda.h: cuDevicePrimaryCtxReset"}) {
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  CU(cuDevicePrimaryCtxReset(h.device(0)));
  h.expect_eq("primary active after cuDevicePrimaryCtxReset", primary_state(h).active, 0);
  CUcontext owner = nullptr;
  const CUresult r = cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p));
  h.expect(r != CUDA_SUCCESS, FindingKind::handle_invalidated,
           "a runtime allocation survived cuDevicePrimaryCtxReset, documented to destroy all allocations",
           {{"cuPointerGetAttribute", describe(r)}});
  void* again = nullptr;
  CUDA(cudaMalloc(&again, 4096));  // the runtime re-initializes the primary it lost
  h.own_device_memory(again, 4096, Owner::runtime);
}

CTXSHARE_CASE(lifecycle, cuCtxDestroy_pops_the_context_and_the_runtime_rebinds_the_primary,
              {.claims = {"DRV-CREATE", "RT-IMPLICIT"}, .source = "cuda.h: cuCtxDestroy"}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  CU(cuCtxDestroy(created));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after destroying the current context", current, static_cast<CUcontext>(nullptr),
              FindingKind::context_changed);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 256));
  h.own_device_memory(p, 256, Owner::runtime);
  CUcontext primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("the runtime bound the primary after the destroy", current, primary, FindingKind::wrong_context);
}

namespace {
CTXSHARE_AXIS(StaleUse, cudaStreamQuery, cuStreamQuery, cudaEventQuery, cudaMemset, cudaFree,
              cudaStreamQuery_then_cudaEventQuery);
}  // namespace

CTXSHARE_CASE(lifecycle, runtime_object_used_after_cuCtxDestroy_of_its_context,
              {.claims = {"DRV-CREATE", "RT-NONPRIMARY"}, .source = "cuda.h: cuCtxDestroy", .verdict = Verdict::hazard,
               .axes = {axis<StaleUse>()}}) {
  // One stale use per variant, so that a crash in one hides nothing of the others; the last variant
  // is the sequence in which a crash was first seen.
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  void* p = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t event = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  CUDA(cudaStreamCreate(&stream));
  CUDA(cudaEventCreate(&event));
  CU(cuCtxDestroy(created));
  const std::string key = std::string(h.def().variant) + " on an object of the destroyed context";
  switch (h.param<StaleUse>()) {
    case StaleUse::cudaStreamQuery: h.observe_result(key, cudaStreamQuery(stream)); break;
    case StaleUse::cuStreamQuery: h.observe_result(key, cuStreamQuery(stream)); break;
    case StaleUse::cudaEventQuery: h.observe_result(key, cudaEventQuery(event)); break;
    case StaleUse::cudaMemset: h.observe_result(key, cudaMemset(p, 0, 4096)); break;
    case StaleUse::cudaFree: h.observe_result(key, cudaFree(p)); break;
    case StaleUse::cudaStreamQuery_then_cudaEventQuery:
      h.observe_result("cudaStreamQuery on a stream of the destroyed context", cudaStreamQuery(stream));
      h.observe_result("then cudaEventQuery on an event of the destroyed context", cudaEventQuery(event));
      break;
  }
}

CTXSHARE_CASE(lifecycle, cuDevicePrimaryCtxSetFlags_on_an_active_primary,
              {.claims = {"DRV-PRIMARY-FLAGS", "RT-FLAGS"}, .source = "cuda.h: cuDevicePrimaryCtxSetFlags"}) {
  CUDA(cudaFree(nullptr));
  CU(cuDevicePrimaryCtxSetFlags(h.device(0), CU_CTX_SCHED_SPIN));
  h.expect_eq("primary schedule flags after cuDevicePrimaryCtxSetFlags", primary_state(h).flags & CU_CTX_SCHED_MASK,
              static_cast<unsigned>(CU_CTX_SCHED_SPIN));
  unsigned int runtime_flags = 0;
  CUDA(cudaGetDeviceFlags(&runtime_flags));
  h.expect_eq("cudaGetDeviceFlags after the driver changed them", runtime_flags & cudaDeviceScheduleMask,
              static_cast<unsigned>(cudaDeviceScheduleSpin));
}

namespace {
CTXSHARE_AXIS(StreamCreator, cudaStreamCreate, cuStreamCreate);
CTXSHARE_AXIS(StaleQuery, cuStreamQuery, cudaStreamQuery);
CTXSHARE_AXIS(QueriedWhen, after_reinitialization, before_reinitialization);
}  // namespace

CTXSHARE_CASE(lifecycle, stream_used_after_cudaDeviceReset,
              {.claims = {"RT-RESET", "RT-TYPES"}, .source = kTearDown, .verdict = Verdict::hazard,
               .axes = {axis<StreamCreator>(), axis<StaleQuery>(), axis<QueriedWhen>()}}) {
  // The reset destroyed the stream with its context; the documentation says nothing of its handle,
  // which is queried either before or after the next runtime call re-initializes the primary.
  CUDA(cudaSetDevice(0));
  CUstream stream = nullptr;
  if (h.param<StreamCreator>() == StreamCreator::cudaStreamCreate) CUDA(cudaStreamCreate(&stream));
  else CU(cuStreamCreate(&stream, CU_STREAM_DEFAULT));
  CUDA(cudaDeviceReset());
  if (h.param<QueriedWhen>() == QueriedWhen::after_reinitialization) CUDA(cudaFree(nullptr));
  if (h.param<StaleQuery>() == StaleQuery::cuStreamQuery)
    h.observe_result("cuStreamQuery of the stale stream", cuStreamQuery(stream));
  else
    h.observe_result("cudaStreamQuery of the stale stream", cudaStreamQuery(stream));
}

CTXSHARE_CASE(lifecycle, created_context_survives_cudaDeviceReset,
              {.claims = {"RT-RESET", "RT-NONPRIMARY"}, .source = kTearDown, .verdict = Verdict::hazard}) {
  // cudaDeviceReset resets "the primary context for the calling thread's current device"; with a
  // created context current, what does it reset?
  CUDA(cudaSetDevice(0));
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUdeviceptr p = 0;
  CU(cuMemAlloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::driver);
  h.observe_result("cudaDeviceReset with a created context current", cudaDeviceReset());
  h.observe("primary active afterwards", primary_state(h).active);
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("current context after the reset", current, created, FindingKind::context_changed);
  h.checkpoint("after cudaDeviceReset under a created context");
}

}  // namespace ctxshare
