#include "harness/case.h"

#include "harness/libraries.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

namespace ctxshare {
namespace {

std::vector<CaseDef>& registry() {
  static std::vector<CaseDef> all;
  return all;
}

std::atomic<int> g_findings{0};

std::string hex(const void* p) { return describe(p).get<std::string>(); }

bool driver_query_ok(CUresult r) { return r == CUDA_SUCCESS || r == CUDA_ERROR_NOT_READY; }
bool runtime_query_ok(cudaError_t r) { return r == cudaSuccess || r == cudaErrorNotReady; }

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::works: return "works";
    case Verdict::fails: return "fails";
    case Verdict::diagnostic: return "diagnostic";
  }
  return "?";
}

Registrar::Registrar(const char* family, const char* name, CaseSpec spec, CaseBody body, const char* file,
                     int line) {
  const std::string base = std::string(family) + "." + name;
  std::vector<std::string> variants = spec.variants;
  if (variants.empty()) variants.push_back("");
  for (const auto& v : variants) {
    CaseDef def{v.empty() ? base : base + "." + v, family, v, spec, body, file, line};
    registry().push_back(std::move(def));
  }
}

const std::vector<CaseDef>& cases() {
  static bool sorted = false;
  if (!sorted) {
    std::sort(registry().begin(), registry().end(), [](const CaseDef& a, const CaseDef& b) { return a.id < b.id; });
    sorted = true;
  }
  return registry();
}

const CaseDef* find_case(std::string_view id) {
  for (const auto& c : cases())
    if (c.id == id) return &c;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Findings and checks

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::unexpected_error: return "unexpected_error";
    case FindingKind::wrong_error: return "wrong_error";
    case FindingKind::unexpected_success: return "unexpected_success";
    case FindingKind::mismatch: return "mismatch";
    case FindingKind::wrong_context: return "wrong_context";
    case FindingKind::wrong_device: return "wrong_device";
    case FindingKind::data_mismatch: return "data_mismatch";
    case FindingKind::handle_invalidated: return "handle_invalidated";
    case FindingKind::context_changed: return "context_changed";
    case FindingKind::sticky_error: return "sticky_error";
    case FindingKind::leak: return "leak";
    case FindingKind::cleanup_failed: return "cleanup_failed";
    case FindingKind::exception: return "exception";
    case FindingKind::crash: return "crash";
    case FindingKind::timeout: return "timeout";
    case FindingKind::early_exit: return "early_exit";
  }
  return "?";
}

nlohmann::json describe(CUresult r) { return driver_error_name(r); }
nlohmann::json describe(cudaError_t r) { return ::cudaGetErrorName(r); }
nlohmann::json describe(std::string_view s) { return std::string(s); }
nlohmann::json describe(const char* s) { return s == nullptr ? "null" : s; }

void record_finding(FindingKind kind, std::string_view message, nlohmann::json evidence, const char* file,
                    int line) {
  ++g_findings;
  nlohmann::json ev = {{"ev", "finding"},
                       {"kind", to_string(kind)},
                       {"message", std::string(message)},
                       {"tid", trace::thread_index()},
                       {"after_call", trace::last_call().seq}};
  if (!evidence.is_null()) ev["evidence"] = std::move(evidence);
  if (file != nullptr) ev["where"] = std::string(file) + ":" + std::to_string(line);
  trace::emit(std::move(ev));
}

namespace {
template <class Result>
Result require_impl(Result r, Result success, const char* expr, const char* file, int line) {
  if (r == success) return r;
  record_finding(FindingKind::unexpected_error, std::string(expr) + " returned " + describe(r).template get<std::string>(),
                 {{"call", expr}, {"expected", describe(success)}, {"observed", describe(r)}}, file, line);
  throw Stop{};
}

template <class Result>
bool expect_error_impl(Result expected, Result r, Result success, const char* expr, const char* file, int line) {
  if (r == expected) return true;
  const std::string observed = describe(r).template get<std::string>();
  const FindingKind kind = r == success ? FindingKind::unexpected_success : FindingKind::wrong_error;
  record_finding(kind, std::string(expr) + " returned " + observed + ", documented: " +
                           describe(expected).template get<std::string>(),
                 {{"call", expr}, {"expected", describe(expected)}, {"observed", observed}}, file, line);
  return false;
}
}  // namespace

