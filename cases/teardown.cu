// teardown: CUDA calls made while the process or a thread ends (issue 17). Static destructors and
// atexit handlers after main returns (h.at_exit registers a step where exit runs it: registered
// before the runtime's first call, it runs after the runtime's own exit handler, if the runtime
// registers one then; registered after, it runs before it), thread-local destructors at a thread's
// exit, and library handles destroyed after their context. Each case records what the calls answer
// and how the process ends (a crash or hang at exit is the case's outcome, with its call).
// Sources: the reports each case cites (darknet, gunrock, Kaldi, Caffe, RMM, cuDF, PyTorch, CCCL,
// OCCA, VPF, LLVM, FLAME GPU...); driver_types.h: cudaErrorCudartUnloading; cuda.h:
// CUDA_ERROR_DEINITIALIZED; cuda_runtime_api.h: cudaDeviceReset.
#include <memory>
#include <optional>
#include <string>

#include "harness/case/case.h"
#include "harness/cuda/libraries.h"

namespace ctxshare {

namespace {
constexpr const char* kShutdownErrors =
    "driver_types.h: cudaErrorCudartUnloading (a runtime call made during process shut down, after the driver was "
    "unloaded); cuda.h: CUDA_ERROR_DEINITIALIZED (the driver is shutting down); neither says when in exit that begins";

CTXSHARE_AXIS(ExitStepRegistered, before_the_runtime_starts, after_the_runtime_starts);

bool registered_first(Case& h) {
  return h.param<ExitStepRegistered>() == ExitStepRegistered::before_the_runtime_starts;
}

// What a global object holds until its destructor releases it at exit.
struct RuntimeObjects {
  void* device = nullptr;
  void* host = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t event = nullptr;
};

CTXSHARE_AXIS(RuntimeCallAtExit, cudaFree, cudaFreeHost, cudaStreamDestroy, cudaEventDestroy, cudaDeviceSynchronize,
              cudaGetDevice);
}  // namespace

CTXSHARE_CASE(teardown, runtime_call_from_an_exit_handler,
              {.claims = {"TD-SHUTDOWN-ERRORS", "RT-IMPLICIT"},
               .source = std::string("AlexeyAB/darknet#1829; gunrock/gunrock#423; NVlabs/SASSI#4; opencv/opencv#7816; "
                                     "NVIDIA/cccl#7063; rapidsai/rmm#2202; pytorch/pytorch#97142; "
                                     "MrNeRF/LichtFeld-Studio#864 - ") + kShutdownErrors,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Release CUDA objects before main returns (an explicit shutdown, or objects scoped inside main); "
                        "never from the destructor of a static or global object, whose order against the runtime's own "
                        "teardown is not yours to choose.",
               .timeout_s = 20, .axes = {axis<ExitStepRegistered>(), axis<RuntimeCallAtExit>()}}) {
  // A global object's destructor releasing what it holds: gunrock's global Frontier, darknet's detector.
  auto held = std::make_shared<RuntimeObjects>();  // the step's copy outlives the body
  const RuntimeCallAtExit call = h.param<RuntimeCallAtExit>();
  auto release = [&h, held, call] {
    int device = -1;
    switch (call) {
      case RuntimeCallAtExit::cudaFree: h.observe_result("cudaFree at exit", cudaFree(held->device)); break;
      case RuntimeCallAtExit::cudaFreeHost: h.observe_result("cudaFreeHost at exit", cudaFreeHost(held->host)); break;
      case RuntimeCallAtExit::cudaStreamDestroy:
        h.observe_result("cudaStreamDestroy at exit", cudaStreamDestroy(held->stream));
        break;
      case RuntimeCallAtExit::cudaEventDestroy: h.observe_result("cudaEventDestroy at exit", cudaEventDestroy(held->event)); break;
      case RuntimeCallAtExit::cudaDeviceSynchronize:
        h.observe_result("cudaDeviceSynchronize at exit", cudaDeviceSynchronize());
        break;
      case RuntimeCallAtExit::cudaGetDevice: h.observe_result("cudaGetDevice at exit", cudaGetDevice(&device)); break;
    }
  };
  if (registered_first(h)) h.at_exit("a global object's destructor", release);
  CUDA(cudaMalloc(&held->device, 4096));  // the runtime's first call
  CUDA(cudaMallocHost(&held->host, 4096));
  CUDA(cudaStreamCreate(&held->stream));
  CUDA(cudaEventCreate(&held->event));
  if (!registered_first(h)) h.at_exit("a global object's destructor", release);
}

namespace {
// What a driver-API component (OCCA, VPF's CudaResMgr, UCX) holds until its exit handler.
struct DriverObjects {
  CUdevice device = 0;
  CUdeviceptr memory = 0;
  CUstream stream = nullptr;
};
CTXSHARE_AXIS(DriverCallAtExit, cuMemFree, cuStreamDestroy, cuDevicePrimaryCtxRelease);
}  // namespace

CTXSHARE_CASE(teardown, driver_component_releases_from_an_exit_handler,
              {.claims = {"TD-SHUTDOWN-ERRORS", "DRV-RETAIN", "DRV-RELEASE"},
               .source = std::string("libocca/occa#390; NVIDIA/VideoProcessingFramework#239; llvm/llvm-project#190563; "
                                     "openucx/ucx#11275; kaldi-asr/kaldi#2178 - ") + kShutdownErrors +
                         "; cuda.h: cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "A component that retained the primary context releases it, and what it made in it, from an "
                        "explicit shutdown call before main returns; at exit it treats CUDA_ERROR_DEINITIALIZED as "
                        "'already gone' rather than as a failure.",
               .timeout_s = 20, .axes = {axis<ExitStepRegistered>(), axis<DriverCallAtExit>()}}) {
  // The component retains the primary context it shares with the runtime, allocates in it, and
  // releases both from its exit handler; the runtime is in the process too.
  auto held = std::make_shared<DriverObjects>();
  held->device = h.device(0);
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, held->device));
  CU(cuCtxSetCurrent(primary));
  CU(cuMemAlloc(&held->memory, 4096));
  CU(cuStreamCreate(&held->stream, CU_STREAM_NON_BLOCKING));
  const DriverCallAtExit call = h.param<DriverCallAtExit>();
  auto release = [&h, held, call] {
    unsigned int flags = 0;
    int active = -1;
    h.observe_result("cuDevicePrimaryCtxGetState at exit", cuDevicePrimaryCtxGetState(held->device, &flags, &active));
    h.observe("primary active at exit, before the component releases", active);
    switch (call) {
      case DriverCallAtExit::cuMemFree: h.observe_result("cuMemFree at exit", cuMemFree(held->memory)); break;
      case DriverCallAtExit::cuStreamDestroy: h.observe_result("cuStreamDestroy at exit", cuStreamDestroy(held->stream)); break;
      case DriverCallAtExit::cuDevicePrimaryCtxRelease:
        h.observe_result("cuDevicePrimaryCtxRelease at exit", cuDevicePrimaryCtxRelease(held->device));
        break;
    }
  };
  if (registered_first(h)) h.at_exit("the driver component's exit handler", release);
  CUDA(cudaFree(nullptr));  // the runtime starts on the same primary context
  if (!registered_first(h)) h.at_exit("the driver component's exit handler", release);
}

