// multi_device: contexts on several devices, cudaSetDevice against cuCtxSetCurrent, peer access
// through each API, events across devices, and ordinals under CUDA_VISIBLE_DEVICES. Every case
// needs two devices and is skipped with that reason on one.
// Sources: cuda_runtime_api.h, Interactions with the CUDA Driver API (peer access with a non-primary
// context current); cuda.h: cuCtxEnablePeerAccess; cuda_runtime_api.h: cudaDeviceEnablePeerAccess.
// Longer than a few hundred lines because the second half holds the family's "real-world" cases
// (issue 18): each replays a multi-GPU mistake reported by a real project, cited in its source, and
// a family is one file.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr Needs kTwoDevices{.devices = 2};

// Runs fn(0) and fn(1) on two threads at once, each through h.on_thread, and joins them.
template <class Fn>
void on_two_threads(Case& h, Fn fn) {
  std::thread first([&] { h.on_thread([&] { fn(0); }); });
  std::thread second([&] { h.on_thread([&] { fn(1); }); });
  first.join();
  second.join();
}

// Waits until `count` threads have arrived, or 10 s (a thread that stopped early cannot hang the other).
void arrive_and_wait(std::atomic<int>& arrived, int count) {
  ++arrived;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (arrived.load() < count && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
}

// The Programming Guide's multi-device rules the real-world cases check.
constexpr const char* kStreamRules = "CUDA C++ Programming Guide, Multi-Device System: Stream and Event Behavior";

// A PCI bus id as numbers (domain, bus, device, function), in the order CUDA_DEVICE_ORDER=PCI_BUS_ID sorts.
std::array<unsigned, 4> bus_numbers(const char* id) {
  std::array<unsigned, 4> n{};
  std::sscanf(id, "%x:%x:%x.%x", &n[0], &n[1], &n[2], &n[3]);
  return n;
}
}  // namespace

CTXSHARE_CASE(multi_device, cudaSetDevice_and_cuCtxSetCurrent_agree_across_devices,
              {.claims = {"RT-SETDEVICE", "RT-CURRENT", "RT-PRIMARY"}, .source = kInterop, .needs = kTwoDevices}) {
  CUDA(cudaSetDevice(1));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cudaSetDevice(1)", current, primary_of(h, 1), FindingKind::wrong_context);
  CU(cuCtxSetCurrent(primary_of(h, 0)));
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_eq("cudaGetDevice after cuCtxSetCurrent(primary of device 0)", device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(multi_device, runtime_allocation_under_a_created_context_of_device_1,
              {.claims = {"RT-NONPRIMARY", "RT-CURRENT"}, .source = kInterop, .needs = kTwoDevices}) {
  CUDA(cudaSetDevice(0));
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(1)));
  h.own_context(created);
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_eq("cudaGetDevice under a created context of device 1", device, 1, FindingKind::wrong_device);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  int ordinal = -1;
  CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, reinterpret_cast<CUdeviceptr>(p)));
  h.expect_eq("device of the runtime's allocation", ordinal, 1, FindingKind::wrong_device);
}

CTXSHARE_CASE(multi_device, runtime_peer_access_with_a_created_context_current_is_refused,
              {.claims = {"RT-PEER"}, .source = kInterop, .verdict = Verdict::fails,
               .expected_error = "an error, none named: not cudaErrorInvalidDevice or cudaErrorPeerAccessUnsupported",
               .needs = kTwoDevices}) {
  int can = 0;
  CU(cuDeviceCanAccessPeer(&can, h.device(0), h.device(1)));
  if (can != 1) h.skip("device 0 cannot access device 1 (cuDeviceCanAccessPeer): a refusal would prove nothing");
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  // "cudaDeviceEnablePeerAccess() and the rest of the peer access API may not be called when a
  // non-primary CUcontext is current": no error is named, but the capability errors would be wrong.
  const cudaError_t r = h.observe_result("cudaDeviceEnablePeerAccess(1) with a created context current",
                                         cudaDeviceEnablePeerAccess(1, 0));
  h.expect(r != cudaSuccess, FindingKind::unexpected_success,
           "the runtime's peer access API worked with a non-primary context current");
  h.expect(r == cudaSuccess || (r != cudaErrorInvalidDevice && r != cudaErrorPeerAccessUnsupported), FindingKind::wrong_error,
           "refused as if device 0 could not reach device 1, not for the created context", {{"observed", describe(r)}});
  if (r == cudaSuccess) h.observe_result("cudaDeviceDisablePeerAccess(1), undoing it", cudaDeviceDisablePeerAccess(1));
  // The control: with device 0's primary context current the same call works.
  CU(cuCtxSetCurrent(primary_of(h, 0)));
  const cudaError_t control = h.observe_result("cudaDeviceEnablePeerAccess(1) with the primary context current",
                                               cudaDeviceEnablePeerAccess(1, 0));
  h.expect_eq("cudaDeviceEnablePeerAccess(1) with the primary context current", control, cudaSuccess,
              FindingKind::unexpected_error);
  if (control == cudaSuccess) CUDA(cudaDeviceDisablePeerAccess(1));  // nothing stays enabled
}

CTXSHARE_CASE(multi_device, peer_access_enabled_by_the_driver_serves_a_runtime_kernel,
              {.claims = {"RT-PEER", "SEED-MIX"}, .source = "cuda.h: cuCtxEnablePeerAccess", .needs = kTwoDevices}) {
  int can = 0;
  CU(cuDeviceCanAccessPeer(&can, h.device(0), h.device(1)));
  if (can == 0) h.skip("device 0 cannot access device 1 (cuDeviceCanAccessPeer): no peer access to enable");
  const std::size_t n = 1 << 16;
  CUDA(cudaSetDevice(1));
  std::uint32_t* remote = nullptr;
  CUDA(cudaMalloc(&remote, n * 4));
  h.own_device_memory(remote, n * 4, Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(remote, words.data(), n * 4, cudaMemcpyHostToDevice));
  CU(cuCtxSetCurrent(primary_of(h, 0)));
  CU(cuCtxEnablePeerAccess(primary_of(h, 1), 0));
  add_value<<<blocks_for(n), 256>>>(remote, 6, n);  // device 0 writes device 1's memory
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(remote), n * 4));
  h.expect_same_words("device 1 memory changed by a device 0 runtime kernel over driver-enabled peer access", seen,
                      plus(words, 6));
}

