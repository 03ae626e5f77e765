// driver_first: the driver API makes a context current, then the runtime works on it.
// Source: cuda_runtime_api.h, "Interactions with the CUDA Driver API" (CUDART_DRIVER), section
// Context Interoperability; cuda.h for cuCtxCreate and cuDevicePrimaryCtxRetain.
#include <chrono>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

__device__ std::uint32_t driver_first_value;

namespace {
// cuCtxCreate with the default parameters of the header it was built with.
CUresult create_context(CUcontext* ctx, CUdevice dev) { return cuCtxCreate(ctx, nullptr, 0, dev); }
}  // namespace

CTXSHARE_CASE(driver_first, retained_primary_context_is_the_runtimes_context,
              {.claims = {"SEED-DRIVER-FIRST", "DRV-RETAIN", "RT-PRIMARY"},
               .source = "cuda.h: cuDevicePrimaryCtxRetain; " "cuda_runtime_api.h, Primary Contexts"}) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuDevicePrimaryCtxRetain does not make it current", current, static_cast<CUcontext>(nullptr),
              FindingKind::context_changed);
  CU(cuCtxSetCurrent(primary));
  // Current before the runtime's first call, so that the runtime finds it rather than binding it itself.
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cuCtxSetCurrent(primary)", current, primary, FindingKind::wrong_context);

  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, 4096));
  h.own_device_memory(buffer, 4096, Owner::runtime);
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(buffer)));
  h.expect_eq("context of the runtime's allocation", owner, primary, FindingKind::wrong_context);
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("the runtime kept the retained primary current", current, primary, FindingKind::context_changed);
}

// The least a case can do: the work of `ctxshare bench`'s floor process, under the harness.
CTXSHARE_CASE(driver_first, retained_primary_made_current_is_the_threads_context,
              {.claims = {"DRV-RETAIN", "RT-CURRENT"}, .source = "cuda.h: cuDevicePrimaryCtxRetain, cuCtxSetCurrent"}) {
  CUcontext primary = nullptr, current = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  CU(cuCtxSetCurrent(primary));
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxGetCurrent after cuCtxSetCurrent(primary)", current, primary, FindingKind::wrong_context);
  // RT-CURRENT: the runtime now works in the context the driver made current, not one of its own.
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
  h.expect_eq("CU_POINTER_ATTRIBUTE_CONTEXT of a cudaMalloc under it", owner, primary, FindingKind::wrong_context);
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_eq("cudaGetDevice under it", device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_allocations,
              {.claims = {"RT-NONPRIMARY", "DRV-CREATE", "SEED-DRIVER-FIRST"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("cuCtxCreate pushes the new context", current, ctx, FindingKind::wrong_context);

  const std::size_t n = 1 << 18;
  std::uint32_t* buffer = nullptr;
  CUDA(cudaMalloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::runtime);
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(buffer)));
  h.expect_eq("context of cudaMalloc memory under a created context", owner, ctx, FindingKind::wrong_context);

  const auto words = h.random_words(n);
  CU(cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(buffer), words.data(), n * sizeof(std::uint32_t)));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), buffer, n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  h.expect_same_words("driver-written words read by cudaMemcpy", seen, words);
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_launches,
              {.claims = {"RT-NONPRIMARY", "DRV-CREATE"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  const std::size_t n = 1 << 18;
  CUdeviceptr buffer = 0;
  CU(cuMemAlloc(&buffer, n * sizeof(std::uint32_t)));
  h.own_device_memory(buffer, n * sizeof(std::uint32_t), Owner::driver);

  const std::uint32_t seed = h.random_words(1)[0];
  fill_pattern<<<blocks_for(n), 256>>>(reinterpret_cast<std::uint32_t*>(buffer), seed, n);
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), buffer, n * sizeof(std::uint32_t)));
  h.expect_same_words("runtime kernel's output in cuMemAlloc memory of a created context", seen, pattern(seed, n));
}