CTXSHARE_CASE(teardown, cublasDestroy_from_an_exit_handler,
              {.claims = {"TD-SHUTDOWN-ERRORS", "SEED-LIBRARY"},
               .source = std::string("kaldi-asr/kaldi#2178; pytorch/pytorch#40372; BVLC/caffe#6281; "
                                     "PaddlePaddle/Paddle#23772 - ") + kShutdownErrors + "; cublas_v2.h: cublasDestroy",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cublas"}}, .labels = {"real-world"},
               .avoid = "Destroy library handles (cuBLAS, cuRAND, cuDNN) in an explicit shutdown before main returns, "
                        "or deliberately leak them at exit as PyTorch does; never from a static handle pool's destructor.",
               .timeout_s = 20, .axes = {axis<ExitStepRegistered>()}}) {
  // Kaldi's CuDevice singleton: its destructor calls cublasDestroy, which calls the runtime.
  auto handle = std::make_shared<cublasHandle_t>(nullptr);
  auto destroy = [&h, handle] {
    h.observe("cublasDestroy at exit", describe(cublasDestroy(*handle)));
  };
  if (registered_first(h)) h.at_exit("a handle pool's destructor", destroy);
  CUDA(cudaSetDevice(0));  // the program's runtime starts, then the library's
  CUBLAS(cublasCreate(handle.get()));
  if (!registered_first(h)) h.at_exit("a handle pool's destructor", destroy);
}

