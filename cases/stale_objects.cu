// stale_objects: streams, events, memory, functions and modules used after their context ended,
// through every operation (synchronize, destroy, record, wait, launch, copy, free), not only queries;
// made by the driver and by the runtime, their context ended by cuCtxDestroy, cudaDeviceReset,
// cuDevicePrimaryCtxReset or the last cuDevicePrimaryCtxRelease. Real-world cases (issue 17): each
// replays what a project's destructor, cache or pool did after a reset, cited in its source.
// cuda.h, cuCtxDestroy: using a destroyed context's resources "will result in undefined behavior";
// the reset functions say nothing of their handles. So almost every case is a hazard: it records what
// the driver answered (or where it crashed, each case being its own process), one stale use per
// variant; the one documented answer (another thread's access to a destroyed context) is asserted.
// The lifecycle family already queries stale streams and events (cudaStreamQuery, cudaEventQuery):
// not repeated here.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kUndefined =
    "cuda.h: cuCtxDestroy (a destroyed context's streams, events, modules, functions and memory must not be used: "
    "undefined behavior); cuda_runtime_api.h: cudaDeviceReset; cuda.h: cuDevicePrimaryCtxReset, "
    "cuDevicePrimaryCtxRelease (what their handles answer afterwards is not documented)";

// What ended the context the objects were made in. cuCtxDestroy ends a created context; the others
// end device 0's primary: the runtime's reset, the driver's reset of the runtime's primary, and the
// driver's release of the only reference it took (the runtime never having been asked to retain it).
CTXSHARE_AXIS(ContextEnd, cuCtxDestroy, cudaDeviceReset, cuDevicePrimaryCtxReset, cuDevicePrimaryCtxRelease);
CTXSHARE_AXIS(Maker, runtime, driver);

// Makes current the context that `end` will end, and returns it.
CUcontext begin_context(Case& h, ContextEnd end) {
  CUcontext ctx = nullptr;
  switch (end) {
    case ContextEnd::cuCtxDestroy: CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0))); break;
    case ContextEnd::cudaDeviceReset:
    case ContextEnd::cuDevicePrimaryCtxReset:
      CUDA(cudaSetDevice(0));
      CU(cuCtxGetCurrent(&ctx));
      break;
    case ContextEnd::cuDevicePrimaryCtxRelease:
      CU(cuDevicePrimaryCtxRetain(&ctx, h.device(0)));  // released below, by the end itself
      CU(cuCtxSetCurrent(ctx));
      break;
  }
  return ctx;
}

// Ends it, and records whether device 0's primary context is active afterwards (a runtime that
// retained the primary behind the driver's back keeps it alive through the driver's last release).
void end_context(Case& h, ContextEnd end, CUcontext ctx) {
  switch (end) {
    case ContextEnd::cuCtxDestroy: CU(cuCtxDestroy(ctx)); break;
    case ContextEnd::cudaDeviceReset: CUDA(cudaDeviceReset()); break;
    case ContextEnd::cuDevicePrimaryCtxReset: CU(cuDevicePrimaryCtxReset(h.device(0))); break;
    case ContextEnd::cuDevicePrimaryCtxRelease: CU(cuDevicePrimaryCtxRelease(h.device(0))); break;
  }
  h.observe("device 0's primary context active after the end", primary_active(h));
}

CUstream make_stream(Case& h, Maker maker) {
  CUstream stream = nullptr;
  if (maker == Maker::runtime) CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  else CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}
}  // namespace

CTXSHARE_CASE(stale_objects, stream_synchronized_by_the_other_api_after_its_context_ended,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET", "DRV-CREATE", "RT-TYPES"},
               .source = std::string("NVIDIA/numba-cuda#787; NVIDIA-Genomics-Research/GenomeWorks#393; "
                                     "eyalroz/cuda-api-wrappers#537; DigitalHolography/Holovibes#113 - ") + kUndefined,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Synchronize and destroy every stream before the context that owns it is destroyed or reset; "
                        "an object that may outlive a reset must check the context first (cuCtxGetApiVersion) and drop the handle unused.",
               .timeout_s = 20,
               .axes = {axis<Maker>(), axis<ContextEnd>()}}) {
  // A deallocator synchronizes the stream its buffer was used on, long after a reset or a
  // destroy (numba-cuda's Buffer.close, GenomeWorks' allocator); here through the other API.
  const ContextEnd end = h.param<ContextEnd>();
  const CUcontext ctx = begin_context(h, end);
  const CUstream stream = make_stream(h, h.param<Maker>());
  end_context(h, end, ctx);
  if (h.param<Maker>() == Maker::runtime)
    h.observe_result("cuStreamSynchronize of the runtime's stale stream", cuStreamSynchronize(stream));
  else
    h.observe_result("cudaStreamSynchronize of the driver's stale stream", cudaStreamSynchronize(stream));
}