CTXSHARE_CASE(driver_first, cuCtxCreate_context_hosts_runtime_streams_and_events,
              {.claims = {"RT-NONPRIMARY", "RT-TYPES", "DRV-STREAM-CTX"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);
  cudaEvent_t done = nullptr;
  CUDA(cudaEventCreate(&done));
  h.own_event(done, Owner::runtime);

  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(stream, &stream_ctx));
  h.expect_eq("cuStreamGetCtx of a runtime stream made under a created context", stream_ctx, ctx,
              FindingKind::wrong_context);
  // The record queues behind a held kernel, so the event completes only when the gate opens.
  Gate gate(h);
  gate.hold(stream);
  CU(cuEventRecord(done, stream));
  gate.open_after(kSettle);
  CU(cuEventSynchronize(done));
  gate.expect_waited(h, "cuEventSynchronize of the runtime's event");
  CUDA(cudaEventQuery(done));
  h.checkpoint("after the driver recorded the runtime's event on the runtime's stream");
}

CTXSHARE_CASE(driver_first, runtime_calls_keep_the_created_context_current,
              {.claims = {"RT-CURRENT", "RT-NONPRIMARY"}, .source = kInterop}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  h.name_context(ctx, "created");
  const Ledger before = h.ledger();
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 1024));
  h.own_device_memory(p, 1024, Owner::runtime);
  CUDA(cudaMemset(p, 0x5a, 1024));
  CUDA(cudaDeviceSynchronize());
  int device = -1;
  CUDA(cudaGetDevice(&device));
  h.expect_ledger_unchanged(before, "cudaMalloc, cudaMemset, cudaDeviceSynchronize, cudaGetDevice");
  h.expect_eq("cudaGetDevice under a created context", device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(driver_first, cudaPointerGetAttributes_refuses_created_context_memory,
              {.claims = {"RT-PTRATTR"}, .source = kInterop, .verdict = Verdict::fails,
               .expected_error = "cudaErrorIncompatibleDriverContext"}) {
  CUcontext ctx = nullptr;
  CU(create_context(&ctx, h.device(0)));
  h.own_context(ctx);
  CUdeviceptr buffer = 0;
  CU(cuMemAlloc(&buffer, 4096));
  h.own_device_memory(buffer, 4096, Owner::driver);
  cudaPointerAttributes attributes{};
  if (!EXPECT_ERROR(cudaErrorIncompatibleDriverContext,
                    cudaPointerGetAttributes(&attributes, reinterpret_cast<void*>(buffer)))) {
    h.observe("attributes_returned", {{"type", static_cast<int>(attributes.type)}, {"device", attributes.device}});
  }
}

CTXSHARE_CASE(driver_first, runtime_follows_the_top_of_the_context_stack,
              {.claims = {"RT-CURRENT", "DRV-CREATE"}, .source = kInterop}) {
  CUcontext lower = nullptr, upper = nullptr;
  CU(create_context(&lower, h.device(0)));
  h.own_context(lower);
  CU(create_context(&upper, h.device(0)));  // pushed on top of lower
  h.own_context(upper);
  void* in_upper = nullptr;
  CUDA(cudaMalloc(&in_upper, 256));
  h.own_device_memory(in_upper, 256, Owner::runtime);
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  void* in_lower = nullptr;
  CUDA(cudaMalloc(&in_lower, 256));
  h.own_device_memory(in_lower, 256, Owner::runtime);

  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(in_upper)));
  h.expect_eq("cudaMalloc with two contexts pushed went to the top one", owner, upper, FindingKind::wrong_context);
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(in_lower)));
  h.expect_eq("cudaMalloc after cuCtxPopCurrent went to the one below", owner, lower, FindingKind::wrong_context);
}

CTXSHARE_CASE(driver_first, runtime_binds_the_primary_after_cuCtxSetCurrent_null,
              {.claims = {"RT-IMPLICIT", "RT-CURRENT"}, .source = kInterop}) {
  CUcontext created = nullptr;
  CU(create_context(&created, h.device(0)));
  h.own_context(created);
  CU(cuCtxSetCurrent(nullptr));
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 256));
  h.own_device_memory(p, 256, Owner::runtime);
  CUcontext current = nullptr, primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("context the runtime bound on a thread with none current", current, primary, FindingKind::wrong_context);
  h.expect(current != created, FindingKind::wrong_context, "the runtime picked up a created context nobody made current");
}

