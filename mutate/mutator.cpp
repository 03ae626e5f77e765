// The mutating libcuda.so.1 of `ctxshare mutate` (docs/mutation.md): placed first on the library path,
// it loads the real driver (CTXSHARE_MUTATE_REAL_DRIVER, else the first libcuda.so.1 on the library
// path or in the usual directories that is not this file) and exports every symbol of the toolkit's
// stub as a generated stub (gen_stubs.cmake) that forwards with one jump unless armed. One fault per
// process, from CTXSHARE_FAULT (fault_spec.h): the armed symbol's calls go through
// ctxshare_mutate_slow (slow_path.S), which asks ctxshare_mutate_decide what to do. Record mode
// (CTXSHARE_FAULT_RECORD=FILE) arms every symbol and appends "SYMBOL NTH THREAD THREAD_NTH [case]" for
// the first calls of each symbol and every call the case itself made, so the mutations are derived
// from what a case really calls. The harness marks its cases' own driver calls through
// ctxshare_mutate_case_call (harness/cuda/driver_api.cpp finds it here and nowhere else).
//
// cuGetProcAddress and _v2 are wrapped: the pointer the real driver hands back is mapped to the
// exported symbol it is (a reverse table of dlsym(real, name) for every name), and that symbol's stub
// is handed back instead, so a fault reaches the runtime's calls too. A pointer that maps to no name
// is handed back as it is (record mode says "unmapped NAME").
//
// No CUDA header: the types are the driver's C ABI on 64-bit Linux. Links nothing of the harness.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mutate/fault_spec.h"
#include "watch/real_driver.h"

extern "C" void* ctxshare_mutate_slots[];
extern "C" unsigned char ctxshare_mutate_armed[];
extern "C" void* const ctxshare_mutate_stubs[];

