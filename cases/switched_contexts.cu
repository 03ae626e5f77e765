// switched_contexts: streams and events of one context used after the thread's current context was
// switched by the other API (cudaSetDevice over a created context, cuCtxSetCurrent over the
// primary): which context a handle keeps, which uses of it are refused, which still order work.
// Every case is "real-world" (issue 17): its source cites the public reports of the pattern first,
// then the documentation that answers it, if any. Most need one device; two need a second.
// Sources: cuda.h: cuStreamGetCtx, cuEventRecord, cuStreamWaitEvent, cuLaunchKernel;
// cuda_runtime_api.h: cudaSetDevice ("will bind the primary context"), cudaEventRecord,
// cudaStreamWaitEvent, cudaStreamGetDevice; CUDA C++ Programming Guide, Stream and Event Behavior.
#include <chrono>
#include <cstring>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kSetDevice =
    "cuda_runtime_api.h: cudaSetDevice (\"will bind the primary context of the specified device to the calling thread\")";
constexpr std::size_t kCopyWords = 1 << 18;

const char* name_of(CUcontext ctx, CUcontext created, CUcontext primary) {
  return ctx == nullptr ? "none" : ctx == created ? "the created context" : ctx == primary ? "the primary" : "another context";
}
// A context created on the device and left current, as cuCtxCreate leaves it.
CUcontext created_context(Case& h, int ordinal = 0) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(ordinal)));
  h.own_context(created);
  return created;
}

CTXSHARE_AXIS(Switch, created_then_cudaSetDevice, primary_then_cuCtxSetCurrent);
CTXSHARE_AXIS(Recorder, cuEventRecord, cudaEventRecord);
CTXSHARE_AXIS(Waiter, cuStreamWaitEvent, cudaStreamWaitEvent);
CTXSHARE_AXIS(ForeignUse, cudaMemcpyAsync, cudaMemsetAsync, kernel_launch);
CTXSHARE_AXIS(RuntimeWait, cudaStreamQuery, cudaEventQuery, cudaStreamSynchronize, cudaEventSynchronize);
CTXSHARE_AXIS(LaunchInto, stream_of_the_created_context, null_stream_with_it_current);

CUstream new_stream(Case& h, StreamMadeBy maker) {
  CUstream stream = nullptr;
  if (maker == StreamMadeBy::cudaStreamCreate) CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  else CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, maker == StreamMadeBy::cudaStreamCreate ? Owner::runtime : Owner::driver);
  return stream;
}

// Records `event` on a held `stream` of another context through the recorder and checks the
// refusal: the documented error for cuEventRecord, any error for cudaEventRecord, and an event that
// captured nothing, so it is complete although the stream is still held (asked in its own context).
void expect_record_refused(Case& h, Recorder recorder, CUevent event, CUcontext event_context, CUstream stream, Gate& gate) {
  if (recorder == Recorder::cuEventRecord) {
    EXPECT_ERROR(CUDA_ERROR_INVALID_HANDLE, cuEventRecord(event, stream));
  } else {
    const cudaError_t r = h.observe_result("cudaEventRecord of an event on a stream of another context",
                                           cudaEventRecord(event, stream));
    h.expect(r != cudaSuccess, FindingKind::unexpected_success,
             "cudaEventRecord accepted an event and a stream of different contexts");
  }
  std::this_thread::sleep_for(kSettle);
  CU(cuCtxPushCurrent(event_context));
  h.expect_eq("cuEventQuery of the event after the refused record, its stream still held", cuEventQuery(event),
              CUDA_SUCCESS, FindingKind::mismatch);
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  h.expect_eq("cuCtxPopCurrent passes back the context pushed to query the event", popped, event_context,
              FindingKind::wrong_context);
  gate.open_after(kSettle);
  CUcontext stream_context = nullptr;
  CU(cuStreamGetCtx(stream, &stream_context));
  CU(cuCtxPushCurrent(stream_context));
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the held stream");
  popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  h.expect_eq("cuCtxPopCurrent passes back the stream's context pushed to synchronize it", popped, stream_context,
              FindingKind::wrong_context);
}
}  // namespace

