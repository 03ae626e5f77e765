// streams_events: streams and events of one API used by the other, the default streams by all their
// names, and the rules for events across contexts.
// Sources: cuda_runtime_api.h, Interactions between CUstream and cudaStream_t / CUevent and
// cudaEvent_t; cuda.h: cuStreamGetCtx, cuEventRecord, cuStreamWaitEvent, cuLaunchHostFunc.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kStreams = "cuda_runtime_api.h, Interactions between CUstream and cudaStream_t; cuda.h: cuStreamGetCtx";
constexpr const char* kEvents = "cuda.h: cuEventRecord, cuStreamWaitEvent";

CTXSHARE_AXIS(ContextKind, primary, created);
CTXSHARE_AXIS(EventRecorder, cuEventRecord, cudaEventRecord);
CTXSHARE_AXIS(ForeignStreamUse, cudaMemcpyAsync, kernel_launch, cuMemcpyHtoDAsync);
CTXSHARE_AXIS(HostFunction, cuLaunchHostFunc_on_runtime_stream, cudaLaunchHostFunc_on_driver_stream);

}  // namespace

CTXSHARE_CASE(streams_events, default_stream_by_every_name_works_through_both_apis,
              {.claims = {"DRV-STREAM-CTX", "RT-TYPES", "RT-NONPRIMARY"}, .source = kStreams,
               .axes = {table_axis<kDefaultStreamNames>("default_stream"), axis<ContextKind>()}}) {
  const bool created = h.param<ContextKind>() == ContextKind::created;
  CUcontext ctx = nullptr;
  if (created) {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  } else {
    CUDA(cudaSetDevice(0));
    CU(cuCtxGetCurrent(&ctx));
  }
  const CUstream stream = h.row<kDefaultStreamNames>().stream;
  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  h.expect_eq("cuStreamGetCtx of the default stream", stream_ctx, ctx, FindingKind::wrong_context);

  const std::size_t n = 1 << 16, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::runtime);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words.data(), bytes, stream));
  add_value<<<blocks_for(n), 256, 0, stream>>>(p, 9, n);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, bytes, cudaMemcpyDeviceToHost, stream));
  CU(cuStreamSynchronize(stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("driver copy, runtime kernel, runtime copy on one default stream", seen, plus(words, 9));
}

CTXSHARE_CASE(streams_events, driver_stream_serves_runtime_calls,
              {.claims = {"RT-TYPES", "SEED-MIX"}, .source = kStreams}) {
  CUDA(cudaSetDevice(0));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  unsigned int flags = 0;
  CUDA(cudaStreamGetFlags(stream, &flags));
  h.expect_eq("cudaStreamGetFlags of a CU_STREAM_NON_BLOCKING stream", flags, static_cast<unsigned>(cudaStreamNonBlocking));
  int device = -1;
  CUDA(cudaStreamGetDevice(stream, &device));
  h.expect_eq("cudaStreamGetDevice of a driver stream", device, 0, FindingKind::wrong_device);
  const std::size_t n = 1 << 16, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMallocAsync(&p, bytes, stream));
  const auto words = h.random_words(n);
  CUDA(cudaMemcpyAsync(p, words.data(), bytes, cudaMemcpyHostToDevice, stream));
  add_value<<<blocks_for(n), 256, 0, stream>>>(p, 4, n);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, bytes, cudaMemcpyDeviceToHost, stream));
  CUDA(cudaFreeAsync(p, stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("runtime allocation, copies and kernel on a driver stream", seen, plus(words, 4));
}

CTXSHARE_CASE(streams_events, stream_priorities_agree_between_the_apis,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuCtxGetStreamPriorityRange, cuStreamGetPriority"}) {
  CUDA(cudaSetDevice(0));
  int rt_least = 0, rt_greatest = 0, drv_least = 0, drv_greatest = 0;
  CUDA(cudaDeviceGetStreamPriorityRange(&rt_least, &rt_greatest));
  CU(cuCtxGetStreamPriorityRange(&drv_least, &drv_greatest));
  h.expect_eq("least priority, runtime against driver", rt_least, drv_least);
  h.expect_eq("greatest priority, runtime against driver", rt_greatest, drv_greatest);
  cudaStream_t by_runtime = nullptr;
  CUDA(cudaStreamCreateWithPriority(&by_runtime, cudaStreamDefault, rt_greatest));
  h.own_stream(by_runtime, Owner::runtime);
  CUstream by_driver = nullptr;
  CU(cuStreamCreateWithPriority(&by_driver, CU_STREAM_DEFAULT, drv_least));
  h.own_stream(by_driver, Owner::driver);
  int seen = 0;
  CU(cuStreamGetPriority(by_runtime, &seen));
  h.expect_eq("cuStreamGetPriority of a runtime stream", seen, rt_greatest);
  CUDA(cudaStreamGetPriority(by_driver, &seen));
  h.expect_eq("cudaStreamGetPriority of a driver stream", seen, drv_least);
}

CTXSHARE_CASE(streams_events, runtime_event_orders_a_driver_stream,
              {.claims = {"RT-TYPES"}, .source = kEvents}) {
  CUDA(cudaSetDevice(0));
  cudaStream_t producer = nullptr;
  CUDA(cudaStreamCreateWithFlags(&producer, cudaStreamNonBlocking));
  h.own_stream(producer, Owner::runtime);
  CUstream consumer = nullptr;
  CU(cuStreamCreate(&consumer, CU_STREAM_NON_BLOCKING));
  h.own_stream(consumer, Owner::driver);
  cudaEvent_t ready = nullptr;
  CUDA(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
  h.own_event(ready, Owner::runtime);
  const std::size_t n = 1 << 20, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::runtime);
  std::uint32_t* seen = pinned_words(h, n);  // pinned, so the consumer's copy is truly asynchronous
  Gate gate(h);
  gate.hold(producer, fill_pattern);  // the producer's kernel stays pending until the gate opens
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, producer>>>(p, seed, n);
  CUDA(cudaGetLastError());
  CUDA(cudaEventRecord(ready, producer));
  CU(cuStreamWaitEvent(consumer, ready, 0));
  CU(cuMemcpyDtoHAsync(seen, reinterpret_cast<CUdeviceptr>(p), bytes, consumer));
  std::this_thread::sleep_for(kSettle);  // a copy that ignored the wait would be done by now
  h.expect_eq("cuStreamQuery of the driver stream waiting on a runtime event of held work", cuStreamQuery(consumer),
              CUDA_ERROR_NOT_READY);
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(consumer));
  // The copy waited on the event, the event on the kernel behind the gate.
  gate.expect_waited(h, "cuStreamSynchronize of the driver stream");
  h.expect_same_words("a driver stream's copy ordered after a runtime kernel by a runtime event",
                      std::vector<std::uint32_t>(seen, seen + n), pattern(seed, n));
}

