// Case's hand-over functions: what a case gives the harness to validate and release (resources.h).
#include "harness/case/case.h"

#include <algorithm>

namespace ctxshare {

void Case::own(Resource r) {
  trace::Harness by_harness;
  cuCtxGetCurrent(&r.ctx);
  if (r.ctx != nullptr) cuCtxGetDevice(&r.device);
  resources_.push_back(std::move(r));
}

void Case::own_context(CUcontext ctx) {
  Resource r{Resource::context, Owner::driver, ctx};
  trace::Harness by_harness;
  CU(cuCtxPushCurrent(ctx));
  CU(cuCtxGetDevice(&r.device));
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  r.ctx = ctx;
  resources_.push_back(r);
  name_context(ctx, "created context " + std::to_string(resources_.size()));
}

void Case::own_primary(CUdevice dev) {
  Resource r{Resource::primary, Owner::driver, nullptr};
  r.device = dev;
  resources_.push_back(r);
}

void Case::own_stream(CUstream s, Owner o) { own({Resource::stream, o, s}); }
void Case::own_event(CUevent e, Owner o) { own({Resource::event, o, e}); }
void Case::own_device_memory(CUdeviceptr p, std::size_t bytes, Owner o) {
  own_device_memory(reinterpret_cast<void*>(p), bytes, o);
}
void Case::own_device_memory(void* p, std::size_t bytes, Owner o) {
  Resource r{Resource::device_memory, o, p};
  r.bytes = bytes;
  own(r);
}
void Case::own_device_memory_reported_in(void* p, std::size_t bytes, Owner o, CUcontext reported) {
  Resource r{Resource::device_memory, o, p};
  r.bytes = bytes;
  r.reported_elsewhere = true;
  r.reported = reported;
  own(std::move(r));
}
void Case::own_host_memory(void* p, Owner o) { own({Resource::host_memory, o, p}); }
void Case::own_module(CUmodule m) { own({Resource::module, Owner::driver, m}); }
void Case::own_library(CUlibrary l) { own({Resource::library, Owner::driver, l}); }

void Case::defer(std::string what, std::function<CUresult()> release) {
  Resource r{Resource::deferred, Owner::driver, nullptr};
  r.what = std::move(what);
  r.release = std::move(release);
  own(std::move(r));
}

// A runtime release is judged by its own error: a failure names the cudaError_t it returned.
void Case::defer(std::string what, std::function<cudaError_t()> release) {
  defer(std::move(what), [what, release]() -> CUresult {
    const cudaError_t r = release();
    if (r != cudaSuccess)
      record_finding(FindingKind::cleanup_failed, "releasing " + what + " failed", {{"result", describe(r)}}, nullptr, 0);
    return CUDA_SUCCESS;
  });
}

void Case::forget(const void* handle) {
  auto it = std::find_if(resources_.rbegin(), resources_.rend(), [&](const Resource& r) { return r.handle == handle; });
  if (it != resources_.rend()) resources_.erase(std::next(it).base());
}

}  // namespace ctxshare