CTXSHARE_CASE(switched_contexts, cuStreamGetCtx_names_the_creating_context_after_the_other_api_switched,
              {.claims = {"DRV-STREAM-CTX", "RT-SETDEVICE", "RT-CURRENT"},
               .source = std::string("NVIDIA/cuda-python#2750; NVIDIA/cccl#9119; NVIDIA/TensorRT#3028 - cuda.h: cuStreamGetCtx "
                                     "(\"the context that was active in the calling thread when the stream was created\"); ") +
                         kSetDevice + "; cuda.h: cuCtxSetCurrent",
               .labels = {"real-world"},
               .avoid = "Ask a stream for its context (cuStreamGetCtx) and make that one current before using it, "
                        "instead of trusting whatever the thread's last cudaSetDevice or cuCtxSetCurrent left.",
               .axes = {axis<StreamMadeBy>(), axis<Switch>()}}) {
  // cuda.core created device 1's streams in whatever context was current; TensorRT's engines found
  // cudaSetDevice in a constructor had moved the thread off the context their streams were made in.
  const CUcontext created = created_context(h);
  const CUcontext primary = primary_of(h, 0);
  const bool from_created = h.param<Switch>() == Switch::created_then_cudaSetDevice;
  if (!from_created) CU(cuCtxSetCurrent(primary));
  const CUstream stream = new_stream(h, h.param<StreamMadeBy>());
  if (from_created) CUDA(cudaSetDevice(0));
  else CU(cuCtxSetCurrent(created));
  h.expect_eq("cuCtxGetCurrent after the switch", current_context(), from_created ? primary : created,
              FindingKind::wrong_context);
  CUcontext owner = nullptr;
  CU(cuStreamGetCtx(stream, &owner));
  h.expect_eq("cuStreamGetCtx of the stream made before the switch", owner, from_created ? created : primary,
              FindingKind::wrong_context);
  int device = -1;
  CUDA(cudaStreamGetDevice(stream, &device));
  h.expect_eq("cudaStreamGetDevice of it", device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(switched_contexts, event_of_the_primary_recorded_on_a_created_context_stream_is_refused,
              {.claims = {"DRV-EVENT-XCTX", "RT-TYPES"},
               .source = "rapidsai/rmm#1306; eyalroz/cuda-api-wrappers#314; NVIDIA/cuCascade#189 - cuda.h: cuEventRecord "
                         "(\"hEvent and hStream must be from the same context otherwise CUDA_ERROR_INVALID_HANDLE is "
                         "returned\"; \"Before the first call to cuEventRecord(), an event represents an empty set of "
                         "work\"); cuda_runtime_api.h: cudaEventRecord (\"event and stream must be on the same CUDA context\")",
               .verdict = Verdict::fails,
               .expected_error = "cuEventRecord: CUDA_ERROR_INVALID_HANDLE; cudaEventRecord: an error, none named "
                                 "(cudaErrorInvalidResourceHandle is listed)",
               .labels = {"real-world"},
               .avoid = "Create the event in the context of the stream it will be recorded on (pool events per "
                        "context, as RMM and cuCascade now do), and check what the record returns.",
               .timeout_s = 30, .axes = {axis<Recorder>()}}) {
  // RMM kept one event per thread and recorded it on streams of whatever context the caller used.
  CUDA(cudaSetDevice(0));
  cudaEvent_t event = nullptr;
  CUDA(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  h.own_event(event, Owner::runtime);
  const CUcontext primary = primary_of(h, 0);
  created_context(h);  // the driver switches the thread
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  Gate gate(h);
  gate.hold(stream);  // a record that went through would leave the event pending
  expect_record_refused(h, h.param<Recorder>(), event, primary, stream, gate);
}

CTXSHARE_CASE(switched_contexts, created_context_stream_waits_on_a_primary_event_after_the_switch,
              {.claims = {"DRV-EVENT-XCTX", "RT-TYPES", "RT-NONPRIMARY"},
               .source = "oneapi-src/unified-runtime#1403; Rust-GPU/rust-cuda#81 - cuda.h: cuStreamWaitEvent (\"hEvent may "
                         "be from a different context or device than hStream\"); cuda_runtime_api.h: cudaStreamWaitEvent "
                         "(\"event may be from a different device than stream\", the same CUevent and CUstream handles)",
               .labels = {"real-world"},
               .avoid = "To order work across contexts, record the event in the producer's context and wait on it from "
                        "the consumer's stream; the wait, unlike the record, may cross contexts.",
               .timeout_s = 30, .axes = {axis<Waiter>()}}) {
  // SYCL's CUDA adapter refused waits on events of other contexts until it found the driver allows them.
  const std::size_t bytes = kCopyWords * 4;
  CUDA(cudaSetDevice(0));
  std::uint32_t* shared = pinned_words(h, kCopyWords);  // portable: the created context copies from it
  cudaStream_t producer = nullptr;
  CUDA(cudaStreamCreateWithFlags(&producer, cudaStreamNonBlocking));
  h.own_stream(producer, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  h.own_event(done, Owner::runtime);
  Gate gate(h);
  gate.hold(producer, fill_pattern);
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(kCopyWords), 256, 0, producer>>>(device_address(shared), seed, kCopyWords);
  CUDA(cudaGetLastError());
  CUDA(cudaEventRecord(done, producer));
  created_context(h);  // the driver switches the thread
  CUstream consumer = nullptr;
  CU(cuStreamCreate(&consumer, CU_STREAM_NON_BLOCKING));
  h.own_stream(consumer, Owner::driver);
  CUdeviceptr q = 0;
  CU(cuMemAlloc(&q, bytes));
  h.own_device_memory(q, bytes, Owner::driver);
  if (h.param<Waiter>() == Waiter::cuStreamWaitEvent) CU(cuStreamWaitEvent(consumer, done, 0));
  else CUDA(cudaStreamWaitEvent(consumer, done, 0));
  CU(cuMemcpyHtoDAsync(q, shared, bytes, consumer));
  std::this_thread::sleep_for(kSettle);  // a copy that ignored the wait would be done by now
  h.expect_eq("cuStreamQuery of the created context's stream waiting on the primary's held event", cuStreamQuery(consumer),
              CUDA_ERROR_NOT_READY);
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(consumer));
  // The copy waited on the primary's event, the event on the kernel behind the gate.
  gate.expect_waited(h, "cuStreamSynchronize of the created context's stream");
  std::vector<std::uint32_t> seen(kCopyWords);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(q), bytes, cudaMemcpyDeviceToHost));
  h.expect_same_words("words copied in the created context after the primary's kernel", seen, pattern(seed, kCopyWords));
}

CTXSHARE_CASE(switched_contexts, runtime_work_on_a_created_context_stream_after_cudaSetDevice,
              {.claims = {"RT-SETDEVICE", "RT-CURRENT", "RT-TYPES"},
               .source = std::string("NVIDIA/TensorRT#3028; cupy/cupy#4618; cupy/cupy#4899; JuliaGPU/KernelAbstractions.jl#294 - ") +
                         kSetDevice + "; CUDA C++ Programming Guide, Stream and Event Behavior (speaks of streams of "
                         "other devices only; a stream of another context on the same device is not covered)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "After any cudaSetDevice, make the stream's own context current again (cuCtxSetCurrent with "
                        "cuStreamGetCtx's answer) before queueing runtime work on a driver-created stream.",
               .timeout_s = 30, .axes = {axis<ForeignUse>()}}) {
  // PyCUDA made the context and the streams; CuPy or TensorRT then called cudaSetDevice and queued
  // their work on those streams: "invalid resource handle", or worse, work that went elsewhere.
  const std::size_t bytes = kCopyWords * 4;
  const CUcontext created = created_context(h);
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  CUdeviceptr q = 0;
  CU(cuMemAlloc(&q, bytes));
  h.own_device_memory(q, bytes, Owner::driver);
  const auto before = h.random_words(kCopyWords);
  CU(cuMemcpyHtoD(q, before.data(), bytes));
  std::uint32_t* source = pinned_words(h, kCopyWords);
  const auto words = h.random_words(kCopyWords);
  std::memcpy(source, words.data(), bytes);
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of(h, 0);
  cudaFuncAttributes attributes{};
  CUDA(cudaFuncGetAttributes(&attributes, fill_pattern));  // loaded: a refusal is no loading failure
  const std::uint32_t seed = h.random_words(1)[0];
  cudaError_t r = cudaSuccess;
  std::vector<std::uint32_t> expected;
  switch (h.param<ForeignUse>()) {
    case ForeignUse::cudaMemcpyAsync:
      r = cudaMemcpyAsync(reinterpret_cast<void*>(q), source, bytes, cudaMemcpyHostToDevice, stream);
      expected = words;
      break;
    case ForeignUse::cudaMemsetAsync:
      r = cudaMemsetAsync(reinterpret_cast<void*>(q), 0x5a, bytes, stream);
      expected.assign(kCopyWords, 0x5a5a5a5au);
      break;
    case ForeignUse::kernel_launch:
      fill_pattern<<<blocks_for(kCopyWords), 256, 0, stream>>>(reinterpret_cast<std::uint32_t*>(q), seed, kCopyWords);
      r = cudaGetLastError();
      expected = pattern(seed, kCopyWords);
      break;
  }
  h.observe_result("the runtime call on the created context's stream with the primary current", r);
  h.observe("the current context after it", name_of(current_context(), created, primary));
  CU(cuCtxSetCurrent(created));
  h.observe_result("cuStreamSynchronize of the stream in its own context", cuStreamSynchronize(stream));
  std::vector<std::uint32_t> seen(kCopyWords);
  CU(cuMemcpyDtoH(seen.data(), q, bytes));
  // An honest answer: accepted, the work is in the memory; refused, nothing was written.
  h.expect_same_words(r == cudaSuccess ? "the created context's memory after accepted work" : "its memory after refused work",
                      seen, r == cudaSuccess ? expected : before);
}

CTXSHARE_CASE(switched_contexts, runtime_waits_for_a_created_context_stream_after_cudaSetDevice,
              {.claims = {"RT-SETDEVICE", "RT-TYPES"},
               .source = std::string("cupy/cupy#4618; NVIDIA/TensorRT#3028; JuliaGPU/KernelAbstractions.jl#294 - ") +
                         kSetDevice + "; CUDA C++ Programming Guide, Stream and Event Behavior (cudaEventQuery and "
                         "cudaEventSynchronize succeed for an event of another device; a stream or event of another "
                         "context on the same device is not covered)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Wait for a driver stream or event with cuStreamSynchronize or cuEventSynchronize, which name "
                        "their handle's context, rather than with runtime calls made after a cudaSetDevice.",
               .timeout_s = 30, .axes = {axis<RuntimeWait>()}}) {
  // A PyCUDA program's streams and events, waited on by CuPy or TensorRT code that has just
  // selected its device. Whatever the runtime answers must be true of the held work.
  const CUcontext created = created_context(h);
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  CUevent event = nullptr;
  CU(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  h.own_event(event, Owner::driver);
  Gate gate(h);
  gate.hold(stream);
  CU(cuEventRecord(event, stream));
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of(h, 0);
  const RuntimeWait wait = h.param<RuntimeWait>();
  if (wait == RuntimeWait::cudaStreamQuery || wait == RuntimeWait::cudaEventQuery) {
    std::this_thread::sleep_for(kSettle);
    const cudaError_t r = h.observe_result("the runtime's query with the primary current, the work held",
                                           wait == RuntimeWait::cudaStreamQuery ? cudaStreamQuery(stream) : cudaEventQuery(event));
    h.expect(r != cudaSuccess, FindingKind::mismatch, "the runtime said held work was complete");
    gate.open();
  } else {
    std::thread opener([&] {  // no CUDA here: only the host word the gate spins on
      std::this_thread::sleep_for(kSettle);
      gate.open();
    });
    const cudaError_t r = h.observe_result("the runtime's synchronize with the primary current",
                                           wait == RuntimeWait::cudaStreamSynchronize ? cudaStreamSynchronize(stream)
                                                                                      : cudaEventSynchronize(event));
    CU(cuCtxPushCurrent(created));
    const CUresult state = cuEventQuery(event);  // asked at once: done only if the synchronize waited
    CUcontext popped = nullptr;
    CU(cuCtxPopCurrent(&popped));
    opener.join();
    if (r == cudaSuccess)
      h.expect_eq("cuEventQuery right after a synchronize that succeeded", state, CUDA_SUCCESS, FindingKind::mismatch);
  }
  h.observe("the current context after the wait", name_of(current_context(), created, primary));
  CU(cuCtxSetCurrent(created));
  CU(cuStreamSynchronize(stream));
}

CTXSHARE_CASE(switched_contexts, default_stream_handles_mean_the_context_current_after_the_switch,
              {.claims = {"DRV-STREAM-CTX", "RT-SETDEVICE"},
               .source = std::string("NVIDIA/cccl#10889; iree-org/iree#9301 - cuda.h: cuStreamGetCtx (\"Specifying any of "
                                     "the special handles will return the context current to the calling thread\"); ") +
                         kSetDevice,
               .labels = {"real-world"},
               .avoid = "Do not keep the NULL stream (or CU_STREAM_LEGACY, CU_STREAM_PER_THREAD) as if it named a "
                        "context: after a switch it means the new one; keep created streams instead.",
               .axes = {table_axis<kSpecialStreams>("default_stream")}}) {
  // IREE and libcu++ keep a NULL stream beside the context they meant; after another component's
  // cudaSetDevice the handle means the primary, and work queued on it lands there.
  const CUstream special = h.row<kSpecialStreams>().stream;
  const CUcontext created = created_context(h);
  CUcontext owner = nullptr;
  CU(cuStreamGetCtx(special, &owner));
  h.expect_eq("cuStreamGetCtx of the default stream before the switch", owner, created, FindingKind::wrong_context);
  CUDA(cudaSetDevice(0));
  const CUcontext primary = primary_of(h, 0);
  CU(cuStreamGetCtx(special, &owner));
  h.expect_eq("cuStreamGetCtx of the same handle after cudaSetDevice", owner, primary, FindingKind::wrong_context);
  const std::size_t bytes = 1 << 16;
  void* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));  // the primary's memory: a copy in the created context could not reach it
  h.own_device_memory(p, bytes, Owner::runtime);
  const auto words = h.random_words(bytes / 4);
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words.data(), bytes, special));
  CU(cuStreamSynchronize(special));
  std::vector<std::uint32_t> seen(bytes / 4);
  CUDA(cudaMemcpy(seen.data(), p, bytes, cudaMemcpyDeviceToHost));
  h.expect_same_words("words copied on the default stream after the switch, in the primary's memory", seen, words);
}

