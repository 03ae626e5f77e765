// multi_device: contexts on several devices, cudaSetDevice against cuCtxSetCurrent, peer access
// through each API, events across devices, and ordinals under CUDA_VISIBLE_DEVICES. Every case
// needs two devices and is skipped with that reason on one.
// Sources: cuda_runtime_api.h, Interactions with the CUDA Driver API (peer access with a non-primary
// context current); cuda.h: cuCtxEnablePeerAccess; cuda_runtime_api.h: cudaDeviceEnablePeerAccess.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cases/kernels.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kInterop = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Context Interoperability";
constexpr Needs kTwoDevices{.devices = 2};

CUcontext primary_of(Case& h, int ordinal) {
  CUcontext ctx = nullptr;
  CU(cuDevicePrimaryCtxRetain(&ctx, h.device(ordinal)));
  h.own_primary(h.device(ordinal));
  return ctx;
}

// Zeroed pinned host words, mapped and pinned in every context (portable), released with the case.
std::uint32_t* pinned_words(Case& h, std::size_t n) {
  void* p = nullptr;
  CU(cuMemHostAlloc(&p, n * 4, CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_PORTABLE));
  h.own_host_memory(p, Owner::driver);
  std::memset(p, 0, n * 4);
  return static_cast<std::uint32_t*>(p);
}
// The address the current context's kernels use for mapped host memory.
std::uint32_t* device_address(std::uint32_t* host) {
  CUdeviceptr d = 0;
  CU(cuMemHostGetDevicePointer(&d, host, 0));
  return reinterpret_cast<std::uint32_t*>(d);
}

// Long enough for work that ignored what it waits on (a 4 MiB copy) to be done.
constexpr auto kSettle = std::chrono::milliseconds(200);

// Order proven without a race: hold(stream) queues wait_for_gate, so what follows on that stream
// stays pending until open(). The destructor opens it too, so a case stopped by a failed call never
// leaves work spinning; the kernel itself gives up after 10 s.
class Gate {
 public:
  explicit Gate(Case& h) : words_(pinned_words(h, 2)) {}
  ~Gate() { open(); }
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  // `behind`: the kernels that will queue behind the gate, loaded now, since under lazy loading
  // loading a kernel may synchronize the context, which would wait for the shut gate.
  template <class... Kernel>
  void hold(CUstream stream, Kernel... behind) {
    cudaFuncAttributes attributes{};
    (CUDA(cudaFuncGetAttributes(&attributes, behind)), ...);
    wait_for_gate<<<1, 1, 0, stream>>>(device_address(words_), 10'000'000'000ull);
    CUDA(cudaGetLastError());
  }
  void open() { static_cast<volatile std::uint32_t*>(words_)[0] = 1; }

 private:
  std::uint32_t* words_;
};

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

}  // namespace ctxshare
