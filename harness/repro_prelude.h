// ---------------------------------------------------------------------------------------------
// Reproducer prelude: plain stand-ins for the few helpers a ctxshare case uses, so that the case's
// own source below compiles as it is, against the real CUDA libraries (-lcuda -lcudart, and -lnvrtc
// or -lcublas where the case needs them). Every check prints what was expected and what happened.
// `ctxshare repro` copies this text into each reproducer; harness/repro_prelude.h is its source.
// ---------------------------------------------------------------------------------------------
#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_runtime.h>
#include <nvrtc.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ctxshare {

#if CUDA_VERSION < 13000
// The cases create contexts as CUDA 13 documents it; a CUDA 12 header names cuCtxCreate_v2, which
// takes no CUctxCreateParams, and that is what a CUDA 12 program calls.
inline CUresult cuCtxCreate(CUcontext* ctx, std::nullptr_t, unsigned flags, CUdevice dev) { return ::cuCtxCreate(ctx, flags, dev); }
#endif

enum class Verdict { works, fails, diagnostic };
struct Needs {
  int devices = 1;
  int min_driver = 0;
  int min_compute_capability = 0;
  std::vector<std::string> libraries;
  int min_toolkit = 0;
};
struct CaseSpec {
  std::vector<std::string> claims;
  std::string source;
  Verdict verdict = Verdict::works;
  std::string expected_error;
  Needs needs;
  std::vector<std::string> labels;
  int timeout_s = 60;
  bool exclusive = false;
  std::vector<std::string> variants;
  std::vector<std::pair<std::string, std::string>> environment;
};
enum class FindingKind {
  unexpected_error, wrong_error, unexpected_success, mismatch, wrong_context, wrong_device, data_mismatch,
  handle_invalidated, context_changed, sticky_error, leak, cleanup_failed, exception, crash, timeout, early_exit
};
inline const char* to_string(FindingKind k) {
  static const char* names[] = {"unexpected_error", "wrong_error", "unexpected_success", "mismatch", "wrong_context",
                                "wrong_device", "data_mismatch", "handle_invalidated", "context_changed", "sticky_error",
                                "leak", "cleanup_failed", "exception", "crash", "timeout", "early_exit"};
  return names[static_cast<int>(k)];
}
enum class Owner { driver, runtime };
struct PrimaryState {
  unsigned int flags = 0;
  int active = 0;
  bool operator==(const PrimaryState&) const = default;
};
struct Ledger {
  int thread = 0;
  CUcontext current = nullptr;
  CUdevice current_device = -1;
  int runtime_device = -1;
  std::vector<PrimaryState> primaries;
  bool operator==(const Ledger&) const = default;
};
struct Stop {};

inline std::string driver_error_name(CUresult r) {
  const char* name = nullptr;
  return cuGetErrorName(r, &name) == CUDA_SUCCESS && name != nullptr ? name : "CUresult(" + std::to_string(r) + ")";
}
inline const char* status_name(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "cuBLAS error"; }
inline const char* status_name(nvrtcResult r) { return nvrtcGetErrorString(r); }
inline nlohmann::json describe(CUresult r) { return driver_error_name(r); }
inline nlohmann::json describe(cudaError_t r) { return cudaGetErrorName(r); }
inline nlohmann::json describe(std::string_view s) { return std::string(s); }
inline nlohmann::json describe(const char* s) { return s == nullptr ? "null" : s; }
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

namespace trace {
inline void open(int) {}
}  // namespace trace
template <class Call>
CUresult traced_driver_call(const char*, Call&& call) {
  return call();
}

