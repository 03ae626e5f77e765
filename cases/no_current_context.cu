// no_current_context: driver calls on a thread that never made a runtime call and so has no current
// context, while the process has one elsewhere: launches of functions loaded on another thread,
// module loads, pointer queries, copies, a cuBLAS handle made on another thread; and which calls bind
// a context there. Every case is "real-world" (issue 17): its source cites the public reports of
// the pattern first, then the documentation that answers it, if any.
// Sources: cuda.h: CUDA_ERROR_INVALID_CONTEXT ("most frequently ... no context bound to the current
// thread"), cuStreamGetCtx, cuPointerGetAttribute, cuLaunchKernel (CUkernel), cuModuleLoadData,
// cuLibraryLoadData; cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization.
#include <cstring>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"
#include "harness/cuda/libraries.h"

namespace ctxshare {

namespace {
constexpr const char* kNoContext =
    "cuda.h: CUDA_ERROR_INVALID_CONTEXT (\"most frequently indicates that there is no context bound to the "
    "current thread\"); CUDA C++ Programming Guide, Context (a new thread has none current)";
constexpr const char* kImplicit = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down";
constexpr std::size_t kBufferWords = 1 << 14;

const char* name_of(CUcontext ctx, CUcontext known) {
  return ctx == nullptr ? "none" : ctx == known ? "the context the case made on its first thread" : "another context";
}

CUcontext primary_of_device_0(Case& h) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  return primary;
}

// kBufferWords of device memory in the current context, holding fresh random words.
struct Filled {
  CUdeviceptr ptr = 0;
  std::vector<std::uint32_t> words;
};
Filled filled_device_words(Case& h) {
  Filled f{0, h.random_words(kBufferWords)};
  CU(cuMemAlloc(&f.ptr, kBufferWords * 4));
  h.own_device_memory(f.ptr, kBufferWords * 4, Owner::driver);
  CU(cuMemcpyHtoD(f.ptr, f.words.data(), kBufferWords * 4));
  return f;
}
// The words now in device memory, read in the current context.
std::vector<std::uint32_t> read_words(CUdeviceptr ptr) {
  std::vector<std::uint32_t> seen(kBufferWords);
  CU(cuMemcpyDtoH(seen.data(), ptr, kBufferWords * 4));
  return seen;
}

// cuLaunchKernel of fill_pattern(out, seed, kBufferWords), returning what the launch said.
CUresult launch_fill(CUfunction f, CUstream stream, CUdeviceptr out, std::uint32_t seed) {
  std::size_t count = kBufferWords;
  void* args[] = {&out, &seed, &count};
  return cuLaunchKernel(f, blocks_for(kBufferWords), 1, 1, 256, 1, 1, 0, stream, args, nullptr);
}

constexpr const char* kFillSource = R"(
extern "C" __global__ void rtc_fill(unsigned int* out, unsigned int seed, unsigned long long n) {
  unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = (seed ^ (unsigned int)(i * 2654435761u)) | 1u;
}
)";

struct PointerAttribute {
  const char* name;
  CUpointer_attribute attribute;
};
// The attributes whose documentation says nothing of the current context (DEVICE_POINTER's does).
const PointerAttribute kContextFreeAttributes[] = {{"CONTEXT", CU_POINTER_ATTRIBUTE_CONTEXT},
                                                   {"MEMORY_TYPE", CU_POINTER_ATTRIBUTE_MEMORY_TYPE},
                                                   {"DEVICE_ORDINAL", CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL},
                                                   {"RANGE_START_ADDR", CU_POINTER_ATTRIBUTE_RANGE_START_ADDR}};