CTXSHARE_CASE(multi_device, event_of_one_device_orders_a_stream_of_another,
              {.claims = {"DRV-EVENT-XCTX", "RT-TYPES"}, .source = "cuda.h: cuStreamWaitEvent", .needs = kTwoDevices}) {
  // Each device touches only its own memory and pinned host memory: the order is the event's alone.
  const std::size_t n = 1 << 20;
  const CUcontext device1 = primary_of(h, 1);
  CU(cuCtxSetCurrent(device1));
  CUstream consumer = nullptr;
  CU(cuStreamCreate(&consumer, CU_STREAM_NON_BLOCKING));
  h.own_stream(consumer, Owner::driver);
  std::uint32_t* q = nullptr;
  CUDA(cudaMalloc(&q, n * 4));
  h.own_device_memory(q, n * 4, Owner::runtime);
  CUDA(cudaSetDevice(0));
  std::uint32_t* shared = pinned_words(h, n);  // zeroed until device 0's kernel writes it
  cudaStream_t producer = nullptr;
  CUDA(cudaStreamCreateWithFlags(&producer, cudaStreamNonBlocking));
  h.own_stream(producer, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  h.own_event(done, Owner::runtime);
  Gate gate(h);
  gate.hold(producer, fill_pattern);  // device 0's kernel stays pending until the gate opens
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, producer>>>(device_address(shared), seed, n);
  CUDA(cudaGetLastError());
  CUDA(cudaEventRecord(done, producer));
  CU(cuCtxSetCurrent(device1));
  CU(cuStreamWaitEvent(consumer, done, 0));
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(q), shared, n * 4, consumer));
  std::this_thread::sleep_for(kSettle);  // a copy that ignored the wait would be done by now
  h.expect_eq("cuStreamQuery of a device 1 stream waiting on held device 0 work", cuStreamQuery(consumer),
              CUDA_ERROR_NOT_READY);
  gate.open();
  CU(cuStreamSynchronize(consumer));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), q, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a device 1 stream ordered after device 0's kernel by its event", seen, pattern(seed, n));
}

