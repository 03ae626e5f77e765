// How a case is written: CTXSHARE_CASE registers it with its claims, source, verdict and needs; its
// body receives the Case object through which it checks, observes and hands resources over.
//
//   CTXSHARE_CASE(runtime_first, cudaSetDevice_makes_primary_current,
//                 {.claims = {"RT-SETDEVICE"}, .source = "cuda_runtime_api.h: cudaSetDevice"}) {
//     CUDA(cudaSetDevice(0));
//     CUcontext current = nullptr;
//     CU(cuCtxGetCurrent(&current));
//     ...
//   }
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/checks.h"
#include "harness/driver_api.h"
#include "harness/ledger.h"
#include "harness/runtime_api.h"

namespace ctxshare {

enum class Verdict {
  works,       // every step must succeed as documented
  fails,       // a documented misuse: the named error must come back
  diagnostic,  // undocumented territory: record what happens, fail only on crash, hang or sticky error
};
const char* to_string(Verdict v);

struct Needs {
  int devices = 1;                 // 0: the case never touches CUDA (harness self-tests)
  int min_driver = 0;              // cuDriverGetVersion, e.g. 12040
  int min_compute_capability = 0;  // major*10+minor of device 0, e.g. 90
  std::vector<std::string> libraries;  // "cublas", "nvrtc"
  int min_toolkit = 0;             // CUDART_VERSION built with, e.g. 13000; older builds compile the body out
};

struct CaseSpec {
  std::vector<std::string> claims;  // ids from shared/reference/claims.md
  std::string source;               // the documentation the case follows
  Verdict verdict = Verdict::works;
  std::string expected_error;       // with Verdict::fails: the documented error's name
  Needs needs;
  std::vector<std::string> labels;  // besides the family, which is always a label
  int timeout_s = 60;
  bool exclusive = false;           // must have the device to itself (resets, timing)
  std::vector<std::string> variants;  // one case per variant: id family.name.variant
  // Variables the case's process starts with: what CUDA reads before any call (CUDA_MODULE_LOADING).
  std::vector<std::pair<std::string, std::string>> environment;
};

class Case;
using CaseBody = void (*)(Case&);

struct CaseDef {
  std::string id;
  std::string family;
  std::string variant;
  CaseSpec spec;
  CaseBody body = nullptr;
  std::string file;
  int line = 0;
};

// Every registered case, in id order, variants expanded.
const std::vector<CaseDef>& cases();
const CaseDef* find_case(std::string_view id);

struct Registrar {
  Registrar(const char* family, const char* name, CaseSpec spec, CaseBody body, const char* file, int line);
};

enum class Owner { driver, runtime };

// The object a case body receives.
class Case {
 public:
  explicit Case(const CaseDef& def);
  ~Case();
  Case(const Case&) = delete;
  Case& operator=(const Case&) = delete;

  const CaseDef& def() const { return def_; }
  std::string_view variant() const { return def_.variant; }
  CUdevice device(int ordinal = 0);

  // Checks that record a finding and let the case go on.
  bool expect(bool ok, FindingKind kind, std::string_view what, nlohmann::json evidence = nullptr);
  template <class Observed, class Expected>
  bool expect_eq(std::string_view what, const Observed& observed, const Expected& expected,
                 FindingKind kind = FindingKind::mismatch) {
    if (observed == expected) return true;
    return expect(false, kind, what, {{"expected", describe(expected)}, {"observed", describe(observed)}});
  }
  bool expect_same_words(std::string_view what, const std::vector<std::uint32_t>& observed,
                         const std::vector<std::uint32_t>& expected);
  // For Verdict::diagnostic: what happened, as evidence for the results and the table.
  void observe(std::string_view key, nlohmann::json value);
  // What a call returned, by name, when any result is an answer; a runtime error is then cleared
  // so that it does not count as left behind. Returns the result.
  CUresult observe_result(std::string_view key, CUresult r);
  cudaError_t observe_result(std::string_view key, cudaError_t r);

  // What both APIs believe on this thread; a step that changes it unannounced is a finding.
  Ledger ledger();
  // thread_only: compare what this thread sees (current context, devices), not the primary
  // contexts' state, which another thread may change as documented.
  bool expect_ledger_unchanged(const Ledger& before, std::string_view step, bool thread_only = false);
  void name_context(CUcontext ctx, std::string name);

  // Hand a resource to the harness: it is validated through both APIs at every checkpoint and at the
  // end, then released through its owner's API, newest first, in its own context.
  void own_context(CUcontext ctx);
  void own_primary(CUdevice dev);  // a cuDevicePrimaryCtxRetain to balance
  void own_stream(CUstream stream, Owner owner);
  void own_event(CUevent event, Owner owner);
  void own_device_memory(CUdeviceptr ptr, std::size_t bytes, Owner owner);
  void own_device_memory(void* ptr, std::size_t bytes, Owner owner);
  // Memory whose CU_POINTER_ATTRIBUTE_CONTEXT is not the current context by design, as the case
  // has established: `reported` is what the driver is expected to say (nullptr for none).
  void own_device_memory_reported_in(void* ptr, std::size_t bytes, Owner owner, CUcontext reported);
  void own_host_memory(void* ptr, Owner owner);  // cudaHostAlloc / cuMemHostAlloc
  void own_module(CUmodule module);
  void own_library(CUlibrary library);
  // Anything else to release at the end (a registered range, a mapping, a library handle), in the
  // same newest-first order as the resources above, in the context current now.
  void defer(std::string what, std::function<CUresult()> release);
  // The case released it itself, or released it on purpose through a reset.
  void forget(const void* handle);
  template <class H>
  void forget(H* handle) { forget(static_cast<const void*>(handle)); }
  void forget(CUdeviceptr ptr) { forget(reinterpret_cast<const void*>(ptr)); }
  void checkpoint(std::string_view label);

  // Fresh random words, never zero, seeded per run (the seed is in the trace).
  std::vector<std::uint32_t> random_words(std::size_t n);

  // Runs fn on a new thread and joins it; a failed CU() there stops only that thread.
  void on_thread(const std::function<void()>& fn);

  // Compiles CUDA C++ at run time with NVRTC for device 0 (the PyCUDA pattern); needs "nvrtc".
  std::string compile(const char* source, const char* name, bool cubin);
  // The driver's own entry point, as cuGetProcAddress gives it for an ABI version (traced).
  void* driver_entry_point(const char* symbol, int version, cuuint64_t flags = CU_GET_PROC_ADDRESS_DEFAULT);

  // Used by the child: validate, release, and check what was left behind.
  void finish();
  int findings() const;

 private:
  struct Resource;
  bool validate(const Resource& r, std::string_view when);
  void release(Resource& r);
  void own(Resource r);

  const CaseDef& def_;
  std::vector<Resource> resources_;
  std::vector<std::pair<CUcontext, std::string>> names_;
  std::uint64_t seed_;
  std::uint64_t rng_;
};

}  // namespace ctxshare

#define CTXSHARE_CASE(family, name, ...)                                                              \
  static void ctxshare_case_##family##__##name(::ctxshare::Case& h);                                 \
  static const ::ctxshare::Registrar ctxshare_registrar_##family##__##name{                          \
      #family, #name, ::ctxshare::CaseSpec __VA_ARGS__, &ctxshare_case_##family##__##name, __FILE__, \
      __LINE__};                                                                                     \
  static void ctxshare_case_##family##__##name([[maybe_unused]] ::ctxshare::Case& h)
