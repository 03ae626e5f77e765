#include "harness/case/resources.h"

#include <cstdint>

#include "harness/case/checks.h"
#include "harness/case/ledger.h"
#include "harness/cuda/driver_api.h"
#include "harness/cuda/runtime_api.h"

namespace ctxshare {
namespace {

bool driver_query_ok(CUresult r) { return r == CUDA_SUCCESS || r == CUDA_ERROR_NOT_READY; }
bool runtime_query_ok(cudaError_t r) { return r == cudaSuccess || r == cudaErrorNotReady; }

// Makes a context current for a harness step and restores the thread's stack after it.
class Pushed {
 public:
  explicit Pushed(CUcontext ctx) : ok_(ctx == nullptr || cuCtxPushCurrent(ctx) == CUDA_SUCCESS), ctx_(ctx) {}
  ~Pushed() {
    CUcontext popped = nullptr;
    if (ok_ && ctx_ != nullptr) cuCtxPopCurrent(&popped);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_;
  CUcontext ctx_;
};

bool check(bool ok, FindingKind kind, const std::string& what, Value evidence) {
  count_check();
  if (!ok) record_finding(kind, what, std::move(evidence), nullptr, 0);
  return ok;
}

CUcontext context_of(const Resource& r) { return static_cast<CUcontext>(const_cast<void*>(r.handle)); }

bool validate_context(const Resource& r, const std::string& at) {
  Pushed inside(context_of(r));
  if (!inside.ok()) return check(false, FindingKind::handle_invalidated, "created context " + hex(r.handle) + " cannot be pushed" + at, nullptr);
  CUdevice dev = -1;
  int rt_dev = -1;
  const CUresult dr = cuCtxGetDevice(&dev);
  const cudaError_t rr = cudaGetDevice(&rt_dev);
  if (dr != CUDA_SUCCESS || rr != cudaSuccess)
    return check(false, FindingKind::handle_invalidated, "created context " + hex(r.handle) + " not usable through both APIs" + at,
                 {{"cuCtxGetDevice", describe(dr)}, {"cudaGetDevice", describe(rr)}});
  return check(dev == r.device && rt_dev == r.device, FindingKind::wrong_device,
               "created context " + hex(r.handle) + " reports another device" + at,
               {{"expected", r.device}, {"cuCtxGetDevice", dev}, {"cudaGetDevice", rt_dev}});
}

bool validate_primary(const Resource& r, const std::string& at) {
  PrimaryState s;
  cuDevicePrimaryCtxGetState(r.device, &s.flags, &s.active);
  return check(s.active == 1, FindingKind::handle_invalidated,
               "retained primary context of device " + std::to_string(r.device) + " is inactive" + at,
               {{"flags", s.flags}, {"active", s.active}});
}

bool validate_stream(const Resource& r, const std::string& at) {
  auto s = static_cast<CUstream>(const_cast<void*>(r.handle));
  const CUresult dq = cuStreamQuery(s);
  const cudaError_t rq = cudaStreamQuery(s);
  CUcontext sctx = nullptr;
  const CUresult dc = cuStreamGetCtx(s, &sctx);
  if (!driver_query_ok(dq) || !runtime_query_ok(rq) || dc != CUDA_SUCCESS)
    return check(false, FindingKind::handle_invalidated, "stream " + hex(s) + " not usable through both APIs" + at,
                 {{"cuStreamQuery", describe(dq)}, {"cudaStreamQuery", describe(rq)}, {"cuStreamGetCtx", describe(dc)}});
  return check(sctx == r.ctx, FindingKind::wrong_context, "stream " + hex(s) + " reports another context" + at,
               {{"expected", hex(r.ctx)}, {"observed", hex(sctx)}});
}

bool validate_event(const Resource& r, const std::string& at) {
  auto e = static_cast<CUevent>(const_cast<void*>(r.handle));
  const CUresult dq = cuEventQuery(e);
  const cudaError_t rq = cudaEventQuery(e);
  return check(driver_query_ok(dq) && runtime_query_ok(rq), FindingKind::handle_invalidated,
               "event " + hex(e) + " not usable through both APIs" + at,
               {{"cuEventQuery", describe(dq)}, {"cudaEventQuery", describe(rq)}});
}

bool validate_device_memory(const Resource& r, const std::string& at) {
  const auto ptr = reinterpret_cast<CUdeviceptr>(r.handle);
  CUcontext owner = nullptr;
  const CUresult da = cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, ptr);
  // Two different fillers: a read that reported success without copying shows as a mismatch.
  std::uint32_t by_driver = 0xa5a5a5a5u, by_runtime = 0x5a5a5a5au;
  const CUresult dr = cuMemcpyDtoH(&by_driver, ptr, sizeof by_driver);
  const cudaError_t rr = cudaMemcpy(&by_runtime, r.handle, sizeof by_runtime, cudaMemcpyDefault);
  if (da != CUDA_SUCCESS || dr != CUDA_SUCCESS || rr != cudaSuccess)
    return check(false, FindingKind::handle_invalidated, "allocation " + hex(r.handle) + " not readable through both APIs" + at,
                 {{"cuPointerGetAttribute", describe(da)}, {"cuMemcpyDtoH", describe(dr)}, {"cudaMemcpy", describe(rr)}});
  const bool same = check(by_driver == by_runtime, FindingKind::data_mismatch,
                          "allocation " + hex(r.handle) + " reads differently through the two APIs" + at,
                          {{"cuMemcpyDtoH", by_driver}, {"cudaMemcpy", by_runtime}});
  const CUcontext expected = r.reported_elsewhere ? r.reported : r.ctx;
  return check(owner == expected, FindingKind::wrong_context, "allocation " + hex(r.handle) + " reports another context" + at,
               {{"expected", hex(expected)}, {"observed", hex(owner)}}) && same;
}

bool validate_host_memory(const Resource& r, const std::string& at) {
  cudaPointerAttributes attrs{};
  const cudaError_t ra = cudaPointerGetAttributes(&attrs, r.handle);
  unsigned int type = 0;
  const CUresult da = cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, reinterpret_cast<CUdeviceptr>(r.handle));
  if (ra != cudaSuccess || da != CUDA_SUCCESS)
    return check(false, FindingKind::handle_invalidated, "pinned host memory " + hex(r.handle) + " not known to both APIs" + at,
                 {{"cudaPointerGetAttributes", describe(ra)}, {"cuPointerGetAttribute", describe(da)}});
  return check(attrs.type == cudaMemoryTypeHost && type == CU_MEMORYTYPE_HOST, FindingKind::mismatch,
               "pinned host memory " + hex(r.handle) + " is not host memory to both APIs" + at,
               {{"cudaPointerAttributes.type", static_cast<int>(attrs.type)}, {"CU_POINTER_ATTRIBUTE_MEMORY_TYPE", type}});
}

}  // namespace

