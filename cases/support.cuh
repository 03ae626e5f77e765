// What several families share: the gate that proves order without a race, the pinned words it and
// other checks use, the primary context of a device, the names of the default and special streams.
// One copy, so that the families also compile as one translation unit (CTXSHARE_CASES_PER_UNIT);
// `ctxshare repro` writes it into the reproducer of every case whose family includes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "cases/kernels.cuh"
#include "harness/case/case.h"

namespace ctxshare {

inline constexpr const char* kInterop = "cuda_runtime_api.h, Interactions with the CUDA Driver API: Context Interoperability";

// Zeroed pinned host words, mapped and pinned in every context (portable), released with the case.
inline std::uint32_t* pinned_words(Case& h, std::size_t n) {
  void* p = nullptr;
  CU(cuMemHostAlloc(&p, n * 4, CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_PORTABLE));
  h.own_host_memory(p, Owner::driver);
  std::memset(p, 0, n * 4);
  return static_cast<std::uint32_t*>(p);
}
// The address the current context's kernels use for mapped host memory.
inline std::uint32_t* device_address(std::uint32_t* host) {
  CUdeviceptr d = 0;
  CU(cuMemHostGetDevicePointer(&d, host, 0));
  return reinterpret_cast<std::uint32_t*>(d);
}

// Long enough for work that ignored what it waits on (a 4 MiB copy, a host function) to be done.
inline constexpr auto kSettle = std::chrono::milliseconds(200);

// Order proven without a race: hold(stream) queues wait_for_gate, so what follows on that stream
// stays pending until open(). The destructor opens it too, so a case stopped by a failed call never
// leaves work spinning; the kernel itself gives up after 10 s.
class Gate {
 public:
  explicit Gate(Case& h) : words_(pinned_words(h, 2)) {}
  ~Gate() {
    open();
    if (opener_.joinable()) opener_.join();
  }
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
  // Opens the gate from another thread `delay` from now. A call made meanwhile that must wait for the
  // held work (a synchronize) returns only after that, so kernel_end() reads 1 after it, where a call
  // that did not wait returns at once and reads 0: the wait is proven, not assumed from a fast kernel.
  void open_after(std::chrono::milliseconds delay) {
    opener_ = std::thread([this, delay] {
      std::this_thread::sleep_for(delay);
      open();
    });
  }
  // What the kernel wrote when it ended: 1 it saw the gate open, 2 it gave up waiting, 0 not yet.
  std::uint32_t kernel_end() const { return static_cast<volatile std::uint32_t*>(words_)[1]; }

  // After `call`, which must have waited for the held work: the gate's kernel had ended, having seen
  // the gate open (use with open_after).
  void expect_waited(Case& h, const std::string& call) const {
    h.expect_eq(call + " returned only after the work held behind the gate ended (the gate kernel's end: 1 it saw the gate open, 0 still waiting)",
                kernel_end(), 1u);
  }

 private:
  std::uint32_t* words_;
  std::thread opener_;
};

// The device's primary context, retained for the case (released with it).
inline CUcontext primary_of(Case& h, int ordinal) {
  CUcontext primary = nullptr;
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(ordinal)));
  h.own_primary(h.device(ordinal));
  return primary;
}
// Whether a device's primary context is active: cuDevicePrimaryCtxGetState, which starts nothing.
inline int primary_active(Case& h, int ordinal = 0) {
  unsigned int flags = 0;
  int active = -1;
  CU(cuDevicePrimaryCtxGetState(h.device(ordinal), &flags, &active));
  return active;
}
// What is current on the calling thread, as the driver says.
inline CUcontext current_context() {
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  return current;
}

// Where a library's handle lives: a context the program created, or the primary it retained.
CTXSHARE_AXIS(HostContext, created_context, retained_primary);
// Which API made a stream, where a case does the same with either.
CTXSHARE_AXIS(StreamMadeBy, cudaStreamCreate, cuStreamCreate);

// Every name of a default stream: the runtime's, the driver's and zero.
struct DefaultStreamName {
  const char* name;
  CUstream stream;
};
inline const DefaultStreamName kDefaultStreamNames[] = {{"zero", nullptr},
                                                        {"cudaStreamLegacy", cudaStreamLegacy},
                                                        {"cudaStreamPerThread", cudaStreamPerThread},
                                                        {"CU_STREAM_LEGACY", CU_STREAM_LEGACY},
                                                        {"CU_STREAM_PER_THREAD", CU_STREAM_PER_THREAD}};
// The driver's special stream handles, which mean a stream of whatever context is current.
struct SpecialStream {
  const char* name;
  CUstream stream;
};
inline const SpecialStream kSpecialStreams[] = {
    {"null_stream", nullptr}, {"CU_STREAM_LEGACY", CU_STREAM_LEGACY}, {"CU_STREAM_PER_THREAD", CU_STREAM_PER_THREAD}};

}  // namespace ctxshare