CTXSHARE_AXIS(QueriedMemory, device_memory, pinned_host_memory);
CTXSHARE_AXIS(DriverCopy, cuMemcpy_host_to_device, cuMemcpy_device_to_host, cuMemcpyHtoD, cuMemcpyDtoH);
CTXSHARE_AXIS(CurrentContextCall, cuCtxGetDevice, cuCtxSynchronize, cuEventCreate, cuMemGetInfo);
CTXSHARE_AXIS(BindingCall, cudaSetDevice, cudaMalloc);
CTXSHARE_AXIS(MaybeBindingCall, cudaFree_nullptr, cudaGetDevice, cudaPointerGetAttributes);
CTXSHARE_AXIS(LaunchOn, null_stream, stream_of_the_primary);
CTXSHARE_AXIS(KernelContext, primary, created_context);
}  // namespace

CTXSHARE_CASE(no_current_context, cuStreamGetCtx_of_a_default_stream_fails_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "DRV-STREAM-CTX"},
               .source = "NVIDIA/cccl#10889; NVIDIA/cudnn-frontend#626 - cuda.h: cuStreamGetCtx (\"Specifying any of the "
                         "special handles will return the context current to the calling thread. If no context is "
                         "current to the calling thread, CUDA_ERROR_INVALID_CONTEXT is returned\")",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_CONTEXT", .labels = {"real-world"},
               .avoid = "Never hand a default-stream handle to a thread and expect it to mean the sender's context: "
                        "pass a created stream, or make the context current on the thread (cuCtxSetCurrent) first.",
               .axes = {table_axis<kSpecialStreams>("default_stream")}}) {
  // libcu++ wraps the NULL stream in a stream_ref and hands it to a thread with no context: the
  // handle names whatever is current there, which is nothing.
  CUDA(cudaSetDevice(0));  // the process has a context; the new thread does not
  const CUcontext primary = primary_of_device_0(h);
  h.on_thread([&] {
    CUcontext owner = nullptr;
    EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuStreamGetCtx(h.row<kSpecialStreams>().stream, &owner));
    h.observe("the thread's current context after the query", name_of(current_context(), primary));
  });
}

CTXSHARE_CASE(no_current_context, cuStreamGetCtx_of_a_created_stream_answers_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "DRV-STREAM-CTX", "RT-NONPRIMARY"},
               .source = "NVIDIA/cccl#9119; NVIDIA/cuda-python#2750 - cuda.h: cuStreamGetCtx (\"The returned context is "
                         "the context that was active in the calling thread when the stream was created\")",
               .labels = {"real-world"},
               .avoid = "A library handed a stream on a thread of its own can ask cuStreamGetCtx for the stream's "
                        "context and push that one, rather than assume one is current.",
               .axes = {axis<StreamMadeBy>()}}) {
  // CUB and cuda.core find the context to push from the stream they are given; that query must
  // work on a thread with nothing current, and name the creating context, not a primary.
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUstream stream = nullptr;
  if (h.param<StreamMadeBy>() == StreamMadeBy::cudaStreamCreate) CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  else CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, h.param<StreamMadeBy>() == StreamMadeBy::cudaStreamCreate ? Owner::runtime : Owner::driver);
  h.on_thread([&] {
    CUcontext owner = nullptr;
    CU(cuStreamGetCtx(stream, &owner));
    h.expect_eq("cuStreamGetCtx of a created context's stream, asked on a thread with none", owner, created,
                FindingKind::wrong_context);
    h.expect_eq("the thread's current context after the query", current_context(), static_cast<CUcontext>(nullptr),
                FindingKind::context_changed);
  });
}