bool validate(const Resource& r, std::string_view when) {
  trace::Harness by_harness;
  const std::string at = " (" + std::string(when) + ")";
  const bool is_context = r.kind == Resource::context || r.kind == Resource::primary;
  Pushed pushed(is_context ? nullptr : r.ctx);
  if (!pushed.ok())
    return check(false, FindingKind::handle_invalidated, "its context " + hex(r.ctx) + " can no longer be made current" + at, nullptr);
  switch (r.kind) {
    case Resource::context: return validate_context(r, at);
    case Resource::primary: return validate_primary(r, at);
    case Resource::stream: return validate_stream(r, at);
    case Resource::event: return validate_event(r, at);
    case Resource::device_memory: return validate_device_memory(r, at);
    case Resource::host_memory: return validate_host_memory(r, at);
    case Resource::module:
    case Resource::library:
    case Resource::deferred:
      return true;  // validated by what the case does with them
  }
  return true;
}

void release(Resource& r) {
  trace::Harness by_harness;
  auto check_released = [&](CUresult dr, cudaError_t rr, const char* what) {
    if (dr == CUDA_SUCCESS && rr == cudaSuccess) return;
    record_finding(FindingKind::cleanup_failed, std::string(what) + " " + hex(r.handle) + " failed",
                   {{"driver", describe(dr)}, {"runtime", describe(rr)}}, nullptr, 0);
  };
  const bool runtime = r.owner == Owner::runtime;
  Pushed pushed(r.kind == Resource::context || r.kind == Resource::primary ? nullptr : r.ctx);
  void* h = const_cast<void*>(r.handle);
  switch (r.kind) {
    case Resource::context: check_released(cuCtxDestroy(static_cast<CUcontext>(h)), cudaSuccess, "cuCtxDestroy"); break;
    case Resource::primary: check_released(cuDevicePrimaryCtxRelease(r.device), cudaSuccess, "cuDevicePrimaryCtxRelease"); break;
    case Resource::stream:
      runtime ? check_released(CUDA_SUCCESS, cudaStreamDestroy(static_cast<cudaStream_t>(h)), "cudaStreamDestroy")
              : check_released(cuStreamDestroy(static_cast<CUstream>(h)), cudaSuccess, "cuStreamDestroy");
      break;
    case Resource::event:
      runtime ? check_released(CUDA_SUCCESS, cudaEventDestroy(static_cast<cudaEvent_t>(h)), "cudaEventDestroy")
              : check_released(cuEventDestroy(static_cast<CUevent>(h)), cudaSuccess, "cuEventDestroy");
      break;
    case Resource::device_memory:
      runtime ? check_released(CUDA_SUCCESS, cudaFree(h), "cudaFree")
              : check_released(cuMemFree(reinterpret_cast<CUdeviceptr>(h)), cudaSuccess, "cuMemFree");
      break;
    case Resource::host_memory:
      runtime ? check_released(CUDA_SUCCESS, cudaFreeHost(h), "cudaFreeHost")
              : check_released(cuMemFreeHost(h), cudaSuccess, "cuMemFreeHost");
      break;
    case Resource::module: check_released(cuModuleUnload(static_cast<CUmodule>(h)), cudaSuccess, "cuModuleUnload"); break;
    case Resource::library: check_released(cuLibraryUnload(static_cast<CUlibrary>(h)), cudaSuccess, "cuLibraryUnload"); break;
    case Resource::deferred:
      if (const CUresult result = r.release(); result != CUDA_SUCCESS)
        record_finding(FindingKind::cleanup_failed, "releasing " + r.what + " failed", {{"result", describe(result)}}, nullptr, 0);
      break;
  }
}

}  // namespace ctxshare
