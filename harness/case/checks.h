// The checks a case makes and the findings they record.
//
//   CU(cuCtxCreate(&ctx, nullptr, 0, dev));          // must succeed; else a finding, and the case stops
//   CUDA(cudaMalloc(&p, n));                          // the same for the runtime
//   EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuDevicePrimaryCtxRelease(dev));  // documented failure
#pragma once

#include <cublas_v2.h>
#include <cuda.h>
#include <driver_types.h>
#include <nvrtc.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

#include "harness/spec/events.h"
#include "harness/spec/value.h"

namespace ctxshare {

// Thrown by CU()/CUDA() after recording a finding: the rest of the case depends on that call.
struct Stop {};
// Thrown by Case::skip: this machine cannot run the case, for the reason given.
struct Skip {
  std::string reason;
};

// Values as evidence: handles and pointers in hex, results by name.
Value describe(CUresult r);
Value describe(cudaError_t r);
Value describe(cublasStatus_t s);
Value describe(nvrtcResult r);
Value describe(std::string_view s);
Value describe(const char* s);
template <class T>
Value describe(const T& v) {
  if constexpr (std::is_pointer_v<T>) {
    if (v == nullptr) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", static_cast<const void*>(v));
    return buf;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<long long>(v);
  } else {
    return v;
  }
}
std::string hex(const void* p);

void record_finding(FindingKind kind, std::string_view message, Value evidence, const char* file, int line);
// Findings recorded so far in this process, and checks made (a case that made none proves nothing).
int findings_recorded();
int checks_made();
void count_check();

CUresult require(CUresult r, const char* expr, const char* file, int line);
cudaError_t require(cudaError_t r, const char* expr, const char* file, int line);
cublasStatus_t require(cublasStatus_t s, const char* expr, const char* file, int line);
nvrtcResult require(nvrtcResult r, const char* expr, const char* file, int line);
// A library status that must be success, 0 in each (cuFFT, cuRAND, cuSPARSE, cuSOLVER, nvJitLink);
// its name comes from status_name() (harness/cuda/libraries.h).
template <class Status>
  requires std::is_enum_v<Status>
Status require_status(Status s, const std::string& name, const char* expr, const char* file, int line) {
  if (static_cast<int>(s) == 0) return s;
  record_finding(FindingKind::unexpected_error, std::string(expr) + " returned " + name,
                 {{"call", expr}, {"observed", name}}, file, line);
  throw Stop{};
}
bool expect_error(CUresult expected, CUresult r, const char* expr, const char* file, int line);
bool expect_error(cudaError_t expected, cudaError_t r, const char* expr, const char* file, int line);

}  // namespace ctxshare

#define CU(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CUDA(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CUBLAS(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define NVRTC(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define LIB(...)                                                                                  \
  [&](auto s_) {                                                                                  \
    return ::ctxshare::require_status(s_, std::string(::ctxshare::status_name(s_)), #__VA_ARGS__, __FILE__, \
                                      __LINE__);                                                  \
  }(__VA_ARGS__)
#define EXPECT_ERROR(expected, ...) \
  ::ctxshare::expect_error((expected), (__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
