// multi_device: contexts on several devices, cudaSetDevice against cuCtxSetCurrent, peer access
// through each API, events across devices, and ordinals under CUDA_VISIBLE_DEVICES. Every case
// needs two devices and is skipped with that reason on one.
// Sources: cuda_runtime_api.h, Interactions with the CUDA Driver API (peer access with a non-primary
// context current); cuda.h: cuCtxEnablePeerAccess; cuda_runtime_api.h: cudaDeviceEnablePeerAccess.
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
               .expected_error = "an error (the documentation names none)", .needs = kTwoDevices}) {
  int can = 0;
  CU(cuDeviceCanAccessPeer(&can, h.device(0), h.device(1)));
  h.observe("device 0 can access device 1", can);
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  const cudaError_t r = h.observe_result("cudaDeviceEnablePeerAccess(1) with a created context current",
                                         cudaDeviceEnablePeerAccess(1, 0));
  h.expect(r != cudaSuccess, FindingKind::unexpected_success,
           "the runtime's peer access API worked with a non-primary context current");
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
  const std::size_t n = 1 << 22;
  CUDA(cudaSetDevice(0));
  std::uint32_t* p = nullptr;
  CUDA(cudaMallocManaged(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  h.own_event(done, Owner::runtime);
  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256>>>(p, seed, n);
  CUDA(cudaGetLastError());
  CUDA(cudaEventRecord(done, nullptr));
  CU(cuCtxSetCurrent(primary_of(h, 1)));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  CU(cuStreamWaitEvent(stream, done, 0));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoHAsync(seen.data(), reinterpret_cast<CUdeviceptr>(p), n * 4, stream));
  CU(cuStreamSynchronize(stream));
  h.expect_same_words("a device 1 stream ordered after device 0's kernel by its event", seen, pattern(seed, n));
}

CTXSHARE_CASE(multi_device, visible_devices_renumber_both_apis_alike,
              {.claims = {"RT-PRIMARY"}, .source = "CUDA_VISIBLE_DEVICES; cuda.h: cuDeviceGetPCIBusId",
               .needs = kTwoDevices, .environment = {{"CUDA_VISIBLE_DEVICES", "1,0"}}}) {
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    char by_driver[32] = {}, by_runtime[32] = {};
    CU(cuDeviceGetPCIBusId(by_driver, sizeof by_driver, h.device(ordinal)));
    CUDA(cudaDeviceGetPCIBusId(by_runtime, sizeof by_runtime, ordinal));
    h.expect_eq("PCI bus id of ordinal " + std::to_string(ordinal) + ", driver against runtime", std::string(by_driver),
                std::string(by_runtime), FindingKind::wrong_device);
  }
  CUDA(cudaSetDevice(1));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  CUdevice device = -1;
  CU(cuCtxGetDevice(&device));
  h.expect_eq("cuCtxGetDevice after cudaSetDevice(1) under CUDA_VISIBLE_DEVICES=1,0", device, h.device(1),
              FindingKind::wrong_device);
}

}  // namespace ctxshare