CTXSHARE_CASE(stale_objects, stream_destroyed_after_its_context_ended,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET", "DRV-CREATE", "DRV-RELEASE"},
               .source = std::string("rapidsai/kvikio#462; rapidsai/kvikio#460; NVIDIA/cudf#16783; openucx/ucx#11437; "
                                     "NVIDIA/VideoProcessingFramework#239 - ") + kUndefined,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Destroy streams before the reset or destroy that ends their context; a static or thread_local "
                        "owner whose destructor may run after it should leak the handle rather than destroy it.",
               .timeout_s = 20,
               .axes = {axis<Maker>(), axis<ContextEnd>()}}) {
  // kvikio's static per-thread streams were destroyed at exit, after NVBench's cudaDeviceReset:
  // a segfault. Each owner destroys through its own API, as RAII wrappers do.
  const ContextEnd end = h.param<ContextEnd>();
  const CUcontext ctx = begin_context(h, end);
  const CUstream stream = make_stream(h, h.param<Maker>());
  end_context(h, end, ctx);
  if (h.param<Maker>() == Maker::runtime)
    h.observe_result("cudaStreamDestroy of the stale stream", cudaStreamDestroy(stream));
  else
    h.observe_result("cuStreamDestroy of the stale stream", cuStreamDestroy(stream));
}

namespace {
CTXSHARE_AXIS(EventEnd, cudaDeviceReset, cuCtxDestroy);
CTXSHARE_AXIS(StaleEventUse, cudaEventDestroy, cuEventSynchronize, cudaEventRecord, cuStreamWaitEvent_on_a_live_stream);
}  // namespace