CTXSHARE_CASE(switched_contexts, primary_function_launched_into_a_created_context,
              {.claims = {"RT-TYPES", "RT-NONPRIMARY"},
               .source = "iree-org/iree#9515; iree-org/iree#9301 - cuda_runtime_api.h: cudaGetFuncBySymbol (\"the function "
                         "... for the current context\"); cuda.h: cuLaunchKernel (what a CUfunction of another context "
                         "does on a stream of this one is not said)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Get function handles in the context that will launch them (cudaGetFuncBySymbol after the switch, "
                        "or context-independent CUkernel handles), never carry a CUfunction across contexts.",
               .timeout_s = 30, .axes = {axis<LaunchInto>()}}) {
  // IREE and TensorFlow in one process: a function handle from one context launched while the
  // other's context was current, "CUDA_ERROR_INVALID_HANDLE from cuLaunchKernel".
  CUDA(cudaSetDevice(0));
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&fill_pattern)));
  created_context(h);  // the driver switches the thread
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  const std::size_t bytes = kCopyWords * 4;
  CUdeviceptr q = 0;
  CU(cuMemAlloc(&q, bytes));
  h.own_device_memory(q, bytes, Owner::driver);
  const auto before = h.random_words(kCopyWords);
  CU(cuMemcpyHtoD(q, before.data(), bytes));
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = kCopyWords;
  void* args[] = {&q, &seed, &count};
  const CUstream on = h.param<LaunchInto>() == LaunchInto::stream_of_the_created_context ? stream : nullptr;
  const CUresult launched = h.observe_result(
      "cuLaunchKernel of the primary's function with the created context current",
      cuLaunchKernel(static_cast<CUfunction>(function), blocks_for(kCopyWords), 1, 1, 256, 1, 1, 0, on, args, nullptr));
  h.observe_result("cuCtxSynchronize of the created context after it", cuCtxSynchronize());
  std::vector<std::uint32_t> seen(kCopyWords);
  CU(cuMemcpyDtoH(seen.data(), q, bytes));
  h.expect_same_words(launched == CUDA_SUCCESS ? "the created context's memory after a launch that succeeded"
                                               : "its memory after a refused launch",
                      seen, launched == CUDA_SUCCESS ? pattern(seed, kCopyWords) : before);
}