CTXSHARE_CASE(driver_first, device_variables_are_per_context,
              {.claims = {"RT-STATE-TRAVELS", "RT-NONPRIMARY"}, .source = kInterop}) {
  // Runtime state belongs to the context: a created context has its own copy of each __device__ variable.
  CUDA(cudaSetDevice(0));
  const auto values = h.random_words(2);
  CUDA(cudaMemcpyToSymbol(driver_first_value, &values[0], sizeof values[0]));
  void* in_primary = nullptr;
  CUDA(cudaGetSymbolAddress(&in_primary, driver_first_value));

  CUcontext created = nullptr;
  CU(create_context(&created, h.device(0)));
  h.own_context(created);
  CUDA(cudaMemcpyToSymbol(driver_first_value, &values[1], sizeof values[1]));
  void* in_created = nullptr;
  CUDA(cudaGetSymbolAddress(&in_created, driver_first_value));
  h.expect(in_created != in_primary, FindingKind::mismatch, "one __device__ variable address in two contexts",
           {{"address", describe(in_created)}});

  std::uint32_t seen = 0;
  CU(cuMemcpyDtoH(&seen, reinterpret_cast<CUdeviceptr>(in_primary), sizeof seen));
  h.expect_eq("the primary context's copy after the created context's write", seen, values[0], FindingKind::data_mismatch);
  CU(cuMemcpyDtoH(&seen, reinterpret_cast<CUdeviceptr>(in_created), sizeof seen));
  h.expect_eq("the created context's copy", seen, values[1], FindingKind::data_mismatch);
}

CTXSHARE_CASE(driver_first, cudaMemcpy_between_created_and_primary_context_memory,
              {.claims = {"RT-NONPRIMARY", "SEED-MIX"}, .source = kInterop}) {
  const std::size_t n = 1 << 18, bytes = n * sizeof(std::uint32_t);
  CUDA(cudaSetDevice(0));
  void* in_primary = nullptr;
  CUDA(cudaMalloc(&in_primary, bytes));
  h.own_device_memory(in_primary, bytes, Owner::runtime);
  CUcontext created = nullptr;
  CU(create_context(&created, h.device(0)));
  h.own_context(created);
  CUdeviceptr in_created = 0;
  CU(cuMemAlloc(&in_created, bytes));
  h.own_device_memory(in_created, bytes, Owner::driver);

  const auto words = h.random_words(n);
  CU(cuMemcpyHtoD(in_created, words.data(), bytes));
  CUDA(cudaMemcpy(in_primary, reinterpret_cast<void*>(in_created), bytes, cudaMemcpyDeviceToDevice));
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(in_primary), bytes));
  h.expect_same_words("created-context words copied by the runtime into primary-context memory", seen, words);
}

CTXSHARE_CASE(driver_first, cudaGetDeviceFlags_under_a_created_context,
              {.claims = {"RT-NONPRIMARY", "RT-FLAGS"}, .source = kInterop}) {
  // The Context Interoperability section names only cudaPointerGetAttributes and the peer API as
  // exceptions, so cudaGetDeviceFlags answers for the created context that is current.
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, CU_CTX_SCHED_BLOCKING_SYNC, h.device(0)));
  h.own_context(created);
  unsigned int runtime_flags = 0, driver_flags = 0;
  CU(cuCtxGetFlags(&driver_flags));
  h.expect_eq("cuCtxGetFlags schedule of the created context", driver_flags & CU_CTX_SCHED_MASK,
              static_cast<unsigned>(CU_CTX_SCHED_BLOCKING_SYNC));
  CUDA(cudaGetDeviceFlags(&runtime_flags));
  h.expect_eq("cudaGetDeviceFlags schedule under the created context", runtime_flags & cudaDeviceScheduleMask,
              static_cast<unsigned>(cudaDeviceScheduleBlockingSync));
}

