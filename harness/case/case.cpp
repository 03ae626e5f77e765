#include "harness/case/case.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <optional>
#include <thread>

namespace ctxshare {

Case::Case(const CaseDef& def) : def_(def) {
  // CTXSHARE_SEED replays the data of an earlier run: its seed is in that run's trace.
  const char* given = std::getenv("CTXSHARE_SEED");
  const std::uint64_t seed = given != nullptr ? std::strtoull(given, nullptr, 10) : std::random_device{}();
  rng_ = seed | 1;
  emit(Event::seed, {{"seed", seed}});
}

CUdevice Case::device(int ordinal) {
  CUdevice dev = 0;
  CU(cuDeviceGet(&dev, ordinal));
  return dev;
}

int Case::axis_index(const void* key) const {
  for (const auto& p : def_.params)
    if (p.key == key) return p.index;
  throw std::logic_error(def_.id + " reads an axis its spec does not declare");
}

void Case::skip(std::string reason) { throw Skip{std::move(reason)}; }

bool Case::expect(bool ok, FindingKind kind, std::string_view what, Value evidence) {
  count_check();
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
    if (observed[i] != expected[i] && wrong++ == 0) first = i;
  if (wrong == 0) return expect(true, FindingKind::data_mismatch, what);
  return expect(false, FindingKind::data_mismatch, what,
                {{"words", observed.size()}, {"wrong_words", wrong}, {"first_wrong_index", first},
                 {"expected", expected[first]}, {"observed", observed[first]}});
}

void Case::observe(std::string_view key, Value value) {
  count_check();  // a hazard case's record of what happened is its check
  emit(Event::observe, {{"key", std::string(key)}, {"value", std::move(value)}});
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

bool Case::expect_ledger_unchanged(const Ledger& before, std::string_view step, bool thread_only) {
  const Ledger after = ledger();
  const bool same = thread_only ? after.same_thread_view(before) : after == before;
  if (same) return expect(true, FindingKind::context_changed, step);
  return expect(false, FindingKind::context_changed, std::string(step) + " changed the context ledger",
                {{"before", ledger_evidence(before, names_)}, {"after", ledger_evidence(after, names_)}});
}

void Case::name_context(CUcontext ctx, std::string name) { names_.emplace_back(ctx, std::move(name)); }

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
  std::optional<Skip> skipped;
  std::thread worker([&] {
    try {
      fn();
    } catch (const Stop&) {
    } catch (const Skip& s) {
      skipped = s;  // the case skips, from the thread that runs it: no exception may leave a thread
    } catch (const std::exception& e) {
      record_finding(FindingKind::exception, e.what(), nullptr, nullptr, 0);
    }
  });
  worker.join();
  if (skipped) throw *skipped;
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
  if (const nvrtcResult compiled = nvrtcCompileProgram(program, 2, options); compiled != NVRTC_SUCCESS) {
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
  std::string out;
  NVRTC(cubin ? nvrtcGetCUBINSize(program, &size) : nvrtcGetPTXSize(program, &size));
  out.resize(size);
  NVRTC(cubin ? nvrtcGetCUBIN(program, out.data()) : nvrtcGetPTX(program, out.data()));
  NVRTC(nvrtcDestroyProgram(&program));
  return out;
}

void* Case::driver_entry_point(const char* symbol, int version, cuuint64_t flags) {
  trace::Call call(trace::Api::driver, "cuGetProcAddress");
  void* p = nullptr;
  CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  auto get = driver_get_proc_address();
  const CUresult r = get == nullptr ? CUDA_ERROR_NOT_INITIALIZED : get(symbol, &p, version, flags, &found);
  finish_driver_call(call, r);
  emit(Event::observe, {{"key", std::string("cuGetProcAddress ") + symbol + " " + std::to_string(version) + " flags " +
                                    std::to_string(flags)},
                        {"value", {{"result", describe(r)}, {"found", static_cast<int>(found)}, {"pointer", describe(p)}}}});
  return found == CU_GET_PROC_ADDRESS_SUCCESS ? p : nullptr;
}

void Case::checkpoint(std::string_view label) {
  emit(Event::checkpoint, {{"label", std::string(label)}});
  for (const auto& r : resources_) validate(r, label);
}

namespace {

// Whether ctx is the primary context of a device whose primary is inactive (reset, not yet
// re-initialized). Asking for the handle re-initializes that primary, which is harmless here: the
// case is over, and the handle a reset primary keeps is the same.
bool is_reset_primary(CUcontext ctx) {
  for (int i = 0; i < load_driver().device_count; ++i) {
    CUdevice dev = 0;
    unsigned int flags = 0;
    int active = 1;
    if (cuDeviceGet(&dev, i) != CUDA_SUCCESS || cuDevicePrimaryCtxGetState(dev, &flags, &active) != CUDA_SUCCESS || active)
      continue;
    CUcontext primary = nullptr;
    if (cuDevicePrimaryCtxRetain(&primary, dev) != CUDA_SUCCESS) continue;
    cuDevicePrimaryCtxRelease(dev);
    if (primary == ctx) return true;
  }
  return false;
}

}  // namespace

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
    // RT-RESET documents a primary context reset by cudaDeviceReset as staying current until the
    // next runtime call: that state is not an error left behind.
    if (r != CUDA_SUCCESS && !is_reset_primary(current))
      record_finding(FindingKind::sticky_error, "the context current at the end cannot synchronize",
                     {{"context", hex(current)}, {"cuCtxSynchronize", describe(r)}}, nullptr, 0);
  }
  if (trace::runtime_used()) {
    if (const cudaError_t last = cudaGetLastError(); last != cudaSuccess)
      record_finding(FindingKind::sticky_error, "the runtime holds an error nobody checked",
                     {{"cudaGetLastError", describe(last)}}, nullptr, 0);
  }
  while (!resources_.empty()) {
    release(resources_.back());
    resources_.pop_back();
  }
}

}  // namespace ctxshare