CTXSHARE_CASE(switched_contexts, cudaStreamGetDevice_of_a_device_1_stream_after_cudaSetDevice_0,
              {.claims = {"DRV-STREAM-CTX", "RT-STREAM-DEVICE", "RT-SETDEVICE"},
               .source = std::string("NVIDIA/cuda-python#2750; NVIDIA/nvvl#22; NVIDIA/cccl#9119 - cuda_runtime_api.h: "
                                     "cudaStreamGetDevice (\"the device of the stream\"); cuda.h: cuStreamGetCtx; ") +
                         kSetDevice,
               .needs = {.devices = 2}, .labels = {"real-world"},
               .avoid = "Ask the stream (cudaStreamGetDevice, cuStreamGetCtx) which device it belongs to and select that "
                        "device before using it; the thread's current device says nothing about it.",
               .axes = {axis<StreamMadeBy>()}}) {
  // CUB asserts that the current device matches the stream's; the answer must come from the stream.
  const CUcontext created1 = created_context(h, 1);
  const CUstream stream = new_stream(h, h.param<StreamMadeBy>());
  CUDA(cudaSetDevice(0));
  int device = -1;
  CUDA(cudaStreamGetDevice(stream, &device));
  h.expect_eq("cudaStreamGetDevice of device 1's stream with device 0 current", device, 1, FindingKind::wrong_device);
  CUcontext owner = nullptr;
  CU(cuStreamGetCtx(stream, &owner));
  h.expect_eq("cuStreamGetCtx of it", owner, created1, FindingKind::wrong_context);
  int current = -1;
  CUDA(cudaGetDevice(&current));
  h.expect_eq("cudaGetDevice after the queries", current, 0, FindingKind::context_changed);
}