CUresult require(CUresult r, const char* expr, const char* file, int line) {
  return require_impl(r, CUDA_SUCCESS, expr, file, line);
}
cudaError_t require(cudaError_t r, const char* expr, const char* file, int line) {
  return require_impl(r, cudaSuccess, expr, file, line);
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

// ---------------------------------------------------------------------------------------------
// The case object

struct Case::Resource {
  enum Kind { context, primary, stream, event, device_memory, host_memory, module, library, deferred } kind;
  Owner owner = Owner::driver;
  const void* handle = nullptr;
  CUcontext ctx = nullptr;  // the context current when it was handed over
  CUdevice device = 0;
  std::size_t bytes = 0;
  bool reported_elsewhere = false;  // CU_POINTER_ATTRIBUTE_CONTEXT is `reported`, not ctx
  CUcontext reported = nullptr;
  std::string what = {};
  std::function<CUresult()> release = {};
};

Case::Case(const CaseDef& def) : def_(def) {
  seed_ = std::random_device{}();
  rng_ = seed_ | 1;
  trace::emit({{"ev", "seed"}, {"seed", seed_}});
}

Case::~Case() = default;

int Case::findings() const { return g_findings.load(); }

CUdevice Case::device(int ordinal) {
  CUdevice dev = 0;
  CU(cuDeviceGet(&dev, ordinal));
  return dev;
}

bool Case::expect(bool ok, FindingKind kind, std::string_view what, nlohmann::json evidence) {
  if (!ok) record_finding(kind, what, std::move(evidence), nullptr, 0);
  return ok;
}

bool Case::expect_same_words(std::string_view what, const std::vector<std::uint32_t>& observed,
                             const std::vector<std::uint32_t>& expected) {
  if (observed.size() != expected.size())
    return expect(false, FindingKind::data_mismatch, what,
                  {{"expected_words", expected.size()}, {"observed_words", observed.size()}});
  std::size_t wrong = 0, first = observed.size();
  for (std::size_t i = 0; i < observed.size(); ++i)
    if (observed[i] != expected[i]) {
      if (wrong++ == 0) first = i;
    }
  if (wrong == 0) return true;
  return expect(false, FindingKind::data_mismatch, what,
                {{"words", observed.size()}, {"wrong_words", wrong}, {"first_wrong_index", first},
                 {"expected", expected[first]}, {"observed", observed[first]}});
}

void Case::observe(std::string_view key, nlohmann::json value) {
  trace::emit({{"ev", "observe"}, {"key", std::string(key)}, {"value", std::move(value)}});
}

CUresult Case::observe_result(std::string_view key, CUresult r) {
  observe(key, describe(r));
  return r;
}

cudaError_t Case::observe_result(std::string_view key, cudaError_t r) {
  observe(key, describe(r));
  trace::Harness by_harness;
  if (r != cudaSuccess) cudaGetLastError();
  return r;
}

std::vector<std::uint32_t> Case::random_words(std::size_t n) {
  std::vector<std::uint32_t> words(n);
  for (auto& w : words) {
    rng_ ^= rng_ << 13;  // xorshift64: fast, and the seed reproduces it
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    w = static_cast<std::uint32_t>(rng_ >> 16) | 1u;
  }
  return words;
}

void Case::on_thread(const std::function<void()>& fn) {
  std::thread worker([&] {
    try {
      fn();
    } catch (const Stop&) {
    } catch (const std::exception& e) {
      record_finding(FindingKind::exception, e.what(), nullptr, nullptr, 0);
    }
  });
  worker.join();
}

std::string Case::compile(const char* source, const char* name, bool cubin) {
  int major = 0, minor = 0;
  CU(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device(0)));
  CU(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device(0)));
  const std::string arch = std::string("--gpu-architecture=") + (cubin ? "sm_" : "compute_") +
                           std::to_string(major) + std::to_string(minor);
  const char* options[] = {arch.c_str(), "-default-device"};
  nvrtcProgram program = nullptr;
  NVRTC(nvrtcCreateProgram(&program, source, name, 0, nullptr, nullptr));
  const nvrtcResult compiled = nvrtcCompileProgram(program, 2, options);
  std::string out;
  if (compiled != NVRTC_SUCCESS) {
    size_t log_size = 0;
    nvrtcGetProgramLogSize(program, &log_size);
    std::string log(log_size, '\0');
    nvrtcGetProgramLog(program, log.data());
    nvrtcDestroyProgram(&program);
    record_finding(FindingKind::unexpected_error, std::string("NVRTC could not compile ") + name,
                   {{"result", status_name(compiled)}, {"log", log}}, nullptr, 0);
    throw Stop{};
  }
  size_t size = 0;
  if (cubin) {
    NVRTC(nvrtcGetCUBINSize(program, &size));
    out.resize(size);
    NVRTC(nvrtcGetCUBIN(program, out.data()));
  } else {
    NVRTC(nvrtcGetPTXSize(program, &size));
    out.resize(size);
    NVRTC(nvrtcGetPTX(program, out.data()));
  }
  NVRTC(nvrtcDestroyProgram(&program));
  return out;
}

