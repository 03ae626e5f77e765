// The object a case body receives: checks, observations, the context ledger, resources handed to the
// harness, variant axes, threads and run-time skips. docs/writing-cases.md shows a case whole.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harness/case/checks.h"
#include "harness/case/ledger.h"
#include "harness/case/peer.h"
#include "harness/case/resources.h"
#include "harness/cuda/driver_api.h"
#include "harness/cuda/libraries.h"
#include "harness/cuda/runtime_api.h"
#include "harness/spec/spec.h"

namespace ctxshare {

class Case {
 public:
  explicit Case(const CaseDef& def);
  Case(const Case&) = delete;
  Case& operator=(const Case&) = delete;

  const CaseDef& def() const { return def_; }
  CUdevice device(int ordinal = 0);

  // The value of the case's axis of type Enum (CTXSHARE_AXIS), or the row of Table (table_axis).
  template <class Enum>
  Enum param() const {
    return static_cast<Enum>(axis_index(&axis_key_of<Enum>));
  }
  template <const auto& Table>
  const auto& row() const {
    return Table[axis_index(&Table)];
  }

  // This machine cannot run the case, for a reason only the body can find out (the needs say the
  // rest): reported as skipped with the reason, never as passed.
  [[noreturn]] void skip(std::string reason);

  // Checks that record a finding and let the case go on.
  bool expect(bool ok, FindingKind kind, std::string_view what, Value evidence = nullptr);
  template <class Observed, class Expected>
  bool expect_eq(std::string_view what, const Observed& observed, const Expected& expected,
                 FindingKind kind = FindingKind::mismatch) {
    if (observed == expected) return expect(true, kind, what);
    return expect(false, kind, what, {{"expected", describe(expected)}, {"observed", describe(observed)}});
  }
  bool expect_same_words(std::string_view what, const std::vector<std::uint32_t>& observed,
                         const std::vector<std::uint32_t>& expected);
  // What happened, as evidence: a hazard case's record, or what a conformance case saw beside its checks.
  void observe(std::string_view key, Value value);
  // What a call returned, by name, when any result is an answer; a runtime error is then cleared
  // so that it does not count as left behind. Returns the result.
  CUresult observe_result(std::string_view key, CUresult r);
  cudaError_t observe_result(std::string_view key, cudaError_t r);

  // What both APIs believe on this thread; a step that changes it unannounced is a finding.
  Ledger ledger() { return snapshot_ledger(); }
  // thread_only: compare what this thread sees (current context, devices), not the primary
  // contexts' state, which another thread may change as documented.
  bool expect_ledger_unchanged(const Ledger& before, std::string_view step, bool thread_only = false);
  void name_context(CUcontext ctx, std::string name);

  // Hand a resource to the harness (resources.h).
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
  void defer(std::string what, std::function<cudaError_t()> release);
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

  // Leaves work for the process's exit, after main returns (at_exit.cpp): registered with
  // std::atexit now, so it runs before the exit handlers registered earlier (the CUDA runtime's, if
  // it was initialized before) and after those registered later. It may call, check and observe
  // through h, which lives on; it captures everything else by value, and hands the harness nothing
  // (resources are released before exit). The case's end waits for it: a crash or hang there is the
  // case's outcome, a finding there fails it.
  void at_exit(std::string what, std::function<void()> work);

  // Compiles CUDA C++ at run time with NVRTC for device 0 (the PyCUDA pattern); needs "nvrtc".
  std::string compile(const char* source, const char* name, bool cubin);
  // The driver's own entry point, as cuGetProcAddress gives it for an ABI version (traced).
  void* driver_entry_point(const char* symbol, int version, cuuint64_t flags = CU_GET_PROC_ADDRESS_DEFAULT);

  // In a peer process (peer.h): what the case handed it, a message to the case, the case's next
  // message (empty once the case has stopped listening), and the descriptor the case passed on (-1
  // for none).
  const std::string& peer_input() const;
  void tell_case(std::string_view message);
  std::string wait_for_case();
  int peer_fd() const;

  // For run_case: validate, judge what was left behind, release.
  void finish();

 private:
  int axis_index(const void* key) const;
  void own(Resource r);

  const CaseDef& def_;
  std::vector<Resource> resources_;
  std::vector<std::pair<CUcontext, std::string>> names_;
  std::uint64_t rng_;
};

// Runs one case in this process: its needs (an unmet one is a skip with the reason), its body, the
// end-of-case checks; every step is said through emit(). Returns the process's exit code: 0 passed,
// 1 findings, 2 no check made, 77 skipped (what a reproducer exits with; the suite's child exits 0
// and lets the runner judge the events).
int run_case(const CaseDef& def);
// run_case's answer when the case left work for exit (Case::at_exit): its end is said at exit, after
// that work, and then given to the function set here with the exit code run_case would have returned.
constexpr int kEndsAtExit = -1;
void on_end_at_exit(void (*report)(int code));
// Whether the case left work for exit; cancel_exit_work drops it (a case that skipped).
bool exit_work_pending();
void cancel_exit_work();

}  // namespace ctxshare
