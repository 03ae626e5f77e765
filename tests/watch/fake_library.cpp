// A stand-in for a CUDA library with its own runtime instance (cuBLAS, cuRAND, cuSPARSE link their
// own libcudart): built as libcublas_watchprobe.so, so the interposer's dladdr of its calls names a
// CUDA library. Its calls go the runtime's way, through a cuGetProcAddress resolved through
// cuGetProcAddress, from code inside this object.
#include <cuda.h>
#include <cudaTypedefs.h>

#include <cstdlib>

namespace {
template <class Fn>
Fn library_runtime_entry(const char* name) {
  static PFN_cuGetProcAddress_v12000 resolver = [] {
    void* p = nullptr;
    CUdriverProcAddressQueryResult status{};
    cuGetProcAddress("cuGetProcAddress", &p, 12000, CU_GET_PROC_ADDRESS_DEFAULT, &status);
    return reinterpret_cast<PFN_cuGetProcAddress_v12000>(p);
  }();
  void* p = nullptr;
  CUdriverProcAddressQueryResult status{};
  if (resolver != nullptr) resolver(name, &p, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &status);
  return reinterpret_cast<Fn>(p);
}
}  // namespace

extern "C" [[gnu::visibility("default")]] CUresult fakelib_retain(CUcontext* ctx, CUdevice d) {
  return library_runtime_entry<CUresult (*)(CUcontext*, CUdevice)>("cuDevicePrimaryCtxRetain")(ctx, d);
}
extern "C" [[gnu::visibility("default")]] CUresult fakelib_release(CUdevice d) {
  return library_runtime_entry<CUresult (*)(CUdevice)>("cuDevicePrimaryCtxRelease")(d);
}
extern "C" [[gnu::visibility("default")]] CUresult fakelib_event_create(CUevent* e) {
  return library_runtime_entry<CUresult (*)(CUevent*, unsigned)>("cuEventCreate")(e, 0);
}
extern "C" [[gnu::visibility("default")]] CUresult fakelib_event_destroy(CUevent e) {
  return library_runtime_entry<CUresult (*)(CUevent)>("cuEventDestroy")(e);
}

// The library's own teardown at exit, registered by the library (its __dso_handle): its runtime
// instance destroys what it made, then releases its retain of the primary.
namespace {
CUevent g_library_event = nullptr;
CUresult g_teardown_result = CUDA_SUCCESS;
void library_teardown() {
  fakelib_event_destroy(g_library_event);
  g_teardown_result = fakelib_release(0);  // not a tail call: the release's caller is this object
}
}  // namespace
extern "C" [[gnu::visibility("default")]] void fakelib_start_with_teardown_at_exit() {
  CUcontext primary = nullptr;
  fakelib_retain(&primary, 0);
  fakelib_event_create(&g_library_event);
  std::atexit(library_teardown);
}

// A library call on a thread: the library makes its handle's context current, or launches its kernel.
namespace {
CUresult g_last_result = CUDA_SUCCESS;
}
extern "C" [[gnu::visibility("default")]] CUresult fakelib_set_current(CUcontext ctx) {
  g_last_result = library_runtime_entry<CUresult (*)(CUcontext)>("cuCtxSetCurrent")(ctx);
  return g_last_result;  // not a tail call: the caller is this object
}
extern "C" [[gnu::visibility("default")]] CUresult fakelib_launch(CUfunction f) {
  using Launch = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream,
                              void**, void**);
  g_last_result = library_runtime_entry<Launch>("cuLaunchKernel")(f, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);
  return g_last_result;
}

// A library's handle, as cuRAND makes one: found by the probe through dlsym (as the suite and ctypes find
// cuRAND's), so that the preloaded library_handles.cpp wraps it. Nothing of the driver is touched.
namespace {
int g_generators_destroyed = 0;
}
extern "C" [[gnu::visibility("default")]] int curandCreateGenerator(void** generator, int) {
  *generator = new int(0);
  return 0;
}
extern "C" [[gnu::visibility("default")]] int curandDestroyGenerator(void* generator) {
  delete static_cast<int*>(generator);
  ++g_generators_destroyed;
  return 0;
}
extern "C" [[gnu::visibility("default")]] int fakelib_generators_destroyed() { return g_generators_destroyed; }

// cuBLAS's handle, and cuSOLVER's, which makes a cuBLAS handle of its own inside cusolverDnCreate, as
// cuSOLVER does: through a call the dynamic linker binds.
extern "C" [[gnu::visibility("default")]] int cublasCreate_v2(void** handle) {
  *handle = new int(1);
  return 0;
}
extern "C" [[gnu::visibility("default")]] int cublasDestroy_v2(void* handle) {
  delete static_cast<int*>(handle);
  return 0;
}
extern "C" [[gnu::visibility("default")]] int cusolverDnCreate(void** handle) {
  void* blas = nullptr;
  if (int status = cublasCreate_v2(&blas); status != 0) return status;
  *handle = blas;  // the fake's cuSOLVER handle is its cuBLAS handle
  return 0;
}
extern "C" [[gnu::visibility("default")]] int cusolverDnDestroy(void* handle) { return cublasDestroy_v2(handle); }