void* Case::driver_entry_point(const char* symbol, int version, cuuint64_t flags) {
  trace::Call call(trace::Api::driver, "cuGetProcAddress");
  void* p = nullptr;
  CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  auto get = driver_get_proc_address();
  const CUresult r = get == nullptr ? CUDA_ERROR_NOT_INITIALIZED : get(symbol, &p, version, flags, &found);
  call.finish_driver(r);
  trace::emit({{"ev", "observe"},
               {"key", std::string("cuGetProcAddress ") + symbol + " " + std::to_string(version) + " flags " + std::to_string(flags)},
               {"value", {{"result", driver_error_name(r)}, {"found", static_cast<int>(found)}, {"pointer", describe(p)}}}});
  return found == CU_GET_PROC_ADDRESS_SUCCESS ? p : nullptr;
}

// ---------------------------------------------------------------------------------------------
// The ledger

void Case::name_context(CUcontext ctx, std::string name) { names_.emplace_back(ctx, std::move(name)); }

Ledger Case::ledger() {
  trace::Harness by_harness;
  Ledger l;
  l.thread = trace::thread_index();
  cuCtxGetCurrent(&l.current);
  if (l.current != nullptr && cuCtxGetDevice(&l.current_device) != CUDA_SUCCESS) l.current_device = -2;
  if (cudaGetDevice(&l.runtime_device) != cudaSuccess) l.runtime_device = -1;
  for (int i = 0; i < load_driver().device_count; ++i) {
    PrimaryState s;
    CUdevice dev = 0;
    if (cuDeviceGet(&dev, i) == CUDA_SUCCESS) cuDevicePrimaryCtxGetState(dev, &s.flags, &s.active);
    l.primaries.push_back(s);
  }
  return l;
}

bool Case::expect_ledger_unchanged(const Ledger& before, std::string_view step, bool thread_only) {
  const Ledger after = ledger();
  const bool same = thread_only ? after.current == before.current && after.current_device == before.current_device &&
                                      after.runtime_device == before.runtime_device
                                : after == before;
  if (same) return true;
  auto as_json = [this](const Ledger& l) {
    std::string current = hex(l.current);
    for (const auto& [ctx, name] : names_)
      if (ctx == l.current && ctx != nullptr) current += " (" + name + ")";
    nlohmann::json primaries = nlohmann::json::array();
    for (const auto& p : l.primaries) primaries.push_back({{"flags", p.flags}, {"active", p.active}});
    return nlohmann::json{{"thread", l.thread},           {"cuCtxGetCurrent", current},
                          {"cuCtxGetDevice", l.current_device}, {"cudaGetDevice", l.runtime_device},
                          {"primary_contexts", primaries}};
  };
  return expect(false, FindingKind::context_changed, std::string(step) + " changed the context ledger",
                {{"before", as_json(before)}, {"after", as_json(after)}});
}

// ---------------------------------------------------------------------------------------------
// Resources

void Case::own(Resource r) {
  trace::Harness by_harness;
  cuCtxGetCurrent(&r.ctx);
  if (r.ctx != nullptr) cuCtxGetDevice(&r.device);
  resources_.push_back(std::move(r));
}

