// threads: contexts and runtime state as threads see them. The driver keeps a context stack per
// thread; the runtime acts on whatever is current to the calling thread.
// Sources: cuda.h (a new thread has no current context; cuCtxSetCurrent); cuda_runtime_api.h,
// Interactions with the CUDA Driver API: Initialization and Tear-Down, Context Interoperability.
#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

__device__ std::uint32_t threads_value;

namespace {
// Runs fn on `count` threads at once and joins them; each gets its index.
template <class Fn>
void on_threads(Case& h, int count, Fn fn) {
  std::vector<std::thread> workers;
  for (int i = 0; i < count; ++i)
    workers.emplace_back([&h, fn, i] { h.on_thread([&] { fn(i); }); });
  for (auto& w : workers) w.join();
}
}  // namespace

CTXSHARE_CASE(threads, new_thread_starts_with_no_current_context,
              {.claims = {"DRV-THREAD"}, .source = "cuda.h: cuCtxGetCurrent; CUDA Programming Guide, Context"}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUDA(cudaFree(nullptr));
  h.on_thread([&] {
    CUcontext current = nullptr;
    CU(cuCtxGetCurrent(&current));
    h.expect_eq("cuCtxGetCurrent on a new thread", current, static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
  });
}

CTXSHARE_CASE(threads, runtime_binds_the_primary_on_a_new_thread,
              {.claims = {"DRV-THREAD", "RT-IMPLICIT"}, .source = "cuda_runtime_api.h, Initialization and Tear-Down"}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.on_thread([&] {
    void* p = nullptr;
    CUDA(cudaMalloc(&p, 256));
    CUcontext current = nullptr, owner = nullptr;
    CU(cuCtxGetCurrent(&current));
    CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
    h.expect_eq("context the runtime bound on a new thread", current, primary, FindingKind::wrong_context);
    h.expect_eq("context of the new thread's allocation", owner, primary, FindingKind::wrong_context);
    CUDA(cudaFree(p));
  });
  CUcontext still = nullptr;
  CU(cuCtxGetCurrent(&still));
  h.expect_eq("the first thread's context after the other thread's runtime calls", still, created,
              FindingKind::context_changed);
}

CTXSHARE_CASE(threads, created_context_moved_between_threads_carries_runtime_state,
              {.claims = {"RT-STATE-TRAVELS", "RT-NONPRIMARY"}, .source = kInterop}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  const std::uint32_t value = h.random_words(1)[0];
  CUDA(cudaMemcpyToSymbol(threads_value, &value, sizeof value));
  void* address_here = nullptr;
  CUDA(cudaGetSymbolAddress(&address_here, threads_value));
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));  // the context leaves this thread ...
  h.expect_eq("cuCtxPopCurrent passes back the created context", popped, created, FindingKind::wrong_context);
  h.expect_eq("cuCtxGetCurrent after the pop: none was current before cuCtxCreate", current_context(),
              static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
  h.on_thread([&] {
    CU(cuCtxSetCurrent(created));  // ... and is made current on another
    h.expect_eq("cuCtxGetCurrent on the other thread after cuCtxSetCurrent(created)", current_context(), created,
                FindingKind::wrong_context);
    std::uint32_t seen = 0;
    void* address_there = nullptr;
    CUDA(cudaMemcpyFromSymbol(&seen, threads_value, sizeof seen));
    CUDA(cudaGetSymbolAddress(&address_there, threads_value));
    h.expect_eq("__device__ variable value on the other thread", seen, value, FindingKind::data_mismatch);
    h.expect_eq("__device__ variable address on the other thread", address_there, address_here);
    CU(cuCtxSetCurrent(nullptr));
    h.expect_eq("cuCtxGetCurrent on the other thread after cuCtxSetCurrent(nullptr)", current_context(),
                static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
  });
}

CTXSHARE_CASE(threads, thread_exiting_with_a_context_current_leaves_it_usable,
              {.claims = {"DRV-THREAD", "DRV-CREATE"}, .source = "cuda.h: cuCtxPushCurrent, cuCtxDestroy"}) {
  CUcontext created = nullptr;
  h.on_thread([&] {
    CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));  // and the thread ends with it pushed
  });
  if (created == nullptr) return;
  h.own_context(created);
  CU(cuCtxPushCurrent(created));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("the context pushed here after its thread ended", current, created, FindingKind::wrong_context);
  void* p = nullptr;
  CUDA(cudaMalloc(&p, 4096));
  h.own_device_memory(p, 4096, Owner::runtime);
  CUDA(cudaMemset(p, 1, 4096));
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(1024);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), 4096));
  h.expect_same_words("the runtime's memset in it, read through the driver", seen, std::vector<std::uint32_t>(1024, 0x01010101u));
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  h.expect_eq("cuCtxPopCurrent passes back the context pushed here", popped, created, FindingKind::wrong_context);
  h.expect_eq("cuCtxGetCurrent after the pop: none was current before the push", current_context(),
              static_cast<CUcontext>(nullptr), FindingKind::wrong_context);
}

