// The CUDA runtime API, traced. The runtime is linked statically (it finds the driver at run time
// itself); these objects shadow the header's functions inside namespace ctxshare so that every
// cuda* call a case writes is recorded, overloads and templates of cuda_runtime.h included.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "harness/cuda/trace.h"

namespace ctxshare {

template <class Forward>
class RuntimeFunction {
 public:
  constexpr RuntimeFunction(const char* name, Forward forward) : name_(name), forward_(forward) {}

  template <class... Args>
  cudaError_t operator()(Args&&... args) const {
    trace::Call call(trace::Api::runtime, name_);
    const cudaError_t r = forward_(std::forward<Args>(args)...);
    call.finish(static_cast<int>(r), ::cudaGetErrorName(r));
    return r;
  }
  const char* name() const { return name_; }

 private:
  const char* name_;
  Forward forward_;
};

#define CTXSHARE_RUNTIME_FUNCTIONS(X)                                                                   \
  X(cudaGetDeviceCount) X(cudaSetDevice) X(cudaGetDevice) X(cudaInitDevice) X(cudaSetDeviceFlags)      \
  X(cudaGetDeviceFlags) X(cudaDeviceReset) X(cudaDeviceSynchronize) X(cudaDeviceGetAttribute)          \
  X(cudaGetDeviceProperties) X(cudaDeviceGetLimit) X(cudaDeviceSetLimit)                               \
  X(cudaDeviceGetStreamPriorityRange) X(cudaDeviceCanAccessPeer) X(cudaDeviceEnablePeerAccess)          \
  X(cudaDeviceDisablePeerAccess) X(cudaRuntimeGetVersion) X(cudaDriverGetVersion)                      \
  X(cudaGetLastError) X(cudaPeekAtLastError) X(cudaFree) X(cudaMalloc) X(cudaMallocPitch)               \
  X(cudaMallocHost) X(cudaHostAlloc) X(cudaFreeHost) X(cudaHostRegister) X(cudaHostUnregister)          \
  X(cudaHostGetDevicePointer) X(cudaMallocManaged) X(cudaMallocAsync) X(cudaFreeAsync)                  \
  X(cudaMallocFromPoolAsync) X(cudaMemPoolCreate) X(cudaMemPoolDestroy) X(cudaDeviceGetDefaultMemPool)  \
  X(cudaDeviceGetMemPool) X(cudaMemGetInfo) X(cudaMemcpy) X(cudaMemcpyAsync) X(cudaMemcpy2D)            \
  X(cudaMemset) X(cudaMemsetAsync) X(cudaMemset2D) X(cudaPointerGetAttributes)                         \
  X(cudaStreamCreate) X(cudaStreamCreateWithFlags) X(cudaStreamCreateWithPriority)                     \
  X(cudaStreamDestroy) X(cudaStreamQuery) X(cudaStreamSynchronize) X(cudaStreamGetFlags)               \
  X(cudaStreamGetPriority) X(cudaStreamWaitEvent) X(cudaLaunchHostFunc) X(cudaStreamGetDevice)         \
  X(cudaEventCreate) X(cudaEventCreateWithFlags) X(cudaEventDestroy) X(cudaEventRecord)                 \
  X(cudaEventQuery) X(cudaEventSynchronize) X(cudaEventElapsedTime) X(cudaLaunchKernel)                \
  X(cudaGetFuncBySymbol) X(cudaGetKernel) X(cudaFuncGetAttributes) X(cudaGetSymbolAddress)             \
  X(cudaMemcpyToSymbol) X(cudaMemcpyFromSymbol) X(cudaGetDriverEntryPointByVersion)                    \
  X(cudaStreamBeginCapture) X(cudaStreamEndCapture) X(cudaStreamIsCapturing) X(cudaGraphInstantiate)   \
  X(cudaGraphLaunch) X(cudaGraphDestroy) X(cudaGraphExecDestroy) X(cudaGraphGetNodes)                  \
  X(cudaMallocArray) X(cudaFreeArray) X(cudaMemcpy2DToArray) X(cudaMemcpy2DFromArray)                  \
  X(cudaCreateTextureObject) X(cudaDestroyTextureObject) X(cudaCreateSurfaceObject)                    \
  X(cudaDestroySurfaceObject) X(cudaDeviceFlushGPUDirectRDMAWrites) X(cudaCtxResetPersistingL2Cache)      \
  X(cudaMemcpyPeer) X(cudaDeviceGetPCIBusId) X(cudaStreamGetId) X(cudaIpcGetMemHandle)                \
  X(cudaIpcOpenMemHandle) X(cudaIpcCloseMemHandle) X(cudaIpcGetEventHandle) X(cudaIpcOpenEventHandle)  \
  X(cudaLibraryLoadData) X(cudaLibraryGetKernel) X(cudaLibraryUnload)

#define CTXSHARE_DECLARE_RUNTIME_FUNCTION(fn)                                         \
  inline constexpr RuntimeFunction fn{#fn, [](auto&&... args) -> cudaError_t {        \
    return ::fn(std::forward<decltype(args)>(args)...);                               \
  }};
CTXSHARE_RUNTIME_FUNCTIONS(CTXSHARE_DECLARE_RUNTIME_FUNCTION)
#undef CTXSHARE_DECLARE_RUNTIME_FUNCTION

}  // namespace ctxshare