CTXSHARE_CASE(stale_objects, runtime_event_used_after_its_context_ended,
              {.claims = {"RT-RESET", "DRV-CREATE", "DRV-EVENT-XCTX", "RT-TYPES"},
               .source = std::string("NVIDIA/cudf#16018; ExtremeFLOW/neko#913; openucx/ucx#11437 - ") + kUndefined,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Destroy events before resetting the device or destroying their context, and never let a "
                        "live stream wait on an event of a context that has ended.",
               .timeout_s = 20,
               .axes = {axis<EventEnd>(), axis<StaleEventUse>()}}) {
  // cudf's thread_local events were destroyed at exit after a cudaDeviceReset: error 709.
  const bool reset = h.param<EventEnd>() == EventEnd::cudaDeviceReset;
  const CUcontext ctx = begin_context(h, reset ? ContextEnd::cudaDeviceReset : ContextEnd::cuCtxDestroy);
  cudaEvent_t event = nullptr;
  CUDA(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  CUDA(cudaEventRecord(event, nullptr));
  end_context(h, reset ? ContextEnd::cudaDeviceReset : ContextEnd::cuCtxDestroy, ctx);
  switch (h.param<StaleEventUse>()) {
    case StaleEventUse::cudaEventDestroy: h.observe_result("cudaEventDestroy of the stale event", cudaEventDestroy(event)); break;
    case StaleEventUse::cuEventSynchronize: h.observe_result("cuEventSynchronize of the stale event", cuEventSynchronize(event)); break;
    case StaleEventUse::cudaEventRecord:  // on the default stream of whatever the runtime now binds
      h.observe_result("cudaEventRecord of the stale event", cudaEventRecord(event, nullptr));
      break;
    case StaleEventUse::cuStreamWaitEvent_on_a_live_stream: {
      cudaStream_t live = nullptr;
      CUDA(cudaStreamCreateWithFlags(&live, cudaStreamNonBlocking));  // in the primary, (re)initialized now
      h.own_stream(live, Owner::runtime);
      h.observe_result("cuStreamWaitEvent of a live stream on the stale event", cuStreamWaitEvent(live, event, 0));
      // A wait that never ends would hang here: the timeout turns it into the finding.
      h.observe_result("cudaStreamSynchronize of the live stream afterwards", cudaStreamSynchronize(live));
      break;
    }
  }
}

namespace {
CTXSHARE_AXIS(PrimaryEnd, cudaDeviceReset, cuDevicePrimaryCtxReset);
CTXSHARE_AXIS(StaleMemoryUse, cudaFree, cuMemFree, cudaMemcpy_to_host);
}  // namespace

CTXSHARE_CASE(stale_objects, runtime_allocation_used_after_its_primary_was_reset,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET"},
               .source = std::string("chrxh/alien#101; ginkgo-project/ginkgo#241; torch/cutorch#129; llvm/llvm-project#207843 - ") +
                         kUndefined + "; cuDevicePrimaryCtxReset destroys all allocations",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Free every allocation before cudaDeviceReset or cuDevicePrimaryCtxReset, and forget the pointers "
                        "the reset freed instead of freeing them again.",
               .axes = {axis<PrimaryEnd>(), axis<StaleMemoryUse>()}}) {
  // ALIEN's destructor reset the device, then its members cudaFree'd what the reset had freed.
  const std::size_t n = 1024, bytes = n * 4;
  CUDA(cudaSetDevice(0));
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(p, words.data(), bytes, cudaMemcpyHostToDevice));
  end_context(h, h.param<PrimaryEnd>() == PrimaryEnd::cudaDeviceReset ? ContextEnd::cudaDeviceReset
                                                                       : ContextEnd::cuDevicePrimaryCtxReset,
              nullptr);
  switch (h.param<StaleMemoryUse>()) {
    case StaleMemoryUse::cudaFree: h.observe_result("cudaFree of the stale allocation", cudaFree(p)); break;
    case StaleMemoryUse::cuMemFree:
      h.observe_result("cuMemFree of the stale allocation", cuMemFree(reinterpret_cast<CUdeviceptr>(p)));
      break;
    case StaleMemoryUse::cudaMemcpy_to_host: {
      std::vector<std::uint32_t> seen(n, 0);
      const cudaError_t r = h.observe_result("cudaMemcpy from the stale allocation",
                                             cudaMemcpy(seen.data(), p, bytes, cudaMemcpyDeviceToHost));
      if (r == cudaSuccess) h.observe("the copy read the words written before the reset", seen == words);
      break;
    }
  }
  h.observe("device 0's primary context active after the stale use", primary_active(h));
}

CTXSHARE_CASE(stale_objects, stale_pointer_freed_after_the_reset_and_a_new_allocation,
              {.claims = {"RT-RESET"},
               .source = std::string("chrxh/alien#101; ginkgo-project/ginkgo#461; llvm/llvm-project#207843 - ") + kUndefined,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Never free a pointer from before cudaDeviceReset: the re-initialized context may hand the same "
                        "address to a new allocation, which the stale free would then release."}) {
  // The double free of ALIEN and Ginkgo, with one step more: another component allocated after
  // the reset, and may have received the very address the stale free names.
  const std::size_t n = 1024, bytes = n * 4;
  CUDA(cudaSetDevice(0));
  void* stale = nullptr;
  CUDA(cudaMalloc(&stale, bytes));
  CUDA(cudaDeviceReset());
  std::uint32_t* fresh = nullptr;
  CUDA(cudaMalloc(&fresh, bytes));
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(fresh, words.data(), bytes, cudaMemcpyHostToDevice));
  h.observe("the new allocation has the stale pointer's address", static_cast<void*>(fresh) == stale);
  const cudaError_t freed = h.observe_result("cudaFree of the pointer from before the reset", cudaFree(stale));
  std::vector<std::uint32_t> seen(n, 0);
  const cudaError_t read = h.observe_result("cudaMemcpy from the new allocation afterwards",
                                            cudaMemcpy(seen.data(), fresh, bytes, cudaMemcpyDeviceToHost));
  // Honest either way: a free that succeeded on another address must not have touched the new one.
  if (static_cast<void*>(fresh) != stale || freed != cudaSuccess)
    h.expect(read == cudaSuccess && seen == words, FindingKind::handle_invalidated,
             "a stale cudaFree of another address disturbed a new allocation",
             {{"cudaFree", describe(freed)}, {"cudaMemcpy", describe(read)}});
  if (read == cudaSuccess && !(static_cast<void*>(fresh) == stale && freed == cudaSuccess))
    h.own_device_memory(fresh, bytes, Owner::runtime);
}

