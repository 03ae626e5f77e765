// primary_refcount: the primary context's reference count shared by several components (issue 17):
// one component releasing more than it retained while another uses the context, releases and resets
// interleaved, retains from threads at once, and flags set through one API on a primary context the
// other started, including from threads that have nothing current yet. The lifecycle family holds
// the single retain/release/reset cases; these are the sequences libraries were reported to make.
// Sources: the reports each case cites (Numba, CUDA.jl, UCX, PIConGPU, QUDA, Theano, HAMi...);
// cuda.h: cuDevicePrimaryCtxRetain, Release, Reset, SetFlags, GetState; cuda_runtime_api.h:
// cudaSetDeviceFlags, cudaGetDeviceFlags, cudaInitDevice, cudaDeviceReset.
#include <atomic>
#include <thread>

#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kPrimaryDocs = "cuda.h, Primary Context Management: cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease";

unsigned int primary_schedule(Case& h) {
  unsigned int flags = 0;
  int active = -1;
  CU(cuDevicePrimaryCtxGetState(h.device(0), &flags, &active));
  return flags & CU_CTX_SCHED_MASK;
}

// Random words in a runtime allocation, the runtime's stake in the primary context.
std::uint32_t* runtime_words(Case& h, const std::vector<std::uint32_t>& words) {
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, words.size() * 4));
  CUDA(cudaMemcpy(p, words.data(), words.size() * 4, cudaMemcpyHostToDevice));
  return p;
}
}  // namespace

CTXSHARE_CASE(primary_refcount, references_survive_cuDevicePrimaryCtxReset_and_the_last_release_resets,
              {.claims = {"PRC-RESET-KEEPS-REFS", "DRV-RELEASE", "DRV-PRIMARY-RESET"},
               .source = std::string("JuliaGPU/CUDAdrv.jl#45; openucx/ucx#10564; ai-dynamo/nixl#227 - ") + kPrimaryDocs +
                         ", cuDevicePrimaryCtxReset (it does not release; other modules may still release after it)",
               .labels = {"real-world"},
               .avoid = "After a reset, every component still releases exactly what it retained; one that resets "
                        "must not also drop its retain, and none should count on a reset to end the others' references.",
               .timeout_s = 20}) {
  // Components A and B retain; a third resets; then C starts using the device again.
  const CUdevice dev = h.device(0);
  CUcontext a = nullptr, b = nullptr, c = nullptr;
  CU(cuDevicePrimaryCtxRetain(&a, dev));
  CU(cuDevicePrimaryCtxRetain(&b, dev));
  CU(cuDevicePrimaryCtxReset(dev));
  h.expect_eq("primary active after cuDevicePrimaryCtxReset", primary_active(h), 0);
  // "it is safe for other modules to call cuDevicePrimaryCtxRelease() even after resetting the device"
  h.expect_eq("A's cuDevicePrimaryCtxRelease after the reset", cuDevicePrimaryCtxRelease(dev), CUDA_SUCCESS,
              FindingKind::unexpected_error);
  CU(cuDevicePrimaryCtxRetain(&c, dev));
  h.expect_eq("primary active once C retained it", primary_active(h), 1);
  h.expect_eq("B's cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease(dev), CUDA_SUCCESS, FindingKind::unexpected_error);
  h.expect_eq("primary active while C still holds it", primary_active(h), 1, FindingKind::handle_invalidated);
  h.expect_eq("C's cuDevicePrimaryCtxRelease, the last reference", cuDevicePrimaryCtxRelease(dev), CUDA_SUCCESS,
              FindingKind::unexpected_error);
  // CUDAdrv.jl saw releases ignored after a reset, leaving the primary active for good.
  h.expect_eq("primary active after the last reference was released", primary_active(h), 0);
}

namespace {
CTXSHARE_AXIS(AfterOverRelease, cudaMemcpy_of_the_runtime_allocation, cudaStreamQuery_of_the_runtime_stream,
              cudaMalloc_of_a_new_allocation);
}  // namespace

CTXSHARE_CASE(primary_refcount, component_releases_twice_while_the_runtime_uses_the_primary,
              {.claims = {"DRV-RELEASE", "RT-PRIMARY"},
               .source = std::string("numba/numba#5558; NVIDIA/VideoProcessingFramework#239; anibali/tvl#12 - ") +
                         kPrimaryDocs + " (whether the runtime's use counts a reference is not documented)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Release the primary context exactly once per successful retain, and only if the retain "
                        "succeeded (Numba's fix); a component never releases on another's behalf.",
               .timeout_s = 20, .axes = {axis<AfterOverRelease>()}}) {
  const std::size_t n = 1024;
  const auto words = h.random_words(n);
  std::uint32_t* p = runtime_words(h, words);  // not handed over: the over-release may destroy it
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  const CUdevice dev = h.device(0);
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, dev));
  CU(cuDevicePrimaryCtxRelease(dev));  // balanced so far
  h.observe_result("the component's second cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease(dev));
  h.observe("primary active afterwards", primary_active(h));
  switch (h.param<AfterOverRelease>()) {
    case AfterOverRelease::cudaMemcpy_of_the_runtime_allocation: {
      std::vector<std::uint32_t> seen(n);
      const cudaError_t r = h.observe_result("cudaMemcpy of the runtime's allocation afterwards",
                                             cudaMemcpy(seen.data(), p, n * 4, cudaMemcpyDeviceToHost));
      if (r == cudaSuccess) h.expect_same_words("the runtime's allocation, read back as it succeeded", seen, words);
      break;
    }
    case AfterOverRelease::cudaStreamQuery_of_the_runtime_stream:
      h.observe_result("cudaStreamQuery of the runtime's stream afterwards", cudaStreamQuery(stream));
      break;
    case AfterOverRelease::cudaMalloc_of_a_new_allocation: {
      void* q = nullptr;
      if (h.observe_result("cudaMalloc afterwards", cudaMalloc(&q, 4096)) == cudaSuccess)
        h.own_device_memory(q, 4096, Owner::runtime);
      break;
    }
  }
}