CTXSHARE_CASE(switched_contexts, event_of_device_1_recorded_on_a_device_0_stream_is_refused,
              {.claims = {"DRV-EVENT-XCTX", "RT-SETDEVICE"},
               .source = "rapidsai/rmm#1306; NVIDIA/cuCascade#189 - CUDA C++ Programming Guide, Multi-Device System: Stream "
                         "and Event Behavior (\"cudaEventRecord() will fail if the input event and input stream are "
                         "associated to different devices\"); cuda.h: cuEventRecord (CUDA_ERROR_INVALID_HANDLE across contexts)",
               .verdict = Verdict::fails,
               .expected_error = "cuEventRecord: CUDA_ERROR_INVALID_HANDLE; cudaEventRecord: an error, none named",
               .needs = {.devices = 2}, .labels = {"real-world"},
               .avoid = "Create each event on the device of the stream it will be recorded on, and keep event pools per "
                        "device.",
               .timeout_s = 30, .axes = {axis<Recorder>()}}) {
  // RMM's reproducer: a stream made on device 0, an event made after switching to device 1, then
  // the record. cuCascade's pinned-memory pool recorded device 0 events on device 1 streams.
  CUDA(cudaSetDevice(0));
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  Gate gate(h);
  gate.hold(stream);
  const CUcontext device1 = primary_of(h, 1);
  CU(cuCtxSetCurrent(device1));  // the driver switches the thread to device 1
  CUevent event = nullptr;
  CU(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  h.own_event(event, Owner::driver);
  expect_record_refused(h, h.param<Recorder>(), event, device1, stream, gate);
}

}  // namespace ctxshare