CTXSHARE_CASE(no_current_context, device_pointer_attribute_fails_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "DRV-PTR-NEEDS-CONTEXT"},
               .source = "NVIDIA/cudf#13019; rapidsai/kvikio#189 - cuda.h: cuPointerGetAttribute "
                         "(CU_POINTER_ATTRIBUTE_DEVICE_POINTER: \"If there is no current CUcontext then "
                         "CUDA_ERROR_INVALID_CONTEXT is returned\")",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_CONTEXT", .labels = {"real-world"},
               .avoid = "Bind a context on worker threads before asking for CU_POINTER_ATTRIBUTE_DEVICE_POINTER, or ask "
                        "CU_POINTER_ATTRIBUTE_CONTEXT and push the context it names.",
               .axes = {axis<QueriedMemory>()}}) {
  // kvikio checked that "the current context owns the memory" with this attribute on cudf's reader
  // threads, which had none: the check failed with an RMM pool made on the main thread.
  CUDA(cudaSetDevice(0));
  void* p = nullptr;
  if (h.param<QueriedMemory>() == QueriedMemory::device_memory) {
    CUDA(cudaMalloc(&p, 4096));
    h.own_device_memory(p, 4096, Owner::runtime);
  } else {
    CUDA(cudaHostAlloc(&p, 4096, cudaHostAllocDefault));
    h.own_host_memory(p, Owner::runtime);
  }
  const auto address = reinterpret_cast<CUdeviceptr>(p);
  CUdeviceptr here = 0;
  CU(cuPointerGetAttribute(&here, CU_POINTER_ATTRIBUTE_DEVICE_POINTER, address));
  h.expect_eq("CU_POINTER_ATTRIBUTE_DEVICE_POINTER with the primary current (unified addressing)", here, address);
  h.on_thread([&] {
    CUdeviceptr there = 0;
    EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuPointerGetAttribute(&there, CU_POINTER_ATTRIBUTE_DEVICE_POINTER, address));
  });
}

CTXSHARE_CASE(no_current_context, pointer_attribute_asked_on_a_thread_with_none,
              {.claims = {"DRV-THREAD"},
               .source = "rapidsai/kvikio#7; open-mpi/ompi#783; NVIDIA/cudf#13019 - cuda.h: cuPointerGetAttribute (these "
                         "attributes' text does not say whether a current context is needed; MEMORY_TYPE names "
                         "CUDA_ERROR_INVALID_CONTEXT only for a current context without unified addressing)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Do not rely on pointer queries from threads with no context: bind the memory's context "
                        "first, as Open MPI does before cuPointerGetAttributes.",
               .axes = {table_axis<kContextFreeAttributes>("attribute")}}) {
  // kvikio's threads find their context with CU_POINTER_ATTRIBUTE_CONTEXT; Open MPI found it had to
  // set a context before its multi-attribute query. The answer is recorded; if it is given, it must be true.
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  const CUpointer_attribute attribute = h.row<kContextFreeAttributes>().attribute;
  unsigned long long truth = 0, answer = 0;  // wide enough for every attribute asked
  CU(cuPointerGetAttribute(&truth, attribute, reinterpret_cast<CUdeviceptr>(p)));
  h.on_thread([&] {
    const CUresult r = h.observe_result("cuPointerGetAttribute on a thread with no context",
                                        cuPointerGetAttribute(&answer, attribute, reinterpret_cast<CUdeviceptr>(p)));
    if (r == CUDA_SUCCESS) h.expect_eq("the answer given there, against the primary's", answer, truth);
    h.observe("the thread's current context after the query", name_of(current_context(), primary));
  });
}