CTXSHARE_CASE(streams_events, driver_events_timed_by_the_runtime,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h, Interactions between CUevent and cudaEvent_t"}) {
  CUDA(cudaSetDevice(0));
  CUevent start = nullptr, stop = nullptr;
  CU(cuEventCreate(&start, CU_EVENT_DEFAULT));
  h.own_event(start, Owner::driver);
  CU(cuEventCreate(&stop, CU_EVENT_DEFAULT));
  h.own_event(stop, Owner::driver);
  const std::size_t n = 1 << 22;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  CUDA(cudaEventRecord(start, nullptr));
  fill_pattern<<<blocks_for(n), 256>>>(p, 3, n);
  CUDA(cudaGetLastError());
  CUDA(cudaEventRecord(stop, nullptr));
  CUDA(cudaEventSynchronize(stop));
  float by_runtime = -1, by_driver = -1;
  CUDA(cudaEventElapsedTime(&by_runtime, start, stop));
  CU(cuEventElapsedTime(&by_driver, start, stop));  // the same two timestamps, read by their own API
  h.expect(by_runtime > 0 && by_runtime == by_driver, FindingKind::mismatch,
           "elapsed time of a kernel between two driver events, by the runtime against the driver",
           {{"cudaEventElapsedTime", by_runtime}, {"cuEventElapsedTime", by_driver}});
}