CTXSHARE_CASE(multi_device, visible_devices_renumber_both_apis_alike,
              {.claims = {"RT-PRIMARY"}, .source = "CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER; cuda.h: cuDeviceGetPCIBusId",
               .needs = kTwoDevices,
               .environment = {{"CUDA_VISIBLE_DEVICES", "1,0"}, {"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}}}) {
  // The variable names two devices: both APIs count exactly those.
  int by_driver_count = 0, by_runtime_count = 0;
  CU(cuDeviceGetCount(&by_driver_count));
  CUDA(cudaGetDeviceCount(&by_runtime_count));
  h.expect_eq("cuDeviceGetCount under CUDA_VISIBLE_DEVICES=1,0", by_driver_count, 2);
  h.expect_eq("cudaGetDeviceCount under CUDA_VISIBLE_DEVICES=1,0", by_runtime_count, 2);
  std::string ids[2];
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    char by_driver[32] = {}, by_runtime[32] = {};
    CU(cuDeviceGetPCIBusId(by_driver, sizeof by_driver, h.device(ordinal)));
    CUDA(cudaDeviceGetPCIBusId(by_runtime, sizeof by_runtime, ordinal));
    h.expect_eq("PCI bus id of ordinal " + std::to_string(ordinal) + ", driver against runtime", std::string(by_driver),
                std::string(by_runtime), FindingKind::wrong_device);
    ids[ordinal] = by_driver;
  }
  // In PCI bus order physical device 1 follows physical device 0; "1,0" must make it ordinal 0.
  h.expect(bus_numbers(ids[0].c_str()) > bus_numbers(ids[1].c_str()), FindingKind::wrong_device,
           "ordinal 0 is not physical device 1 (the later bus id) under CUDA_VISIBLE_DEVICES=1,0",
           {{"ordinal 0", ids[0]}, {"ordinal 1", ids[1]}});
  CUDA(cudaSetDevice(1));
  CUdevice device = -1;
  CU(cuCtxGetDevice(&device));
  h.expect_eq("cuCtxGetDevice after cudaSetDevice(1) under CUDA_VISIBLE_DEVICES=1,0", device, h.device(1),
              FindingKind::wrong_device);
}

// ---- Real-world cases (issue 18): each replays a reported multi-GPU mistake; its source cites the
// reports first, then the documentation that answers it.

namespace {
CTXSHARE_AXIS(NewThreadAllocator, cudaMalloc, cudaHostAlloc);
CTXSHARE_AXIS(Device1Call, cudaDeviceCanAccessPeer, cudaDeviceEnablePeerAccess, cudaHostAlloc_portable,
              cudaGetDeviceProperties);
CTXSHARE_AXIS(MemoryOn, device_1_with_device_0_current, device_0_with_device_1_current);
CTXSHARE_AXIS(FirstEnabler, cuCtxEnablePeerAccess, cudaDeviceEnablePeerAccess);
constexpr const char* kDeviceSelection =
    "cuda_runtime_api.h: cudaSetDevice (the current device is per host thread; streams, events and allocations "
    "follow it); CUDA C++ Programming Guide, Device Selection (without cudaSetDevice the current device is 0)";
}  // namespace

CTXSHARE_CASE(multi_device, cudaStreamCreate_without_cudaSetDevice_belongs_to_device_0,
              {.claims = {"RT-IMPLICIT", "DRV-STREAM-CTX"},
               .source = std::string("ComputationalRadiationPhysics/picongpu#643; zer011b/fdtd3d#141 - ") + kDeviceSelection +
                         "; cuda_runtime_api.h, Interactions with the CUDA Driver API: Initialization and Tear-Down",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Call cudaSetDevice on every thread before it creates streams or allocates; a new thread starts on device 0."}) {
  // PIConGPU's first runtime call was cudaStreamCreate, before its cudaSetDevice: the streams were
  // made on device 0 and broke its events once the device was chosen.
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);
  // Only the device the call needed is initialized: device 1's primary context is untouched.
  h.expect_eq("device 1's primary context active after cudaStreamCreate with no device chosen", primary_active(h, 1), 0,
              FindingKind::context_changed);
  h.expect_eq("device 0's primary context active after it", primary_active(h, 0), 1);
  int device = -1;
  CUDA(cudaStreamGetDevice(stream, &device));
  h.expect_eq("cudaStreamGetDevice of a stream made with no device chosen", device, 0, FindingKind::wrong_device);
  CUcontext owner = nullptr, current = nullptr;
  CU(cuStreamGetCtx(stream, &owner));
  CU(cuCtxGetCurrent(&current));
  const CUcontext device0 = primary_of(h, 0);
  h.expect_eq("cuStreamGetCtx of it", owner, device0, FindingKind::wrong_context);
  h.expect_eq("cuCtxGetCurrent after it (the runtime made device 0's primary current)", current, device0,
              FindingKind::wrong_context);
}

CTXSHARE_CASE(multi_device, new_thread_of_a_device_1_program_allocates_on_device_0,
              {.claims = {"RT-SETDEVICE", "RT-IMPLICIT"},
               .source = std::string("pytorch/pytorch#58626; pytorch/pytorch#21081; pytorch/pytorch#4196; libffcv/ffcv#190 - ") +
                         kDeviceSelection + "; cuda_runtime_api.h: cudaPointerGetAttributes (cudaPointerAttributes::device)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Call cudaSetDevice (or make the right context current) at the start of every thread the program creates; the device is per thread.", .axes = {axis<NewThreadAllocator>()}}) {
  // PyTorch's pin-memory thread, started by a process working on GPU 1, allocated on GPU 0: the
  // current device is per thread, and a new thread's is device 0.
  CUDA(cudaSetDevice(1));
  h.expect_eq("device 0's primary context active after cudaSetDevice(1)", primary_active(h, 0), 0,
              FindingKind::context_changed);
  const bool device_memory = h.param<NewThreadAllocator>() == NewThreadAllocator::cudaMalloc;
  int active_after = -1;
  CUcontext current = nullptr;
  h.on_thread([&] {
    void* p = nullptr;
    if (device_memory) CUDA(cudaMalloc(&p, 4096));
    else CUDA(cudaHostAlloc(&p, 4096, cudaHostAllocDefault));
    active_after = primary_active(h, 0);
    CU(cuCtxGetCurrent(&current));
    // Handed over here, so the harness checks its context (this thread's) and reads it through both APIs.
    if (device_memory) h.own_device_memory(p, 4096, Owner::runtime);
    else h.own_host_memory(p, Owner::runtime);
    cudaPointerAttributes attributes{};
    CUDA(cudaPointerGetAttributes(&attributes, p));
    // For host memory, `device` is "the device which was current when the allocation was made".
    h.expect_eq("cudaPointerAttributes.device of a new thread's allocation", attributes.device, 0, FindingKind::wrong_device);
    h.expect_eq("cudaPointerAttributes.type of it", static_cast<int>(attributes.type),
                static_cast<int>(device_memory ? cudaMemoryTypeDevice : cudaMemoryTypeHost));
  });
  const CUcontext device0 = primary_of(h, 0);
  if (device_memory) {  // device memory needs a context: the runtime selected and initialized device 0's
    h.expect_eq("device 0's primary context active after the new thread's cudaMalloc", active_after, 1);
    h.expect_eq("the new thread's current context after its cudaMalloc", current, device0, FindingKind::wrong_context);
  } else {  // whether pinned host memory needs one is not documented: the PyTorch report
    h.observe("device 0's primary context active after the new thread's cudaHostAlloc", active_after);
    h.observe("the new thread's current context is device 0's primary after it", current == device0);
  }
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_eq("cudaGetDevice on the first thread after the other's allocation", device, 1, FindingKind::context_changed);
}

CTXSHARE_CASE(multi_device, device_0_primary_after_runtime_calls_made_for_device_1,
              {.claims = {"RT-IMPLICIT", "RT-PEER"},
               .source = "pytorch/pytorch#10832; pytorch/pytorch#22229; kvcache-ai/Mooncake#2330 - cuda_runtime_api.h, "
                         "Interactions with the CUDA Driver API: Initialization and Tear-Down (which calls need a context "
                         "on which device is not listed)",
               .verdict = Verdict::hazard, .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Call cudaSetDevice(1) before runtime calls meant for device 1; a call on a thread with nothing current starts device 0's primary context.", .axes = {axis<Device1Call>()}}) {
  // PyTorch found GPU 0 holding a context in processes that only used GPU 1, and now asks
  // cuDevicePrimaryCtxGetState before it allocates; this records which calls made for device 1 start device 0.
  CUDA(cudaSetDevice(1));
  h.observe("device 0's primary context active after cudaSetDevice(1)", primary_active(h, 0));
  int can = 0;
  switch (h.param<Device1Call>()) {
    case Device1Call::cudaDeviceCanAccessPeer:
      h.observe_result("cudaDeviceCanAccessPeer(1, 0)", cudaDeviceCanAccessPeer(&can, 1, 0));
      h.observe("its answer", can);
      break;
    case Device1Call::cudaDeviceEnablePeerAccess: {
      CU(cuDeviceCanAccessPeer(&can, h.device(1), h.device(0)));
      if (can != 1) h.skip("device 1 cannot access device 0 (cuDeviceCanAccessPeer): no peer access to enable");
      const cudaError_t r = h.observe_result("cudaDeviceEnablePeerAccess(0) from device 1", cudaDeviceEnablePeerAccess(0, 0));
      h.observe("device 0's primary context active after it", primary_active(h, 0));
      if (r == cudaSuccess) CUDA(cudaDeviceDisablePeerAccess(0));
      break;
    }
    case Device1Call::cudaHostAlloc_portable: {
      void* p = nullptr;
      const cudaError_t r = h.observe_result("cudaHostAlloc(cudaHostAllocPortable) on device 1",
                                             cudaHostAlloc(&p, 4096, cudaHostAllocPortable));
      if (r == cudaSuccess) h.own_host_memory(p, Owner::runtime);
      break;
    }
    case Device1Call::cudaGetDeviceProperties: {
      cudaDeviceProp properties{};
      h.observe_result("cudaGetDeviceProperties(0) from device 1", cudaGetDeviceProperties(&properties, 0));
      break;
    }
  }
  h.observe("device 0's primary context active at the end", primary_active(h, 0));
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_eq("cudaGetDevice after the call", device, 1, FindingKind::context_changed);
}

CTXSHARE_CASE(multi_device, runtime_work_after_cuCtxSetCurrent_of_device_1_primary_stays_on_device_1,
              {.claims = {"RT-CURRENT", "RT-PRIMARY", "DRV-STREAM-CTX"},
               .source = std::string("numba/numba#4092; cupy/cupy#3320; apache/arrow#2732 - ") + kInterop +
                         "; Initialization and Tear-Down",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "To move the runtime to another device through the driver, make that device's primary context current (cuDevicePrimaryCtxRetain, cuCtxSetCurrent)."}) {
  // Numba makes a device's primary context current through the driver; CuPy's runtime calls made
  // after it must act on that device, not on device 0.
  const CUcontext device1 = primary_of(h, 1);
  CU(cuCtxSetCurrent(device1));
  const std::size_t n = 1 << 16, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::runtime);
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  int ordinal = -1, stream_device = -1, device = -1;
  CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, reinterpret_cast<CUdeviceptr>(p)));
  CUDA(cudaStreamGetDevice(stream, &stream_device));
  CUDA(cudaGetDevice(&device));
  CUcontext owner = nullptr;
  CU(cuStreamGetCtx(stream, &owner));
  h.expect_eq("device of cudaMalloc under device 1's primary", ordinal, 1, FindingKind::wrong_device);
  h.expect_eq("cudaStreamGetDevice of cudaStreamCreate under it", stream_device, 1, FindingKind::wrong_device);
  h.expect_eq("cuStreamGetCtx of that stream", owner, device1, FindingKind::wrong_context);
  h.expect_eq("cudaGetDevice under it", device, 1, FindingKind::wrong_device);
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256, 0, stream>>>(p, seed, n);
  CUDA(cudaGetLastError());
  CU(cuStreamSynchronize(stream));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), bytes));
  h.expect_same_words("a runtime kernel's output on device 1, read through the driver", seen, pattern(seed, n));
  // A primary is initialized by a call that needs it: none of these needed device 0's.
  h.expect_eq("device 0's primary context active after runtime work on device 1", primary_active(h, 0), 0,
              FindingKind::context_changed);
}