CTXSHARE_CASE(no_current_context, driver_copy_on_a_thread_with_none,
              {.claims = {"DRV-THREAD"},
               .source = "numba/numba#2522; jcuda/jcuda#20; m4rs-mt/ILGPU#705; google-research/dex-lang#663; "
                         "JuliaGPU/CUDA.jl#1176 - cuda.h: cuMemcpy (\"only allowed in contexts which support unified "
                         "addressing\"), cuMemcpyHtoD, cuMemcpyDtoH, CUDA_UNIFIED (none says what happens with no "
                         "context current)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Make the memory's context current on every thread that copies (cuCtxSetCurrent, or cudaSetDevice "
                        "for the runtime's memory) rather than count on unified addressing to find it.", .timeout_s = 30,
               .axes = {axis<DriverCopy>()}}) {
  // Numba's copy_to_host and ILGPU's CopyToCPU ran on worker threads without binding a context;
  // ILGPU expected unified addresses to be enough and found it held only on some drivers.
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  const Filled device = filled_device_words(h);
  const auto sent = h.random_words(kBufferWords);
  std::vector<std::uint32_t> received = h.random_words(kBufferWords);  // a host destination's words before the copy
  const std::vector<std::uint32_t> received_before = received;
  const DriverCopy copy = h.param<DriverCopy>();
  const bool to_device = copy == DriverCopy::cuMemcpy_host_to_device || copy == DriverCopy::cuMemcpyHtoD;
  CUresult r = CUDA_SUCCESS;
  h.on_thread([&] {
    const auto host_in = reinterpret_cast<CUdeviceptr>(sent.data());
    const auto host_out = reinterpret_cast<CUdeviceptr>(received.data());
    switch (copy) {
      case DriverCopy::cuMemcpy_host_to_device: r = cuMemcpy(device.ptr, host_in, kBufferWords * 4); break;
      case DriverCopy::cuMemcpy_device_to_host: r = cuMemcpy(host_out, device.ptr, kBufferWords * 4); break;
      case DriverCopy::cuMemcpyHtoD: r = cuMemcpyHtoD(device.ptr, sent.data(), kBufferWords * 4); break;
      case DriverCopy::cuMemcpyDtoH: r = cuMemcpyDtoH(received.data(), device.ptr, kBufferWords * 4); break;
    }
    h.observe_result("the copy on a thread with no context", r);
    h.observe("the thread's current context after the copy", name_of(current_context(), primary));
  });
  // Whatever the answer, it must be true: success moved the words, an error moved none.
  const bool done = r == CUDA_SUCCESS;
  if (to_device)
    h.expect_same_words(done ? "the device words after a copy that succeeded" : "the device words after a refused copy",
                        read_words(device.ptr), done ? sent : device.words);
  else
    h.expect_same_words(done ? "the host words after a copy that succeeded" : "the host words after a refused copy",
                        received, done ? device.words : received_before);
}

CTXSHARE_CASE(no_current_context, calls_on_the_current_context_fail_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "DRV-NEEDS-CURRENT"},
               .source = std::string("NervanaSystems/ngraph#1046; NervanaSystems/ngraph#1047; kunzmi/managedCuda#36; "
                         "iree-org/iree#9301 - cuda.h: cuCtxGetDevice (\"the current context's device\"), "
                         "cuCtxSynchronize (\"the current context\"), cuEventCreate (\"for the current context\"), "
                         "cuMemGetInfo (\"available to the current context\"); ") + kNoContext,
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_CONTEXT", .labels = {"real-world"},
               .avoid = "Every thread that calls the driver binds a context first (cuCtxSetCurrent with the context the "
                        "program uses); a context made current on another thread is not current here.",
               .axes = {axis<CurrentContextCall>()}}) {
  // nGraph's external functions ran on new threads after the backend set its context on the first
  // one: every call that acts on "the current context" found none.
  CUDA(cudaSetDevice(0));
  h.on_thread([&] {
    switch (h.param<CurrentContextCall>()) {
      case CurrentContextCall::cuCtxGetDevice: {
        CUdevice device = -1;
        EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuCtxGetDevice(&device));
        break;
      }
      case CurrentContextCall::cuCtxSynchronize: EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuCtxSynchronize()); break;
      case CurrentContextCall::cuEventCreate: {
        CUevent event = nullptr;
        if (!EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuEventCreate(&event, CU_EVENT_DISABLE_TIMING)) && event != nullptr)
          h.observe_result("cuEventDestroy of the event made anyway", cuEventDestroy(event));
        break;
      }
      case CurrentContextCall::cuMemGetInfo: {
        std::size_t free = 0, total = 0;
        EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuMemGetInfo(&free, &total));
        break;
      }
    }
  });
}