namespace {
CTXSHARE_AXIS(EndedBy, cuCtxDestroy, cudaDeviceReset, cuDevicePrimaryCtxReset);
}  // namespace

CTXSHARE_CASE(teardown, cublasDestroy_after_its_context_ended,
              {.claims = {"RT-RESET", "DRV-PRIMARY-RESET", "DRV-CREATE", "SEED-LIBRARY"},
               .source = "Cytnx-dev/Cytnx#1161; torch/cutorch#121; Rust-GPU/rust-cuda#21; arrayfire/arrayfire#2374; "
                         "NVIDIA/cudf#16783 - cuda_runtime_api.h: cudaDeviceReset (using resources after it is "
                         "undefined); cuda.h: cuCtxDestroy, cuDevicePrimaryCtxReset; cublas_v2.h: cublasDestroy",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cublas"}}, .labels = {"real-world"},
               .avoid = "Destroy a library handle before the context it was created in ends (cuCtxDestroy, "
                        "cudaDeviceReset, cuDevicePrimaryCtxReset), and create a new handle after a reset; key cached "
                        "handles by context, not by device.",
               .timeout_s = 20, .axes = {axis<EndedBy>()}}) {
  CUcontext created = nullptr;
  if (h.param<EndedBy>() == EndedBy::cuCtxDestroy) CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  else CUDA(cudaSetDevice(0));
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));  // in the context current now
  switch (h.param<EndedBy>()) {
    case EndedBy::cuCtxDestroy: CU(cuCtxDestroy(created)); break;
    case EndedBy::cudaDeviceReset: CUDA(cudaDeviceReset()); break;
    case EndedBy::cuDevicePrimaryCtxReset: CU(cuDevicePrimaryCtxReset(h.device(0))); break;
  }
  h.observe("cublasDestroy of a handle whose context ended", describe(cublasDestroy(handle)));
  h.observe_result("cudaGetLastError afterwards", cudaGetLastError());
}

namespace {
CTXSHARE_AXIS(ThreadCacheApi, runtime, driver);

// A thread-local cache that frees its allocation when its thread ends (RMM's and cuDF's per-thread
// objects): it reads the words back through the other API, then frees them.
struct ThreadCache {
  ThreadCacheApi api;
  CUdeviceptr memory;
  std::size_t n;
  std::vector<std::uint32_t>* seen;
  std::optional<int>* freed;
  ~ThreadCache() {
    seen->resize(n);
    if (api == ThreadCacheApi::runtime) {
      cuMemcpyDtoH(seen->data(), memory, n * 4);
      *freed = cudaFree(reinterpret_cast<void*>(memory));
    } else {
      cudaMemcpy(seen->data(), reinterpret_cast<void*>(memory), n * 4, cudaMemcpyDeviceToHost);
      *freed = cuMemFree(memory);
    }
  }
};
}  // namespace