CTXSHARE_CASE(multi_device, cudaSetDevice_1_replaces_a_pushed_device_0_primary,
              {.claims = {"RT-SETDEVICE", "RT-CURRENT"},
               .source = std::string("flatironinstitute/cufinufft#99; ratt-ru/PyMORESANE#15; NVIDIA/cuda-python#1586 - ") +
                         "cuda_runtime_api.h, Interactions with the CUDA Driver API: cudaSetDevice makes the primary "
                         "current \"by calling cuCtxSetCurrent()\"; cuda.h: cuCtxSetCurrent (replaces the top of the stack)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Do not mix cuCtxPushCurrent/cuCtxPopCurrent with cudaSetDevice on one thread: cudaSetDevice replaces the top of the stack, so pop what you pushed before switching."}) {
  // A PyCUDA program pushes device 0's context; a library it calls selects its own device with
  // cudaSetDevice(1). The push is replaced, not stacked on: the program's next driver calls land on device 1.
  const CUcontext device0 = primary_of(h, 0), device1 = primary_of(h, 1);
  CU(cuCtxPushCurrent(device0));
  CUDA(cudaSetDevice(1));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cudaSetDevice(1) over a pushed device 0", current, device1, FindingKind::wrong_context);
  const std::size_t n = 4096, bytes = n * 4;
  CUdeviceptr d = 0;
  CU(cuMemAlloc(&d, bytes));
  h.own_device_memory(d, bytes, Owner::driver);
  int ordinal = -1;
  CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, d));
  h.expect_eq("device of the program's next cuMemAlloc", ordinal, 1, FindingKind::wrong_device);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoD(d, words.data(), bytes));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(d), bytes, cudaMemcpyDeviceToHost));
  h.expect_same_words("driver-written words read through the runtime on device 1", seen, words);
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxPopCurrent's context (the replaced top)", popped, device1, FindingKind::wrong_context);
  h.expect_eq("cuCtxGetCurrent after the pop (one entry, replaced)", current, static_cast<CUcontext>(nullptr),
              FindingKind::wrong_context);
}