CTXSHARE_CASE(no_current_context, runtime_call_binds_the_primary_for_a_driver_launch,
              {.claims = {"RT-IMPLICIT", "RT-SETDEVICE", "RT-PRIMARY", "RT-TYPES"},
               .source = std::string("cupy/cupy#72; NVIDIA/cudnn-frontend#626; numba/numba#2523 - ") + kImplicit +
                         "; cuda_runtime_api.h: cudaSetDevice, cudaGetFuncBySymbol",
               .labels = {"real-world"},
               .avoid = "On a new thread, make one call that binds the primary (cudaSetDevice is the documented one) "
                        "before launching through the driver.",
               .axes = {axis<BindingCall>()}}) {
  // CuPy's workaround for its worker threads: a runtime call first, then the driver launch works,
  // in the primary the other thread's function belongs to.
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
  const Filled memory = filled_device_words(h);
  const std::uint32_t seed = h.random_words(1)[0];
  h.on_thread([&] {
    if (h.param<BindingCall>() == BindingCall::cudaSetDevice) {
      CUDA(cudaSetDevice(0));
    } else {
      void* p = nullptr;
      CUDA(cudaMalloc(&p, 256));
      h.own_device_memory(p, 256, Owner::runtime);
    }
    h.expect_eq("the thread's current context after the runtime call", current_context(), primary,
                FindingKind::wrong_context);
    Gate gate(h);
    gate.hold(nullptr, fill_pattern);  // the launch waits behind it, until the synchronize has begun
    CU(launch_fill(static_cast<CUfunction>(function), nullptr, memory.ptr, seed));
    gate.open_after(kSettle);
    CU(cuCtxSynchronize());
    gate.expect_waited(h, "cuCtxSynchronize on the bound thread");
  });
  std::vector<std::uint32_t> seen(kBufferWords);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(memory.ptr), kBufferWords * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("the driver launch's output on the bound thread", seen, pattern(seed, kBufferWords));
}

CTXSHARE_CASE(no_current_context, which_runtime_calls_bind_a_context_on_a_new_thread,
              {.claims = {"RT-IMPLICIT"},
               .source = std::string("cupy/cupy#72 (cudaFree(0) as the binding call); NVIDIA/cudnn-frontend#626 - ") +
                         kImplicit + " (\"the first runtime call that needs a context\": which calls need one is not listed)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Bind with cudaSetDevice, documented to make the primary current, not with a call that merely "
                        "happens to initialize it today.",
               .axes = {axis<MaybeBindingCall>()}}) {
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  h.on_thread([&] {
    switch (h.param<MaybeBindingCall>()) {
      case MaybeBindingCall::cudaFree_nullptr: h.observe_result("cudaFree(nullptr)", cudaFree(nullptr)); break;
      case MaybeBindingCall::cudaGetDevice: {
        int device = -1;
        h.observe_result("cudaGetDevice", cudaGetDevice(&device));
        h.observe("its device", device);
        break;
      }
      case MaybeBindingCall::cudaPointerGetAttributes: {
        cudaPointerAttributes attributes{};
        h.observe_result("cudaPointerGetAttributes of the main thread's memory", cudaPointerGetAttributes(&attributes, p));
        break;
      }
    }
    h.observe("the thread's current context after the call", name_of(current_context(), primary));
  });
}

