// Runtime-based libraries (cuBLAS, NVRTC), loaded at run time like the driver so that every binary
// starts where they are missing; a case that needs one declares it and is skipped there. Their
// calls are traced like cu* and cuda* calls.
#pragma once

#include <cublas_v2.h>
#include <nvrtc.h>

#include <string>

#include "harness/cuda/trace.h"

namespace ctxshare {

// Why the named library ("cublas", "nvrtc") cannot be used here, or empty when it can.
std::string library_problem(const std::string& name);

// The library's symbol, loading the library on first use; null when either is missing.
void* library_symbol(const char* library, const char* symbol);

const char* status_name(cublasStatus_t s);
const char* status_name(nvrtcResult r);

template <class Fn>
class LibraryFunction;

template <class R, class... Args>
class LibraryFunction<R (*)(Args...)> {
 public:
  constexpr LibraryFunction(const char* library, const char* symbol) : library_(library), symbol_(symbol) {}
  R operator()(Args... args) const {
    trace::Call call(trace::Api::library, symbol_);
    auto fn = reinterpret_cast<R (*)(Args...)>(library_symbol(library_, symbol_));
    if (fn == nullptr) {
      call.finish(-1, "not loaded");
      return static_cast<R>(-1);
    }
    const R r = fn(args...);
    call.finish(static_cast<int>(r), status_name(r));
    return r;
  }

 private:
  const char* library_;
  const char* symbol_;
};

#define CTXSHARE_STRINGIFY_EXPANDED(x) CTXSHARE_STRINGIFY(x)
#define CTXSHARE_STRINGIFY(x) #x
#define CTXSHARE_LIBRARY_FUNCTION(library, fn) \
  inline constexpr LibraryFunction<decltype(&::fn)> fn{library, CTXSHARE_STRINGIFY_EXPANDED(fn)};

CTXSHARE_LIBRARY_FUNCTION("cublas", cublasCreate)
CTXSHARE_LIBRARY_FUNCTION("cublas", cublasDestroy)
CTXSHARE_LIBRARY_FUNCTION("cublas", cublasSetStream)
CTXSHARE_LIBRARY_FUNCTION("cublas", cublasGetStream)
CTXSHARE_LIBRARY_FUNCTION("cublas", cublasSgemm)
CTXSHARE_LIBRARY_FUNCTION("cublas", cublasSaxpy)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcCreateProgram)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcCompileProgram)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcDestroyProgram)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetCUBINSize)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetCUBIN)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetPTXSize)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetPTX)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetProgramLogSize)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetProgramLog)

}  // namespace ctxshare