namespace {
// Device 1's memory, with device 0's primary checked inactive before a query from a thread with no
// context; after the query, whether it initialized device 0 and what it left current there is recorded
// (not documented for either API).
struct Device1Memory {
  CUcontext device1 = nullptr;
  void* p = nullptr;
};
Device1Memory device_1_memory_with_device_0_untouched(Case& h) {
  Device1Memory m;
  CUDA(cudaSetDevice(1));
  m.device1 = primary_of(h, 1);
  CUDA(cudaMalloc(&m.p, 4096));
  h.own_device_memory(m.p, 4096, Owner::runtime);
  h.expect_eq("device 0's primary context active before the query", primary_active(h, 0), 0, FindingKind::context_changed);
  return m;
}
void observe_after_the_query(Case& h, const Device1Memory& m) {
  const int active = primary_active(h, 0);
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.observe("device 0's primary context active after the query", active);
  h.observe("the querying thread's current context after it",
            current == nullptr ? "none" : current == m.device1 ? "device 1's primary" : "another");
}
}  // namespace

CTXSHARE_CASE(multi_device, cudaPointerGetAttributes_of_device_1_memory_on_a_thread_with_no_context,
              {.claims = {"RT-PRIMARY", "RT-IMPLICIT"},
               .source = "kvcache-ai/Mooncake#2330; JuliaGPU/CUDA.jl#935 - cuda_runtime_api.h: cudaPointerGetAttributes "
                         "(cudaPointerAttributes::type, ::device)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Read the device from cudaPointerGetAttributes' answer rather than assuming the current one; "
                        "whether the query initializes the thread's device is not documented."}) {
  // Mooncake's transfer threads classified pointers with cudaPointerGetAttributes and found a
  // context on GPU 0 in processes using only GPU 7; they moved to cuPointerGetAttribute.
  const Device1Memory m = device_1_memory_with_device_0_untouched(h);
  h.on_thread([&] {
    cudaPointerAttributes attributes{};
    CUDA(cudaPointerGetAttributes(&attributes, m.p));
    h.expect_eq("cudaPointerAttributes.device of device 1 memory", attributes.device, 1, FindingKind::wrong_device);
    h.expect_eq("cudaPointerAttributes.type of it", static_cast<int>(attributes.type), static_cast<int>(cudaMemoryTypeDevice));
    observe_after_the_query(h, m);
  });
}

CTXSHARE_CASE(multi_device, cuPointerGetAttribute_of_device_1_memory_on_a_thread_with_no_context,
              {.claims = {"DRV-THREAD"},
               .source = "kvcache-ai/Mooncake#2330; JuliaGPU/CUDA.jl#935 - cuda.h: cuPointerGetAttribute "
                         "(CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, CU_POINTER_ATTRIBUTE_CONTEXT: neither text says whether a "
                         "current context is needed)",
               .verdict = Verdict::hazard, .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Do not rely on pointer queries from threads with no context: bind the memory's context first "
                        "(its CU_POINTER_ATTRIBUTE_CONTEXT, asked where one is current)."}) {
  // Where Mooncake went instead: the driver's query, from a thread with nothing current. The answers
  // are recorded; any given must be true.
  const Device1Memory m = device_1_memory_with_device_0_untouched(h);
  h.on_thread([&] {
    int ordinal = -1;
    CUcontext owner = nullptr;
    const auto address = reinterpret_cast<CUdeviceptr>(m.p);
    if (h.observe_result("CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL on a thread with no context",
                         cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, address)) == CUDA_SUCCESS)
      h.expect_eq("the ordinal given for device 1 memory", ordinal, 1, FindingKind::wrong_device);
    if (h.observe_result("CU_POINTER_ATTRIBUTE_CONTEXT on a thread with no context",
                         cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, address)) == CUDA_SUCCESS)
      h.expect_eq("the context given for it", owner, m.device1, FindingKind::wrong_context);
    observe_after_the_query(h, m);
  });
}

CTXSHARE_CASE(multi_device, pointer_queries_of_created_context_memory_with_its_primary_inactive,
              {.claims = {"RT-PTRATTR", "RT-NONPRIMARY"},
               .source = std::string("numba/numba#4092; cupy/cupy#4618 - ") + kInterop +
                         " (cudaPointerGetAttributes returns cudaErrorIncompatibleDriverContext for memory of a "
                         "non-primary context); cuda.h: cuPointerGetAttribute",
               .verdict = Verdict::fails, .expected_error = "cudaErrorIncompatibleDriverContext",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Query memory of a created context with cuPointerGetAttribute; the runtime's cudaPointerGetAttributes refuses it.", .axes = {axis<MemoryOn>()}}) {
  // PyCUDA and Numba allocate in contexts of their own; CuPy and PyTorch, on another device, then ask
  // the runtime what the pointer is. The memory's device has no active primary context at all.
  const int owner_device = h.param<MemoryOn>() == MemoryOn::device_1_with_device_0_current ? 1 : 0;
  const int other = 1 - owner_device;
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(owner_device)));
  h.own_context(created);
  const std::size_t n = 1024, bytes = n * 4;
  CUdeviceptr d = 0;
  CU(cuMemAlloc(&d, bytes));
  h.own_device_memory(d, bytes, Owner::driver);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoD(d, words.data(), bytes));
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  CUDA(cudaSetDevice(other));
  h.expect_eq("the memory's device's primary context active before the queries", primary_active(h, owner_device), 0,
              FindingKind::context_changed);
  int ordinal = -1;
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, d));
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, d));
  h.expect_eq("CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL from the other device", ordinal, owner_device, FindingKind::wrong_device);
  h.expect_eq("CU_POINTER_ATTRIBUTE_CONTEXT from the other device", owner, created, FindingKind::wrong_context);
  cudaPointerAttributes attributes{};
  EXPECT_ERROR(cudaErrorIncompatibleDriverContext, cudaPointerGetAttributes(&attributes, reinterpret_cast<void*>(d)));
  // Whether a query of memory on a device initializes that device's primary is not documented.
  h.observe("the memory's device's primary context active after the queries", primary_active(h, owner_device));
}