CTXSHARE_CASE(no_current_context, driver_launch_of_a_runtime_function_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "RT-TYPES"},
               .source = "cupy/cupy#72; NVIDIA/cudnn-frontend#626; NVIDIA/jitify#9 - cuda.h: cuLaunchKernel (for a "
                         "CUfunction, which context the launch uses when none is current is not said); "
                         "cuda_runtime_api.h: cudaGetFuncBySymbol",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Bind the function's context on the launching thread (cuCtxSetCurrent) or launch a CUkernel on a "
                        "stream, whose context the driver then takes.", .timeout_s = 30,
               .axes = {axis<LaunchOn>()}}) {
  // CuPy's memory pool let a worker thread skip every runtime call, so its cuLaunchKernel of a
  // function loaded by the main thread ran with no context current.
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  const Filled memory = filled_device_words(h);
  const std::uint32_t seed = h.random_words(1)[0];
  const CUstream on = h.param<LaunchOn>() == LaunchOn::null_stream ? nullptr : stream;
  CUresult launched = CUDA_SUCCESS;
  h.on_thread([&] {
    launched = h.observe_result("cuLaunchKernel on a thread with no context",
                                launch_fill(static_cast<CUfunction>(function), on, memory.ptr, seed));
    h.observe("the thread's current context after the launch", name_of(current_context(), primary));
  });
  CUDA(cudaDeviceSynchronize());
  // An honest answer: a launch that succeeded wrote the pattern, a refused one wrote nothing.
  h.expect_same_words(launched == CUDA_SUCCESS ? "the memory after a launch that succeeded" : "the memory after a refused launch",
                      read_words(memory.ptr), launched == CUDA_SUCCESS ? pattern(seed, kBufferWords) : memory.words);
}

CTXSHARE_CASE(no_current_context, CUkernel_launch_takes_the_context_of_its_stream,
              {.claims = {"DRV-THREAD", "DRV-KERNEL-STREAM", "RT-TYPES"},
               .source = "NVIDIA/jitify#9; NVIDIA/TransformerEngine#734; NVIDIA/cudnn-frontend#626 - cuda.h: cuLaunchKernel "
                         "(a CUkernel: \"the context to launch the kernel on will either be taken from the specified "
                         "stream hStream or the current context in case of NULL stream\"); cuda_runtime_api.h: cudaGetKernel",
               .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "Launch context-independent kernels (cuLibraryGetKernel, cudaGetKernel) on an explicit stream: the "
                        "launching thread then needs no context of its own.", .timeout_s = 30,
               .axes = {axis<KernelContext>()}}) {
  CUcontext ctx = nullptr;
  if (h.param<KernelContext>() == KernelContext::primary) {
    CUDA(cudaSetDevice(0));
    ctx = current_context();
  } else {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  }
  cudaKernel_t kernel = nullptr;
  CUDA(cudaGetKernel(&kernel, fill_pattern));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  const Filled memory = filled_device_words(h);  // valid in ctx alone: a launch elsewhere could not write it
  const std::uint32_t seed = h.random_words(1)[0];
  Gate gate(h);
  gate.hold(stream, fill_pattern);  // loads the kernel in ctx now: the launch then queues behind the gate
  h.on_thread([&] {
    CU(launch_fill(reinterpret_cast<CUfunction>(kernel), stream, memory.ptr, seed));
    h.observe("the thread's current context after the launch", name_of(current_context(), ctx));
  });
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the stream the CUkernel was launched on");
  std::vector<std::uint32_t> seen(kBufferWords);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(memory.ptr), kBufferWords * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("the output of a CUkernel launched on the stream from a thread with no context", seen,
                      pattern(seed, kBufferWords));
}

CTXSHARE_CASE(no_current_context, CUkernel_launch_on_the_null_stream_fails_on_a_thread_with_none,
              {.claims = {"DRV-THREAD", "DRV-KERNEL-STREAM"},
               .source = "NVIDIA/cccl#10889; NVIDIA/cudnn-frontend#626 - cuda.h: cuLaunchKernel (a CUkernel on the NULL "
                         "stream launches in \"the current context\"); CUDA_ERROR_INVALID_CONTEXT",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_CONTEXT",
               .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "Give a context-independent kernel an explicit stream when the launching thread may have no "
                        "context; the NULL stream means the current context's.", .timeout_s = 30,
               }) {
  CUDA(cudaSetDevice(0));
  cudaKernel_t kernel = nullptr;
  CUDA(cudaGetKernel(&kernel, fill_pattern));
  const Filled memory = filled_device_words(h);
  h.on_thread([&] {
    EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT,
                 launch_fill(reinterpret_cast<CUfunction>(kernel), nullptr, memory.ptr, h.random_words(1)[0]));
  });
  CUDA(cudaDeviceSynchronize());
  h.expect_same_words("the memory after the refused launch", read_words(memory.ptr), memory.words);
}