namespace {

using namespace ctxshare_mutate;
using CUresult = int;
using CUcontext = void*;
constexpr CUresult kSuccess = 0;
constexpr CUresult kStubLibrary = 34;  // CUDA_ERROR_STUB_LIBRARY: what a symbol the real driver lacks answers
constexpr int kRecordedPerSymbol = 8;  // record mode: the first calls of each symbol (their nth is what a fault names)

const char* const kNames[] = {
#include "stub_names.inc"
};
constexpr std::size_t kCount = sizeof kNames / sizeof kNames[0];

void* g_real = nullptr;
std::string g_real_path;  // set by the constructor, read by nothing before it
std::unordered_map<void*, std::size_t>& by_address() {  // real function -> slot index
  static std::unordered_map<void*, std::size_t> map;
  return map;
}
std::unordered_map<std::string, std::size_t>& by_name() {
  static std::unordered_map<std::string, std::size_t> map;
  return map;
}

bool g_recording = false;
int g_record_fd = -1;
std::atomic<long> g_calls[kCount];

bool g_faulting = false;
FaultSpec g_fault;
std::size_t g_fault_index = 0;
std::atomic<long> g_fault_calls{0};  // the armed symbol's calls (on its thread, with @T)

// Threads are numbered per symbol, in the order of their first call of it: the same numbering in
// record mode (every symbol armed) and under a fault (one symbol armed).
std::atomic<int> g_symbol_threads[kCount];
thread_local int t_calls[kCount];
thread_local int t_ordinal[kCount];
thread_local bool t_case_call = false;  // the harness says the call under way is the case's own

CUresult missing_symbol() { return kStubLibrary; }

// CTXSHARE_FAULT_FIRED=FILE: a line per process whose fault met its call, so that `ctxshare mutate`
// tells a mutant that ran from one whose call never came (that one proves nothing either way).
std::string g_fired_file;
void note_fired() {
  if (g_fired_file.empty()) return;
  const int fd = ::open(g_fired_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string line = "fired " + std::to_string(getpid()) + "\n";
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

void say(const std::string& line) {
  const std::string text = "ctxshare-mutate: " + line + "\n";
  [[maybe_unused]] auto n = ::write(2, text.data(), text.size());
}

void record_line(const std::string& line) {
  if (g_record_fd < 0) return;
  const std::string text = line + "\n";
  [[maybe_unused]] auto n = ::write(g_record_fd, text.data(), text.size());
}


template <typename F>
F real(const char* name) {
  auto it = by_name().find(name);
  return it == by_name().end() ? nullptr : reinterpret_cast<F>(ctxshare_mutate_slots[it->second]);
}

// `change:other` for a context output: the device's primary context when it is active and is not the
// answer (a retain and a release leave its count as it was), else null.
CUcontext other_context(CUcontext answer) {
  auto get_state = real<CUresult (*)(int, unsigned*, int*)>("cuDevicePrimaryCtxGetState");
  auto retain = real<CUresult (*)(CUcontext*, int)>("cuDevicePrimaryCtxRetain");
  auto release = real<CUresult (*)(int)>("cuDevicePrimaryCtxRelease_v2");
  unsigned flags = 0;
  int active = 0;
  if (get_state == nullptr || retain == nullptr || release == nullptr || get_state(0, &flags, &active) != kSuccess || !active)
    return nullptr;
  CUcontext primary = nullptr;
  if (retain(&primary, 0) != kSuccess) return nullptr;
  release(0);
  return primary != answer ? primary : nullptr;
}

// Each attribute's answer made wrong in a way its type allows (CU_POINTER_ATTRIBUTE_*, cuda.h).
void change_pointer_attribute(int attribute, void* data) {
  switch (attribute) {
    case 1:   // CONTEXT
    case 17:  // MEMPOOL_HANDLE
      *static_cast<void**>(data) = nullptr;
      break;
    case 2: {  // MEMORY_TYPE: CU_MEMORYTYPE_HOST <-> CU_MEMORYTYPE_DEVICE
      auto* type = static_cast<unsigned*>(data);
      *type = *type == 1 ? 2 : 1;
      break;
    }
    case 3:   // DEVICE_POINTER
    case 4:   // HOST_POINTER
    case 11:  // RANGE_START_ADDR
    case 19:  // MAPPING_BASE_ADDR
      *static_cast<char**>(data) += 256;
      break;
    case 6:   // SYNC_MEMOPS
    case 8:   // IS_MANAGED
    case 10:  // IS_LEGACY_CUDA_IPC_CAPABLE
    case 13:  // MAPPED
    case 15:  // IS_GPU_DIRECT_RDMA_CAPABLE
      *static_cast<unsigned char*>(data) ^= 1;  // a bool or an int: its low byte either way
      break;
    case 7:   // BUFFER_ID
    case 20:  // MEMORY_BLOCK_ID
      *static_cast<unsigned long long*>(data) += 1;
      break;
    case 9:   // DEVICE_ORDINAL
      *static_cast<int*>(data) += 1;
      break;
    case 12:  // RANGE_SIZE
    case 18:  // MAPPING_SIZE
      *static_cast<std::size_t*>(data) += 4096;
      break;
    case 14:  // ALLOWED_HANDLE_TYPES
    case 16:  // ACCESS_FLAGS
      *static_cast<unsigned*>(data) ^= 1;
      break;
    default:
      break;  // P2P_TOKENS and newer ones: left as they are
  }
}

// `differ` (the default) always changes the answer: a context becomes null, and null becomes another
// context (the primary when it is active, else a handle no driver gave out), so that a getter whose
// right answer is null is mutated too.
void change_context(CUcontext* out) {
  if (out == nullptr) return;
  if (g_fault.what == "other") *out = other_context(*out);
  else if (g_fault.what == "null" || *out != nullptr) *out = nullptr;
  else if (CUcontext primary = other_context(nullptr); primary != nullptr) *out = primary;
  else *out = reinterpret_cast<CUcontext>(static_cast<std::uintptr_t>(0x1000));
}

}  // namespace

// ---- called from slow_path.S ----

extern "C" [[gnu::visibility("hidden")]] std::uint64_t ctxshare_mutate_decide(std::uint64_t index) {
  const long nth = ++g_calls[index];
  const long thread_nth = ++t_calls[index];
  if (thread_nth == 1) t_ordinal[index] = g_symbol_threads[index]++;
  const long thread = t_ordinal[index];
  if (g_recording) {
    if (nth <= kRecordedPerSymbol || t_case_call)
      record_line(std::string(kNames[index]) + " " + std::to_string(nth) + " " + std::to_string(thread) + " " +
                  std::to_string(thread_nth) + (t_case_call ? " case" : ""));
    return 0;
  }
  if (!g_faulting || index != g_fault_index) return 0;
  if (g_fault.thread >= 0 && thread != g_fault.thread) return 0;
  const long counted = g_fault.thread >= 0 ? thread_nth : nth;
  if (g_fault.nth > 0 && counted != g_fault.nth) return 0;
  if (++g_fault_calls == 1) note_fired();
  switch (g_fault.kind) {
    case FaultKind::error: return (1ull << 32) | static_cast<std::uint32_t>(g_fault.code);
    case FaultKind::skip: return 1ull << 32;
    case FaultKind::work_then_error: return (2ull << 32) | static_cast<std::uint32_t>(g_fault.code);
    case FaultKind::change: return 3ull << 32;
  }
  return 0;
}

// The harness's mark around each driver call a case makes itself (not the runtime, not the harness).
extern "C" [[gnu::visibility("default")]] void ctxshare_mutate_case_call(int on) { t_case_call = on != 0; }

// The typed getters of `change` (fault_spec.h: kChangeable): the real call, then its output changed.
// a[] holds the integer argument registers rdi, rsi, rdx, rcx, r8, r9.
extern "C" [[gnu::visibility("hidden")]] CUresult ctxshare_mutate_typed(std::uint64_t index, const std::uint64_t* a) {
  const std::string name = kNames[index];
  void* fn = ctxshare_mutate_slots[index];
  if (name == "cuCtxGetCurrent") {
    auto p = reinterpret_cast<CUcontext*>(a[0]);
    const CUresult r = reinterpret_cast<CUresult (*)(CUcontext*)>(fn)(p);
    if (r == kSuccess) change_context(p);
    return r;
  }
  if (name == "cuStreamGetCtx" || name == "cuStreamGetCtx_ptsz") {
    auto p = reinterpret_cast<CUcontext*>(a[1]);
    const CUresult r = reinterpret_cast<CUresult (*)(void*, CUcontext*)>(fn)(reinterpret_cast<void*>(a[0]), p);
    if (r == kSuccess) change_context(p);
    return r;
  }
  if (name == "cuCtxGetDevice" || name == "cuDeviceGet") {  // another ordinal
    auto p = reinterpret_cast<int*>(a[0]);
    const CUresult r = name == "cuCtxGetDevice" ? reinterpret_cast<CUresult (*)(int*)>(fn)(p)
                                                : reinterpret_cast<CUresult (*)(int*, int)>(fn)(p, static_cast<int>(a[1]));
    if (r == kSuccess && p != nullptr) *p += 1;
    return r;
  }
  if (name == "cuDriverGetVersion") {  // a major version older
    auto p = reinterpret_cast<int*>(a[0]);
    const CUresult r = reinterpret_cast<CUresult (*)(int*)>(fn)(p);
    if (r == kSuccess && p != nullptr) *p -= 1000;
    return r;
  }
  if (name == "cuPointerGetAttribute") {
    void* data = reinterpret_cast<void*>(a[0]);
    const int attribute = static_cast<int>(a[1]);
    const CUresult r = reinterpret_cast<CUresult (*)(void*, int, std::uint64_t)>(fn)(data, attribute, a[2]);
    if (r != kSuccess || data == nullptr) return r;
    change_pointer_attribute(attribute, data);
    return r;
  }
  if (name == "cuCtxGetFlags") {  // the scheduling flag word flipped (CU_CTX_SCHED_BLOCKING_SYNC)
    auto p = reinterpret_cast<unsigned*>(a[0]);
    const CUresult r = reinterpret_cast<CUresult (*)(unsigned*)>(fn)(p);
    if (r == kSuccess && p != nullptr) *p ^= 0x4;
    return r;
  }
  if (name == "cuDevicePrimaryCtxGetState") {
    auto flags = reinterpret_cast<unsigned*>(a[1]);
    auto active = reinterpret_cast<int*>(a[2]);
    const CUresult r = reinterpret_cast<CUresult (*)(int, unsigned*, int*)>(fn)(static_cast<int>(a[0]), flags, active);
    if (r != kSuccess) return r;
    if (g_fault.what == "flags" && flags != nullptr) *flags ^= 0x4;
    if (g_fault.what == "active" && active != nullptr) *active = !*active;
    return r;
  }
  return reinterpret_cast<CUresult (*)(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                       std::uint64_t)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
}

// ---- cuGetProcAddress ----

namespace {

CUresult (*real_get_proc)(const char*, void**, int, std::uint64_t) = nullptr;
CUresult (*real_get_proc_v2)(const char*, void**, int, std::uint64_t, int*) = nullptr;
std::mutex g_unmapped_mutex;
std::unordered_map<std::string, bool>& unmapped() {
  static std::unordered_map<std::string, bool> map;
  return map;
}

void* stub_for(const char* symbol, void* real_pointer);

}  // namespace

extern "C" [[gnu::visibility("default")]] CUresult cuGetProcAddress(const char* symbol, void** pfn, int version, std::uint64_t flags) {
  if (real_get_proc == nullptr) return kStubLibrary;
  const CUresult r = real_get_proc(symbol, pfn, version, flags);
  if (r == kSuccess && symbol != nullptr && pfn != nullptr && *pfn != nullptr) *pfn = stub_for(symbol, *pfn);
  return r;
}

// cuGetProcAddress_v2 is this library's own function, not a stub: its calls are counted, recorded
// and faulted here (over the process only: no @T), so that a case that looks entry points up can be
// mutated too. `change` does not apply (it is no typed getter).
namespace {
std::atomic<long> g_get_proc_calls{0};
bool g_fault_on_get_proc = false;
constexpr const char* kGetProcV2 = "cuGetProcAddress_v2";
}  // namespace

extern "C" [[gnu::visibility("default")]] CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int version, std::uint64_t flags,
                                                                       int* status) {
  if (real_get_proc_v2 == nullptr) return kStubLibrary;
  if (g_recording || g_fault_on_get_proc) {
    const long nth = ++g_get_proc_calls;
    if (g_recording && (nth <= kRecordedPerSymbol || t_case_call))
      record_line(std::string(kGetProcV2) + " " + std::to_string(nth) + " 0 " + std::to_string(nth) + (t_case_call ? " case" : ""));
    if (g_fault_on_get_proc && (g_fault.nth == 0 || g_fault.nth == nth)) {
      if (++g_fault_calls == 1) note_fired();
      if (g_fault.kind == FaultKind::error) return g_fault.code;
      if (g_fault.kind == FaultKind::skip) return kSuccess;
      const CUresult r = real_get_proc_v2(symbol, pfn, version, flags, status);  // work_then_error
      if (r == kSuccess && symbol != nullptr && pfn != nullptr && *pfn != nullptr) *pfn = stub_for(symbol, *pfn);
      return g_fault.code;
    }
  }
  const CUresult r = real_get_proc_v2(symbol, pfn, version, flags, status);
  if (r == kSuccess && symbol != nullptr && pfn != nullptr && *pfn != nullptr) *pfn = stub_for(symbol, *pfn);
  return r;
}

namespace {

// The runtime first asks for "cuGetProcAddress" itself: it gets this library's, so everything it
// resolves afterwards comes through here too.
void* stub_for(const char* symbol, void* real_pointer) {
  if (std::strcmp(symbol, "cuGetProcAddress") == 0)
    return real_pointer == reinterpret_cast<void*>(real_get_proc) ? reinterpret_cast<void*>(&cuGetProcAddress)
                                                                  : reinterpret_cast<void*>(&cuGetProcAddress_v2);
  if (std::strcmp(symbol, "cuGetProcAddress_v2") == 0) return reinterpret_cast<void*>(&cuGetProcAddress_v2);
  auto it = by_address().find(real_pointer);
  if (it != by_address().end()) return ctxshare_mutate_stubs[it->second];
  if (g_recording) {
    std::lock_guard lock(g_unmapped_mutex);
    if (!unmapped()[symbol]) record_line(std::string("unmapped ") + symbol);
    unmapped()[symbol] = true;
  }
  return real_pointer;
}

void load_real_driver() {
  for (std::size_t i = 0; i < kCount; ++i) by_name()[kNames[i]] = i;
  const char* given = std::getenv("CTXSHARE_MUTATE_REAL_DRIVER");
  g_real_path = given != nullptr && *given != '\0' ? given : find_real_driver();
  if (!g_real_path.empty()) g_real = dlopen(g_real_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (g_real == nullptr) {
    const char* why = g_real_path.empty() ? "no libcuda.so.1 found besides this one" : dlerror();
    say("cannot load the real driver " + g_real_path + ": " + (why ? why : "") + "; every driver call answers CUDA_ERROR_STUB_LIBRARY");
  }
  for (std::size_t i = 0; i < kCount; ++i) {
    void* p = g_real ? dlsym(g_real, kNames[i]) : nullptr;
    ctxshare_mutate_slots[i] = p != nullptr ? p : reinterpret_cast<void*>(&missing_symbol);
    if (p != nullptr) by_address().emplace(p, i);  // the first name of a shared address keeps it
  }
  if (g_real != nullptr) {
    real_get_proc = reinterpret_cast<decltype(real_get_proc)>(dlsym(g_real, "cuGetProcAddress"));
    real_get_proc_v2 = reinterpret_cast<decltype(real_get_proc_v2)>(dlsym(g_real, "cuGetProcAddress_v2"));
  }
  if (const char* file = std::getenv("CTXSHARE_FAULT_RECORD"); file != nullptr && *file != '\0') {
    g_record_fd = ::open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_record_fd < 0) say(std::string("cannot open the record file ") + file);
    g_recording = true;
    std::memset(ctxshare_mutate_armed, 1, kCount);
    record_line("start " + std::to_string(getpid()) + " " + (g_real ? "loaded " : "not_loaded ") + g_real_path);
  }
  const char* text = std::getenv("CTXSHARE_FAULT");
  if (text == nullptr || *text == '\0' || g_recording) return;
  std::string why;
  if (!parse_fault_spec(text, &g_fault, &why, [](const std::string& s) { return by_name().count(s) > 0 || s == kGetProcV2; })) {
    say(std::string("bad CTXSHARE_FAULT '") + text + "': " + why);
    _exit(2);
  }
  if (const char* fired = std::getenv("CTXSHARE_FAULT_FIRED"); fired != nullptr && *fired != '\0') g_fired_file = fired;
  if (g_fault.symbol == kGetProcV2) {
    if (g_fault.thread >= 0 || g_fault.kind == FaultKind::change) {
      say(std::string("bad CTXSHARE_FAULT '") + text + "': cuGetProcAddress_v2 takes no @T and no change");
      _exit(2);
    }
    g_fault_on_get_proc = true;
    return;
  }
  g_fault_index = by_name()[g_fault.symbol];
  g_faulting = true;
  ctxshare_mutate_armed[g_fault_index] = 1;
}

// At load, after this file's globals (initialized in order above): a [[gnu::constructor]] could run
// before them and see its writes undone.
const bool g_loaded = (load_real_driver(), true);

}  // namespace