CTXSHARE_CASE(multi_device, peer_access_enabled_through_one_api_is_already_enabled_for_the_other,
              {.claims = {"RT-PEER", "RT-PRIMARY"},
               .source = "torch/cutorch#112; torch/cutorch#114; meta-pytorch/torchcomms#2399; kvcache-ai/Mooncake#1470; "
                         "JuliaGPU/CUDA.jl#2457 - cuda_runtime_api.h: cudaDeviceEnablePeerAccess, "
                         "cudaDeviceDisablePeerAccess, cudaGetLastError; cuda.h: cuCtxEnablePeerAccess, cuCtxDisablePeerAccess",
               .verdict = Verdict::fails,
               .expected_error = "the second enable: cudaErrorPeerAccessAlreadyEnabled or CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Treat cudaErrorPeerAccessAlreadyEnabled / CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED as success, and clear the runtime's last error after it (cudaGetLastError).", .axes = {axis<FirstEnabler>()}}) {
  int can = 0;
  CU(cuDeviceCanAccessPeer(&can, h.device(0), h.device(1)));
  if (can != 1) h.skip("device 0 cannot access device 1 (cuDeviceCanAccessPeer): peer access cannot be enabled");
  CUDA(cudaSetDevice(0));  // device 0's primary is current: both APIs enable the same pair of contexts
  const CUcontext device1 = primary_of(h, 1);
  if (h.param<FirstEnabler>() == FirstEnabler::cuCtxEnablePeerAccess) {
    CU(cuCtxEnablePeerAccess(device1, 0));
    const cudaError_t again = cudaDeviceEnablePeerAccess(1, 0);
    h.expect_eq("cudaDeviceEnablePeerAccess(1) after cuCtxEnablePeerAccess", again, cudaErrorPeerAccessAlreadyEnabled,
                FindingKind::wrong_error);
    // cudaGetLastError: "the last error produced by any of the runtime calls ... and resets it": the
    // error cutorch, torchcomms and Mooncake found left for their next launch check.
    h.expect_eq("cudaGetLastError after the refusal", cudaGetLastError(), again);
    h.expect_eq("cudaGetLastError once more", cudaGetLastError(), cudaSuccess, FindingKind::sticky_error);
    // The access is one: the runtime disables what the driver enabled, and the driver then finds none.
    CUDA(cudaDeviceDisablePeerAccess(1));
    EXPECT_ERROR(CUDA_ERROR_PEER_ACCESS_NOT_ENABLED, cuCtxDisablePeerAccess(device1));
  } else {
    CUDA(cudaDeviceEnablePeerAccess(1, 0));
    EXPECT_ERROR(CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED, cuCtxEnablePeerAccess(device1, 0));
    // A driver call's error is no runtime call's: the runtime's last error stays cudaSuccess.
    h.expect_eq("cudaGetLastError after the driver's refusal", cudaGetLastError(), cudaSuccess, FindingKind::sticky_error);
    CU(cuCtxDisablePeerAccess(device1));
    EXPECT_ERROR(cudaErrorPeerAccessNotEnabled, cudaDeviceDisablePeerAccess(1));
  }
}

CTXSHARE_CASE(multi_device, peer_access_from_a_created_context_leaves_the_primary_to_enable,
              {.claims = {"RT-PEER", "SEED-MIX"},
               .source = "NVIDIA/cccl#4412; owl-project/owl#184; inducer/pycuda#71 - cuda.h: cuCtxEnablePeerAccess (access "
                         "of peerContext from the current context); cuda_runtime_api.h: cudaDeviceEnablePeerAccess",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Enable peer access in every context that needs it: access enabled from a created context does not carry over to the primary context the runtime uses."}) {
  // Libraries enable peer access in their own contexts and then find the application's attempt
  // refused, or assume it done. Access is per pair of contexts: the primary's is still to enable.
  int can = 0;
  CU(cuDeviceCanAccessPeer(&can, h.device(0), h.device(1)));
  if (can != 1) h.skip("device 0 cannot access device 1 (cuDeviceCanAccessPeer): peer access cannot be enabled");
  const std::size_t n = 1 << 16, bytes = n * 4;
  CUDA(cudaSetDevice(1));
  std::uint32_t* remote = nullptr;
  CUDA(cudaMalloc(&remote, bytes));
  h.own_device_memory(remote, bytes, Owner::runtime);
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy(remote, words.data(), bytes, cudaMemcpyHostToDevice));
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CU(cuCtxEnablePeerAccess(primary_of(h, 1), 0));  // the created context's access
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  CUDA(cudaSetDevice(0));
  CUDA(cudaDeviceEnablePeerAccess(1, 0));  // not the same pair: documented to succeed
  add_value<<<blocks_for(n), 256>>>(remote, 3, n);  // device 0's primary writes device 1's memory
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(remote), bytes));
  h.expect_same_words("device 1 memory written by device 0's primary over runtime-enabled access", seen, plus(words, 3));
  CUDA(cudaDeviceDisablePeerAccess(1));
  CU(cuCtxPushCurrent(created));
  CU(cuCtxDisablePeerAccess(primary_of(h, 1)));  // the created context's access was its own, still there
  CU(cuCtxPopCurrent(&popped));
}

