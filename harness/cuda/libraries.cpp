#include "harness/cuda/libraries.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <map>
#include <mutex>

namespace ctxshare {
namespace {

struct Loaded {
  void* handle = nullptr;
  std::string problem;
};

// The soname of the toolkit this was built with: a library of another major version has another ABI.
std::string soname(const std::string& name) {
  const std::string major = std::to_string(CUDART_VERSION / 1000);
  if (name == "cublas") return "libcublas.so." + major;
  if (name == "nvrtc") return "libnvrtc.so." + major;
  // The others carry versions of their own, which their headers name.
#if CTXSHARE_HAS_CUFFT
  if (name == "cufft") return "libcufft.so." + std::to_string(CUFFT_VER_MAJOR);
#endif
#if CTXSHARE_HAS_CURAND
  if (name == "curand") return "libcurand.so." + std::to_string(CURAND_VER_MAJOR);
#endif
#if CTXSHARE_HAS_CUSPARSE
  if (name == "cusparse") return "libcusparse.so." + std::to_string(CUSPARSE_VER_MAJOR);
#endif
#if CTXSHARE_HAS_CUSOLVER
  if (name == "cusolver") return "libcusolver.so." + std::to_string(CUSOLVER_VER_MAJOR);
#endif
#if CTXSHARE_HAS_NVJITLINK
  if (name == "nvjitlink") return "libnvJitLink.so." + major;
#endif
  return {};
}

// A library this build knows of but has no header of.
const char* header_missing(const std::string& name) {
  if (name == "cufft" && !CTXSHARE_HAS_CUFFT) return "cufft.h";
  if (name == "curand" && !CTXSHARE_HAS_CURAND) return "curand.h";
  if (name == "cusparse" && !CTXSHARE_HAS_CUSPARSE) return "cusparse.h";
  if (name == "cusolver" && !CTXSHARE_HAS_CUSOLVER) return "cusolverDn.h";
  if (name == "nvjitlink" && !CTXSHARE_HAS_NVJITLINK) return "nvJitLink.h";
  return nullptr;
}

const Loaded& load(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, Loaded> loaded;
  std::lock_guard lock(mutex);
  auto [it, inserted] = loaded.try_emplace(name);
  if (!inserted) return it->second;
  const std::string file = soname(name);
  if (const char* header = header_missing(name)) {
    it->second.problem = std::string("built without ") + header;
    return it->second;
  }
  if (file.empty()) {
    it->second.problem = "unknown library '" + name + "'";
    return it->second;
  }
  it->second.handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (it->second.handle == nullptr) {
    const char* why = dlerror();
    it->second.problem = "needs " + name + ": " + (why != nullptr ? why : file);
  }
  return it->second;
}

}  // namespace

std::string library_problem(const std::string& name) { return load(name).problem; }

void* library_symbol(const char* library, const char* symbol) {
  const Loaded lib = load(library);  // a copy: the map entry outlives it, but gcc 13 cannot tell
  return lib.handle == nullptr ? nullptr : dlsym(lib.handle, symbol);
}

const char* status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "cublasStatus_t(?)";
}

const char* status_name(nvrtcResult r) {
  using GetErrorString = const char* (*)(nvrtcResult);
  auto fn = reinterpret_cast<GetErrorString>(library_symbol("nvrtc", "nvrtcGetErrorString"));
  return fn != nullptr ? fn(r) : "nvrtcResult(?)";
}

namespace {
// A status by its number where no name is known: the library's header has the list.
std::string numbered_status(const char* type, int code) { return std::string(type) + "(" + std::to_string(code) + ")"; }
}  // namespace

#if CTXSHARE_HAS_CUFFT
std::string status_name(cufftResult r) {
  switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    default: return numbered_status("cufftResult", static_cast<int>(r));
  }
}
#endif

#if CTXSHARE_HAS_CURAND
std::string status_name(curandStatus_t s) {
  switch (s) {
    case CURAND_STATUS_SUCCESS: return "CURAND_STATUS_SUCCESS";
    case CURAND_STATUS_NOT_INITIALIZED: return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED: return "CURAND_STATUS_ALLOCATION_FAILED";
    case CURAND_STATUS_TYPE_ERROR: return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_PREEXISTING_FAILURE: return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED: return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_LAUNCH_FAILURE: return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_INTERNAL_ERROR: return "CURAND_STATUS_INTERNAL_ERROR";
    default: return numbered_status("curandStatus_t", static_cast<int>(s));
  }
}
#endif

#if CTXSHARE_HAS_CUSPARSE
std::string status_name(cusparseStatus_t s) {
  using GetErrorName = const char* (*)(cusparseStatus_t);
  auto fn = reinterpret_cast<GetErrorName>(library_symbol("cusparse", "cusparseGetErrorName"));
  return fn != nullptr ? fn(s) : numbered_status("cusparseStatus_t", static_cast<int>(s));
}
#endif

#if CTXSHARE_HAS_CUSOLVER
std::string status_name(cusolverStatus_t s) {
  switch (s) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    default: return numbered_status("cusolverStatus_t", static_cast<int>(s));
  }
}
#endif

#if CTXSHARE_HAS_NVJITLINK
std::string status_name(nvJitLinkResult r) {
  switch (r) {
    case NVJITLINK_SUCCESS: return "NVJITLINK_SUCCESS";
    case NVJITLINK_ERROR_UNRECOGNIZED_OPTION: return "NVJITLINK_ERROR_UNRECOGNIZED_OPTION";
    case NVJITLINK_ERROR_MISSING_ARCH: return "NVJITLINK_ERROR_MISSING_ARCH";
    case NVJITLINK_ERROR_INVALID_INPUT: return "NVJITLINK_ERROR_INVALID_INPUT";
    case NVJITLINK_ERROR_PTX_COMPILE: return "NVJITLINK_ERROR_PTX_COMPILE";
    case NVJITLINK_ERROR_NVVM_COMPILE: return "NVJITLINK_ERROR_NVVM_COMPILE";
    case NVJITLINK_ERROR_INTERNAL: return "NVJITLINK_ERROR_INTERNAL";
    default: return numbered_status("nvJitLinkResult", static_cast<int>(r));
  }
}
#endif

}  // namespace ctxshare