CTXSHARE_CASE(driver_first, cudaPointerGetAttributes_on_primary_memory_under_a_created_context,
              {.claims = {"RT-PTRATTR", "RT-NONPRIMARY"}, .source = kInterop}) {
  CUDA(cudaSetDevice(0));
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  CUcontext created = nullptr;
  CU(create_context(&created, h.device(0)));
  h.own_context(created);
  cudaPointerAttributes attributes{};
  CUDA(cudaPointerGetAttributes(&attributes, p));
  h.expect_eq("cudaPointerAttributes.type of primary-context memory", static_cast<int>(attributes.type),
              static_cast<int>(cudaMemoryTypeDevice));
  h.expect_eq("cudaPointerAttributes.device", attributes.device, 0, FindingKind::wrong_device);
}

CTXSHARE_CASE(driver_first, two_created_contexts_time_slice_one_device,
              {.claims = {"RT-MULTICTX-PERF"}, .source = kInterop, .verdict = Verdict::measurement, .exclusive = true}) {
  // The documentation says several contexts per device "substantially degrade performance"; this
  // measures how two copies of the same work fare in two streams of one context and in two contexts.
  const std::size_t n = 1 << 24, bytes = n * sizeof(std::uint32_t);
  CUcontext popped = nullptr;
  auto run_pair = [&](CUcontext a, CUcontext b) {
    CUstream sa = nullptr, sb = nullptr;
    CUdeviceptr pa = 0, pb = 0;
    CU(cuCtxPushCurrent(a));
    CU(cuStreamCreate(&sa, CU_STREAM_NON_BLOCKING));
    h.own_stream(sa, Owner::driver);
    CU(cuMemAlloc(&pa, bytes));
    h.own_device_memory(pa, bytes, Owner::driver);
    CU(cuMemsetD32(pa, 0, n));
    CU(cuCtxPopCurrent(&popped));
    CU(cuCtxPushCurrent(b));
    CU(cuStreamCreate(&sb, CU_STREAM_NON_BLOCKING));
    h.own_stream(sb, Owner::driver);
    CU(cuMemAlloc(&pb, bytes));
    h.own_device_memory(pb, bytes, Owner::driver);
    CU(cuMemsetD32(pb, 0, n));
    CU(cuCtxSynchronize());
    CU(cuCtxPopCurrent(&popped));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
      CU(cuCtxPushCurrent(a));
      add_value<<<blocks_for(n), 256, 0, sa>>>(reinterpret_cast<std::uint32_t*>(pa), 1, n);
      CUDA(cudaGetLastError());
      CU(cuCtxPopCurrent(&popped));
      CU(cuCtxPushCurrent(b));
      add_value<<<blocks_for(n), 256, 0, sb>>>(reinterpret_cast<std::uint32_t*>(pb), 1, n);
      CUDA(cudaGetLastError());
      CU(cuCtxPopCurrent(&popped));
    }
    CU(cuStreamSynchronize(sa));
    CU(cuStreamSynchronize(sb));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // A time is worth reporting only if the work was done: every word got its 20 additions.
    std::vector<std::uint32_t> seen(n);
    for (auto [ctx, p] : {std::pair{a, pa}, std::pair{b, pb}}) {
      CU(cuCtxPushCurrent(ctx));
      CU(cuMemcpyDtoH(seen.data(), p, bytes));
      CU(cuCtxPopCurrent(&popped));
      h.expect_same_words("20 kernels' additions, in each context's buffer", seen, std::vector<std::uint32_t>(n, 20));
    }
    return ms;
  };
  CUcontext one = nullptr, two = nullptr;
  CU(create_context(&one, h.device(0)));
  h.own_context(one);
  CU(create_context(&two, h.device(0)));
  h.own_context(two);
  CU(cuCtxPopCurrent(&popped));
  CU(cuCtxPopCurrent(&popped));
  run_pair(one, one);  // warm-up: module loading and first launches
  const double same = run_pair(one, one);
  const double split = run_pair(one, two);
  h.observe("ms for 2x20 kernels in two streams of one context", same);
  h.observe("ms for the same split across two contexts", split);
  h.observe("slowdown of two contexts", split / same);
}

}  // namespace ctxshare