CTXSHARE_CASE(multi_device, kernel_launch_into_a_device_1_stream_with_device_0_current_fails,
              {.claims = {"RT-CURRENT", "RT-SETDEVICE"},
               .source = std::string("pytorch/pytorch#16019; ROCm/hip-tests#534; agency-library/agency#132 - ") + kStreamRules +
                         " (\"A kernel launch will fail if it is issued to a stream that is not associated to the current device\")",
               .verdict = Verdict::fails, .expected_error = "a launch error, none named (the Guide says only that it fails)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Make the stream's device current (cudaSetDevice) before launching into it; do not rely on a launch into another device's stream failing or succeeding."}) {
  // PyTorch let a stream of device 1 be selected while device 0 was current; HIP now refuses such a
  // launch "to match NVIDIA's behavior".
  const std::size_t n = 4096, bytes = n * 4;
  CUDA(cudaSetDevice(1));
  cudaStream_t stream1 = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream1, cudaStreamNonBlocking));
  h.own_stream(stream1, Owner::runtime);
  std::uint32_t* q = nullptr;
  CUDA(cudaMalloc(&q, bytes));
  h.own_device_memory(q, bytes, Owner::runtime);
  const auto before = h.random_words(n);
  CUDA(cudaMemcpy(q, before.data(), bytes, cudaMemcpyHostToDevice));
  cudaFuncAttributes attributes{};
  CUDA(cudaFuncGetAttributes(&attributes, add_value));  // loaded on device 1: a refusal is not a loading failure
  CUDA(cudaSetDevice(0));
  CUDA(cudaFuncGetAttributes(&attributes, add_value));  // and on device 0
  const Ledger ledger = h.ledger();
  add_value<<<blocks_for(n), 256, 0, stream1>>>(q, 1, n);
  const cudaError_t launched = h.observe_result("<<<>>> into device 1's stream with device 0 current", cudaGetLastError());
  h.expect(launched != cudaSuccess, FindingKind::unexpected_success,
           "a kernel launch into a stream of device 1 was accepted with device 0 current");
  h.expect_ledger_unchanged(ledger, "the launch into device 1's stream", true);
  CUDA(cudaSetDevice(1));
  CUDA(cudaStreamSynchronize(stream1));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(q), bytes));
  // Either way the answer must be honest: accepted, the work was done; refused, nothing was written.
  h.expect_same_words(launched == cudaSuccess ? "the launch was accepted: its work is in the memory"
                                              : "the launch was refused: the memory is unchanged",
                      seen, launched == cudaSuccess ? plus(before, 1) : before);
}

CTXSHARE_CASE(multi_device, copy_and_event_on_a_device_1_stream_with_device_0_current_stay_ordered,
              {.claims = {"RT-CURRENT", "RT-TYPES"},
               .source = std::string("pytorch/pytorch#16019; microsoft/onnxruntime#24010 - ") + kStreamRules +
                         " (a memory copy succeeds on a stream of another device; cudaEventQuery and "
                         "cudaEventSynchronize succeed for an event of another device)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Prefer switching to the stream's device before using it; copies and events on another device's stream stay ordered, but launches do not work there."}) {
  // An inference thread whose current device is 0 (onnxruntime's TensorRT provider before its fix)
  // copies into a stream of device 1 and waits on it.
  const std::size_t n = 1 << 20, bytes = n * 4;
  CUDA(cudaSetDevice(1));
  cudaStream_t stream1 = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream1, cudaStreamNonBlocking));
  h.own_stream(stream1, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  h.own_event(done, Owner::runtime);
  std::uint32_t* q = nullptr;
  CUDA(cudaMalloc(&q, bytes));
  h.own_device_memory(q, bytes, Owner::runtime);
  std::uint32_t* source = pinned_words(h, n);  // pinned: the copy is queued, never staged while the gate holds
  const auto words = h.random_words(n);
  std::memcpy(source, words.data(), bytes);
  Gate gate(h);
  gate.hold(stream1);  // the copy and the event queue behind it
  CUDA(cudaSetDevice(0));
  const Ledger ledger = h.ledger();
  CUDA(cudaMemcpyAsync(q, source, bytes, cudaMemcpyHostToDevice, stream1));
  // Event and stream are both device 1's: not the case the Guide says fails.
  CUDA(cudaEventRecord(done, stream1));
  std::this_thread::sleep_for(kSettle);  // a copy that ignored the gate would be done by now
  h.expect_eq("cudaEventQuery of device 1's held event with device 0 current", cudaEventQuery(done), cudaErrorNotReady);
  gate.open();
  CUDA(cudaStreamSynchronize(stream1));
  CUDA(cudaEventSynchronize(done));
  h.expect_ledger_unchanged(ledger, "cudaMemcpyAsync, cudaEventRecord and the waits on device 1's stream", true);
  CU(cuCtxSetCurrent(primary_of(h, 1)));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(q), bytes));
  h.expect_same_words("words copied on device 1's stream from a device 0 thread", seen, words);
}

CTXSHARE_CASE(multi_device, one_thread_per_device_mixes_both_apis_at_once,
              {.claims = {"SEED-MIX", "RT-SETDEVICE", "RT-CURRENT", "RT-TYPES"},
               .source = std::string("NVIDIA/TensorRT#322; NVIDIA/TensorRT#2702; microsoft/onnxruntime#24010; inducer/pycuda#242 - ") +
                         kDeviceSelection + "; " + kInterop,
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Give each thread its device with cudaSetDevice (or its primary context with cuCtxSetCurrent) before it mixes the two APIs."}) {
  // TensorRT's FAQ: each thread calls cudaSetDevice for its engine's GPU. Here each thread binds its
  // device (one through each API), then both work at once with driver and runtime objects.
  const std::size_t n = 1 << 16, bytes = n * 4;
  const CUcontext primaries[2] = {primary_of(h, 0), primary_of(h, 1)};
  const std::vector<std::uint32_t> words[2] = {h.random_words(n), h.random_words(n)};
  std::atomic<int> bound{0};
  on_two_threads(h, [&](int t) {
    if (t == 0) CUDA(cudaSetDevice(0));
    else CU(cuCtxSetCurrent(primaries[1]));
    arrive_and_wait(bound, 2);
    CUstream stream = nullptr;
    CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
    std::uint32_t* p = nullptr;
    CUDA(cudaMalloc(&p, bytes));
    cudaEvent_t done = nullptr;
    CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words[t].data(), bytes, stream));
    add_value<<<blocks_for(n), 256, 0, stream>>>(p, t + 1, n);
    CUDA(cudaGetLastError());
    CUDA(cudaEventRecord(done, stream));
    CU(cuEventSynchronize(done));
    std::vector<std::uint32_t> seen(n);
    CUDA(cudaMemcpy(seen.data(), p, bytes, cudaMemcpyDeviceToHost));
    h.expect_same_words("device " + std::to_string(t) + "'s words after its thread's copy and kernel", seen, plus(words[t], t + 1));
    int ordinal = -1, device = -1;
    CUcontext owner = nullptr;
    CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, reinterpret_cast<CUdeviceptr>(p)));
    CU(cuStreamGetCtx(stream, &owner));
    CUDA(cudaGetDevice(&device));
    h.expect_eq("device of thread " + std::to_string(t) + "'s cudaMalloc", ordinal, t, FindingKind::wrong_device);
    h.expect_eq("cuStreamGetCtx of thread " + std::to_string(t) + "'s stream", owner, primaries[t], FindingKind::wrong_context);
    h.expect_eq("cudaGetDevice on thread " + std::to_string(t) + " after its work", device, t, FindingKind::context_changed);
    CUDA(cudaEventDestroy(done));
    CUDA(cudaFree(p));
    CU(cuStreamDestroy(stream));
  });
}