inline std::atomic<int> g_findings{0};
inline void record_finding(FindingKind kind, std::string_view message, const nlohmann::json& evidence, const char* file, int line) {
  ++g_findings;
  std::printf("FINDING %s: %.*s%s%s\n", to_string(kind), static_cast<int>(message.size()), message.data(),
              evidence.is_null() ? "" : "\n    evidence: ", evidence.is_null() ? "" : evidence.dump().c_str());
  if (file != nullptr) std::printf("    at %s:%d\n", file, line);
}
template <class R>
R require_impl(R r, R ok, const char* expr, const char* file, int line) {
  if (r == ok) return r;
  record_finding(FindingKind::unexpected_error, std::string(expr) + " returned " + describe(r).dump(), nullptr, file, line);
  throw Stop{};
}
inline CUresult require(CUresult r, const char* e, const char* f, int l) { return require_impl(r, CUDA_SUCCESS, e, f, l); }
inline cudaError_t require(cudaError_t r, const char* e, const char* f, int l) { return require_impl(r, cudaSuccess, e, f, l); }
inline cublasStatus_t require(cublasStatus_t r, const char* e, const char* f, int l) {
  return require_impl(r, CUBLAS_STATUS_SUCCESS, e, f, l);
}
inline nvrtcResult require(nvrtcResult r, const char* e, const char* f, int l) { return require_impl(r, NVRTC_SUCCESS, e, f, l); }
template <class R>
bool expect_error(R expected, R r, const char* expr, const char* file, int line) {
  if (r == expected) {
    std::printf("ok: %s returned %s, as documented\n", expr, describe(r).dump().c_str());
    if constexpr (std::is_same_v<R, cudaError_t>) cudaGetLastError();
    return true;
  }
  const bool succeeded = static_cast<int>(r) == 0;
  record_finding(succeeded ? FindingKind::unexpected_success : FindingKind::wrong_error,
                 std::string(expr) + " returned " + describe(r).dump() + ", documented: " + describe(expected).dump(), nullptr,
                 file, line);
  if constexpr (std::is_same_v<R, cudaError_t>) cudaGetLastError();
  return false;
}

class Case;
using CaseBody = void (*)(Case&);
struct CaseDef {
  std::string id, family, variant;
  CaseSpec spec;
  CaseBody body;
};
inline std::vector<CaseDef>& registry() {
  static std::vector<CaseDef> all;
  return all;
}
struct Registrar {
  Registrar(const char* family, const char* name, CaseSpec spec, CaseBody body, const char*, int) {
    std::vector<std::string> variants = spec.variants;
    if (variants.empty()) variants.push_back("");
    for (const auto& v : variants)
      registry().push_back({std::string(family) + "." + name + (v.empty() ? "" : "." + v), family, v, spec, body});
  }
};