namespace {
CTXSHARE_AXIS(Resetter, cudaDeviceReset, cuDevicePrimaryCtxReset);
}  // namespace

CTXSHARE_CASE(primary_refcount, component_releases_after_a_reset_the_runtime_recovered_from,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET", "PRC-RESET-KEEPS-REFS"},
               .source = std::string("ginkgo-project/ginkgo#461; fangq/mcx#188; openucx/ucx#9359; JuliaGPU/CUDA.jl#16 - ") +
                         kPrimaryDocs + ", cuDevicePrimaryCtxReset; cuda_runtime_api.h: cudaDeviceReset (the next "
                         "call re-initializes the device)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Do not reset a device other components use (Ginkgo's executor and mcx did, for their users); "
                        "after any reset, every component drops its old handles and releases only its own retain.",
               .timeout_s = 20, .axes = {axis<Resetter>()}}) {
  // A driver component (UCX) holds a reference; the program resets; the runtime re-initializes
  // and allocates again; then the component, done, releases its old reference.
  const CUdevice dev = h.device(0);
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, dev));
  CUDA(cudaSetDevice(0));
  CUDA(cudaFree(nullptr));
  if (h.param<Resetter>() == Resetter::cudaDeviceReset) CUDA(cudaDeviceReset());
  else CU(cuDevicePrimaryCtxReset(dev));
  const std::size_t n = 1024;
  const auto words = h.random_words(n);
  std::uint32_t* p = runtime_words(h, words);  // the runtime re-initialized the primary
  h.observe_result("the component's cuDevicePrimaryCtxRelease of its pre-reset reference", cuDevicePrimaryCtxRelease(dev));
  h.observe("primary active afterwards", primary_active(h));
  std::vector<std::uint32_t> seen(n);
  const cudaError_t r = h.observe_result("cudaMemcpy of the runtime's new allocation afterwards",
                                         cudaMemcpy(seen.data(), p, n * 4, cudaMemcpyDeviceToHost));
  if (r == cudaSuccess) h.expect_same_words("the runtime's new allocation, read back as it succeeded", seen, words);
}

namespace {
CTXSHARE_AXIS(RuntimeStart, cudaSetDevice, cudaInitDevice, cudaMalloc);
}  // namespace

CTXSHARE_CASE(primary_refcount, runtime_starts_on_a_retained_primary_then_the_component_releases,
              {.claims = {"DRV-RETAIN", "DRV-RELEASE", "RT-INITDEVICE", "RT-IMPLICIT"},
               .source = std::string("numba/numba#4114; taichi-dev/taichi#5992; anibali/tvl#12; openucx/ucx#10564 - ") +
                         kPrimaryDocs + " (whether the runtime, starting on an active primary, counts a reference is "
                         "not documented); cuda_runtime_api.h: cudaInitDevice, cudaSetDevice",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "A component that retained the primary context first keeps its reference until its own "
                        "shutdown, not merely until another component (the runtime) has started using the device.",
               .timeout_s = 20, .axes = {axis<RuntimeStart>()}}) {
  // The component started the primary context; the runtime came second; the component leaves.
  const CUdevice dev = h.device(0);
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, dev));
  switch (h.param<RuntimeStart>()) {
    case RuntimeStart::cudaSetDevice: CUDA(cudaSetDevice(0)); break;
    case RuntimeStart::cudaInitDevice: CUDA(cudaInitDevice(0, 0, 0)); break;
    case RuntimeStart::cudaMalloc: break;  // runtime_words' cudaMalloc is the first runtime call
  }
  const std::size_t n = 1024;
  const auto words = h.random_words(n);
  std::uint32_t* p = runtime_words(h, words);
  CU(cuDevicePrimaryCtxRelease(dev));  // the component's only reference
  h.observe("primary active after the component released its only reference", primary_active(h));
  std::vector<std::uint32_t> seen(n);
  const cudaError_t r = h.observe_result("cudaMemcpy of the runtime's allocation afterwards",
                                         cudaMemcpy(seen.data(), p, n * 4, cudaMemcpyDeviceToHost));
  if (r == cudaSuccess) h.expect_same_words("the runtime's allocation, read back as it succeeded", seen, words);
}

