// Runtime-based libraries (cuBLAS, NVRTC, cuFFT, cuRAND, cuSPARSE, cuSOLVER, nvJitLink), loaded at
// run time like the driver so that every binary starts where they are missing; a case that needs
// one declares it and is skipped there. Their calls are traced like cu* and cuda* calls.
// cuBLAS and NVRTC are in every build; the CUDA 12 wheel builds (.ci/install-cuda12) have no header
// of the others, so each is taken only where the build has it (CTXSHARE_HAS_CUFFT, ...): a build
// without it skips the cases that need it, with that reason (library_problem). The build says which
// headers its own toolkit has (CTXSHARE_TOOLKIT_HAS_*), since another toolkit's may be on the include
// path (/usr/local/include); a reproducer built without those macros looks for the header itself.
#pragma once

#include <cublas_v2.h>
#include <nvrtc.h>

#if defined(CTXSHARE_TOOLKIT_HAS_CUFFT)
#define CTXSHARE_HAS_CUFFT CTXSHARE_TOOLKIT_HAS_CUFFT
#elif __has_include(<cufft.h>)
#define CTXSHARE_HAS_CUFFT 1
#else
#define CTXSHARE_HAS_CUFFT 0
#endif
#if CTXSHARE_HAS_CUFFT
#include <cufft.h>
#endif
#if defined(CTXSHARE_TOOLKIT_HAS_CURAND)
#define CTXSHARE_HAS_CURAND CTXSHARE_TOOLKIT_HAS_CURAND
#elif __has_include(<curand.h>)
#define CTXSHARE_HAS_CURAND 1
#else
#define CTXSHARE_HAS_CURAND 0
#endif
#if CTXSHARE_HAS_CURAND
#include <curand.h>
#endif
#if defined(CTXSHARE_TOOLKIT_HAS_CUSPARSE)
#define CTXSHARE_HAS_CUSPARSE CTXSHARE_TOOLKIT_HAS_CUSPARSE
#elif __has_include(<cusparse.h>)
#define CTXSHARE_HAS_CUSPARSE 1
#else
#define CTXSHARE_HAS_CUSPARSE 0
#endif
#if CTXSHARE_HAS_CUSPARSE
#include <cusparse.h>
#endif
#if defined(CTXSHARE_TOOLKIT_HAS_CUSOLVER)
#define CTXSHARE_HAS_CUSOLVER CTXSHARE_TOOLKIT_HAS_CUSOLVER
#elif __has_include(<cusolverDn.h>)
#define CTXSHARE_HAS_CUSOLVER 1
#else
#define CTXSHARE_HAS_CUSOLVER 0
#endif
#if CTXSHARE_HAS_CUSOLVER
#include <cusolverDn.h>
#endif
#if defined(CTXSHARE_TOOLKIT_HAS_NVJITLINK)
#define CTXSHARE_HAS_NVJITLINK CTXSHARE_TOOLKIT_HAS_NVJITLINK
#elif __has_include(<nvJitLink.h>)
#define CTXSHARE_HAS_NVJITLINK 1
#else
#define CTXSHARE_HAS_NVJITLINK 0
#endif
#if CTXSHARE_HAS_NVJITLINK
#include <nvJitLink.h>
#endif

#include <string>

#include "harness/cuda/trace.h"

namespace ctxshare {

// Why the named library ("cublas", "nvrtc", "cufft", "curand", "cusparse", "cusolver", "nvjitlink")
// cannot be used here, or empty when it can.
std::string library_problem(const std::string& name);

// The library's symbol, loading the library on first use; null when either is missing.
void* library_symbol(const char* library, const char* symbol);

const char* status_name(cublasStatus_t s);
const char* status_name(nvrtcResult r);
#if CTXSHARE_HAS_CUFFT
std::string status_name(cufftResult r);
#endif
#if CTXSHARE_HAS_CURAND
std::string status_name(curandStatus_t s);
#endif
#if CTXSHARE_HAS_CUSPARSE
std::string status_name(cusparseStatus_t s);
#endif
#if CTXSHARE_HAS_CUSOLVER
std::string status_name(cusolverStatus_t s);
#endif
#if CTXSHARE_HAS_NVJITLINK
std::string status_name(nvJitLinkResult r);
#endif

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
    call.finish(static_cast<int>(r), std::string(status_name(r)));
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
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetLTOIRSize)
CTXSHARE_LIBRARY_FUNCTION("nvrtc", nvrtcGetLTOIR)
#if CTXSHARE_HAS_CUFFT
CTXSHARE_LIBRARY_FUNCTION("cufft", cufftPlan1d)
CTXSHARE_LIBRARY_FUNCTION("cufft", cufftSetStream)
CTXSHARE_LIBRARY_FUNCTION("cufft", cufftExecC2C)
CTXSHARE_LIBRARY_FUNCTION("cufft", cufftDestroy)
#endif
#if CTXSHARE_HAS_CURAND
CTXSHARE_LIBRARY_FUNCTION("curand", curandCreateGenerator)
CTXSHARE_LIBRARY_FUNCTION("curand", curandCreateGeneratorHost)
CTXSHARE_LIBRARY_FUNCTION("curand", curandSetPseudoRandomGeneratorSeed)
CTXSHARE_LIBRARY_FUNCTION("curand", curandSetStream)
CTXSHARE_LIBRARY_FUNCTION("curand", curandGenerate)
CTXSHARE_LIBRARY_FUNCTION("curand", curandDestroyGenerator)
#endif
#if CTXSHARE_HAS_CUSPARSE
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseCreate)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseDestroy)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseSetStream)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseCreateSpVec)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseDestroySpVec)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseCreateDnVec)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseDestroyDnVec)
CTXSHARE_LIBRARY_FUNCTION("cusparse", cusparseGather)
#endif
#if CTXSHARE_HAS_CUSOLVER
CTXSHARE_LIBRARY_FUNCTION("cusolver", cusolverDnCreate)
CTXSHARE_LIBRARY_FUNCTION("cusolver", cusolverDnDestroy)
CTXSHARE_LIBRARY_FUNCTION("cusolver", cusolverDnSetStream)
CTXSHARE_LIBRARY_FUNCTION("cusolver", cusolverDnSpotrf_bufferSize)
CTXSHARE_LIBRARY_FUNCTION("cusolver", cusolverDnSpotrf)
#endif
#if CTXSHARE_HAS_NVJITLINK
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkCreate)
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkAddData)
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkComplete)
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkGetLinkedCubinSize)
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkGetLinkedCubin)
CTXSHARE_LIBRARY_FUNCTION("nvjitlink", nvJitLinkDestroy)
#endif

}  // namespace ctxshare