CTXSHARE_CASE(no_current_context, cuModuleLoadData_fails_on_a_thread_with_none_until_one_is_bound,
              {.claims = {"DRV-THREAD", "DRV-NEEDS-CURRENT", "SEED-RTC"},
               .source = "NVIDIA/TransformerEngine#734; NervanaSystems/ngraph#2199; NVIDIA/jitify#9 - cuda.h: "
                         "cuModuleLoadData (\"loads the corresponding module into the current context\"), "
                         "CUDA_ERROR_INVALID_CONTEXT, cuCtxSetCurrent",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_CONTEXT (the load before binding)",
               .needs = {.libraries = {"nvrtc"}}, .labels = {"real-world"},
               .avoid = "Load run-time compiled code on a thread that has bound the target context, or load it with "
                        "cuLibraryLoadData, which needs none.", .timeout_s = 30,
               }) {
  // Transformer Engine compiled and loaded NVRTC kernels on PyTorch's autograd thread, where no
  // context had been set: "invalid device context". Binding the primary there is the fix.
  const std::string cubin = h.compile(kFillSource, "rtc_fill.cu", true);
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of_device_0(h);
  const Filled memory = filled_device_words(h);
  const std::uint32_t seed = h.random_words(1)[0];
  h.on_thread([&] {
    CUmodule module = nullptr;
    if (!EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuModuleLoadData(&module, cubin.data())) && module != nullptr)
      h.observe_result("cuModuleUnload of the module loaded anyway", cuModuleUnload(module));
    CU(cuCtxSetCurrent(primary));
    CU(cuModuleLoadData(&module, cubin.data()));
    h.own_module(module);
    CUfunction function = nullptr;
    CU(cuModuleGetFunction(&function, module, "rtc_fill"));  // loads it even under lazy loading
    Gate gate(h);
    gate.hold(nullptr);  // the launch waits behind it, until the synchronize has begun
    CU(launch_fill(function, nullptr, memory.ptr, seed));
    gate.open_after(kSettle);
    CU(cuCtxSynchronize());
    gate.expect_waited(h, "cuCtxSynchronize with the primary bound");
  });
  std::vector<std::uint32_t> seen(kBufferWords);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(memory.ptr), kBufferWords * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("the output of the module loaded once the primary was bound", seen, pattern(seed, kBufferWords));
}

