#include "harness/cuda/driver_api.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>

namespace ctxshare {

MarkCaseCall g_mark_case_call = nullptr;

namespace {

using GetProcAddress = CUresult(CUDAAPI*)(const char*, void**, int, cuuint64_t,
                                           CUdriverProcAddressQueryResult*);
using GetErrorName = CUresult(CUDAAPI*)(CUresult, const char**);

GetErrorName g_error_name = nullptr;
GetProcAddress g_get_proc = nullptr;

// cuGetProcAddress wants the name without its ABI suffix: the version picks the ABI.
constexpr cuuint64_t kStreamFlavour =
#ifdef CUDA_API_PER_THREAD_DEFAULT_STREAM
    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
#else
    CU_GET_PROC_ADDRESS_LEGACY_STREAM;
#endif

std::string real_path_of(void* handle) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr || map->l_name == nullptr) return {};
  char resolved[4096];
  if (realpath(map->l_name, resolved) == nullptr) return map->l_name;
  return resolved;
}

DriverInfo load() {
  DriverInfo info;
  const char* override_name = std::getenv("CTXSHARE_LIBCUDA");
  const char* name = override_name != nullptr && *override_name != '\0' ? override_name : "libcuda.so.1";
  void* handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    info.problem = std::string("no driver: ") + (why != nullptr ? why : name);
    return info;
  }
  info.path = real_path_of(handle);
  auto get_proc = reinterpret_cast<GetProcAddress>(dlsym(handle, "cuGetProcAddress_v2"));
  if (get_proc == nullptr) {
    info.problem = "driver too old: " + info.path + " has no cuGetProcAddress_v2 (CUDA 12.0)";
    return info;
  }
  g_error_name = reinterpret_cast<GetErrorName>(dlsym(handle, "cuGetErrorName"));
  g_get_proc = get_proc;
  g_mark_case_call = reinterpret_cast<MarkCaseCall>(dlsym(handle, "ctxshare_mutate_case_call"));
  info.loaded = true;

  auto resolve = [&](auto& function) {
    auto query = [&](int version) {
      void* p = nullptr;
      CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
      return get_proc(function.name(), &p, version, kStreamFlavour, &found) == CUDA_SUCCESS &&
                     found == CU_GET_PROC_ADDRESS_SUCCESS
                 ? p
                 : nullptr;
    };
    void* p = query(function.abi_version());
    // The per-thread-stream variants (_ptds, _ptsz) came with CUDA 7.0, with the signatures of then:
    // under that flavour an older ABI version finds nothing, and 7000 finds the same signature.
    if (p == nullptr && kStreamFlavour == CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM && function.abi_version() < 7000)
      p = query(7000);
    if (p != nullptr) function.resolve(p);
    else info.unresolved.push_back(function.name());
  };
#define CTXSHARE_RESOLVE(fn, version) resolve(fn);
  CTXSHARE_DRIVER_FUNCTIONS(CTXSHARE_RESOLVE)
#undef CTXSHARE_RESOLVE

  trace::Harness by_harness;
  if (!cuDriverGetVersion.available() || !cuInit.available()) {
    info.problem = "driver at " + info.path + " lacks cuInit or cuDriverGetVersion";
    return info;
  }
  cuDriverGetVersion(&info.version);
  info.init_result = cuInit(0);
  if (info.init_result != CUDA_SUCCESS) {
    info.problem = "cuInit(0) returned " + driver_error_name(info.init_result) + " (driver " + info.path + ")";
    return info;
  }
  info.initialized = true;
  if (cuDeviceGetCount(&info.device_count) != CUDA_SUCCESS) info.device_count = 0;
  return info;
}

}  // namespace

const DriverInfo& load_driver() {
  static const DriverInfo info = load();
  return info;
}

GetProcAddressFn driver_get_proc_address() { return g_get_proc; }

std::string driver_error_name(CUresult r) {
  const char* name = nullptr;
  if (g_error_name != nullptr && g_error_name(r, &name) == CUDA_SUCCESS && name != nullptr) return name;
  // Without a driver there is no cuGetErrorName; the results a harness without one can meet.
  switch (r) {
#define CTXSHARE_NAME(code) \
  case code: return #code;
    CTXSHARE_NAME(CUDA_SUCCESS) CTXSHARE_NAME(CUDA_ERROR_INVALID_VALUE) CTXSHARE_NAME(CUDA_ERROR_NOT_INITIALIZED)
    CTXSHARE_NAME(CUDA_ERROR_NO_DEVICE) CTXSHARE_NAME(CUDA_ERROR_INVALID_DEVICE) CTXSHARE_NAME(CUDA_ERROR_INVALID_CONTEXT)
    CTXSHARE_NAME(CUDA_ERROR_NOT_FOUND) CTXSHARE_NAME(CUDA_ERROR_NOT_READY) CTXSHARE_NAME(CUDA_ERROR_STUB_LIBRARY)
    CTXSHARE_NAME(CUDA_ERROR_NOT_SUPPORTED) CTXSHARE_NAME(CUDA_ERROR_UNKNOWN)
#undef CTXSHARE_NAME
    default: return "CUresult(" + std::to_string(static_cast<int>(r)) + ")";
  }
}

}  // namespace ctxshare