CTXSHARE_CASE(threads, cudaSetDevice_on_one_thread_leaves_another_alone,
              {.claims = {"RT-SETDEVICE", "RT-CURRENT"}, .source = "cuda_runtime_api.h, Initialization and Tear-Down"}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  h.name_context(created, "created");
  const Ledger before = h.ledger();
  h.on_thread([&] { CUDA(cudaSetDevice(0)); });
  // The primary becoming active is documented; this thread's view must not change.
  h.expect_ledger_unchanged(before, "cudaSetDevice(0) on another thread", true);
}

CTXSHARE_CASE(threads, many_threads_mix_both_apis_on_the_primary_context,
              {.claims = {"SEED-MIX", "RT-CURRENT", "RT-PRIMARY"}, .source = "cuda_runtime_api.h, Primary Contexts",
               .labels = {"stress"}, .timeout_s = 120}) {
  // Bounded: 8 threads, 40 rounds each, stopping early after 20 s.
  constexpr int kThreads = 8, kRounds = 40;
  CUDA(cudaSetDevice(0));
  CUcontext primary = nullptr;
  CU(cuCtxGetCurrent(&primary));
  // Each thread's last round holds its kernel behind a gate, so its synchronize must be seen to wait.
  // Made on this thread, since handing memory to the harness is not for several threads at once; both
  // kernels loaded here, since under lazy loading a load may synchronize the context while another
  // thread's gate is shut.
  std::deque<Gate> gates;
  for (int t = 0; t < kThreads; ++t) gates.emplace_back(h);
  cudaFuncAttributes attributes{};
  CUDA(cudaFuncGetAttributes(&attributes, wait_for_gate));
  CUDA(cudaFuncGetAttributes(&attributes, fill_pattern));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::atomic<int> rounds{0};
  on_threads(h, kThreads, [&](int t) {
    // A new thread has no current context: half bind the primary through each API.
    if (t % 2 == 0) CUDA(cudaSetDevice(0));
    else CU(cuCtxSetCurrent(primary));
    const std::size_t n = 4096, bytes = n * 4;
    for (int i = 0; i < kRounds && std::chrono::steady_clock::now() < deadline; ++i) {
      const bool last = i == kRounds - 1;
      const bool runtime_allocates = (i + t) % 2 == 0;
      std::uint32_t* p = nullptr;
      if (runtime_allocates) CUDA(cudaMalloc(&p, bytes));
      else CU(cuMemAlloc(reinterpret_cast<CUdeviceptr*>(&p), bytes));
      CUcontext owner = nullptr;
      CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
      h.expect_eq("context of an allocation made on a worker thread", owner, primary, FindingKind::wrong_context);
      const std::uint32_t seed = static_cast<std::uint32_t>(t * 1000 + i) * 2654435761u;
      // Opened 200 ms after the hold, not after the launch: another thread's cuMemFree or cudaFree waits
      // for the whole device, gate included, and the launch may wait for that free.
      if (last) {
        gates[t].hold(cudaStreamPerThread, fill_pattern);
        gates[t].open_after(kSettle);
      }
      fill_pattern<<<blocks_for(n), 256, 0, cudaStreamPerThread>>>(p, seed, n);
      CUDA(cudaGetLastError());
      CU(cuStreamSynchronize(CU_STREAM_PER_THREAD));
      if (last) gates[t].expect_waited(h, "cuStreamSynchronize(CU_STREAM_PER_THREAD) on a worker thread");
      std::vector<std::uint32_t> seen(n);
      if (runtime_allocates) CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), bytes));
      else CUDA(cudaMemcpy(seen.data(), p, bytes, cudaMemcpyDeviceToHost));
      h.expect_same_words("worker thread's data", seen, pattern(seed, n));
      if (runtime_allocates) CUDA(cudaFree(p));
      else CU(cuMemFree(reinterpret_cast<CUdeviceptr>(p)));
      ++rounds;
    }
  });
  h.observe("rounds completed", rounds.load());
}

CTXSHARE_CASE(threads, threads_with_their_own_created_contexts_mix_both_apis,
              {.claims = {"SEED-MIX", "RT-NONPRIMARY", "RT-CURRENT"}, .source = kInterop,
               .labels = {"stress"}, .timeout_s = 120}) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const CUdevice dev = h.device(0);
  on_threads(h, 4, [&](int t) {
    CUcontext own = nullptr;
    CU(cuCtxCreate(&own, nullptr, 0, dev));
    const std::size_t n = 4096, bytes = n * 4;
    for (int i = 0; i < 25 && std::chrono::steady_clock::now() < deadline; ++i) {
      std::uint32_t* p = nullptr;
      CUDA(cudaMalloc(&p, bytes));
      CUcontext owner = nullptr, current = nullptr;
      CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
      CU(cuCtxGetCurrent(&current));
      h.expect_eq("context of a runtime allocation under the thread's own context", owner, own, FindingKind::wrong_context);
      h.expect_eq("the thread's current context after runtime calls", current, own, FindingKind::context_changed);
      const std::uint32_t seed = static_cast<std::uint32_t>(t * 1000 + i) | 1u;
      fill_pattern<<<blocks_for(n), 256>>>(p, seed, n);
      CUDA(cudaGetLastError());
      std::vector<std::uint32_t> seen(n);
      CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(p), bytes));
      h.expect_same_words("data in the thread's own context", seen, pattern(seed, n));
      CUDA(cudaFree(p));
    }
    CU(cuCtxDestroy(own));
  });
}

}  // namespace ctxshare
