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
  return {};
}

const Loaded& load(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, Loaded> loaded;
  std::lock_guard lock(mutex);
  auto [it, inserted] = loaded.try_emplace(name);
  if (!inserted) return it->second;
  const std::string file = soname(name);
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

}  // namespace ctxshare