namespace {
CTXSHARE_AXIS(StartedBy, runtime, driver);
CTXSHARE_AXIS(FlagsSetter, cudaSetDeviceFlags, cuDevicePrimaryCtxSetFlags);
CTXSHARE_AXIS(SetOn, thread_with_it_current, thread_with_nothing_current);
}  // namespace

CTXSHARE_CASE(primary_refcount, flags_set_through_one_api_on_a_primary_the_other_started,
              {.claims = {"RT-FLAGS", "DRV-PRIMARY-FLAGS", "PRC-FLAGS-ANY-THREAD"},
               .source = "ComputationalRadiationPhysics/picongpu#201; ComputationalRadiationPhysics/picongpu#200; "
                         "lattice/quda#197; lattice/quda#245; Theano/libgpuarray#140; CalvinXKY/BasicCUDA#2 - "
                         "cuda_runtime_api.h: cudaSetDeviceFlags (an initialized device's flags are overwritten; with "
                         "no device current a default device is selected), cudaGetDeviceFlags; cuda.h: "
                         "cuDevicePrimaryCtxSetFlags (overwrites), cuDevicePrimaryCtxGetState",
               .labels = {"real-world"},
               .avoid = "Set the primary context's flags once, before any component starts it; later, set them "
                        "through either API on any thread, knowing they change the context every component shares.",
               .timeout_s = 20, .axes = {axis<StartedBy>(), axis<FlagsSetter>(), axis<SetOn>()}}) {
  if (h.param<StartedBy>() == StartedBy::runtime) {
    CUDA(cudaSetDevice(0));
    CUDA(cudaFree(nullptr));
  } else {
    CUcontext primary = nullptr;
    CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxSetCurrent(primary));
  }
  h.expect_eq("primary active before the flags are set", primary_active(h), 1);
  unsigned int runtime_flags = 0;
  auto set_and_read = [&] {
    if (h.param<FlagsSetter>() == FlagsSetter::cudaSetDeviceFlags) CUDA(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
    else CU(cuDevicePrimaryCtxSetFlags(h.device(0), CU_CTX_SCHED_BLOCKING_SYNC));
    // With nothing current, cudaGetDeviceFlags answers for the first device: device 0 here.
    CUDA(cudaGetDeviceFlags(&runtime_flags));
  };
  if (h.param<SetOn>() == SetOn::thread_with_it_current) set_and_read();
  else h.on_thread(set_and_read);
  h.expect_eq("the primary's schedule flags (cuDevicePrimaryCtxGetState)", primary_schedule(h),
              static_cast<unsigned>(CU_CTX_SCHED_BLOCKING_SYNC));
  h.expect_eq("cudaGetDeviceFlags on the thread that set them", runtime_flags & cudaDeviceScheduleMask,
              static_cast<unsigned>(cudaDeviceScheduleBlockingSync));
}

namespace {
CTXSHARE_AXIS(PrimaryBefore, inactive, retained_by_a_driver_component);
}  // namespace