CTXSHARE_CASE(teardown, thread_local_destructor_frees_at_a_worker_threads_exit,
              {.claims = {"RT-IMPLICIT", "RT-CURRENT", "DRV-THREAD"},
               .source = "rapidsai/rmm#1371; NVIDIA/cudf#16787; microsoft/onnxruntime#2329; BVLC/caffe#6281 - "
                         "cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down (a "
                         "thread's runtime calls act on its current context); a worker thread's exit is not process "
                         "shut down (driver_types.h: cudaErrorCudartUnloading)",
               .labels = {"real-world"},
               .avoid = "A worker thread's thread-local CUDA objects may be released at its exit while the process "
                        "lives; keep the context current on that thread until then, and never rely on thread-local "
                        "destructors of the main thread, which run during exit.",
               .timeout_s = 30, .axes = {axis<ThreadCacheApi>()}}) {
  const std::size_t n = 4096;
  const auto words = h.random_words(n);
  const ThreadCacheApi api = h.param<ThreadCacheApi>();
  const CUcontext primary = [&] {
    CUcontext ctx = nullptr;
    CU(cuDevicePrimaryCtxRetain(&ctx, h.device(0)));
    h.own_primary(h.device(0));
    return ctx;
  }();
  std::vector<std::uint32_t> seen;
  std::optional<int> freed;
  h.on_thread([&] {
    CUdeviceptr memory = 0;
    if (api == ThreadCacheApi::runtime) {
      CUDA(cudaMalloc(reinterpret_cast<void**>(&memory), n * 4));  // selects the primary for this thread
      CUDA(cudaMemcpy(reinterpret_cast<void*>(memory), words.data(), n * 4, cudaMemcpyHostToDevice));
    } else {
      CU(cuCtxSetCurrent(primary));
      CU(cuMemAlloc(&memory, n * 4));
      CU(cuMemcpyHtoD(memory, words.data(), n * 4));
    }
    thread_local ThreadCache cache{api, memory, n, &seen, &freed};  // destroyed as this thread ends
  });
  h.expect(freed.has_value(), FindingKind::mismatch, "the thread-local destructor ran before the thread was joined");
  if (api == ThreadCacheApi::runtime)
    h.expect_eq("cudaFree in the thread-local destructor", freed.value_or(-1), static_cast<int>(cudaSuccess),
                FindingKind::unexpected_error);
  else
    h.expect_eq("cuMemFree in the thread-local destructor", freed.value_or(-1), static_cast<int>(CUDA_SUCCESS),
                FindingKind::unexpected_error);
  h.expect_same_words("the words read back in the thread-local destructor", seen, words);
}

namespace {
CTXSHARE_AXIS(RuntimeStartsIn, the_body_before_the_thread_local, the_thread_locals_constructor);

std::optional<cudaError_t> g_main_thread_local_destroyed;

// RMM's per-thread event: created in its constructor, destroyed by a thread-local destructor of the
// main thread, which exit runs before every atexit handler.
struct MainThreadEvent {
  cudaEvent_t event = nullptr;
  cudaError_t created = cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
  ~MainThreadEvent() { g_main_thread_local_destroyed = cudaEventDestroy(event); }
};
}  // namespace

CTXSHARE_CASE(teardown, main_thread_thread_local_destroys_its_event_at_exit,
              {.claims = {"TD-SHUTDOWN-ERRORS", "RT-IMPLICIT"},
               .source = std::string("rapidsai/rmm#1371; microsoft/mscclpp#238; NVIDIA/cudf#16787 - ") + kShutdownErrors +
                         "; C++ [basic.start.term]: the main thread's thread-local objects are destroyed before any "
                         "static object",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Do not keep CUDA objects in thread_local variables of the main thread: release them before "
                        "main returns, or leak them on purpose as cuDF does.",
               .timeout_s = 20, .axes = {axis<RuntimeStartsIn>()}}) {
  if (h.param<RuntimeStartsIn>() == RuntimeStartsIn::the_body_before_the_thread_local) CUDA(cudaFree(nullptr));
  thread_local MainThreadEvent holder;
  h.expect_eq("cudaEventCreateWithFlags in the thread-local constructor", holder.created, cudaSuccess,
              FindingKind::unexpected_error);
  // Registered now, after the runtime started: it runs after the thread-local destructor.
  h.at_exit("reading what the thread-local destructor got", [&h] {
    h.observe("the main thread's thread-local destructor ran before the exit handlers",
              g_main_thread_local_destroyed.has_value());
    if (g_main_thread_local_destroyed) h.observe("cudaEventDestroy in it", describe(*g_main_thread_local_destroyed));
  });
}

