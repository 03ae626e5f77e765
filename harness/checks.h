// Findings and the checks that produce them.
//
//   CU(cuCtxCreate(&ctx, nullptr, 0, dev));          // must succeed; else a finding, and the case stops
//   CUDA(cudaMalloc(&p, n));                          // the same for the runtime
//   EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, cuDevicePrimaryCtxRelease(dev));  // documented failure
#pragma once

#include <cuda.h>
#include <driver_types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

namespace ctxshare {

// What is sketchy, by name. The set is closed: reports and tables key on these names.
enum class FindingKind {
  unexpected_error,    // a call that must succeed failed
  wrong_error,         // a call failed, but not with the documented error
  unexpected_success,  // a call succeeded where the documentation says it fails
  mismatch,            // an observed value differs from the documented one
  wrong_context,       // a handle, pointer or thread is in another context than documented
  wrong_device,        // ... on another device than documented
  data_mismatch,       // data written through one API read back differently through the other
  handle_invalidated,  // a resource stopped working through an API after an unrelated step
  context_changed,     // a step changed what is current without documenting it (ledger diff)
  sticky_error,        // an error left behind: the context is unusable after the case
  leak,                // memory or handles the harness could not account for
  cleanup_failed,      // releasing a resource through its owner's API failed
  exception,           // the case threw something other than a check failure
  crash,               // the case process died from a signal
  timeout,             // the case process was killed at its timeout
  early_exit,          // the case process exited before the case finished
};
const char* to_string(FindingKind kind);

// Thrown by CU()/CUDA() after recording a finding: the rest of the case depends on that call.
struct Stop {};

// Values as evidence: handles and pointers in hex, results by name.
nlohmann::json describe(CUresult r);
nlohmann::json describe(cudaError_t r);
nlohmann::json describe(std::string_view s);
nlohmann::json describe(const char* s);
template <class T>
nlohmann::json describe(const T& v) {
  if constexpr (std::is_pointer_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", static_cast<const void*>(v));
    return v == nullptr ? nlohmann::json("null") : nlohmann::json(buf);
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<long long>(v);
  } else {
    return v;
  }
}

void record_finding(FindingKind kind, std::string_view message, nlohmann::json evidence,
                    const char* file, int line);

CUresult require(CUresult r, const char* expr, const char* file, int line);
cudaError_t require(cudaError_t r, const char* expr, const char* file, int line);
bool expect_error(CUresult expected, CUresult r, const char* expr, const char* file, int line);
bool expect_error(cudaError_t expected, cudaError_t r, const char* expr, const char* file, int line);

}  // namespace ctxshare

#define CU(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CUDA(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define EXPECT_ERROR(expected, ...) \
  ::ctxshare::expect_error((expected), (__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