CTXSHARE_CASE(streams_events, stream_waits_on_an_event_of_another_context,
              {.claims = {"DRV-EVENT-XCTX"}, .source = kEvents}) {
  // Both contexts and their streams first: nothing set up later may wait behind the held work.
  CUcontext producer_ctx = nullptr, consumer_ctx = nullptr;
  CU(cuCtxCreate(&consumer_ctx, nullptr, 0, h.device(0)));
  h.own_context(consumer_ctx);
  cudaStream_t consumer = nullptr;
  CUDA(cudaStreamCreate(&consumer));
  h.own_stream(consumer, Owner::runtime);
  CU(cuCtxCreate(&producer_ctx, nullptr, 0, h.device(0)));  // now current
  h.own_context(producer_ctx);
  CUstream producer = nullptr;
  CU(cuStreamCreate(&producer, CU_STREAM_NON_BLOCKING));
  h.own_stream(producer, Owner::driver);
  CUevent ready = nullptr;
  CU(cuEventCreate(&ready, CU_EVENT_DISABLE_TIMING));
  h.own_event(ready, Owner::driver);
  const std::size_t n = 1 << 20, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::runtime);
  std::uint32_t* seen = pinned_words(h, n);
  Gate gate(h);
  gate.hold(producer, fill_pattern);  // the producer's kernel stays pending until the gate opens
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, producer>>>(p, seed, n);
  CUDA(cudaGetLastError());
  CU(cuEventRecord(ready, producer));

  CU(cuCtxSetCurrent(consumer_ctx));
  h.expect_eq("cuCtxGetCurrent after cuCtxSetCurrent(consumer_ctx)", current_context(), consumer_ctx,
              FindingKind::wrong_context);
  CUDA(cudaStreamWaitEvent(consumer, ready, 0));  // waiting across contexts is allowed
  CUDA(cudaMemcpyAsync(seen, p, bytes, cudaMemcpyDeviceToHost, consumer));
  std::this_thread::sleep_for(kSettle);  // a copy that ignored the wait would be done by now
  h.expect_eq("cuStreamQuery of a stream waiting on held work of another context", cuStreamQuery(consumer),
              CUDA_ERROR_NOT_READY);
  gate.open();
  CUDA(cudaStreamSynchronize(consumer));
  h.expect_same_words("data ordered by an event of another context", std::vector<std::uint32_t>(seen, seen + n),
                      pattern(seed, n));
}

CTXSHARE_CASE(streams_events, event_recorded_on_a_stream_of_another_context_fails,
              {.claims = {"DRV-EVENT-XCTX"}, .source = kEvents, .verdict = Verdict::fails,
               .expected_error = "CUDA_ERROR_INVALID_HANDLE / cudaErrorInvalidResourceHandle",
               .axes = {axis<EventRecorder>()}}) {
  CUcontext first = nullptr, second = nullptr;
  CU(cuCtxCreate(&first, nullptr, 0, h.device(0)));
  h.own_context(first);
  CUevent event = nullptr;
  CU(cuEventCreate(&event, CU_EVENT_DEFAULT));
  h.own_event(event, Owner::driver);
  CU(cuCtxCreate(&second, nullptr, 0, h.device(0)));
  h.own_context(second);
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  if (h.param<EventRecorder>() == EventRecorder::cuEventRecord) EXPECT_ERROR(CUDA_ERROR_INVALID_HANDLE, cuEventRecord(event, stream));
  else EXPECT_ERROR(cudaErrorInvalidResourceHandle, cudaEventRecord(event, stream));
}