namespace {
CTXSHARE_AXIS(StaleReleaseAtExit, cudaFree, cudaStreamDestroy, cudaEventDestroy);
}  // namespace

CTXSHARE_CASE(teardown, exit_handler_releases_what_cudaDeviceReset_destroyed,
              {.claims = {"RT-RESET", "TD-SHUTDOWN-ERRORS"},
               .source = std::string("NVIDIA/cudf#16783; NVIDIA/cudf#16787; ginkgo-project/ginkgo#461; fangq/mcx#188 - "
                                     "cuda_runtime_api.h: cudaDeviceReset (the caller must not use the resources it "
                                     "destroyed: undefined behaviour); ") + kShutdownErrors,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Call cudaDeviceReset, if at all, only after every object that holds CUDA resources is gone, "
                        "static and thread-local ones included; a library should never call it for its user.",
               .timeout_s = 20, .axes = {axis<StaleReleaseAtExit>()}}) {
  // NVbench resets the device at the end of main; cuDF's and KvikIO's static objects release afterwards.
  auto held = std::make_shared<RuntimeObjects>();
  CUDA(cudaMalloc(&held->device, 4096));
  CUDA(cudaStreamCreate(&held->stream));
  CUDA(cudaEventCreate(&held->event));
  const StaleReleaseAtExit call = h.param<StaleReleaseAtExit>();
  h.at_exit("a static object's destructor, after the reset", [&h, held, call] {
    switch (call) {
      case StaleReleaseAtExit::cudaFree: h.observe_result("cudaFree at exit", cudaFree(held->device)); break;
      case StaleReleaseAtExit::cudaStreamDestroy:
        h.observe_result("cudaStreamDestroy at exit", cudaStreamDestroy(held->stream));
        break;
      case StaleReleaseAtExit::cudaEventDestroy:
        h.observe_result("cudaEventDestroy at exit", cudaEventDestroy(held->event));
        break;
    }
  });
  CUDA(cudaDeviceReset());
}

CTXSHARE_CASE(teardown, created_context_destroyed_from_an_exit_handler,
              {.claims = {"TD-SHUTDOWN-ERRORS", "DRV-CREATE", "RT-NONPRIMARY"},
               .source = std::string("FLAMEGPU/FLAMEGPU2#190; Rust-GPU/rust-cuda#21; libocca/occa#390 - ") + kShutdownErrors +
                         "; cuda.h: cuCtxDestroy; cuda_runtime_api.h, Interactions with the CUDA Driver API (runtime "
                         "calls act on a current non-primary context)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Destroy a context you created with cuCtxCreate, after releasing the runtime's objects in it, "
                        "before main returns; at exit, expect CUDA_ERROR_DEINITIALIZED and do not treat it as fatal.",
               .timeout_s = 20, .axes = {axis<ExitStepRegistered>()}}) {
  // A driver-first program's context, which the runtime also allocated in, destroyed at exit.
  auto created = std::make_shared<CUcontext>(nullptr);
  CU(cuCtxCreate(created.get(), nullptr, 0, h.device(0)));
  auto destroy = [&h, created] { h.observe_result("cuCtxDestroy at exit", cuCtxDestroy(*created)); };
  if (registered_first(h)) h.at_exit("the program's context owner's destructor", destroy);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));  // the runtime starts, on the created context
  if (!registered_first(h)) h.at_exit("the program's context owner's destructor", destroy);
}

}  // namespace ctxshare
