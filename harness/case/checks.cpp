#include "harness/case/checks.h"

#include <atomic>

#include "harness/cuda/driver_api.h"
#include "harness/cuda/libraries.h"
#include "harness/cuda/runtime_api.h"

namespace ctxshare {
namespace {

std::atomic<int> g_findings{0};
std::atomic<int> g_checks{0};

template <class Result>
Result require_impl(Result r, Result success, const char* expr, const char* file, int line) {
  if (r == success) return r;
  record_finding(FindingKind::unexpected_error, std::string(expr) + " returned " + describe(r).text(),
                 {{"call", expr}, {"expected", describe(success)}, {"observed", describe(r)}}, file, line);
  throw Stop{};
}

template <class Result>
bool expect_error_impl(Result expected, Result r, Result success, const char* expr, const char* file, int line) {
  count_check();
  if (r == expected) return true;
  const std::string observed = describe(r).text();
  const FindingKind kind = r == success ? FindingKind::unexpected_success : FindingKind::wrong_error;
  record_finding(kind, std::string(expr) + " returned " + observed + ", documented: " + describe(expected).text(),
                 {{"call", expr}, {"expected", describe(expected)}, {"observed", observed}}, file, line);
  return false;
}

}  // namespace

Value describe(CUresult r) { return driver_error_name(r); }
Value describe(cudaError_t r) { return ::cudaGetErrorName(r); }
Value describe(cublasStatus_t s) { return status_name(s); }
Value describe(nvrtcResult r) { return status_name(r); }
Value describe(std::string_view s) { return std::string(s); }
Value describe(const char* s) { return s == nullptr ? "null" : s; }
std::string hex(const void* p) { return describe(p).text(); }

int findings_recorded() { return g_findings.load(); }
int checks_made() { return g_checks.load(); }
void count_check() { ++g_checks; }

void record_finding(FindingKind kind, std::string_view message, Value evidence, const char* file, int line) {
  ++g_findings;
  Value ev = {{"kind", to_string(kind)},
              {"message", std::string(message)},
              {"tid", trace::thread_index()},
              {"after_call", trace::last_call().seq}};
  if (!evidence.is_null()) ev.set("evidence", std::move(evidence));
  if (file != nullptr) ev.set("where", std::string(file) + ":" + std::to_string(line));
  emit(Event::finding, std::move(ev));
}

CUresult require(CUresult r, const char* expr, const char* file, int line) {
  return require_impl(r, CUDA_SUCCESS, expr, file, line);
}
cudaError_t require(cudaError_t r, const char* expr, const char* file, int line) {
  return require_impl(r, cudaSuccess, expr, file, line);
}
cublasStatus_t require(cublasStatus_t s, const char* expr, const char* file, int line) {
  return require_impl(s, CUBLAS_STATUS_SUCCESS, expr, file, line);
}
nvrtcResult require(nvrtcResult r, const char* expr, const char* file, int line) {
  return require_impl(r, NVRTC_SUCCESS, expr, file, line);
}
bool expect_error(CUresult expected, CUresult r, const char* expr, const char* file, int line) {
  return expect_error_impl(expected, r, CUDA_SUCCESS, expr, file, line);
}
bool expect_error(cudaError_t expected, cudaError_t r, const char* expr, const char* file, int line) {
  const bool ok = expect_error_impl(expected, r, cudaSuccess, expr, file, line);
  // The runtime keeps the last error per thread; the expected one must not look left behind.
  trace::Harness by_harness;
  if (r != cudaSuccess) cudaGetLastError();
  return ok;
}

}  // namespace ctxshare