CTXSHARE_CASE(streams_events, stream_of_another_context_used_while_one_is_current,
              {.claims = {"DRV-STREAM-CTX", "RT-CURRENT"}, .source = kStreams, .verdict = Verdict::hazard,
               .axes = {axis<ForeignStreamUse>()}}) {
  CUcontext owner_ctx = nullptr, other = nullptr;
  CU(cuCtxCreate(&owner_ctx, nullptr, 0, h.device(0)));
  h.own_context(owner_ctx);
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  const std::size_t n = 4096, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::runtime);
  const auto before = h.random_words(n), words = h.random_words(n);
  CUDA(cudaMemcpy(p, before.data(), bytes, cudaMemcpyHostToDevice));  // known content: did the call write?
  CU(cuCtxCreate(&other, nullptr, 0, h.device(0)));  // now current; the stream belongs to owner_ctx
  h.own_context(other);
  bool accepted = false;
  auto expected = words;
  switch (h.param<ForeignStreamUse>()) {
    case ForeignStreamUse::cudaMemcpyAsync:
      accepted = h.observe_result("cudaMemcpyAsync on another context's stream",
                                  cudaMemcpyAsync(p, words.data(), bytes, cudaMemcpyHostToDevice, stream)) == cudaSuccess;
      break;
    case ForeignStreamUse::cuMemcpyHtoDAsync:
      accepted = h.observe_result("cuMemcpyHtoDAsync on another context's stream",
                                  cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words.data(), bytes, stream)) == CUDA_SUCCESS;
      break;
    case ForeignStreamUse::kernel_launch:
      add_value<<<blocks_for(n), 256, 0, stream>>>(p, 1, n);
      accepted = h.observe_result("kernel launch on another context's stream", cudaGetLastError()) == cudaSuccess;
      expected = plus(before, 1);
      break;
  }
  h.observe_result("cuStreamSynchronize of it afterwards", cuStreamSynchronize(stream));
  // Which answer comes is undocumented; either must be honest: success did the work, an error did none.
  CU(cuCtxSetCurrent(owner_ctx));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), bytes));
  h.expect_same_words(accepted ? "the call succeeded: its work is in the memory" : "the call failed: the memory is unchanged",
                      seen, accepted ? expected : before);
}

namespace {
// What the host function copies: the words the kernel before it wrote to mapped host memory.
struct HostCopy {
  const std::uint32_t* from;
  std::vector<std::uint32_t> to;
};
void CUDA_CB copy_words(void* arg) {
  auto* copy = static_cast<HostCopy*>(arg);
  std::copy(copy->from, copy->from + copy->to.size(), copy->to.begin());
}
}  // namespace

CTXSHARE_CASE(streams_events, host_function_enqueued_by_one_api_on_the_others_stream,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuLaunchHostFunc; cuda_runtime_api.h: cudaLaunchHostFunc",
               .axes = {axis<HostFunction>()}}) {
  CUDA(cudaSetDevice(0));
  CUstream stream = nullptr;
  const bool driver_enqueues = h.param<HostFunction>() == HostFunction::cuLaunchHostFunc_on_runtime_stream;
  if (driver_enqueues) {
    CUDA(cudaStreamCreate(&stream));
    h.own_stream(stream, Owner::runtime);
  } else {
    CU(cuStreamCreate(&stream, CU_STREAM_DEFAULT));
    h.own_stream(stream, Owner::driver);
  }
  const std::size_t n = 1 << 16;
  std::uint32_t* out = pinned_words(h, n);  // zeroed until the kernel writes it
  HostCopy copy{out, std::vector<std::uint32_t>(n)};  // made before the gate, so it outlives the gate
  Gate gate(h);
  gate.hold(stream, fill_pattern);  // the kernel, and the host function after it, wait for the gate
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, stream>>>(device_address(out), seed, n);
  CUDA(cudaGetLastError());
  if (driver_enqueues) CU(cuLaunchHostFunc(stream, copy_words, &copy));
  else CUDA(cudaLaunchHostFunc(stream, copy_words, &copy));
  std::this_thread::sleep_for(kSettle);  // a host function run out of order would have copied zeros by now
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the stream");
  h.expect_same_words("what the host function read: the kernel before it on the stream had written it", copy.to,
                      pattern(seed, n));
}

}  // namespace ctxshare