void Case::own_context(CUcontext ctx) {
  Resource r{Resource::context, Owner::driver, ctx};
  trace::Harness by_harness;
  CU(cuCtxPushCurrent(ctx));
  CU(cuCtxGetDevice(&r.device));
  CUcontext popped = nullptr;
  CU(cuCtxPopCurrent(&popped));
  r.ctx = ctx;
  resources_.push_back(r);
  name_context(ctx, "created context " + std::to_string(resources_.size()));
}

void Case::own_primary(CUdevice dev) {
  Resource r{Resource::primary, Owner::driver, nullptr};
  r.device = dev;
  resources_.push_back(r);
}

void Case::own_stream(CUstream s, Owner o) { own({Resource::stream, o, s}); }
void Case::own_event(CUevent e, Owner o) { own({Resource::event, o, e}); }
void Case::own_device_memory(CUdeviceptr p, std::size_t bytes, Owner o) {
  own_device_memory(reinterpret_cast<void*>(p), bytes, o);
}
void Case::own_device_memory(void* p, std::size_t bytes, Owner o) {
  Resource r{Resource::device_memory, o, p};
  r.bytes = bytes;
  own(r);
}
void Case::own_device_memory_reported_in(void* p, std::size_t bytes, Owner o, CUcontext reported) {
  Resource r{Resource::device_memory, o, p};
  r.bytes = bytes;
  r.reported_elsewhere = true;
  r.reported = reported;
  own(std::move(r));
}
void Case::own_host_memory(void* p, Owner o) { own({Resource::host_memory, o, p}); }
void Case::own_module(CUmodule m) { own({Resource::module, Owner::driver, m}); }
void Case::own_library(CUlibrary l) { own({Resource::library, Owner::driver, l}); }

void Case::defer(std::string what, std::function<CUresult()> release) {
  Resource r{Resource::deferred, Owner::driver, nullptr};
  r.what = std::move(what);
  r.release = std::move(release);
  own(std::move(r));
}

void Case::forget(const void* handle) {
  auto it = std::find_if(resources_.rbegin(), resources_.rend(), [&](const Resource& r) { return r.handle == handle; });
  if (it != resources_.rend()) resources_.erase(std::next(it).base());
}

