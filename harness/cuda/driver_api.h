// The CUDA driver API, loaded at run time and traced.
//
// Nothing links libcuda: every cu* function is a traced function object in namespace ctxshare,
// resolved by load_driver() through dlopen("libcuda.so.1") and cuGetProcAddress with the ABI version
// given here. Code inside namespace ctxshare (cases included) writes cuCtxCreate(...) as in NVIDIA's
// documentation; unqualified lookup finds these objects before the header's declarations, and the
// header's versioning macros (cuCtxCreate -> cuCtxCreate_v4) rename both alike.
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>

#include <cstddef>

#include <string>
#include <vector>

#include "harness/cuda/trace.h"

namespace ctxshare {

// X(function, ABI version): the version is the one whose signature the header's default name has,
// checked at compile time against cudaTypedefs.h. A driver older than that version leaves the
// function unresolved, and a case that needs it is skipped through its min_driver need.
#define CTXSHARE_DRIVER_FUNCTIONS(X)                                                              \
  X(cuInit, 2000) X(cuDriverGetVersion, 2020) X(cuDeviceGet, 2000) X(cuDeviceGetCount, 2000)     \
  X(cuDeviceGetName, 2000) X(cuDeviceGetUuid, 11040) X(cuDeviceGetAttribute, 2000)                \
  X(cuDeviceTotalMem, 3020) X(cuDeviceGetPCIBusId, 4010) X(cuDeviceCanAccessPeer, 4000)           \
  CTXSHARE_DRIVER_FUNCTIONS_OF_TOOLKIT(X) X(cuCtxDestroy, 4000) X(cuCtxPushCurrent, 4000) X(cuCtxPopCurrent, 4000)  \
  X(cuCtxSetCurrent, 4000) X(cuCtxGetCurrent, 4000) X(cuCtxGetDevice, 2000)                       \
  X(cuCtxGetFlags, 7000) X(cuCtxGetApiVersion, 3020) X(cuCtxSynchronize, 2000)                    \
  X(cuCtxGetId, 12000) X(cuCtxEnablePeerAccess, 4000) X(cuCtxDisablePeerAccess, 4000)             \
  X(cuCtxGetStreamPriorityRange, 5050) X(cuCtxGetLimit, 3010) X(cuCtxSetLimit, 3010)               \
  X(cuDevicePrimaryCtxRetain, 7000) X(cuDevicePrimaryCtxRelease, 11000)                           \
  X(cuDevicePrimaryCtxReset, 11000) X(cuDevicePrimaryCtxGetState, 7000)                           \
  X(cuDevicePrimaryCtxSetFlags, 11000)                                                            \
  X(cuMemAlloc, 3020) X(cuMemFree, 3020) X(cuMemcpyHtoD, 3020) X(cuMemcpyDtoH, 3020)              \
  X(cuMemcpy, 4000) X(cuMemcpyAsync, 4000) X(cuMemcpyHtoDAsync, 3020) X(cuMemcpyDtoHAsync, 3020)  \
  X(cuMemsetD8, 3020) X(cuMemsetD32, 3020) X(cuMemsetD32Async, 3020) X(cuMemAllocPitch, 3020)     \
  X(cuMemcpy2D, 3020) X(cuMemHostAlloc, 2020) X(cuMemAllocHost, 3020) X(cuMemFreeHost, 2000)      \
  X(cuMemHostRegister, 6050) X(cuMemHostUnregister, 4000) X(cuMemHostGetDevicePointer, 3020)      \
  X(cuMemAllocManaged, 6000) X(cuMemAllocAsync, 11020) X(cuMemFreeAsync, 11020)                   \
  X(cuMemAllocFromPoolAsync, 11020) X(cuMemPoolCreate, 11020) X(cuMemPoolDestroy, 11020)          \
  X(cuDeviceGetDefaultMemPool, 11020) X(cuDeviceGetMemPool, 11020) X(cuMemGetInfo, 3020)          \
  X(cuPointerGetAttribute, 4000) X(cuMemGetAddressRange, 3020) X(cuMemCreate, 10020)              \
  X(cuMemRelease, 10020) X(cuMemAddressReserve, 10020) X(cuMemAddressFree, 10020)                 \
  X(cuMemMap, 10020) X(cuMemUnmap, 10020) X(cuMemSetAccess, 10020)                                \
  X(cuMemGetAllocationGranularity, 10020)                                                         \
  X(cuStreamCreate, 2000) X(cuStreamCreateWithPriority, 5050) X(cuStreamDestroy, 4000)            \
  X(cuStreamQuery, 2000) X(cuStreamSynchronize, 2000) X(cuStreamGetCtx, 9020)                     \
  X(cuStreamGetFlags, 5050) X(cuStreamGetPriority, 5050) X(cuStreamWaitEvent, 3020)               \
  X(cuLaunchHostFunc, 10000) X(cuEventCreate, 2000) X(cuEventDestroy, 4000)                       \
  X(cuEventRecord, 2000) X(cuEventQuery, 2000) X(cuEventSynchronize, 2000)                        \
  X(cuEventElapsedTime, 12080) X(cuModuleLoadData, 2000) X(cuModuleUnload, 2000)                  \
  X(cuModuleGetFunction, 2000) X(cuModuleGetGlobal, 3020) X(cuModuleGetLoadingMode, 11070)        \
  X(cuLibraryLoadData, 12000) X(cuLibraryUnload, 12000) X(cuLibraryGetKernel, 12000)              \
  X(cuKernelGetFunction, 12000) X(cuLaunchKernel, 4000) X(cuFuncGetAttribute, 2020)               \
  X(cuFuncGetName, 12030) X(cuStreamBeginCapture, 10010) X(cuStreamEndCapture, 10000)             \
  X(cuStreamIsCapturing, 10000) X(cuGraphCreate, 10000) X(cuGraphDestroy, 10000)                  \
  X(cuGraphInstantiateWithFlags, 11040) X(cuGraphLaunch, 10000) X(cuGraphExecDestroy, 10000)      \
  X(cuGraphGetNodes, 10000) X(cuGraphAddKernelNode, 12000) X(cuArrayCreate, 3020)                 \
  X(cuArrayDestroy, 2000) X(cuDeviceGetDevResource, 12040) X(cuDevSmResourceSplitByCount, 12040)  \
  X(cuDevResourceGenerateDesc, 12040) X(cuGreenCtxCreate, 12040) X(cuCtxFromGreenCtx, 12040)      \
  X(cuGreenCtxDestroy, 12040) X(cuGreenCtxGetDevResource, 12040) X(cuCtxGetDevResource, 12040)      \
  X(cuTexObjectCreate, 5000) X(cuTexObjectDestroy, 5000) X(cuSurfObjectCreate, 5000)               \
  X(cuSurfObjectDestroy, 5000) X(cuMemcpyDtoD, 3020) X(cuMemcpyDtoDAsync, 3020)                    \
  X(cuMemsetD8Async, 3020) X(cuArrayGetDescriptor, 3020) X(cuStreamGetId, 12000)                   \
  X(cuMemPoolGetAttribute, 11020) X(cuGraphExecUpdate, 12000)                                   \
  X(cuIpcGetMemHandle, 4010) X(cuIpcOpenMemHandle, 11000) X(cuIpcCloseMemHandle, 4010)           \
  X(cuIpcGetEventHandle, 4010) X(cuIpcOpenEventHandle, 4010)                                     \
  X(cuMemExportToShareableHandle, 10020) X(cuMemImportFromShareableHandle, 10020)

// The functions whose default signature changed with CUDA 13: a build calls the ones its toolkit's
// header names, as a program built with that toolkit does.
#if CUDA_VERSION >= 13000
#define CTXSHARE_DRIVER_FUNCTIONS_OF_TOOLKIT(X) X(cuCtxCreate, 12050) X(cuStreamGetCaptureInfo, 12030)
#else
#define CTXSHARE_DRIVER_FUNCTIONS_OF_TOOLKIT(X) X(cuCtxCreate, 3020) X(cuStreamGetCaptureInfo, 11030)
#endif

// The driver's name for a result ("CUDA_ERROR_INVALID_CONTEXT"), without tracing.
std::string driver_error_name(CUresult r);

inline CUresult finish_driver_call(trace::Call& call, CUresult r, const char* note = nullptr) {
  call.finish(static_cast<int>(r), driver_error_name(r), note);
  return r;
}

// Under `ctxshare mutate` (docs/mutation.md) the driver is mutate/'s, which exports
// ctxshare_mutate_case_call: the case's own driver calls are marked through it, so that a fault can
// name a call the case made rather than one the runtime or the harness made. Null under any other driver.
using MarkCaseCall = void (*)(int);
extern MarkCaseCall g_mark_case_call;

class CaseCallMark {
 public:
  CaseCallMark() : marked_(g_mark_case_call != nullptr && !trace::Harness::active()) {
    if (marked_) g_mark_case_call(1);
  }
  ~CaseCallMark() {
    if (marked_) g_mark_case_call(0);
  }
  CaseCallMark(const CaseCallMark&) = delete;
  CaseCallMark& operator=(const CaseCallMark&) = delete;