CTXSHARE_CASE(primary_refcount, cudaInitDevice_applies_its_flags_without_making_the_primary_current,
              {.claims = {"RT-INITDEVICE", "PRC-INITDEVICE-FLAGS", "DRV-RETAIN"},
               .source = "lattice/quda#197; triton-inference-server/python_backend#263 - cuda_runtime_api.h: "
                         "cudaInitDevice (with cudaInitDeviceFlagsAreValid the device flags are applied, verifiable "
                         "with cudaGetDeviceFlags; the context is not made current)",
               .labels = {"real-world"},
               .avoid = "To choose the primary context's flags without binding a thread to it, use cudaInitDevice "
                        "with cudaInitDeviceFlagsAreValid; check them with cudaGetDeviceFlags, whoever started it.",
               .timeout_s = 20, .axes = {axis<PrimaryBefore>()}}) {
  if (h.param<PrimaryBefore>() == PrimaryBefore::retained_by_a_driver_component) {
    CUcontext primary = nullptr;
    CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
    h.own_primary(h.device(0));
  }
  CUDA(cudaInitDevice(0, cudaDeviceScheduleYield, cudaInitDeviceFlagsAreValid));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cudaInitDevice", current, static_cast<CUcontext>(nullptr), FindingKind::context_changed);
  h.expect_eq("primary active after cudaInitDevice", primary_active(h), 1);
  h.expect_eq("the primary's schedule flags (cuDevicePrimaryCtxGetState)", primary_schedule(h),
              static_cast<unsigned>(CU_CTX_SCHED_YIELD));
  unsigned int runtime_flags = 0;
  CUDA(cudaGetDeviceFlags(&runtime_flags));
  h.expect_eq("cudaGetDeviceFlags after cudaInitDevice", runtime_flags & cudaDeviceScheduleMask,
              static_cast<unsigned>(cudaDeviceScheduleYield));
}

CTXSHARE_CASE(primary_refcount, last_release_leaves_the_primary_current_on_its_thread,
              {.claims = {"PRC-RELEASE-NO-POP", "DRV-RELEASE", "RT-IMPLICIT"},
               .source = std::string("openucx/ucx#9346; openucx/ucx#11276; lupinemachines/lupine#844 - ") + kPrimaryDocs +
                         " (the last release resets the context; unlike cuCtxDestroy, release never pops it)",
               .labels = {"real-world"},
               .avoid = "A component that made the primary current and then released it should restore the thread's "
                        "previous context (cuCtxSetCurrent) itself: the release leaves a reset context current.",
               .timeout_s = 20}) {
  CUcontext primary = nullptr, current = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  CU(cuCtxSetCurrent(primary));
  CU(cuDevicePrimaryCtxRelease(h.device(0)));  // the only reference
  h.expect_eq("primary active after its only reference was released", primary_active(h), 0);
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after the release", current, primary, FindingKind::context_changed);
  // What the runtime does with a reset primary current is not documented for a driver release.
  void* p = nullptr;
  if (h.observe_result("cudaMalloc with the released primary current", cudaMalloc(&p, 4096)) == cudaSuccess)
    h.own_device_memory(p, 4096, Owner::runtime);
  h.observe("primary active after that runtime call", primary_active(h));
}

CTXSHARE_CASE(primary_refcount, balanced_retains_on_two_threads_keep_a_held_primary_active,
              {.claims = {"DRV-RETAIN", "DRV-RELEASE", "RT-PRIMARY"},
               .source = std::string("Project-HAMi/HAMi-core#282; numba/numba#4114 - ") + kPrimaryDocs +
                         " (a retained context stays active until released; it is reset when the last reference goes)",
               .labels = {"real-world"},
               .avoid = "Keep one reference for as long as a component uses the device, rather than a retain and "
                        "release around each use, so that no window drops the count to zero.",
               .timeout_s = 30}) {
  // A component holds one reference throughout; two others retain and release at once, many times.
  CUcontext held = nullptr;
  CU(cuDevicePrimaryCtxRetain(&held, h.device(0)));
  h.own_primary(h.device(0));
  CU(cuCtxSetCurrent(held));
  // Checked before any runtime call, which would bind the primary by itself.
  h.expect_eq("the current context after cuCtxSetCurrent(held)", current_context(), held, FindingKind::wrong_context);
  const std::size_t n = 1024;
  const auto words = h.random_words(n);
  std::uint32_t* p = runtime_words(h, words);
  h.own_device_memory(p, n * 4, Owner::runtime);
  std::atomic<int> failed_calls{0}, other_handles{0};
  auto churn = [&] {
    const CUdevice dev = h.device(0);
    for (int i = 0; i < 500; ++i) {
      CUcontext mine = nullptr;
      failed_calls += cuDevicePrimaryCtxRetain(&mine, dev) != CUDA_SUCCESS;
      other_handles += mine != held;
      failed_calls += cuDevicePrimaryCtxRelease(dev) != CUDA_SUCCESS;
    }
  };
  std::thread first([&] { h.on_thread(churn); });
  std::thread second([&] { h.on_thread(churn); });
  first.join();
  second.join();
  h.expect_eq("retains and releases that failed", failed_calls.load(), 0, FindingKind::unexpected_error);
  h.expect_eq("retains that returned another context than the held primary", other_handles.load(), 0,
              FindingKind::wrong_context);
  h.expect_eq("primary active after the churn", primary_active(h), 1, FindingKind::handle_invalidated);
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), n * 4));
  h.expect_same_words("the runtime's allocation after the churn", seen, words);
}

}  // namespace ctxshare