namespace {
CTXSHARE_AXIS(HostFree, cudaFreeHost, cuMemFreeHost);
}  // namespace

CTXSHARE_CASE(stale_objects, pinned_host_memory_freed_after_cudaDeviceReset,
              {.claims = {"RT-RESET", "RT-IMPLICIT"},
               .source = std::string("llvm/llvm-project#207843; kaldi-asr/kaldi#2178 - ") + kUndefined +
                         "; cuda_runtime_api.h, Initialization and Tear-Down (the next runtime call re-initializes the primary)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Free pinned host memory before cudaDeviceReset; after it, a free of the old pointer may fail and "
                        "re-initialize the primary context as a side effect.",
               .axes = {axis<HostFree>()}}) {
  // Flang's compiler-emitted frees ran after a user's cudaDeviceReset: cudaFreeHost failed and
  // re-created a context nobody wanted.
  CUDA(cudaSetDevice(0));
  void* pinned = nullptr;
  CUDA(cudaHostAlloc(&pinned, 1 << 16, cudaHostAllocDefault));
  CUDA(cudaDeviceReset());
  h.observe("device 0's primary context active after the reset", primary_active(h));
  if (h.param<HostFree>() == HostFree::cudaFreeHost)
    h.observe_result("cudaFreeHost of pinned memory from before the reset", cudaFreeHost(pinned));
  else
    h.observe_result("cuMemFreeHost of pinned memory from before the reset", cuMemFreeHost(pinned));
  h.observe("device 0's primary context active after the free", primary_active(h));
}

namespace {
CTXSHARE_AXIS(KernelHandle, CUfunction_from_cudaGetFuncBySymbol, CUkernel_from_cudaGetKernel);
}  // namespace

CTXSHARE_CASE(stale_objects, kernel_handle_cached_across_a_primary_reset,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET", "RT-TYPES"},
               .source = std::string("NVIDIA/numba-cuda#644; numba/numba#1859 - ") + kUndefined +
                         "; cuda_runtime_api.h: cudaGetFuncBySymbol, cudaGetKernel; cuda.h: cuLaunchKernel (a CUkernel "
                         "launches in the current context)",
               .verdict = Verdict::hazard, .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "Look a kernel's CUfunction up again after any reset (a CUfunction belongs to one context's "
                        "module); cache the context-independent CUkernel (cudaGetKernel) instead.",
               .axes = {axis<PrimaryEnd>(), axis<KernelHandle>()}}) {
  // numba-cuda's lru_cache kept a kernel of a module that ctx.reset() had unloaded:
  // CUDA_ERROR_INVALID_HANDLE at the next launch.
  CUDA(cudaSetDevice(0));
  CUfunction handle = nullptr;
  if (h.param<KernelHandle>() == KernelHandle::CUfunction_from_cudaGetFuncBySymbol) {
    cudaFunction_t function = nullptr;
    CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
    handle = static_cast<CUfunction>(function);
  } else {
    cudaKernel_t kernel = nullptr;
    CUDA(cudaGetKernel(&kernel, fill_pattern));
    handle = reinterpret_cast<CUfunction>(kernel);  // cuLaunchKernel takes a CUkernel cast so
  }
  end_context(h, h.param<PrimaryEnd>() == PrimaryEnd::cudaDeviceReset ? ContextEnd::cudaDeviceReset
                                                                       : ContextEnd::cuDevicePrimaryCtxReset,
              nullptr);
  const std::size_t n = 4096;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));  // re-initializes the primary, as documented
  h.own_device_memory(out, n * 4, Owner::runtime);
  CUDA(cudaMemset(out, 0, n * 4));
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &seed, &count};
  const CUresult launched = h.observe_result("cuLaunchKernel of the handle from before the reset",
                                             cuLaunchKernel(handle, blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  h.observe_result("cuCtxSynchronize after it", cuCtxSynchronize());
  std::vector<std::uint32_t> seen(n);
  // A stale launch may leave the context unusable: the read-back is recorded too, then judged.
  if (h.observe_result("cudaMemcpy of the output afterwards", cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost)) ==
      cudaSuccess)  // honest either way: a launch that succeeded wrote the pattern, one that failed nothing
    h.expect_same_words(launched == CUDA_SUCCESS ? "the launch succeeded: the kernel wrote its pattern"
                                                 : "the launch failed: nothing was written",
                        seen, launched == CUDA_SUCCESS ? pattern(seed, n) : std::vector<std::uint32_t>(n, 0));
}