CTXSHARE_CASE(multi_device, one_thread_per_device_with_created_contexts_hosts_runtime_work,
              {.claims = {"RT-NONPRIMARY", "RT-CURRENT", "DRV-CREATE"},
               .source = std::string("inducer/pycuda#242; NVIDIA/TensorRT#2014; cupy/cupy#4618 - ") + kInterop +
                         " (runtime calls operate on a current non-primary context)",
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "Keep each created context current on its own thread while runtime work runs there; the runtime follows the thread's current context."}) {
  // The PyCUDA + TensorRT pattern: each thread makes a context on its GPU (make_context), and the
  // runtime-based engine allocates and launches in it.
  const std::size_t n = 1 << 16, bytes = n * 4;
  const std::uint32_t seeds[2] = {h.random_words(1)[0], h.random_words(1)[0]};
  std::atomic<int> created_both{0};
  on_two_threads(h, [&](int t) {
    CUcontext own = nullptr;
    CU(cuCtxCreate(&own, nullptr, 0, h.device(t)));
    arrive_and_wait(created_both, 2);
    std::uint32_t* p = nullptr;
    CUDA(cudaMalloc(&p, bytes));
    cudaStream_t stream = nullptr;
    CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    fill_pattern<<<blocks_for(n), 256, 0, stream>>>(p, seeds[t], n);
    CUDA(cudaGetLastError());
    CU(cuStreamSynchronize(stream));
    std::vector<std::uint32_t> seen(n);
    CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), bytes));
    h.expect_same_words("thread " + std::to_string(t) + "'s kernel output in its created context", seen, pattern(seeds[t], n));
    CUcontext owner = nullptr, stream_owner = nullptr;
    int device = -1;
    CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
    CU(cuStreamGetCtx(stream, &stream_owner));
    CUDA(cudaGetDevice(&device));
    h.expect_eq("context of thread " + std::to_string(t) + "'s cudaMalloc", owner, own, FindingKind::wrong_context);
    h.expect_eq("context of thread " + std::to_string(t) + "'s cudaStreamCreate", stream_owner, own, FindingKind::wrong_context);
    h.expect_eq("cudaGetDevice under thread " + std::to_string(t) + "'s created context", device, t, FindingKind::wrong_device);
    CUDA(cudaStreamDestroy(stream));
    CUDA(cudaFree(p));
    CU(cuCtxDestroy(own));
  });
  // Whether runtime work in created contexts initializes the devices' primaries is not documented.
  h.observe("primary contexts active after the threads' work", {{"device 0", primary_active(h, 0)}, {"device 1", primary_active(h, 1)}});
}

CTXSHARE_CASE(multi_device, cuStreamCreate_on_a_new_thread_fails_where_cudaStreamCreate_picks_device_0,
              {.claims = {"DRV-THREAD", "RT-IMPLICIT", "DRV-STREAM-CTX"},
               .source = std::string("cupy/cupy#4618; inducer/pycuda#242; Linaom1214/TensorRT-For-YOLO-Series#102 - ") +
                         "cuda.h: cuStreamCreate (CUDA_ERROR_INVALID_CONTEXT), cuStreamGetCtx; " + kDeviceSelection,
               .needs = kTwoDevices, .labels = {"real-world"},
               .avoid = "On a new thread, make a context current before driver calls; runtime calls would silently pick device 0."}) {
  // PyCUDA streams made on worker threads fail with "no currently active context", while the
  // runtime's stream on the same thread silently lands on device 0, whatever the program uses.
  CUDA(cudaSetDevice(1));
  const CUcontext device0 = primary_of(h, 0);
  h.on_thread([&] {
    CUstream by_driver = nullptr;
    EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuStreamCreate(&by_driver, CU_STREAM_NON_BLOCKING));
    cudaStream_t by_runtime = nullptr;
    CUDA(cudaStreamCreateWithFlags(&by_runtime, cudaStreamNonBlocking));
    h.own_stream(by_runtime, Owner::runtime);
    int device = -1;
    CUcontext owner = nullptr;
    CUDA(cudaStreamGetDevice(by_runtime, &device));
    CU(cuStreamGetCtx(by_runtime, &owner));
    h.expect_eq("cudaStreamGetDevice of a new thread's stream", device, 0, FindingKind::wrong_device);
    h.expect_eq("cuStreamGetCtx of it", owner, device0, FindingKind::wrong_context);
    // The runtime left device 0's primary current: now the driver's stream works, in the same context.
    CU(cuStreamCreate(&by_driver, CU_STREAM_NON_BLOCKING));
    h.own_stream(by_driver, Owner::driver);
    CU(cuStreamGetCtx(by_driver, &owner));
    h.expect_eq("cuStreamGetCtx of the driver's stream after the runtime's", owner, device0, FindingKind::wrong_context);
  });
}

}  // namespace ctxshare