namespace {
// Makes a context current for a harness step and restores the thread's stack after it.
class Pushed {
 public:
  explicit Pushed(CUcontext ctx) : ok_(ctx == nullptr || cuCtxPushCurrent(ctx) == CUDA_SUCCESS), ctx_(ctx) {}
  ~Pushed() {
    CUcontext popped = nullptr;
    if (ok_ && ctx_ != nullptr) cuCtxPopCurrent(&popped);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_;
  CUcontext ctx_;
};
}  // namespace

bool Case::validate(const Resource& r, std::string_view when) {
  trace::Harness by_harness;
  const std::string at = " (" + std::string(when) + ")";
  auto invalid = [&](const std::string& what, nlohmann::json evidence) {
    return expect(false, FindingKind::handle_invalidated, what + at, std::move(evidence));
  };
  Pushed pushed(r.kind == Resource::context || r.kind == Resource::primary ? nullptr : r.ctx);
  if (!pushed.ok()) return invalid("its context " + hex(r.ctx) + " can no longer be made current", nullptr);
  switch (r.kind) {
    case Resource::context: {
      Pushed inside(static_cast<CUcontext>(const_cast<void*>(r.handle)));
      if (!inside.ok()) return invalid("created context " + hex(r.handle) + " cannot be pushed", nullptr);
      CUdevice dev = -1;
      int rt_dev = -1;
      const CUresult dr = cuCtxGetDevice(&dev);
      const cudaError_t rr = cudaGetDevice(&rt_dev);
      if (dr != CUDA_SUCCESS || rr != cudaSuccess)
        return invalid("created context " + hex(r.handle) + " not usable through both APIs",
                       {{"cuCtxGetDevice", describe(dr)}, {"cudaGetDevice", describe(rr)}});
      return expect(dev == r.device && rt_dev == r.device, FindingKind::wrong_device,
                    "created context " + hex(r.handle) + " reports another device" + at,
                    {{"expected", r.device}, {"cuCtxGetDevice", dev}, {"cudaGetDevice", rt_dev}});
    }
    case Resource::primary: {
      PrimaryState s;
      cuDevicePrimaryCtxGetState(r.device, &s.flags, &s.active);
      return expect(s.active == 1, FindingKind::handle_invalidated,
                    "retained primary context of device " + std::to_string(r.device) + " is inactive" + at,
                    {{"flags", s.flags}, {"active", s.active}});
    }
    case Resource::stream: {
      auto s = static_cast<CUstream>(const_cast<void*>(r.handle));
      const CUresult dq = cuStreamQuery(s);
      const cudaError_t rq = cudaStreamQuery(s);
      CUcontext sctx = nullptr;
      const CUresult dc = cuStreamGetCtx(s, &sctx);
      if (!driver_query_ok(dq) || !runtime_query_ok(rq) || dc != CUDA_SUCCESS)
        return invalid("stream " + hex(s) + " not usable through both APIs",
                       {{"cuStreamQuery", describe(dq)}, {"cudaStreamQuery", describe(rq)},
                        {"cuStreamGetCtx", describe(dc)}});
      return expect(sctx == r.ctx, FindingKind::wrong_context, "stream " + hex(s) + " reports another context" + at,
                    {{"expected", hex(r.ctx)}, {"observed", hex(sctx)}});
    }
    case Resource::event: {
      auto e = static_cast<CUevent>(const_cast<void*>(r.handle));
      const CUresult dq = cuEventQuery(e);
      const cudaError_t rq = cudaEventQuery(e);
      return driver_query_ok(dq) && runtime_query_ok(rq)
                 ? true
                 : invalid("event " + hex(e) + " not usable through both APIs",
                           {{"cuEventQuery", describe(dq)}, {"cudaEventQuery", describe(rq)}});
    }
    case Resource::device_memory: {
      const auto ptr = reinterpret_cast<CUdeviceptr>(r.handle);
      CUcontext owner = nullptr;
      const CUresult da = cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, ptr);
      std::uint32_t by_driver = 0, by_runtime = 0;
      const CUresult dr = cuMemcpyDtoH(&by_driver, ptr, sizeof by_driver);
      const cudaError_t rr = cudaMemcpy(&by_runtime, r.handle, sizeof by_runtime, cudaMemcpyDefault);
      if (da != CUDA_SUCCESS || dr != CUDA_SUCCESS || rr != cudaSuccess)
        return invalid("allocation " + hex(r.handle) + " not readable through both APIs",
                       {{"cuPointerGetAttribute", describe(da)}, {"cuMemcpyDtoH", describe(dr)},
                        {"cudaMemcpy", describe(rr)}});
      bool ok = expect(by_driver == by_runtime, FindingKind::data_mismatch,
                       "allocation " + hex(r.handle) + " reads differently through the two APIs" + at,
                       {{"cuMemcpyDtoH", by_driver}, {"cudaMemcpy", by_runtime}});
      const CUcontext expected = r.reported_elsewhere ? r.reported : r.ctx;
      return expect(owner == expected, FindingKind::wrong_context,
                    "allocation " + hex(r.handle) + " reports another context" + at,
                    {{"expected", hex(expected)}, {"observed", hex(owner)}}) && ok;
    }
    case Resource::host_memory: {
      cudaPointerAttributes attrs{};
      const cudaError_t ra = cudaPointerGetAttributes(&attrs, r.handle);
      unsigned int type = 0;
      const CUresult da =
          cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, reinterpret_cast<CUdeviceptr>(r.handle));
      if (ra != cudaSuccess || da != CUDA_SUCCESS)
        return invalid("pinned host memory " + hex(r.handle) + " not known to both APIs",
                       {{"cudaPointerGetAttributes", describe(ra)}, {"cuPointerGetAttribute", describe(da)}});
      return expect(attrs.type == cudaMemoryTypeHost && type == CU_MEMORYTYPE_HOST, FindingKind::mismatch,
                    "pinned host memory " + hex(r.handle) + " is not host memory to both APIs" + at,
                    {{"cudaPointerAttributes.type", static_cast<int>(attrs.type)}, {"CU_POINTER_ATTRIBUTE_MEMORY_TYPE", type}});
    }
    case Resource::module:
    case Resource::library:
    case Resource::deferred:
      return true;  // validated by what the case does with them
  }
  return true;
}