class Case {
 public:
  explicit Case(const CaseDef& def) : def_(def) {}
  std::string_view variant() const { return def_.variant; }
  CUdevice device(int ordinal = 0) {
    CUdevice dev = 0;
    require(cuDeviceGet(&dev, ordinal), "cuDeviceGet", __FILE__, __LINE__);
    return dev;
  }
  bool expect(bool ok, FindingKind kind, std::string_view what, const nlohmann::json& evidence = nullptr) {
    if (ok) std::printf("ok: %.*s\n", static_cast<int>(what.size()), what.data());
    else record_finding(kind, what, evidence, nullptr, 0);
    return ok;
  }
  template <class O, class E>
  bool expect_eq(std::string_view what, const O& observed, const E& expected, FindingKind kind = FindingKind::mismatch) {
    return expect(observed == expected, kind, what, {{"expected", describe(expected)}, {"observed", describe(observed)}});
  }
  bool expect_same_words(std::string_view what, const std::vector<std::uint32_t>& observed,
                         const std::vector<std::uint32_t>& expected) {
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < std::min(observed.size(), expected.size()); ++i) wrong += observed[i] != expected[i];
    return expect(wrong == 0 && observed.size() == expected.size(), FindingKind::data_mismatch, what,
                  {{"words", observed.size()}, {"wrong_words", wrong}});
  }
  void observe(std::string_view key, const nlohmann::json& value) {
    std::printf("observed: %.*s = %s\n", static_cast<int>(key.size()), key.data(), value.dump().c_str());
  }
  CUresult observe_result(std::string_view key, CUresult r) {
    observe(key, describe(r));
    return r;
  }
  cudaError_t observe_result(std::string_view key, cudaError_t r) {
    observe(key, describe(r));
    if (r != cudaSuccess) cudaGetLastError();
    return r;
  }
  Ledger ledger() {
    Ledger l;
    cuCtxGetCurrent(&l.current);
    if (l.current != nullptr) cuCtxGetDevice(&l.current_device);
    if (cudaGetDevice(&l.runtime_device) != cudaSuccess) l.runtime_device = -1;
    int count = 0;
    cuDeviceGetCount(&count);
    for (int i = 0; i < count; ++i) {
      PrimaryState s;
      cuDevicePrimaryCtxGetState(i, &s.flags, &s.active);
      l.primaries.push_back(s);
    }
    return l;
  }
  bool expect_ledger_unchanged(const Ledger& before, std::string_view step, bool thread_only = false) {
    const Ledger after = ledger();
    const bool same = thread_only ? after.current == before.current && after.runtime_device == before.runtime_device
                                  : after == before;
    return expect(same, FindingKind::context_changed, std::string(step) + " leaves the thread's contexts as they were",
                  {{"current_before", describe(before.current)}, {"current_after", describe(after.current)},
                   {"cudaGetDevice_before", before.runtime_device}, {"cudaGetDevice_after", after.runtime_device}});
  }
  void name_context(CUcontext, std::string) {}
  void own_context(CUcontext ctx) { own({kContext, Owner::driver, ctx}); }
  void own_primary(CUdevice dev) {
    Resource r{kPrimary, Owner::driver, nullptr};
    r.device = dev;
    resources_.push_back(r);
  }
  void own_stream(CUstream s, Owner o) { own({kStream, o, s}); }
  void own_event(CUevent e, Owner o) { own({kEvent, o, e}); }
  void own_device_memory(CUdeviceptr p, std::size_t, Owner o) { own({kMemory, o, reinterpret_cast<void*>(p)}); }
  void own_device_memory(void* p, std::size_t, Owner o) { own({kMemory, o, p}); }
  void own_device_memory_reported_in(void* p, std::size_t, Owner o, CUcontext reported) {
    Resource r{kMemory, o, p};
    r.reported_elsewhere = true;
    r.reported = reported;
    own(r);
  }
  void own_host_memory(void* p, Owner o) { own({kHost, o, p}); }
  void own_module(CUmodule m) { own({kModule, Owner::driver, m}); }
  void own_library(CUlibrary l) { own({kLibrary, Owner::driver, l}); }
  void defer(std::string, std::function<CUresult()> release) {
    Resource r{kDeferred, Owner::driver, nullptr};
    r.release = std::move(release);
    own(r);
  }
  template <class H>
  void forget(H h) {
    const void* handle = reinterpret_cast<const void*>(h);
    resources_.erase(std::remove_if(resources_.begin(), resources_.end(), [&](const Resource& r) { return r.handle == handle; }),
                     resources_.end());
  }
  void checkpoint(std::string_view label) {
    for (const auto& r : resources_) validate(r, label);
  }
  std::vector<std::uint32_t> random_words(std::size_t n) {
    static std::mt19937 rng(std::random_device{}());
    std::vector<std::uint32_t> w(n);
    for (auto& x : w) x = rng() | 1u;
    return w;
  }
  void on_thread(const std::function<void()>& fn) {
    std::thread t([&] {
      try {
        fn();
      } catch (const Stop&) {
      }
    });
    t.join();
  }
  std::string compile(const char* source, const char* name, bool cubin) {
    int major = 0, minor = 0;
    cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device(0));
    cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device(0));
    const std::string arch = std::string("--gpu-architecture=") + (cubin ? "sm_" : "compute_") + std::to_string(major) +
                             std::to_string(minor);
    const char* options[] = {arch.c_str(), "-default-device"};
    nvrtcProgram program = nullptr;
    require(nvrtcCreateProgram(&program, source, name, 0, nullptr, nullptr), "nvrtcCreateProgram", __FILE__, __LINE__);
    require(nvrtcCompileProgram(program, 2, options), "nvrtcCompileProgram", __FILE__, __LINE__);
    std::size_t size = 0;
    std::string out;
    if (cubin) {
      nvrtcGetCUBINSize(program, &size);
      out.resize(size);
      nvrtcGetCUBIN(program, out.data());
    } else {
      nvrtcGetPTXSize(program, &size);
      out.resize(size);
      nvrtcGetPTX(program, out.data());
    }
    nvrtcDestroyProgram(&program);
    return out;
  }
  void* driver_entry_point(const char* symbol, int version, cuuint64_t flags = CU_GET_PROC_ADDRESS_DEFAULT) {
    void* p = nullptr;
    CUdriverProcAddressQueryResult found{};
    const CUresult r = cuGetProcAddress(symbol, &p, version, flags, &found);
    observe(std::string("cuGetProcAddress ") + symbol + " " + std::to_string(version), describe(r));
    return r == CUDA_SUCCESS && found == CU_GET_PROC_ADDRESS_SUCCESS ? p : nullptr;
  }

  // What the harness does after the body: validate what was handed over, release it, look for a
  // context left unusable.
  void finish() {
    checkpoint("end of case");
    CUcontext current = nullptr;
    if (cuCtxGetCurrent(&current) == CUDA_SUCCESS && current != nullptr) {
      const CUresult r = cuCtxSynchronize();
      expect(r == CUDA_SUCCESS, FindingKind::sticky_error, "the context current at the end synchronizes",
             {{"cuCtxSynchronize", describe(r)}});
    }
    while (!resources_.empty()) {
      release(resources_.back());
      resources_.pop_back();
    }
  }

 private:
  enum Kind { kContext, kPrimary, kStream, kEvent, kMemory, kHost, kModule, kLibrary, kDeferred };
  struct Resource {
    Kind kind;
    Owner owner;
    const void* handle;
    CUcontext ctx = nullptr;
    CUdevice device = 0;
    bool reported_elsewhere = false;
    CUcontext reported = nullptr;
    std::function<CUresult()> release = {};
  };
  void own(Resource r) {
    cuCtxGetCurrent(&r.ctx);
    if (r.kind == kContext) r.ctx = static_cast<CUcontext>(const_cast<void*>(r.handle));
    resources_.push_back(r);
  }
  void validate(const Resource& r, std::string_view when) {
    const std::string at = " (" + std::string(when) + ")";
    if (r.kind == kMemory) {
      CUcontext owner = nullptr;
      const CUresult q = cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(r.handle));
      const CUcontext expected = r.reported_elsewhere ? r.reported : r.ctx;
      if (q != CUDA_SUCCESS) record_finding(FindingKind::handle_invalidated, "an allocation is no longer known" + at, describe(q), nullptr, 0);
      else expect(owner == expected, FindingKind::wrong_context, "an allocation reports the context it was made in" + at,
                  {{"expected", describe(expected)}, {"observed", describe(owner)}});
    } else if (r.kind == kStream) {
      CUcontext owner = nullptr;
      const CUresult q = cuStreamGetCtx(static_cast<CUstream>(const_cast<void*>(r.handle)), &owner);
      if (q != CUDA_SUCCESS) record_finding(FindingKind::handle_invalidated, "a stream is no longer known" + at, describe(q), nullptr, 0);
      else expect(owner == r.ctx, FindingKind::wrong_context, "a stream reports the context it was made in" + at,
                  {{"expected", describe(r.ctx)}, {"observed", describe(owner)}});
    }
  }
  void release(Resource& r) {
    void* h = const_cast<void*>(r.handle);
    const bool push = r.kind != kContext && r.kind != kPrimary && r.ctx != nullptr && cuCtxPushCurrent(r.ctx) == CUDA_SUCCESS;
    const bool rt = r.owner == Owner::runtime;
    int result = 0;  // a CUresult or a cudaError_t: 0 is success for both
    switch (r.kind) {
      case kContext: result = cuCtxDestroy(static_cast<CUcontext>(h)); break;
      case kPrimary: result = cuDevicePrimaryCtxRelease(r.device); break;
      case kStream: result = rt ? int{cudaStreamDestroy(static_cast<cudaStream_t>(h))} : int{cuStreamDestroy(static_cast<CUstream>(h))}; break;
      case kEvent: result = rt ? int{cudaEventDestroy(static_cast<cudaEvent_t>(h))} : int{cuEventDestroy(static_cast<CUevent>(h))}; break;
      case kMemory: result = rt ? int{cudaFree(h)} : int{cuMemFree(reinterpret_cast<CUdeviceptr>(h))}; break;
      case kHost: result = rt ? int{cudaFreeHost(h)} : int{cuMemFreeHost(h)}; break;
      case kModule: result = cuModuleUnload(static_cast<CUmodule>(h)); break;
      case kLibrary: result = cuLibraryUnload(static_cast<CUlibrary>(h)); break;
      case kDeferred: result = r.release(); break;
    }
    if (result != 0) record_finding(FindingKind::cleanup_failed, "releasing a resource failed", result, nullptr, 0);
    CUcontext popped = nullptr;
    if (push) cuCtxPopCurrent(&popped);
  }
  const CaseDef& def_;
  std::vector<Resource> resources_;
};