namespace {
CTXSHARE_AXIS(StaleModuleUse, cuModuleGetFunction, cuLaunchKernel_of_its_function, cuModuleUnload);

constexpr const char* kModuleSource = R"(
extern "C" __global__ void stale_fill(unsigned int* out, unsigned int value, unsigned long long n) {
  unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = value;
}
)";
}  // namespace

CTXSHARE_CASE(stale_objects, module_used_after_cuCtxDestroy_of_its_context,
              {.claims = {"DRV-CREATE", "SEED-RTC"},
               .source = std::string("apache/tvm#18624; numba/numba#1859; NVIDIA/numba-cuda#644 - ") + kUndefined +
                         "; cuda.h: cuModuleLoadData, cuModuleUnload",
               .verdict = Verdict::hazard, .needs = {.libraries = {"nvrtc"}}, .labels = {"real-world"},
               .avoid = "Unload modules (and drop their CUfunctions) before destroying the context they were loaded in; "
                        "a module object that may outlive its context must not call cuModuleUnload.",
               .timeout_s = 30,
               .axes = {axis<StaleModuleUse>()}}) {
  // TVM's module destructor called cuModuleUnload at interpreter shutdown, after the context was
  // gone: a crash.
  const std::string cubin = h.compile(kModuleSource, "stale_fill.cu", true);
  CUcontext ctx = nullptr;
  CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
  CUmodule module = nullptr;
  CU(cuModuleLoadData(&module, cubin.data()));
  CUfunction function = nullptr;
  CU(cuModuleGetFunction(&function, module, "stale_fill"));
  CU(cuCtxDestroy(ctx));
  switch (h.param<StaleModuleUse>()) {
    case StaleModuleUse::cuModuleGetFunction: {
      CUfunction again = nullptr;
      h.observe_result("cuModuleGetFunction on the stale module", cuModuleGetFunction(&again, module, "stale_fill"));
      break;
    }
    case StaleModuleUse::cuLaunchKernel_of_its_function: {
      const std::size_t n = 4096;
      CUDA(cudaSetDevice(0));  // a live context to launch from: the primary
      std::uint32_t* out = nullptr;
      CUDA(cudaMalloc(&out, n * 4));
      h.own_device_memory(out, n * 4, Owner::runtime);
      CUDA(cudaMemset(out, 0, n * 4));
      std::uint32_t value = h.random_words(1)[0];
      unsigned long long count = n;
      void* args[] = {&out, &value, &count};
      const CUresult launched = h.observe_result("cuLaunchKernel of the stale module's function in the primary",
                                                 cuLaunchKernel(function, blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
      h.observe_result("cuCtxSynchronize after it", cuCtxSynchronize());
      std::vector<std::uint32_t> seen(n);
      if (h.observe_result("cudaMemcpy of the output afterwards", cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost)) !=
          cudaSuccess)
        break;
      h.observe("the primary's memory holds what the stale function would write", seen == std::vector<std::uint32_t>(n, value));
      if (launched != CUDA_SUCCESS)
        h.expect_same_words("a launch that failed wrote nothing", seen, std::vector<std::uint32_t>(n, 0));
      break;
    }
    case StaleModuleUse::cuModuleUnload: h.observe_result("cuModuleUnload of the stale module", cuModuleUnload(module)); break;
  }
}

CTXSHARE_CASE(stale_objects, new_stream_after_cudaDeviceReset_and_the_stale_handle,
              {.claims = {"RT-RESET", "RT-TYPES"},
               .source = std::string("rapidsai/rmm#932; lupinemachines/lupine#846; DigitalHolography/Holovibes#113 - ") +
                         kUndefined,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Drop every stream handle at cudaDeviceReset: the re-initialized context may give a new stream "
                        "the same handle, and a late destroy of the old one then destroys the new stream.",
               .timeout_s = 20}) {
  // An owner that destroys its stream after the reset, when another component has made a new one:
  // if the driver reused the handle, the stale destroy takes the live stream with it.
  CUDA(cudaSetDevice(0));
  cudaStream_t stale = nullptr, fresh = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stale, cudaStreamNonBlocking));
  CUDA(cudaDeviceReset());
  CUDA(cudaStreamCreateWithFlags(&fresh, cudaStreamNonBlocking));
  const bool same = fresh == stale;
  h.observe("the new stream has the stale stream's handle", same);
  h.observe_result("cudaStreamDestroy of the stale handle", cudaStreamDestroy(stale));
  const cudaError_t alive = h.observe_result("cudaStreamQuery of the new stream afterwards", cudaStreamQuery(fresh));
  if (!same) {
    h.expect_eq("the new stream, another handle, after the stale destroy", alive, cudaSuccess, FindingKind::handle_invalidated);
    h.own_stream(fresh, Owner::runtime);
  }
}