CTXSHARE_CASE(no_current_context, cuLibraryLoadData_on_a_thread_with_none_serves_the_primary,
              {.claims = {"DRV-THREAD", "DRV-LIBRARY-LOAD", "SEED-RTC"},
               .source = "NVIDIA/TransformerEngine#734; NVIDIA/jitify#9 - cuda.h: cuLibraryLoadData (loaded \"into all "
                         "contexts at the time of the call and future contexts\", or lazily \"when a function is needed "
                         "for that context\"), cuLibraryGetKernel, cuLaunchKernel",
               .needs = {.min_driver = 12050, .libraries = {"nvrtc"}}, .labels = {"real-world"},
               .avoid = "Compile and load on worker threads with cuLibraryLoadData: the library needs no current "
                        "context, and any thread launches its kernels on a stream.", .timeout_s = 30,
               }) {
  // The context-independent answer to a compilation thread with no context.
  const std::string cubin = h.compile(kFillSource, "rtc_fill.cu", true);
  CUDA(cudaSetDevice(0));
  const Filled memory = filled_device_words(h);
  const std::uint32_t seed = h.random_words(1)[0];
  CUlibrary library = nullptr;
  h.on_thread([&] {
    CU(cuLibraryLoadData(&library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
    h.expect_eq("the thread's current context after cuLibraryLoadData", current_context(), static_cast<CUcontext>(nullptr),
                FindingKind::context_changed);
  });
  if (library == nullptr) return;
  h.own_library(library);
  CUkernel kernel = nullptr;
  CU(cuLibraryGetKernel(&kernel, library, "rtc_fill"));
  CU(launch_fill(reinterpret_cast<CUfunction>(kernel), nullptr, memory.ptr, seed));  // the primary, current here
  std::vector<std::uint32_t> seen(kBufferWords);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(memory.ptr), kBufferWords * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("the output of a kernel of the library loaded with no context", seen, pattern(seed, kBufferWords));
}

namespace {
constexpr int kBlas = 1024;
void own_cublas_handle(Case& h, cublasHandle_t handle) {
  h.defer("a cuBLAS handle", [handle] { return cublasDestroy(handle) == CUBLAS_STATUS_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN; });
}
// Small integers: 2x + y is exact in float.
std::vector<float> small_floats(Case& h) {
  std::vector<float> v(kBlas);
  const auto words = h.random_words(kBlas);
  for (int i = 0; i < kBlas; ++i) v[i] = static_cast<float>(words[i] % 64);
  return v;
}
}  // namespace

CTXSHARE_CASE(no_current_context, cublas_handle_used_on_a_thread_with_none,
              {.claims = {"SEED-LIBRARY", "DRV-THREAD"},
               .source = "cupy/cupy#1109; pytorch/pytorch#6962; NVIDIA/FasterTransformer#340; inducer/pycuda#242 - "
                         "cuBLAS: cublasCreate (the handle is tied to the context current when it is made), Thread Safety "
                         "(a handle may be used from several threads); which context a call on a thread with none uses "
                         "is not said",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cublas"}}, .labels = {"real-world"},
               .avoid = "Make the handle's context current on the thread before any cuBLAS call, or give each thread its "
                        "own handle, made there after binding the context.", .timeout_s = 30,
               .axes = {axis<KernelContext>()}}) {
  // PyCUDA + TensorRT thread pools: a handle made where a context was current, used on a pool
  // thread that never bound one. The runtime inside cuBLAS picks device 0's primary there.
  CUcontext ctx = nullptr;
  if (h.param<KernelContext>() == KernelContext::primary) {
    CUDA(cudaSetDevice(0));
    ctx = current_context();
  } else {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  }
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));
  own_cublas_handle(h, handle);
  const auto x = small_floats(h), y = small_floats(h);
  CUdeviceptr dx = 0, dy = 0;
  for (CUdeviceptr* p : {&dx, &dy}) {
    CU(cuMemAlloc(p, kBlas * sizeof(float)));
    h.own_device_memory(*p, kBlas * sizeof(float), Owner::driver);
  }
  CU(cuMemcpyHtoD(dx, x.data(), kBlas * sizeof(float)));
  CU(cuMemcpyHtoD(dy, y.data(), kBlas * sizeof(float)));
  cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
  h.on_thread([&] {
    const float two = 2;
    status = cublasSaxpy(handle, kBlas, &two, reinterpret_cast<float*>(dx), 1, reinterpret_cast<float*>(dy), 1);
    h.observe("cublasSaxpy on a thread with no context", status_name(status));
    h.observe("the thread's current context after it", name_of(current_context(), ctx));
    h.observe_result("cudaDeviceSynchronize on that thread", cudaDeviceSynchronize());
  });
  CU(cuCtxSynchronize());
  std::vector<float> seen(kBlas), expected = y;
  CU(cuMemcpyDtoH(seen.data(), dy, kBlas * sizeof(float)));
  if (status == CUBLAS_STATUS_SUCCESS)
    for (int i = 0; i < kBlas; ++i) expected[i] = 2 * x[i] + y[i];
  h.expect(seen == expected, FindingKind::data_mismatch,
           status == CUBLAS_STATUS_SUCCESS ? "cublasSaxpy succeeded: y must hold 2x + y" : "cublasSaxpy failed: y must be untouched",
           {{"status", status_name(status)}, {"y[1]", seen[1]}, {"expected y[1]", expected[1]}});
}

}  // namespace ctxshare