// Runs one case as the harness would: its variables set, cuInit(0), the body, then finish().
inline int repro_main(const std::string& id) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);  // a crash must not swallow what was printed before it
  for (const auto& def : registry()) {
    if (def.id != id) continue;
    for (const auto& [k, v] : def.spec.environment) setenv(k.c_str(), v.c_str(), 1);
    std::printf("reproducing %s\n", id.c_str());
    if (CUDART_VERSION < def.spec.needs.min_toolkit) {
      std::printf("needs a build with the CUDA %d toolkit or newer, this one has %d\n", def.spec.needs.min_toolkit, CUDART_VERSION);
      return 77;
    }
    const CUresult init = cuInit(0);
    if (init != CUDA_SUCCESS) {
      std::printf("cuInit(0) returned %s: no usable driver\n", driver_error_name(init).c_str());
      return 77;
    }
    int count = 0, version = 0;
    cuDeviceGetCount(&count);
    cuDriverGetVersion(&version);
    if (count < def.spec.needs.devices) {
      std::printf("needs %d devices, the driver reports %d\n", def.spec.needs.devices, count);
      return 77;
    }
    std::printf("driver API version %d, %d device(s)\n", version, count);
    Case h(def);
    try {
      def.body(h);
    } catch (const Stop&) {
    }
    try {
      h.finish();
    } catch (const Stop&) {
    }
    std::printf("RESULT %s: %s (%d findings)\n", id.c_str(), g_findings == 0 ? "passed" : "failed", g_findings.load());
    return g_findings == 0 ? 0 : 1;
  }
  std::printf("unknown case %s\n", id.c_str());
  return 2;
}

}  // namespace ctxshare

#define CTXSHARE_CASE(family, name, ...)                                                              \
  static void ctxshare_case_##family##__##name(::ctxshare::Case& h);                                 \
  static const ::ctxshare::Registrar ctxshare_registrar_##family##__##name{                          \
      #family, #name, ::ctxshare::CaseSpec __VA_ARGS__, &ctxshare_case_##family##__##name, __FILE__, \
      __LINE__};                                                                                     \
  static void ctxshare_case_##family##__##name([[maybe_unused]] ::ctxshare::Case& h)
#define CU(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CUDA(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CUBLAS(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define NVRTC(...) ::ctxshare::require((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define EXPECT_ERROR(expected, ...) \
  ::ctxshare::expect_error((expected), (__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
// ----------------------------- end of the prelude -----------------------------------------------