namespace {
CTXSHARE_AXIS(ContextAccess, cuCtxSynchronize, cuMemAlloc);

// Waits until `step` reaches `value`, or 10 s (a thread that stopped early cannot hang the other).
void wait_for(const std::atomic<int>& step, int value) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (step.load() < value && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
}
}  // namespace

CTXSHARE_CASE(stale_objects, context_destroyed_while_current_on_another_thread_refuses_that_thread,
              {.claims = {"DRV-DESTROY-ELSEWHERE"},
               .source = "eyalroz/cuda-api-wrappers#537; NVIDIA/numba-cuda#787 - cuda.h: cuCtxDestroy (\"If ctx is current "
                         "to other threads, then ctx will remain current to those threads, and attempting to access ctx from "
                         "those threads will result in the error CUDA_ERROR_CONTEXT_IS_DESTROYED\")",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_CONTEXT_IS_DESTROYED", .labels = {"real-world"},
               .avoid = "Destroy a context only after every thread that made it current has unset it (cuCtxSetCurrent(NULL)) "
                        "or finished; a worker thread must not outlive the context it works in.",
               .timeout_s = 20,
               .axes = {axis<ContextAccess>()}}) {
  // The one documented answer in this family: a worker still holding the destroyed context current
  // is refused with a named error, not left to undefined behavior.
  CUcontext ctx = nullptr;
  CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
  CU(cuCtxPopCurrent(&ctx));  // the owner destroys it without having it current
  h.expect_eq("the owner's current context after cuCtxPopCurrent (none was current before cuCtxCreate)", current_context(),
              static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
  const bool synchronize = h.param<ContextAccess>() == ContextAccess::cuCtxSynchronize;
  std::atomic<int> step{0};
  std::thread worker([&] {
    h.on_thread([&] {
      CU(cuCtxSetCurrent(ctx));
      step = 1;
      wait_for(step, 2);  // the owner has destroyed it
      if (synchronize) {
        EXPECT_ERROR(CUDA_ERROR_CONTEXT_IS_DESTROYED, cuCtxSynchronize());
      } else {
        CUdeviceptr p = 0;
        EXPECT_ERROR(CUDA_ERROR_CONTEXT_IS_DESTROYED, cuMemAlloc(&p, 4096));
      }
      CU(cuCtxSetCurrent(nullptr));
      // The destroyed context stayed current here until this unbinding, which leaves none.
      h.expect_eq("the worker's current context after cuCtxSetCurrent(NULL)", current_context(),
                  static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
    });
  });
  wait_for(step, 1);
  const CUresult destroyed = cuCtxDestroy(ctx);  // not CU(): the worker is joined whatever it answers
  step = 2;
  worker.join();
  h.expect_eq("cuCtxDestroy of a context current to another thread", destroyed, CUDA_SUCCESS, FindingKind::unexpected_error);
}

}  // namespace ctxshare