void Case::checkpoint(std::string_view label) {
  trace::emit({{"ev", "checkpoint"}, {"label", std::string(label)}});
  for (const auto& r : resources_) validate(r, label);
}

void Case::release(Resource& r) {
  trace::Harness by_harness;
  auto check = [&](CUresult dr, cudaError_t rr, const char* what) {
    if (dr == CUDA_SUCCESS && rr == cudaSuccess) return;
    record_finding(FindingKind::cleanup_failed, std::string(what) + " " + hex(r.handle) + " failed",
                   {{"driver", describe(dr)}, {"runtime", describe(rr)}}, nullptr, 0);
  };
  const bool runtime = r.owner == Owner::runtime;
  Pushed pushed(r.kind == Resource::context || r.kind == Resource::primary ? nullptr : r.ctx);
  void* h = const_cast<void*>(r.handle);
  switch (r.kind) {
    case Resource::context: check(cuCtxDestroy(static_cast<CUcontext>(h)), cudaSuccess, "cuCtxDestroy"); break;
    case Resource::primary: check(cuDevicePrimaryCtxRelease(r.device), cudaSuccess, "cuDevicePrimaryCtxRelease"); break;
    case Resource::stream:
      runtime ? check(CUDA_SUCCESS, cudaStreamDestroy(static_cast<cudaStream_t>(h)), "cudaStreamDestroy")
              : check(cuStreamDestroy(static_cast<CUstream>(h)), cudaSuccess, "cuStreamDestroy");
      break;
    case Resource::event:
      runtime ? check(CUDA_SUCCESS, cudaEventDestroy(static_cast<cudaEvent_t>(h)), "cudaEventDestroy")
              : check(cuEventDestroy(static_cast<CUevent>(h)), cudaSuccess, "cuEventDestroy");
      break;
    case Resource::device_memory:
      runtime ? check(CUDA_SUCCESS, cudaFree(h), "cudaFree")
              : check(cuMemFree(reinterpret_cast<CUdeviceptr>(h)), cudaSuccess, "cuMemFree");
      break;
    case Resource::host_memory:
      runtime ? check(CUDA_SUCCESS, cudaFreeHost(h), "cudaFreeHost") : check(cuMemFreeHost(h), cudaSuccess, "cuMemFreeHost");
      break;
    case Resource::module: check(cuModuleUnload(static_cast<CUmodule>(h)), cudaSuccess, "cuModuleUnload"); break;
    case Resource::library: check(cuLibraryUnload(static_cast<CUlibrary>(h)), cudaSuccess, "cuLibraryUnload"); break;
    case Resource::deferred: {
      const CUresult result = r.release();
      if (result != CUDA_SUCCESS)
        record_finding(FindingKind::cleanup_failed, "releasing " + r.what + " failed", {{"result", describe(result)}},
                       nullptr, 0);
      break;
    }
  }
}

void Case::finish() {
  trace::Harness by_harness;
  if (def_.spec.needs.devices == 0) return;  // a case that never touches CUDA leaves nothing in it
  for (const auto& r : resources_) validate(r, "end of case");
  // What the case left behind, judged before the harness releases anything (releasing the last
  // reference to a primary context that is still current deactivates it, by design): a context
  // left current must still work, and the runtime must hold no error nobody checked.
  CUcontext current = nullptr;
  if (cuCtxGetCurrent(&current) == CUDA_SUCCESS && current != nullptr) {
    const CUresult r = cuCtxSynchronize();
    expect(r == CUDA_SUCCESS, FindingKind::sticky_error, "the context current at the end cannot synchronize",
           {{"context", hex(current)}, {"cuCtxSynchronize", describe(r)}});
  }
  if (trace::runtime_used()) {
    const cudaError_t last = cudaGetLastError();
    expect(last == cudaSuccess, FindingKind::sticky_error, "the runtime holds an error nobody checked",
           {{"cudaGetLastError", describe(last)}});
  }
  while (!resources_.empty()) {
    release(resources_.back());
    resources_.pop_back();
  }
}

}  // namespace ctxshare