 private:
  bool marked_;
};

// A traced driver function: calls the resolved entry point and records the call in the trace.
template <class Fn>
class DriverFunction;

template <class... Args>
class DriverFunction<CUresult(CUDAAPI*)(Args...)> {
 public:
  using Pointer = CUresult(CUDAAPI*)(Args...);
  constexpr DriverFunction(const char* name, int abi_version) : name_(name), abi_(abi_version) {}

  CUresult operator()(Args... args) const {
    trace::Call call(trace::Api::driver, name_);
    if (pointer_ == nullptr) return finish_driver_call(call, CUDA_ERROR_NOT_FOUND, "not resolved");
    const CUresult r = [&] {
      CaseCallMark mark;
      return pointer_(args...);
    }();
    return finish_driver_call(call, r);
  }

  const char* name() const { return name_; }
  int abi_version() const { return abi_; }
  bool available() const { return pointer_ != nullptr; }
  // For the loader, and for cases that deliberately compare entry points.
  Pointer raw() const { return pointer_; }
  void resolve(void* p) { pointer_ = reinterpret_cast<Pointer>(p); }

 private:
  const char* name_;
  int abi_;
  Pointer pointer_ = nullptr;
};

// Cases create contexts as CUDA 13 documents it, cuCtxCreate(&ctx, nullptr, flags, dev). A CUDA 12
// header names cuCtxCreate_v2, which has no CUctxCreateParams: there the call goes to cuCtxCreate_v2,
// what a CUDA 12 program calls, and only a null CUctxCreateParams compiles.
template <class Fn>
struct TracedDriverFunction {
  using type = DriverFunction<Fn>;
};
#if CUDA_VERSION < 13000
class CtxCreateWithoutParams : public DriverFunction<PFN_cuCtxCreate_v3020> {
 public:
  using DriverFunction::DriverFunction;
  using DriverFunction::operator();
  CUresult operator()(CUcontext* ctx, std::nullptr_t, unsigned flags, CUdevice dev) const { return (*this)(ctx, flags, dev); }
};
template <>
struct TracedDriverFunction<PFN_cuCtxCreate_v3020> {
  using type = CtxCreateWithoutParams;
};
#endif

#define CTXSHARE_DECLARE_DRIVER_FUNCTION(fn, version)                                   \
  static_assert(std::is_same_v<decltype(&::fn), PFN_##fn##_v##version>,               \
                #fn ": ABI version " #version " does not match this toolkit's header"); \
  inline TracedDriverFunction<decltype(&::fn)>::type fn{#fn, version};
CTXSHARE_DRIVER_FUNCTIONS(CTXSHARE_DECLARE_DRIVER_FUNCTION)
#undef CTXSHARE_DECLARE_DRIVER_FUNCTION

// A driver call through a pointer the case obtained itself (an older ABI, an entry point under
// test), traced like the others.
template <class Call>
CUresult traced_driver_call(const char* name, Call&& call) {
  trace::Call record(trace::Api::driver, name);
  const CUresult r = [&] {
    CaseCallMark mark;
    return call();
  }();
  return finish_driver_call(record, r);
}

// What load_driver() found; recorded in every result.
struct DriverInfo {
  bool loaded = false;       // libcuda was opened and cuGetProcAddress found
  bool initialized = false;  // cuInit(0) succeeded
  std::string path;          // real path of the library that was loaded
  int version = 0;           // cuDriverGetVersion
  CUresult init_result = CUDA_SUCCESS;
  std::string problem;       // why the driver is not usable, empty when it is
  int device_count = 0;
  std::vector<std::string> unresolved;  // functions this driver did not give at their ABI version
};

// Opens libcuda (CTXSHARE_LIBCUDA overrides the name, for tests), resolves every function above and
// calls cuInit(0). Never throws: a machine without a driver is a normal state.
const DriverInfo& load_driver();

// cuGetProcAddress itself, untraced; null without a driver.
using GetProcAddressFn = CUresult(CUDAAPI*)(const char*, void**, int, cuuint64_t, CUdriverProcAddressQueryResult*);
GetProcAddressFn driver_get_proc_address();

}  // namespace ctxshare
