// The interposing libcuda.so.1 of `ctxshare watch` (docs/watch.md). Placed first on the library path,
// it loads the real driver (CTXSHARE_WATCH_REAL_DRIVER, else a search that skips this file), forwards
// every exported symbol it does not watch through a one-jump trampoline (trampolines.S, generated
// from the toolkit's stub), and defines the watched entry points as C wrappers that keep a model of
// contexts and their objects and report the hazards of watch/hazard_table.h, one JSON line each, to
// CTXSHARE_WATCH_OUT/<pid>.jsonl (standard error when unset).
//
// Which component made a call: a pointer handed out by a cuGetProcAddress that was itself obtained
// through cuGetProcAddress is the CUDA runtime's way (the runtime and the libraries built on it resolve
// every entry point so), and is called `runtime`; an exported symbol, or a pointer from calling the
// exported cuGetProcAddress directly, is `program`. Primary-context retains are counted per component
// and per calling object (dladdr of the return address), so two runtimes linked into two libraries
// are two components.
//
// No CUDA header comes in: the types are the driver's C ABI on 64-bit Linux, declared below, so the
// library builds the same with every toolkit. Not linked with the harness: it must stay small.
#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "watch/hazard_table.h"
#include "watch/preload_abi.h"
#include "watch/real_driver.h"

extern "C" void* ctxshare_watch_slots[];

namespace {

const char* const kForwarded[] = {
#include "forward_names.inc"
};

// The driver's C ABI (cuda.h), as far as the wrappers need it.
using CUresult = int;
using CUdevice = int;
using CUcontext = struct CUctx_st*;
using CUstream = struct CUstream_st*;
using CUevent = struct CUevent_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUdeviceptr = unsigned long long;
struct IpcHandle {  // CUipcMemHandle, CUipcEventHandle: 64 opaque bytes, passed by value
  char reserved[64];
};
constexpr CUresult kSuccess = 0;
constexpr CUresult kInvalidContext = 201;   // CUDA_ERROR_INVALID_CONTEXT
constexpr CUresult kNotReady = 600;
constexpr CUresult kInvalidHandle = 400;    // CUDA_ERROR_INVALID_HANDLE         // CUDA_ERROR_NOT_READY: cuStreamQuery of a stream with work pending
constexpr CUresult kStubLibrary = 34;       // CUDA_ERROR_STUB_LIBRARY: what a symbol the real driver lacks answers
constexpr std::uint64_t kPerThreadStreamFlag = 2;  // CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
constexpr int kRangeStartAddress = 11;             // CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: fails for no allocation

enum class Origin { program, runtime };
const char* origin_name(Origin o) { return o == Origin::runtime ? "runtime" : "program"; }

// ---- output ----

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\', out += static_cast<char>(ch);
    else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else out += static_cast<char>(ch);
  }
  return out + "\"";
}

// "a b c" as a JSON array of strings.
std::string json_words(const char* words) {
  std::string out = "[";
  for (const char* p = words; p != nullptr && *p != '\0';) {
    while (*p == ' ') ++p;
    const char* end = p;
    while (*end != '\0' && *end != ' ') ++end;
    if (end != p) out += (out.size() > 1 ? "," : "") + json_string(std::string(p, end));
    p = end;
  }
  return out + "]";
}

// One line per record, written at once (O_APPEND), so a crash right after loses nothing; a forked
// child opens its own file.
void write_line(const std::string& line) {
  static pid_t opened_for = -1;
  static int fd = -1;
  const char* dir = std::getenv("CTXSHARE_WATCH_OUT");
  if (dir == nullptr || *dir == '\0') {
    const std::string text = "ctxshare-watch: " + line + "\n";
    [[maybe_unused]] auto n = ::write(2, text.data(), text.size());
    return;
  }
  if (opened_for != getpid()) {
    if (fd >= 0) ::close(fd);
    const std::string path = std::string(dir) + "/" + std::to_string(getpid()) + ".jsonl";
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    opened_for = getpid();
  }
  const std::string text = line + "\n";
  if (fd >= 0) [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
}

// ---- the real driver ----

void* g_real = nullptr;
std::string g_real_path;

// The preloaded exit marker (watch/exit_marker.cpp), when `ctxshare watch` or `run --watch` put it there.
CtxshareWatchExitState* g_exit = nullptr;
int (*g_exit_running)() = nullptr;
CUresult (*g_real_get_current)(CUcontext*) = nullptr;
// CUDA_MODULE_LOADING as the process started: lazy unless EAGER (the driver's default since 12.2).
bool g_lazy_loading = true;
// In a child forked from a parent with contexts: cuCtxGetCurrent, otherwise passed straight through, is
// watched there (often a child's first driver call).
bool g_forked_child = false;
// CTXSHARE_WATCH_CALLS set (not "0"): every watched call is a record too ("call"), for finding which
// driver calls a runtime or library call makes; the report reader does not read them.
bool g_log_calls = false;

CUresult missing_symbol() { return kStubLibrary; }

// ---- the watched entry points' real pointers ----

#define CTXSHARE_WATCHED(X)                                                                              \
  X(cuInit, (unsigned flags), (flags))                                                                   \
  X(cuCtxCreate, (CUcontext * ctx, unsigned flags, CUdevice dev), (ctx, flags, dev))                     \
  X(cuCtxCreate_v2, (CUcontext * ctx, unsigned flags, CUdevice dev), (ctx, flags, dev))                  \
  X(cuCtxCreate_v3, (CUcontext * ctx, void* affinity, int n, unsigned flags, CUdevice dev),             \
    (ctx, affinity, n, flags, dev))                                                                      \
  X(cuCtxCreate_v4, (CUcontext * ctx, void* params, unsigned flags, CUdevice dev), (ctx, params, flags, dev)) \
  X(cuCtxDestroy, (CUcontext ctx), (ctx))                                                                \
  X(cuCtxDestroy_v2, (CUcontext ctx), (ctx))                                                             \
  X(cuCtxDetach, (CUcontext ctx), (ctx))                                                                 \
  X(cuCtxSynchronize, (), ())                                                                            \
  X(cuCtxPushCurrent, (CUcontext ctx), (ctx))                                                            \
  X(cuCtxPushCurrent_v2, (CUcontext ctx), (ctx))                                                         \
  X(cuCtxPopCurrent, (CUcontext * ctx), (ctx))                                                           \
  X(cuCtxPopCurrent_v2, (CUcontext * ctx), (ctx))                                                        \
  X(cuCtxSetCurrent, (CUcontext ctx), (ctx))                                                             \
  X(cuDevicePrimaryCtxRetain, (CUcontext * ctx, CUdevice dev), (ctx, dev))                               \
  X(cuDevicePrimaryCtxRelease, (CUdevice dev), (dev))                                                    \
  X(cuDevicePrimaryCtxRelease_v2, (CUdevice dev), (dev))                                                 \
  X(cuDevicePrimaryCtxReset, (CUdevice dev), (dev))                                                      \
  X(cuDevicePrimaryCtxReset_v2, (CUdevice dev), (dev))                                                   \
  X(cuStreamCreate, (CUstream * s, unsigned flags), (s, flags))                                          \
  X(cuStreamCreateWithPriority, (CUstream * s, unsigned flags, int priority), (s, flags, priority))      \
  X(cuStreamDestroy, (CUstream s), (s))                                                                  \
  X(cuStreamDestroy_v2, (CUstream s), (s))                                                               \
  X(cuStreamQuery, (CUstream s), (s))                                                                    \
  X(cuStreamSynchronize, (CUstream s), (s))                                                              \
  X(cuStreamWaitEvent, (CUstream s, CUevent e, unsigned flags), (s, e, flags))                           \
  X(cuEventCreate, (CUevent * e, unsigned flags), (e, flags))                                            \
  X(cuEventDestroy, (CUevent e), (e))                                                                    \
  X(cuEventDestroy_v2, (CUevent e), (e))                                                                 \
  X(cuEventRecord, (CUevent e, CUstream s), (e, s))                                                      \
  X(cuEventQuery, (CUevent e), (e))                                                                      \
  X(cuEventSynchronize, (CUevent e), (e))                                                                \
  X(cuMemAlloc_v2, (CUdeviceptr * p, std::size_t bytes), (p, bytes))                                     \
  X(cuMemFree_v2, (CUdeviceptr p), (p))                                                                  \
  X(cuMemAllocHost_v2, (void** p, std::size_t bytes), (p, bytes))                                        \
  X(cuMemHostAlloc, (void** p, std::size_t bytes, unsigned flags), (p, bytes, flags))                    \
  X(cuMemFreeHost, (void* p), (p))                                                                       \
  X(cuMemsetD8_v2, (CUdeviceptr p, unsigned char v, std::size_t n), (p, v, n))                           \
  X(cuMemsetD32_v2, (CUdeviceptr p, unsigned v, std::size_t n), (p, v, n))                               \
  X(cuMemsetD8Async, (CUdeviceptr p, unsigned char v, std::size_t n, CUstream s), (p, v, n, s))          \
  X(cuMemsetD16Async, (CUdeviceptr p, unsigned short v, std::size_t n, CUstream s), (p, v, n, s))        \
  X(cuMemsetD32Async, (CUdeviceptr p, unsigned v, std::size_t n, CUstream s), (p, v, n, s))              \
  X(cuMemcpyHtoD_v2, (CUdeviceptr dst, const void* src, std::size_t n), (dst, src, n))                   \
  X(cuMemcpyDtoH_v2, (void* dst, CUdeviceptr src, std::size_t n), (dst, src, n))                         \
  X(cuMemcpyHtoDAsync_v2, (CUdeviceptr dst, const void* src, std::size_t n, CUstream s), (dst, src, n, s)) \
  X(cuMemcpy, (CUdeviceptr dst, CUdeviceptr src, std::size_t n), (dst, src, n))                          \
  X(cuMemcpyAsync, (CUdeviceptr dst, CUdeviceptr src, std::size_t n, CUstream s), (dst, src, n, s))      \
  X(cuPointerGetAttribute, (void* data, int attribute, CUdeviceptr p), (data, attribute, p))             \
  X(cuIpcGetMemHandle, (IpcHandle * h, CUdeviceptr p), (h, p))                                           \
  X(cuIpcOpenMemHandle, (CUdeviceptr * p, IpcHandle h, unsigned flags), (p, h, flags))                   \
  X(cuIpcOpenMemHandle_v2, (CUdeviceptr * p, IpcHandle h, unsigned flags), (p, h, flags))                \
  X(cuIpcGetEventHandle, (IpcHandle * h, CUevent e), (h, e))                                             \
  X(cuIpcOpenEventHandle, (CUevent * e, IpcHandle h), (e, h))                                            \
  X(cuIpcCloseMemHandle, (CUdeviceptr p), (p))                                                           \
  X(cuCtxGetCurrent, (CUcontext * ctx), (ctx))                                                           \
  X(cuCtxGetDevice, (CUdevice * dev), (dev))                                                             \
  X(cuModuleLoadData, (CUmodule * m, const void* image), (m, image))                                     \
  X(cuLibraryLoadData,                                                                                   \
    (void** library, const void* code, void* jit_options, void** jit_values, unsigned jit_count,         \
     void* library_options, void** library_values, unsigned library_count),                              \
    (library, code, jit_options, jit_values, jit_count, library_options, library_values, library_count)) \
  X(cuModuleUnload, (CUmodule m), (m))                                                                   \
  X(cuModuleGetFunction, (CUfunction * f, CUmodule m, const char* name), (f, m, name))                   \
  X(cuLibraryGetKernel, (void** k, void* library, const char* name), (k, library, name))                 \
  X(cuKernelGetFunction, (CUfunction * f, void* k), (f, k))                                              \
  X(cuFuncGetAttribute, (int* value, int attribute, CUfunction f), (value, attribute, f))                \
  X(cuKernelGetAttribute, (int* value, int attribute, void* k, CUdevice dev), (value, attribute, k, dev))  \
  X(cuKernelGetName, (const char** name, void* k), (name, k))                                           \
  X(cuLaunchKernel,                                                                                      \
    (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,         \
     unsigned shared, CUstream s, void** params, void** extra),                                          \
    (f, gx, gy, gz, bx, by, bz, shared, s, params, extra))

// Watched only where cuGetProcAddress hands them out: not every toolkit's stub exports them (CUDA 13's
// cuCtxSynchronize_v2), so the exported symbol, where there is one, is a trampoline.
#define CTXSHARE_WATCHED_BY_ADDRESS(X)   \
  X(cuCtxSynchronize_v2, (CUcontext ctx), (ctx)) \
  X(cuCtxGetDevice_v2, (CUdevice * dev, CUcontext ctx), (dev, ctx))

#define CTXSHARE_REAL_POINTER(name, params, args) CUresult(*real_##name) params = nullptr;
CTXSHARE_WATCHED(CTXSHARE_REAL_POINTER)
CTXSHARE_WATCHED_BY_ADDRESS(CTXSHARE_REAL_POINTER)
CUresult (*real_cuGetProcAddress)(const char*, void**, int, std::uint64_t) = nullptr;
CUresult (*real_cuGetProcAddress_v2)(const char*, void**, int, std::uint64_t, int*) = nullptr;

// ---- the model ----

struct Entry {  // one call of the ring of recent calls
  std::uint64_t number = 0;
  const char* function = nullptr;
  Origin origin = Origin::program;
  CUresult result = -1;
};

struct StackEntry {
  CUcontext ctx;
  bool pushed;  // by cuCtxPushCurrent or cuCtxCreate, not bound by cuCtxSetCurrent
};

struct ThreadState;
void thread_ended(ThreadState& t);

struct ThreadState {
  int index = 0;
  long tid = 0;
  std::vector<StackEntry> stack;
  bool runtime_switched = false;  // the runtime replaced a created context this thread had current
  std::set<std::uint64_t> loaded_beside;  // launches (by call number) this thread was reported loading code beside
  // The runtime's load reported beside a running kernel (its library, a kernel of it): the runtime call
  // it served, the launch or the attribute query that comes next on this thread, names the case.
  std::string beside_pending;  // "<load>|<lazy|eager>|<the running launch's call number>", empty when none
  bool had_context = false;    // a context was current on this thread at some point (watched calls)
  // The context (and its generation) a CUDA library's launch was last found at home in, on this thread.
  CUcontext library_home = nullptr;
  unsigned library_home_generation = 0;
  void* last_code = nullptr;  // the kernel handle check_code_loaded_beside_a_running_kernel saw last
  std::array<Entry, 8> ring{};
  std::size_t calls = 0;
  CUcontext current() const { return stack.empty() ? nullptr : stack.back().ctx; }
};

struct ContextRecord {
  unsigned generation = 0;
  bool alive = true;          // created: not destroyed; primary: active
  bool primary = false;
  std::vector<char> endings;  // why each past generation ended: 'd' destroyed, 'r' reset
  std::vector<std::string> enders;  // the call that ended each past generation ("runtime:cuDevicePrimaryCtxReset_v2")
  std::string stale_uses;     // the first stale use reported since it ended
  std::uint64_t reinitialized_by = 0;  // the call number of the retain that re-initialized a reset primary
};

struct Object {
  CUcontext ctx = nullptr;
  unsigned generation = 0;
  std::string made_by;  // "runtime:cuStreamCreate"
  const char* library = nullptr;  // the CUDA library (its own runtime instance) that made it, not the process's runtime
  // An allocation at the address of one whose context ended (a reset, a destroy) and that was never
  // freed: what ended it (stale_objects.stale_pointer_freed_after_the_reset_and_a_new_allocation).
  std::string replaced_stale;
};

// The last kernel launched on a stream, for module_loaded_beside_a_running_kernel.
struct Launch {
  int thread = 0;  // the launching thread's index
  std::uint64_t number = 0;
  CUcontext ctx = nullptr;
  unsigned generation = 0;
};

struct Primary {
  CUcontext ctx = nullptr;
  std::map<std::string, int> retains;  // per component
  std::set<std::string> ever_retained;  // components that retained it at least once
  std::map<std::string, std::string> lost_to_reset;  // component -> the reset that dropped its retains, until it retains again
  std::string last_ended_by;  // the last reset or release to zero ("runtime:cuDevicePrimaryCtxReset")
  // Since it last became active: the component whose retain did it; the process's runtime (its
  // component) and how it came to the primary before its first retain ("push": cudaInitDevice's
  // cuCtxPushCurrent, "set": cuCtxSetCurrent, "found_current": neither, it was current already); and
  // the release by which that first component let go of its last retain while the runtime held one.
  std::string first_retainer, runtime, runtime_came_by, released_under_the_runtime;
  int total() const {
    int n = 0;
    for (const auto& [who, count] : retains) n += count;
    return n;
  }
};

struct Model {
  std::mutex mutex;
  // Numbered without the lock: every watched call takes a number, a launch loop's included.
  std::atomic<std::uint64_t> calls{0};
  std::atomic<int> threads{0};
  std::unordered_map<CUcontext, ContextRecord> contexts;
  std::unordered_map<void*, Object> streams, events, modules, functions, host_memory;
  // Kernel handles by kind, whoever made them: CUkernel (cuLibraryGetKernel, which cudaGetKernel's
  // handles are) and CUfunction (cuModuleGetFunction, cuKernelGetFunction).
  std::set<void*> kernel_handles, function_handles;
  // Kernel code loaded or asked about: handles launched, or given to cuFuncGetAttribute or
  // cuKernelGetFunction, at least once; and the last launch on each stream the model knows.
  std::unordered_set<void*> used_code;
  std::unordered_set<void*> program_code;  // kernel handles the program got from the driver itself
  // CUfunctions the program's runtime made with cuKernelGetFunction (cudaGetFuncBySymbol's, and
  // cudaFuncGetAttributes'): in the H100 runs the runtime launched one only where the program had
  // handed it to cudaLaunchKernel.
  std::unordered_set<void*> runtime_functions;
  std::atomic<bool> any_runtime_function{false};  // read without the lock by every runtime launch
  std::unordered_map<void*, Launch> last_launch;
  // Held while a stream of last_launch is queried, and by whatever may destroy one (a stream or its
  // context): a query never meets a destroyed stream. Taken before `mutex`, never while holding it;
  // recursive, since a driver may call its own exported entry points (the fake driver does).
  std::recursive_mutex query_mutex;
  std::map<CUdeviceptr, std::pair<std::size_t, Object>> memory;
  std::map<int, Primary> primaries;
  std::set<std::pair<std::string, void*>> reported;
  std::atomic<bool> runtime_torn_down{false};  // the runtime released its last primary retain (its teardown at exit)
  std::map<std::string, std::string> exported;  // IPC handle bytes this process exported -> the exporting call
  std::map<CUdeviceptr, std::string> exported_memory;  // an exported allocation's address -> its handle's bytes
  std::map<CUdeviceptr, std::string> opened_memory;    // an opened mapping's address -> its handle's bytes
  // Addresses freed while the allocation there had replaced a stale one (a reset context's, never
  // freed): a later use of the address is a use of the new allocation the stale free released.
  struct FreedOverStale {
    std::size_t bytes;
    std::string freed_by, ender;
  };
  std::map<CUdeviceptr, FreedOverStale> freed_over_stale;
  std::string forked_from;  // in a forked child of an initialized parent: which component initialized it
  bool fork_reported = false;
  // CUDA library handles alive (library_handles.cpp tells), by library and handle: the context current
  // when each was made, and the call that made it.
  struct LibraryHandle {
    CUcontext ctx = nullptr;
    unsigned generation = 0;
    std::string made_by;  // "curandCreateGenerator"
    std::uint64_t number = 0;
  };
  std::map<std::pair<std::string, const void*>, LibraryHandle> library_handles;
};
// Never destroyed: threads that end during exit still report into it.
Model& model() {
  static Model* m = new Model;
  return *m;
}

// Each thread's state, on the heap: the main thread's thread-locals are destroyed when exit begins,
// before the exit handlers whose calls still need it, so the main thread's is never freed; another
// thread's is checked (thread_ended) and freed when that thread ends.
thread_local ThreadState* t_state = nullptr;
struct ThreadEnd {
  ~ThreadEnd() {
    if (t_state == nullptr) return;
    thread_ended(*t_state);
    if (t_state->tid == getpid()) return;
    delete t_state;
    t_state = nullptr;
  }
};
thread_local ThreadEnd t_end;
ThreadState& this_thread() {
  if (t_state == nullptr) {
    t_state = new ThreadState;
    [[maybe_unused]] ThreadEnd* registered = &t_end;  // constructs it: its destructor runs at the thread's end
  }
  return *t_state;
}

struct Call {
  Origin origin;
  const char* function;
  void* caller;
  std::uint64_t number;
  ThreadState* thread;
  std::string label() const { return std::string(origin_name(origin)) + ":" + function; }
};

// Whose call this is, for retain counts: the component and the object its caller lives in.
std::string component_of(const Call& c) {
  Dl_info info{};
  std::string object = "?";
  if (dladdr(c.caller, &info) != 0 && info.dli_fname != nullptr) {
    object = info.dli_fname;
    if (auto slash = object.rfind('/'); slash != std::string::npos) object = object.substr(slash + 1);
  }
  return std::string(origin_name(c.origin)) + "@" + object;
}

// The CUDA library a call comes from ("cublas", "cufft", ...), null for the program and its own
// runtime: each of these libraries links its own copy of the runtime, a runtime instance of its own
// whose retain of the primary context ends with the library (its teardown is not the process's).
// The last caller's answer is kept per thread: a launch loop asks from one call site.
const char* library_name(const void* caller) {
  static const char* const kLibraries[] = {"cublas", "cufft", "curand", "cusparse", "cusolver", "nvjpeg", "npp", "cudnn", "nccl"};
  thread_local const void* last_caller = nullptr;
  thread_local const char* last_library = nullptr;
  if (caller != nullptr && caller == last_caller) return last_library;
  Dl_info info{};
  const char* found = nullptr;
  if (caller != nullptr && dladdr(caller, &info) != 0 && info.dli_fname != nullptr) {
    const char* name = std::strrchr(info.dli_fname, '/');
    name = name != nullptr ? name + 1 : info.dli_fname;
    for (const char* lib : kLibraries)
      if (std::strncmp(name, "lib", 3) == 0 && std::strncmp(name + 3, lib, std::strlen(lib)) == 0) found = lib;
  }
  last_caller = caller;
  last_library = found;
  return found;
}
std::string library_of(const void* caller) {
  const char* lib = library_name(caller);
  return lib != nullptr ? lib : "";
}
// "/lib:<library>" after a key, where the call comes from a CUDA library.
std::string library_suffix(const Call& c) {
  const std::string lib = library_of(c.caller);
  return lib.empty() ? "" : "/lib:" + lib;
}

void after_runtime_teardown(const Call& c);
void call_during_exit(const Call& c);
void exported_memory_of_ended_context(const Call& c, CUcontext ctx);

// A call numbered and remembered among its thread's recent calls (result: -1 until it ends).
Call numbered_call(Origin origin, const char* function, void* caller, CUresult result) {
  Model& m = model();
  ThreadState& t = this_thread();
  const std::uint64_t number = m.calls.fetch_add(1, std::memory_order_relaxed) + 1;
  if (t.index == 0) {
    t.index = m.threads.fetch_add(1, std::memory_order_relaxed) + 1;
    t.tid = static_cast<long>(syscall(SYS_gettid));
  }
  t.ring[t.calls++ % t.ring.size()] = Entry{number, function, origin, result};
  return Call{origin, function, caller, number, &t};
}

Call begin_call(Origin origin, const char* function, void* caller) {
  Model& m = model();
  const Call c = numbered_call(origin, function, caller, -1);
  // A runtime instance's own last release (a library's, at its teardown) is checked in do_release.
  const bool own_release = origin == Origin::runtime && std::strncmp(function, "cuDevicePrimaryCtxRelease", 25) == 0;
  if (m.runtime_torn_down && !own_release) after_runtime_teardown(c);
  if (g_exit != nullptr) {
    if (origin == Origin::runtime && !__atomic_load_n(&g_exit->runtime_started, __ATOMIC_RELAXED) &&
        std::strcmp(function, "cuInit") != 0)
      __atomic_store_n(&g_exit->runtime_started, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&g_exit->exiting, __ATOMIC_RELAXED) && !own_release) call_during_exit(c);
  }
  return c;
}

void log_call(const Call& c, CUresult r);

void end_call(const Call& c, CUresult r) {
  Entry& e = c.thread->ring[(c.thread->calls - 1) % c.thread->ring.size()];
  if (e.number == c.number) e.result = r;
  if (g_log_calls) log_call(c, r);
}

const ctxshare::watch::HazardRow* row_for(const char* hazard, const std::string& key) {
  for (const auto& row : ctxshare::watch::kHazardTable)
    if (std::strcmp(row.hazard, hazard) == 0 && fnmatch(row.key, key.c_str(), 0) == 0) return &row;
  return nullptr;
}

std::string recent_calls(const ThreadState& t) {
  std::string out = "[";
  const std::size_t n = t.calls < t.ring.size() ? t.calls : t.ring.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Entry& e = t.ring[(t.calls - n + i) % t.ring.size()];
    if (i) out += ",";
    out += "{\"call\":" + std::to_string(e.number) + ",\"function\":" + json_string(e.function) +
           ",\"component\":\"" + origin_name(e.origin) + "\",\"result\":" + std::to_string(e.result) + "}";
  }
  return out + "]";
}

// The runtime API call in progress on this thread ("cudaMalloc"), where `watch --runtime-api` follows
// them (watch/runtime_api.cpp, through CUPTI); null otherwise.
thread_local const char* t_runtime_call = nullptr;

// Once per hazard and call site. Called with the model locked.
void report(const Call& c, const char* hazard, const std::string& key, const std::string& what) {
  Model& m = model();
  if (!m.reported.insert({hazard, c.caller}).second) return;
  const auto* row = row_for(hazard, key);
  Dl_info info{};
  std::string site = "?";
  std::string cases = "[]";
  if (row != nullptr && *row->case_id != '\0') {
    cases = json_words(row->also_shown_by);
    cases = "[" + json_string(row->case_id) + (cases.size() > 2 ? "," + cases.substr(1) : "]");
  }
  if (c.caller != nullptr && dladdr(c.caller, &info) != 0 && info.dli_fname != nullptr) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%lx",
                  static_cast<unsigned long>(static_cast<char*>(c.caller) - static_cast<char*>(info.dli_fbase)));
    site = std::string(info.dli_fname) + offset;
  }
  write_line("{\"event\":\"hazard\",\"pid\":" + std::to_string(getpid()) + ",\"hazard\":" + json_string(hazard) +
             ",\"level\":" + json_string(row ? row->level : "warning") + ",\"case\":" + json_string(row ? row->case_id : "") +
             ",\"cases\":" + cases + ",\"indistinguishable\":" + json_words(row ? row->indistinguishable_from : "") +
             ",\"key\":" + json_string(key) + ",\"thread\":" + std::to_string(c.thread->index) +
             ",\"tid\":" + std::to_string(c.thread->tid) + ",\"call\":" + std::to_string(c.number) +
             ",\"function\":" + json_string(c.function) + ",\"component\":\"" + origin_name(c.origin) + "\"" +
             ",\"site\":" + json_string(site) + ",\"what\":" + json_string(what) +
             (t_runtime_call != nullptr ? ",\"runtime_call\":" + json_string(t_runtime_call) : std::string()) +
             ",\"recent\":" + recent_calls(*c.thread) + "}");
}

std::string pointer_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

void log_call(const Call& c, CUresult r) {
  CUcontext current = nullptr;
  if (g_real_get_current != nullptr) g_real_get_current(&current);
  const char* library = library_name(c.caller);
  write_line("{\"event\":\"call\",\"pid\":" + std::to_string(getpid()) + ",\"thread\":" + std::to_string(c.thread->index) +
             ",\"call\":" + std::to_string(c.number) + ",\"function\":" + json_string(c.function) + ",\"component\":\"" +
             origin_name(c.origin) + "\",\"library\":" + json_string(library != nullptr ? library : "") +
             ",\"result\":" + std::to_string(r) + ",\"current\":" + json_string(pointer_text(current)) + "}");
}

// ---- detectors ----

CUcontext real_current() {
  CUcontext ctx = nullptr;
  if (g_real_get_current == nullptr || g_real_get_current(&ctx) != kSuccess) return nullptr;
  return ctx;
}

ContextRecord& record_of(CUcontext ctx) { return model().contexts[ctx]; }

Object object_here(const Call& c) {
  const CUcontext ctx = real_current();
  return Object{ctx, record_of(ctx).generation, c.label(), c.origin == Origin::runtime ? library_name(c.caller) : nullptr, {}};
}

// A use of an object: is its context still the one it was made in?
void check_kept_only_by_the_runtime(const Call& c, const Object* o, const char* kind);

void check_object(const Call& c, const Object* o, const char* kind) {
  if (o == nullptr || o->ctx == nullptr) return;
  ContextRecord& r = record_of(o->ctx);
  if (r.generation == o->generation) return check_kept_only_by_the_runtime(c, o, kind);
  const char ending = o->generation < r.endings.size() ? r.endings[o->generation] : 'd';
  const std::string ender = o->generation < r.enders.size() ? r.enders[o->generation] : "?";
  const std::string use = c.label();
  if (ending == 'd') {
    // "<use>/<maker>"; a second stale use of the same context, "<first use>+<use>/<maker>".
    std::string key = use;
    if (r.stale_uses.empty()) r.stale_uses = use;
    else if (r.stale_uses != use) key = r.stale_uses + "+" + use;
    report(c, "object_of_destroyed_context", key + "/" + o->made_by + library_suffix(c),
           std::string(kind) + " made by " + o->made_by + " in context " + pointer_text(o->ctx) +
               ", destroyed since, used by " + use);
  } else {
    // A use right after the retain that re-initialized the primary, on the same thread, is the runtime
    // re-initializing inside the using call itself (cudaStreamQuery after cudaDeviceReset): the program
    // did not re-initialize it before the use.
    const ThreadState& t = *c.thread;
    const bool reinitialized_by_this_call =
        t.calls >= 2 && t.ring[(t.calls - 2) % t.ring.size()].number == r.reinitialized_by;
    const std::string when = r.alive && !reinitialized_by_this_call ? "after_reinitialization" : "before_reinitialization";
    report(c, "object_of_reset_primary", o->made_by + "/" + use + "/" + when + "/" + ender + library_suffix(c),
           std::string(kind) + " made by " + o->made_by + " in primary context " + pointer_text(o->ctx) +
               ", reset since (" + (r.alive ? "re-initialized" : "not re-initialized") + "), used by " + use);
  }
}

// An object the process's runtime made in a primary context, used after the component that made the
// primary active (the runtime came second, onto it) released its last retain: only the runtime's own
// retain keeps the context alive, which the documentation does not promise (primary_refcount's
// runtime_starts_on_a_retained_primary_then_the_component_releases). Keyed "<use>/<how the runtime came
// to the primary>". Called with the model locked.
void check_kept_only_by_the_runtime(const Call& c, const Object* o, const char* kind) {
  if (o->library != nullptr || o->made_by.rfind("runtime:", 0) != 0) return;
  if (g_exit != nullptr && __atomic_load_n(&g_exit->exiting, __ATOMIC_RELAXED)) return;  // call_during_exit's domain
  for (const auto& [dev, p] : model().primaries) {
    if (p.ctx != o->ctx || p.released_under_the_runtime.empty()) continue;
    report(c, "primary_kept_alive_only_by_the_runtime", c.label() + "/" + p.runtime_came_by,
           std::string(kind) + " made by " + o->made_by + " in device " + std::to_string(dev) + "'s primary context " +
               pointer_text(o->ctx) + ", used by " + c.label() + " after " + p.first_retainer +
               ", whose retain made the primary active, let it go (" + p.released_under_the_runtime +
               "): only the runtime's own retain keeps it");
    return;
  }
}

bool special_stream(CUstream s) {
  const auto v = reinterpret_cast<std::uintptr_t>(s);
  return v == 0 || v == 1 || v == 2;  // the current context's NULL, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD
}

const Object* find_in(std::unordered_map<void*, Object>& map, void* handle) {
  auto it = map.find(handle);
  return it == map.end() ? nullptr : &it->second;
}

const Object* find_memory(CUdeviceptr p) {
  auto& memory = model().memory;
  auto it = memory.upper_bound(p);
  if (it == memory.begin()) return nullptr;
  --it;
  return p < it->first + it->second.first ? &it->second.second : nullptr;
}

// A use of an address no allocation covers, freed while the allocation there had replaced a stale one:
// the free named the stale pointer, released the new allocation, and this use finds it gone. Called
// with the model locked.
void check_freed_over_stale(const Call& c, CUdeviceptr p) {
  auto& freed = model().freed_over_stale;
  auto it = freed.upper_bound(p);
  if (it == freed.begin()) return;
  --it;
  if (p >= it->first + it->second.bytes) return;
  // Allocated again by a call the model does not see (a pool, managed memory): not a use of the freed one.
  CUdeviceptr start = 0;
  if (real_cuPointerGetAttribute != nullptr && real_cuPointerGetAttribute(&start, kRangeStartAddress, p) == kSuccess) {
    freed.erase(it);
    return;
  }
  report(c, "stale_pointer_freed_a_new_allocation", it->second.freed_by + "/" + c.label() + "/" + it->second.ender,
         c.label() + " of " + pointer_text(reinterpret_cast<void*>(p)) + ", freed by " + it->second.freed_by +
             " when a new allocation held the address of one that " + it->second.ender +
             " had ended, never freed: the free of the stale pointer released the new allocation");
}

// The device whose primary context ctx is, or -1. Called with the model locked.
int device_of_primary(CUcontext ctx) {
  for (const auto& [device, primary] : model().primaries)
    if (primary.ctx == ctx) return device;
  return -1;
}

// Work enqueued on a stream: of a live context, and (check_context) of the thread's current one.
// The runtime's copy on a stream of another device, its primary current, is documented to succeed
// (Programming Guide, stream and event behavior): not reported.
void check_stream_work(const Call& c, CUstream s, bool check_context = true) {
  if (special_stream(s)) return;
  const Object* o = find_in(model().streams, s);
  if (o == nullptr) return;
  check_object(c, o, "a stream");
  if (!check_context) return;
  const CUcontext current = c.thread->current();
  if (c.origin == Origin::runtime && std::strncmp(c.function, "cuMemcpy", 8) == 0) {
    const int here = device_of_primary(current), there = device_of_primary(o->ctx);
    if (here >= 0 && there >= 0 && here != there) return;
  }
  if (current != nullptr && current != o->ctx && record_of(o->ctx).generation == o->generation)
    report(c, "stream_of_another_context", c.label() + (c.thread->runtime_switched ? "/after_runtime_switch" : ""),
           "stream made by " + o->made_by + " in context " + pointer_text(o->ctx) + " used by " + c.label() +
               " while context " + pointer_text(current) + " is current");
}

// The runtime waiting on a stream or event of a live created context after it replaced that context
// by another on this thread (cudaSetDevice over a created context).
void check_runtime_wait_after_switch(const Call& c, const Object* o, const char* kind) {
  if (o == nullptr || c.origin != Origin::runtime || !c.thread->runtime_switched) return;
  const CUcontext current = c.thread->current();
  if (current == nullptr || current == o->ctx || record_of(o->ctx).generation != o->generation) return;
  report(c, "stream_of_another_context", c.label() + "/after_runtime_switch",
         std::string(kind) + " made by " + o->made_by + " in context " + pointer_text(o->ctx) + " waited for by " + c.label() +
             " after the runtime made context " + pointer_text(current) + " current");
}

// A driver call after the runtime's teardown: from an exit handler registered before the runtime
// started (so run after its own), or from a static destructor.
void after_runtime_teardown(const Call& c) {
  std::lock_guard lock(model().mutex);
  report(c, "call_after_runtime_teardown", c.label() + library_suffix(c),
         c.label() + " after the runtime released its last retain of the primary context (its teardown at exit)");
}

// A driver call after the process's exit began (main returned or exit was called: the preloaded exit
// marker says so), keyed by what runs it: "<use>/<registered_before_main | registered_before_the_runtime |
// registered_after_the_runtime | thread_local_destructor | outside_exit_handlers>[/after_runtime_reset]".
// The runtime's own teardown, and each CUDA library's runtime instance's, is left out: its releases of
// the primary (begin_call), every call from a handler or thread-local destructor a CUDA library
// registered, and any runtime call outside the exit handlers and thread-local destructors registered
// during main (on the H100 run, the runtime's teardown came after all of them).
void call_during_exit(const Call& c) {
  static const char* const kRunning[] = {"outside_exit_handlers", "registered_before_main", "registered_before_the_runtime",
                                         "registered_after_the_runtime", "thread_local_destructor"};
  int running = g_exit_running != nullptr ? g_exit_running() : 0;
  if (running == 5) return;  // a CUDA library's own exit handler or thread-local destructor: its teardown
  if (running < 0 || running > 4) running = 0;
  if (c.origin == Origin::runtime && running < 2) return;
  // A CUDA library's calls from a main-thread thread-local destructor of the program: its own caches.
  if (c.origin == Origin::runtime && running == 4 && !library_of(c.caller).empty()) return;
  std::lock_guard lock(model().mutex);
  bool runtime_reset = false;
  for (const auto& [ctx, r] : model().contexts)
    for (const auto& ender : r.enders) runtime_reset = runtime_reset || ender.rfind("runtime:cuDevicePrimaryCtxReset", 0) == 0;
  report(c, "call_during_exit",
         c.label() + library_suffix(c) + "/" + kRunning[running] + (runtime_reset ? "/after_runtime_reset" : ""),
         c.label() + " after the process's exit began, from " + kRunning[running] +
             (runtime_reset ? ", after the runtime reset the primary context" : ""));
}

void check_no_context(const Call& c, CUresult r) {
  if (r != kInvalidContext || real_current() != nullptr) return;
  std::lock_guard lock(model().mutex);
  report(c, "no_current_context", c.label(), c.label() + " on a thread with no current context");
}

// Drops the launches recorded on a stream, or on every stream of a context, before it is destroyed.
// Called with query_mutex held.
void forget_launches(void* stream, CUcontext ctx) {
  std::lock_guard lock(model().mutex);
  auto& launches = model().last_launch;
  for (auto it = launches.begin(); it != launches.end();)
    it = it->first == stream || (ctx != nullptr && it->second.ctx == ctx) ? launches.erase(it) : std::next(it);
}

// A forked child of a parent with contexts: its first driver call.
void check_forked(const Call& c) {
  Model& m = model();
  if (m.forked_from.empty() || m.fork_reported) return;
  m.fork_reported = true;
  report(c, "cuda_used_in_forked_child", m.forked_from,
         c.label() + " in a child forked from a parent whose contexts the " + m.forked_from + " made");
}

void on_fork_child() {
  Model& m = model();
  new (&m.mutex) std::mutex;  // another thread may have held it at fork()
  bool runtime_retains = false, any = false;
  for (const auto& [device, p] : m.primaries)
    for (const auto& [who, count] : p.retains)
      if (count > 0) any = true, runtime_retains = runtime_retains || who.rfind("runtime@", 0) == 0;
  for (const auto& [ctx, r] : m.contexts)
    if (r.alive && !r.primary) any = true;
  m.forked_from = !any ? "" : runtime_retains ? "runtime" : "program";
  m.fork_reported = false;
  g_forked_child = !m.forked_from.empty();
  this_thread().tid = static_cast<long>(syscall(SYS_gettid));  // the forking thread, the child's only one
}

void thread_ended(ThreadState& t) {
  if (t.index == 0 || t.tid == getpid()) return;  // the main thread's contexts end with the process
  Model& m = model();
  std::lock_guard lock(m.mutex);
  std::string left;
  for (const auto& e : t.stack)
    if (e.pushed && record_of(e.ctx).alive) left += (left.empty() ? "" : ", ") + pointer_text(e.ctx);
  if (left.empty() || t.calls == 0) return;
  const Entry& last = t.ring[(t.calls - 1) % t.ring.size()];
  Call c{last.origin, last.function, reinterpret_cast<void*>(&thread_ended), last.number, &t};
  c.caller = reinterpret_cast<void*>(t.tid);  // one report per thread
  report(c, "contexts_left_pushed_at_thread_exit", "*", "thread " + std::to_string(t.index) + " ended with " + left + " pushed");
}

// ---- context changes ----

void note_current(ThreadState& t, CUcontext ctx, bool pushed) {
  t.stack.push_back({ctx, pushed});
  t.had_context = true;
}

void pop_current(ThreadState& t) {
  if (!t.stack.empty()) t.stack.pop_back();
}

bool created_and_alive(CUcontext ctx) {
  if (ctx == nullptr) return false;
  const ContextRecord& r = record_of(ctx);
  return r.alive && !r.primary;
}

// The runtime binding another context over a created one the thread had current.
void check_runtime_switch(const Call& c, CUcontext next) {
  const CUcontext current = c.thread->current();
  if (c.origin == Origin::runtime && next != current && created_and_alive(current)) {
    c.thread->runtime_switched = true;
    report(c, "runtime_switched_away_from_created_context", c.label(),
           "the runtime's " + std::string(c.function) + " replaced created context " + pointer_text(current) + " by " +
               pointer_text(next));
  }
}

// A CUDA library making a context current on a thread other than the main one that had none: its
// handle was used there (no_current_context.cublas_handle_used_on_a_thread_with_none), and the
// library bound its own context for the program. Checked before the call.
void check_library_binds_a_context(const Call& c, CUcontext next) {
  if (c.origin != Origin::runtime || next == nullptr || c.thread->tid == getpid()) return;
  const std::string library = library_suffix(c);
  if (library.empty() || real_current() != nullptr) return;
  std::lock_guard lock(model().mutex);
  const char* kind = record_of(next).primary ? "primary" : "created_context";
  report(c, "no_current_context", c.label() + library + "/binds_" + kind,
         c.label() + " from a CUDA library (" + library.substr(5) + ") made " + kind + " " + pointer_text(next) +
             " current on a thread that had none");
}

void context_created(const Call& c, CUcontext ctx) {
  ContextRecord& r = record_of(ctx);
  r.alive = true;
  r.primary = false;
  r.stale_uses.clear();
  note_current(*c.thread, ctx, true);
}

// A context ending (destroyed, reset, or released to zero by a component other than the runtime)
// while streams or events the process's runtime made in it are not destroyed: the runtime keeps their
// handles, and its next call on one (cudaStreamQuery, cudaStreamDestroy, cudaEventDestroy) fails
// inside the runtime, before any driver call this interposer could see, so the report is here.
// Called with the model locked, before context_ended.
void check_runtime_objects_left(const Call& c, CUcontext ctx) {
  if (ctx == nullptr) return;
  Model& m = model();
  const unsigned generation = record_of(ctx).generation;
  auto left_in = [&](const std::unordered_map<void*, Object>& map) {
    int n = 0;
    for (const auto& [handle, o] : map)
      if (o.ctx == ctx && o.generation == generation && o.library == nullptr && o.made_by.rfind("runtime:", 0) == 0) ++n;
    return n;
  };
  const int streams = left_in(m.streams), events = left_in(m.events);
  if (streams == 0 && events == 0) return;
  const std::string kinds = streams && events ? "stream+event" : streams ? "stream" : "event";
  report(c, "runtime_objects_left_in_an_ended_context", c.label() + "/" + kinds,
         c.label() + " ended context " + pointer_text(ctx) + " while " + std::to_string(streams) + " stream(s) and " +
             std::to_string(events) + " event(s) the runtime made in it are not destroyed");
}

// A context ending while CUDA library handles made in it are alive (not at exit, where handles are
// left to the process's end): each handle keeps what its library made in the context (cuBLAS's events
// and workspace, cuFFT's plan memory), and its next use or destroy works on what is gone. Keyed
// "<the ending call>/lib:<library>/<created_context | primary>", by the oldest such handle. Called with
// the model locked, before context_ended.
bool exiting() { return g_exit != nullptr && __atomic_load_n(&g_exit->exiting, __ATOMIC_RELAXED); }

void check_library_handles_left(const Call& c, CUcontext ctx) {
  if (ctx == nullptr || exiting()) return;
  Model& m = model();
  const ContextRecord& r = record_of(ctx);
  const std::pair<std::string, const void*>* oldest_key = nullptr;
  const Model::LibraryHandle* oldest = nullptr;
  int n = 0;
  for (const auto& entry : m.library_handles) {
    const Model::LibraryHandle& h = entry.second;
    if (h.ctx != ctx || h.generation != r.generation) continue;
    ++n;
    if (oldest == nullptr || h.number < oldest->number) oldest = &h, oldest_key = &entry.first;
  }
  if (oldest == nullptr) return;
  report(c, "library_handle_outlived_its_context",
         c.label() + "/lib:" + oldest_key->first + "/" + (r.primary ? "primary" : "created_context"),
         c.label() + " ended " + (r.primary ? "primary context " : "context ") + pointer_text(ctx) + " while " +
             std::to_string(n) + " CUDA library handle(s) made in it are alive (the oldest: " + oldest_key->first + " handle " +
             pointer_text(oldest_key->second) + " of " + oldest->made_by + ", call " + std::to_string(oldest->number) + ")");
}

void context_ended(CUcontext ctx, char why, const std::string& by) {
  ContextRecord& r = record_of(ctx);
  r.endings.resize(r.generation + 1, why);
  r.endings[r.generation] = why;
  r.enders.resize(r.generation + 1, by);
  r.enders[r.generation] = by;
  ++r.generation;
  r.alive = false;
  r.stale_uses.clear();
}

void primary_ended(const Call& c, CUdevice dev, bool is_release) {
  Primary& p = model().primaries[dev];
  // A library's runtime instance letting go of its retain (its teardown) resets nothing of the process's.
  const bool library_release = is_release && !library_of(c.caller).empty();
  // The runtime's own last release is its teardown at exit: what it leaves is not used again.
  if (!(is_release && c.origin == Origin::runtime)) {
    check_runtime_objects_left(c, p.ctx);
    check_library_handles_left(c, p.ctx);
    exported_memory_of_ended_context(c, p.ctx);
  }
  if (p.ctx != nullptr) context_ended(p.ctx, 'r', c.label());
  p.last_ended_by = c.label();
  if (c.origin == Origin::runtime && !library_release && created_and_alive(c.thread->current()))
    report(c, "runtime_reset_under_created_context", c.label(),
           "the runtime's " + std::string(c.function) + " ended device " + std::to_string(dev) +
               "'s primary context while created context " + pointer_text(c.thread->current()) + " was current");
}

CUresult do_release(const Call& c, CUdevice dev, CUresult (*real)(CUdevice)) {
  Model& m = model();
  std::lock_guard query(m.query_mutex);  // a release to zero destroys the primary's streams
  const std::string me = component_of(c);
  int mine = 0, others = 0;
  {
    std::lock_guard lock(m.mutex);
    Primary& p = m.primaries[dev];
    mine = p.retains[me];
    others = p.total() - mine;
  }
  // A runtime release after the process's runtime's teardown that is not an instance's own last one.
  if (c.origin == Origin::runtime && mine == 0 && m.runtime_torn_down) after_runtime_teardown(c);
  const CUresult r = real(dev);
  end_call(c, r);
  std::lock_guard lock(m.mutex);
  check_forked(c);
  Primary& p = m.primaries[dev];
  // "/never_retained": a component that never retained it; "/released_more_than_retained": one
  // whose retains were all released already (primary_refcount).
  const std::string why_none = p.lost_to_reset.count(me)     ? "/retain_lost_to_reset/" + p.lost_to_reset[me]
                               : p.ever_retained.count(me) ? "/released_more_than_retained"
                                                           : "/never_retained";
  if (mine == 0 && others > 0)
    report(c, "primary_released_by_non_retainer", c.label() + why_none + library_suffix(c),
           me + " released device " + std::to_string(dev) + "'s primary context, which it " +
               (p.ever_retained.count(me) ? "had released as often as it retained" : "never retained") + ", while " +
               std::to_string(others) + " retain(s) of other components hold it");
  if (r != kSuccess) return r;
  // The process's runtime lets go of its last retain only in its teardown at exit (cudaDeviceReset
  // resets); a library's runtime instance lets go of its own when the library is done with it.
  if (c.origin == Origin::runtime && mine == 1 && library_of(c.caller).empty()) m.runtime_torn_down = true;
  if (mine == 1 && me == p.first_retainer && !p.runtime.empty() && me != p.runtime && p.retains[p.runtime] > 0)
    p.released_under_the_runtime = c.label();
  if (mine > 0) --p.retains[me];
  else  // the driver's one count went down: another component's reference is gone
    for (auto& [who, count] : p.retains)
      if (count > 0) {
        --count;
        break;
      }
  // A release after a reset ends nothing more: "Resetting the primary context does not release it" and
  // "it is safe for other modules to call cuDevicePrimaryCtxRelease() even after resetting the device"
  // (cuDevicePrimaryCtxReset). The reset ended it; a retain re-initializes it.
  if (p.total() == 0 && (p.ctx == nullptr || record_of(p.ctx).alive)) primary_ended(c, dev, true);
  return r;
}

CUresult do_reset(const Call& c, CUdevice dev, CUresult (*real)(CUdevice)) {
  Model& m = model();
  std::lock_guard query(m.query_mutex);
  const CUresult r = real(dev);
  end_call(c, r);
  std::lock_guard lock(m.mutex);
  check_forked(c);
  // A reset while other components retain the primary is documented (cuDevicePrimaryCtxReset,
  // cudaDeviceReset destroy it regardless); what goes wrong comes after, and is reported there: their
  // objects used (object_of_reset_primary), their releases (primary_released_by_non_retainer).
  if (r != kSuccess) return r;
  for (const auto& [who, count] : m.primaries[dev].retains)
    if (count > 0) m.primaries[dev].lost_to_reset[who] = c.label();
  m.primaries[dev].retains.clear();
  primary_ended(c, dev, false);
  return r;
}

CUresult do_destroy(const Call& c, CUcontext ctx, CUresult (*real)(CUcontext)) {
  std::lock_guard query(model().query_mutex);
  forget_launches(nullptr, ctx);
  const CUresult r = real(ctx);
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r != kSuccess) return r;
  check_runtime_objects_left(c, ctx);
  check_library_handles_left(c, ctx);
  exported_memory_of_ended_context(c, ctx);
  context_ended(ctx, 'd', c.label());
  // "If ctx is current to the calling thread then ctx will also be popped" (cuCtxDestroy).
  auto& stack = c.thread->stack;
  if (!stack.empty() && stack.back().ctx == ctx) stack.pop_back();
  return r;
}

CUresult do_push(const Call& c, CUcontext ctx, CUresult (*real)(CUcontext)) {
  check_library_binds_a_context(c, ctx);
  {
    std::lock_guard lock(model().mutex);
    check_runtime_switch(c, ctx);
  }
  const CUresult r = real(ctx);
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess) note_current(*c.thread, ctx, true);
  return r;
}

CUresult do_pop(const Call& c, CUcontext* ctx, CUresult (*real)(CUcontext*)) {
  const CUresult r = real(ctx);
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess) pop_current(*c.thread);
  return r;
}

CUresult do_create(const Call& c, CUcontext* ctx, CUresult r) {
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess && ctx != nullptr) context_created(c, *ctx);
  return r;
}

// After a call that made an object in the current context.
template <class Handle>
CUresult made(const Call& c, std::unordered_map<void*, Object>& map, Handle* handle, CUresult r) {
  end_call(c, r);
  check_no_context(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess && handle != nullptr) map[reinterpret_cast<void*>(*handle)] = object_here(c);
  return r;
}

// Checks before a call that uses objects; the report comes after it, with its result.
// The few handles one call uses, kept in place: a launch makes no allocation of its own under watch.
template <class T>
struct Few {
  std::array<T, 2> items{};
  std::size_t n = 0;
  void push_back(const T& item) {
    if (n == items.size()) std::abort();  // a wrapper listing more than any call takes: a bug here
    items[n++] = item;
  }
  const T* begin() const { return items.data(); }
  const T* end() const { return items.data() + n; }
};

struct Uses {
  explicit Uses(const Call& call) : c(call) {}
  const Call& c;
  Few<std::pair<const char*, void*>> streams, events, modules, functions;
  Few<CUdeviceptr> memory;
  CUstream work_stream = nullptr;
  bool has_work_stream = false;
  // A program's launch handle: checked against the current context only if cuModuleGetFunction made it;
  // any other may be a context-less CUkernel, which runs in the stream's context.
  void* program_launch_handle = nullptr;
  bool waits = false;                      // a query or synchronize of the streams and events
  bool records_launch = false;             // a kernel launched on work_stream
  void check(CUresult r) {
    end_call(c, r);
    Model& m = model();
    std::lock_guard lock(m.mutex);
    check_forked(c);
    for (auto& [kind, h] : streams) check_object(c, find_in(m.streams, h), kind);
    for (auto& [kind, h] : events) check_object(c, find_in(m.events, h), kind);
    if (waits) {
      for (auto& [kind, h] : streams) check_runtime_wait_after_switch(c, find_in(m.streams, h), kind);
      for (auto& [kind, h] : events) check_runtime_wait_after_switch(c, find_in(m.events, h), kind);
    }
    for (auto& [kind, h] : modules) check_object(c, find_in(m.modules, h), kind);
    for (auto& [kind, h] : functions) check_object(c, find_in(m.functions, h), kind);
    for (CUdeviceptr p : memory) {
      if (const Object* o = find_memory(p)) check_object(c, o, "an allocation");
      else check_freed_over_stale(c, p);
    }
    if (has_work_stream)
      check_stream_work(c, work_stream, program_launch_handle == nullptr || m.functions.count(program_launch_handle) != 0);
    // The program's launch of the runtime's CUfunction (cudaGetFuncBySymbol) on a stream, with no context
    // current: it ran, in the stream's context; a CUfunction is not documented to take it from there as a
    // CUkernel does (no_current_context.driver_launch_of_a_runtime_function_on_a_thread_with_none).
    if (program_launch_handle != nullptr && r == kSuccess && !special_stream(work_stream) &&
        m.program_code.count(program_launch_handle) == 0 && m.function_handles.count(program_launch_handle) != 0 &&
        real_current() == nullptr)
      report(c, "no_current_context", c.label() + "/runtime_handle/CUfunction/stream",
             c.label() + " of the runtime's CUfunction " + pointer_text(program_launch_handle) + " on stream " +
                 pointer_text(work_stream) + " with no context current");
    if (records_launch && r == kSuccess && !special_stream(work_stream))
      if (const Object* stream = find_in(m.streams, work_stream))
        m.last_launch[work_stream] = Launch{c.thread->index, c.number, stream->ctx, stream->generation};
  }
};

// Before a call on a stream or event: a stale one is reported now, since the call may crash (the
// program's cuStreamQuery of its stream of a reset primary did, on the H100 run); the check after the
// call finds the same report already made.
void check_stale_before(const Call& c, void* stream, void* event) {
  Model& m = model();
  std::lock_guard lock(m.mutex);
  if (stream != nullptr && !special_stream(static_cast<CUstream>(stream))) check_object(c, find_in(m.streams, stream), "a stream");
  if (event != nullptr) check_object(c, find_in(m.events, event), "an event");
}

CUresult use_stream(const Call& c, CUstream s, CUresult r, bool erase = false) {
  Uses u(c);
  u.waits = !erase;
  if (!special_stream(s)) u.streams.push_back({"a stream", s});
  u.check(r);
  if (erase && r == kSuccess) {
    std::lock_guard lock(model().mutex);
    model().streams.erase(s);
  }
  return r;
}

CUresult use_event(const Call& c, CUevent e, CUresult r, bool erase = false) {
  Uses u(c);
  u.waits = !erase;
  u.events.push_back({"an event", e});
  u.check(r);
  if (erase && r == kSuccess) {
    std::lock_guard lock(model().mutex);
    model().events.erase(e);
  }
  return r;
}

CUresult use_memory(const Call& c, CUdeviceptr p, CUresult r, CUstream work = nullptr, bool has_work = false) {
  check_no_context(c, r);
  Uses u(c);
  u.memory.push_back(p);
  u.work_stream = work;
  u.has_work_stream = has_work;
  u.check(r);
  return r;
}

// ---- allocations ----

// A new allocation. One at the address of an allocation of an ended context that was never freed
// replaces it in the model, and remembers what ended that context. Called with the model locked.
void allocated(const Call& c, CUdeviceptr p, std::size_t bytes) {
  Model& m = model();
  Object made = object_here(c);
  if (auto it = m.memory.find(p); it != m.memory.end()) {
    const Object& old = it->second.second;
    const ContextRecord& r = record_of(old.ctx);
    if (old.ctx != nullptr && old.generation != r.generation && old.generation < r.enders.size())
      made.replaced_stale = r.enders[old.generation];
  }
  m.memory[p] = {bytes, made};
  for (auto it = m.freed_over_stale.lower_bound(p); it != m.freed_over_stale.end() && it->first < p + bytes;)
    it = m.freed_over_stale.erase(it);
}

void exported_memory_ended(const Call& c, CUdeviceptr p, const std::string& bytes);

// A free: an exported allocation's end is recorded for the reader; a free of an allocation that had
// replaced a stale one is remembered. Called with the model locked.
void freed(const Call& c, CUdeviceptr p, CUresult r) {
  Model& m = model();
  if (r != kSuccess) return;
  if (auto it = m.memory.find(p); it != m.memory.end()) {
    if (!it->second.second.replaced_stale.empty())
      m.freed_over_stale[p] = {it->second.first, c.label(), it->second.second.replaced_stale};
    m.memory.erase(it);
  }
  if (auto it = m.exported_memory.find(p); it != m.exported_memory.end()) {
    exported_memory_ended(c, p, it->second);
    m.exported_memory.erase(it);
  }
}

// ---- the wrappers: one template per entry point, instantiated once per component ----

#define WATCH_BEGIN(fn) const Call c = begin_call(O, #fn, __builtin_return_address(0))
#define WRAPPER template <Origin O> [[gnu::always_inline]] inline CUresult

WRAPPER w_cuInit(unsigned flags) {
  WATCH_BEGIN(cuInit);
  const CUresult r = real_cuInit(flags);
  end_call(c, r);
  return r;
}
WRAPPER w_cuCtxCreate(CUcontext* ctx, unsigned flags, CUdevice dev) {
  WATCH_BEGIN(cuCtxCreate);
  return do_create(c, ctx, real_cuCtxCreate(ctx, flags, dev));
}
WRAPPER w_cuCtxCreate_v2(CUcontext* ctx, unsigned flags, CUdevice dev) {
  WATCH_BEGIN(cuCtxCreate_v2);
  return do_create(c, ctx, real_cuCtxCreate_v2(ctx, flags, dev));
}
WRAPPER w_cuCtxCreate_v3(CUcontext* ctx, void* affinity, int n, unsigned flags, CUdevice dev) {
  WATCH_BEGIN(cuCtxCreate_v3);
  return do_create(c, ctx, real_cuCtxCreate_v3(ctx, affinity, n, flags, dev));
}
WRAPPER w_cuCtxCreate_v4(CUcontext* ctx, void* params, unsigned flags, CUdevice dev) {
  WATCH_BEGIN(cuCtxCreate_v4);
  return do_create(c, ctx, real_cuCtxCreate_v4(ctx, params, flags, dev));
}
WRAPPER w_cuCtxDestroy(CUcontext ctx) {
  WATCH_BEGIN(cuCtxDestroy);
  return do_destroy(c, ctx, real_cuCtxDestroy);
}
WRAPPER w_cuCtxDestroy_v2(CUcontext ctx) {
  WATCH_BEGIN(cuCtxDestroy_v2);
  return do_destroy(c, ctx, real_cuCtxDestroy_v2);
}
// PyCUDA ends its contexts with cuCtxDetach: the model takes it as a destroy.
WRAPPER w_cuCtxDetach(CUcontext ctx) {
  WATCH_BEGIN(cuCtxDetach);
  return do_destroy(c, ctx, real_cuCtxDetach);
}
// A call passed straight through but at the moments it is watched: checked for a forked child, then
// forwarded and recorded.
template <class Forward>
CUresult forward_checked(const Call& c, Forward forward) {
  {
    std::lock_guard lock(model().mutex);
    check_forked(c);
  }
  const CUresult r = forward();
  end_call(c, r);
  return r;
}
// Passed straight through, but in a forked child of a parent with contexts, where it is a use of CUDA
// (fork.child_of_a_runtime_initialized_parent asks it after the runtime refused its cudaMalloc).
WRAPPER w_cuCtxGetCurrent(CUcontext* ctx) {
  if (__builtin_expect(!g_forked_child, true)) return real_cuCtxGetCurrent(ctx);
  WATCH_BEGIN(cuCtxGetCurrent);
  return forward_checked(c, [&] { return real_cuCtxGetCurrent(ctx); });
}
// Passed straight through (the runtime asks it on most calls), but where any call is a hazard by itself:
// during exit, after the runtime's teardown, in a forked child. cudaGetDevice makes no other driver
// call, so a runtime call from an exit handler that only asks the device is seen through it alone.
bool any_call_is_checked() {
  return g_forked_child || model().runtime_torn_down.load(std::memory_order_relaxed) ||
         (g_exit != nullptr && __atomic_load_n(&g_exit->exiting, __ATOMIC_RELAXED));
}
WRAPPER w_cuCtxGetDevice(CUdevice* dev) {
  if (__builtin_expect(!any_call_is_checked(), true)) return real_cuCtxGetDevice(dev);
  WATCH_BEGIN(cuCtxGetDevice);
  return forward_checked(c, [&] { return real_cuCtxGetDevice(dev); });
}
WRAPPER w_cuCtxGetDevice_v2(CUdevice* dev, CUcontext ctx) {
  if (__builtin_expect(!any_call_is_checked(), true)) return real_cuCtxGetDevice_v2(dev, ctx);
  WATCH_BEGIN(cuCtxGetDevice_v2);
  return forward_checked(c, [&] { return real_cuCtxGetDevice_v2(dev, ctx); });
}
WRAPPER w_cuCtxSynchronize() {
  WATCH_BEGIN(cuCtxSynchronize);
  const CUresult r = real_cuCtxSynchronize();
  end_call(c, r);
  return r;
}
WRAPPER w_cuCtxSynchronize_v2(CUcontext ctx) {
  WATCH_BEGIN(cuCtxSynchronize_v2);
  const CUresult r = real_cuCtxSynchronize_v2(ctx);
  end_call(c, r);
  return r;
}
WRAPPER w_cuCtxPushCurrent(CUcontext ctx) {
  WATCH_BEGIN(cuCtxPushCurrent);
  return do_push(c, ctx, real_cuCtxPushCurrent);
}
WRAPPER w_cuCtxPushCurrent_v2(CUcontext ctx) {
  WATCH_BEGIN(cuCtxPushCurrent_v2);
  return do_push(c, ctx, real_cuCtxPushCurrent_v2);
}
WRAPPER w_cuCtxPopCurrent(CUcontext* ctx) {
  WATCH_BEGIN(cuCtxPopCurrent);
  return do_pop(c, ctx, real_cuCtxPopCurrent);
}
WRAPPER w_cuCtxPopCurrent_v2(CUcontext* ctx) {
  WATCH_BEGIN(cuCtxPopCurrent_v2);
  return do_pop(c, ctx, real_cuCtxPopCurrent_v2);
}
WRAPPER w_cuCtxSetCurrent(CUcontext ctx) {
  WATCH_BEGIN(cuCtxSetCurrent);
  check_library_binds_a_context(c, ctx);
  {
    std::lock_guard lock(model().mutex);
    check_runtime_switch(c, ctx);
  }
  const CUresult r = real_cuCtxSetCurrent(ctx);
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess) {
    // "replace the top of that stack with ctx"; NULL pops it (cuCtxSetCurrent).
    auto& stack = c.thread->stack;
    if (ctx == nullptr) pop_current(*c.thread);
    else if (stack.empty()) note_current(*c.thread, ctx, false);
    else stack.back() = {ctx, false};
  }
  return r;
}
WRAPPER w_cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
  WATCH_BEGIN(cuDevicePrimaryCtxRetain);
  const CUresult r = real_cuDevicePrimaryCtxRetain(ctx, dev);
  end_call(c, r);
  const std::string me = component_of(c);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r != kSuccess || ctx == nullptr) return r;
  Primary& p = model().primaries[dev];
  p.ctx = *ctx;
  if (p.total() == 0) p.first_retainer = me, p.runtime.clear(), p.runtime_came_by.clear(), p.released_under_the_runtime.clear();
  if (c.origin == Origin::runtime && library_of(c.caller).empty() && p.runtime.empty()) {
    // The runtime's watched call before this retain, on this thread, says how it came to the primary.
    const ThreadState& t = *c.thread;
    const Entry* before = t.calls >= 2 ? &t.ring[(t.calls - 2) % t.ring.size()] : nullptr;
    const bool own = before != nullptr && before->origin == Origin::runtime;
    p.runtime = me;
    p.runtime_came_by = own && std::strncmp(before->function, "cuCtxPushCurrent", 16) == 0 ? "push"
                        : own && std::strcmp(before->function, "cuCtxSetCurrent") == 0    ? "set"
                                                                                           : "found_current";
  }
  ++p.retains[me];
  p.ever_retained.insert(me);
  p.lost_to_reset.erase(me);
  ContextRecord& record = record_of(*ctx);
  record.primary = true;
  if (!record.alive) {  // re-initialized: the old generation's objects stay stale
    record.alive = true;
    record.reinitialized_by = c.number;
  }
  return r;
}
WRAPPER w_cuDevicePrimaryCtxRelease(CUdevice dev) {
  WATCH_BEGIN(cuDevicePrimaryCtxRelease);
  return do_release(c, dev, real_cuDevicePrimaryCtxRelease);
}
WRAPPER w_cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  WATCH_BEGIN(cuDevicePrimaryCtxRelease_v2);
  return do_release(c, dev, real_cuDevicePrimaryCtxRelease_v2);
}
WRAPPER w_cuDevicePrimaryCtxReset(CUdevice dev) {
  WATCH_BEGIN(cuDevicePrimaryCtxReset);
  return do_reset(c, dev, real_cuDevicePrimaryCtxReset);
}
WRAPPER w_cuDevicePrimaryCtxReset_v2(CUdevice dev) {
  WATCH_BEGIN(cuDevicePrimaryCtxReset_v2);
  return do_reset(c, dev, real_cuDevicePrimaryCtxReset_v2);
}
WRAPPER w_cuStreamCreate(CUstream* s, unsigned flags) {
  WATCH_BEGIN(cuStreamCreate);
  return made(c, model().streams, s, real_cuStreamCreate(s, flags));
}
WRAPPER w_cuStreamCreateWithPriority(CUstream* s, unsigned flags, int priority) {
  WATCH_BEGIN(cuStreamCreateWithPriority);
  return made(c, model().streams, s, real_cuStreamCreateWithPriority(s, flags, priority));
}
WRAPPER w_cuStreamDestroy(CUstream s) {
  WATCH_BEGIN(cuStreamDestroy);
  check_stale_before(c, s, nullptr);
  std::lock_guard query(model().query_mutex);
  forget_launches(s, nullptr);
  return use_stream(c, s, real_cuStreamDestroy(s), true);
}
WRAPPER w_cuStreamDestroy_v2(CUstream s) {
  WATCH_BEGIN(cuStreamDestroy_v2);
  check_stale_before(c, s, nullptr);
  std::lock_guard query(model().query_mutex);
  forget_launches(s, nullptr);
  return use_stream(c, s, real_cuStreamDestroy_v2(s), true);
}
WRAPPER w_cuStreamQuery(CUstream s) {
  WATCH_BEGIN(cuStreamQuery);
  check_stale_before(c, s, nullptr);
  return use_stream(c, s, real_cuStreamQuery(s));
}
WRAPPER w_cuStreamSynchronize(CUstream s) {
  WATCH_BEGIN(cuStreamSynchronize);
  check_stale_before(c, s, nullptr);
  return use_stream(c, s, real_cuStreamSynchronize(s));
}
WRAPPER w_cuStreamWaitEvent(CUstream s, CUevent e, unsigned flags) {
  WATCH_BEGIN(cuStreamWaitEvent);
  check_stale_before(c, s, e);  // the program's wait on a runtime event of a reset primary crashed on the H100 run
  const CUresult r = real_cuStreamWaitEvent(s, e, flags);
  Uses u(c);
  if (!special_stream(s)) u.streams.push_back({"a stream", s});
  u.events.push_back({"an event", e});
  u.check(r);
  return r;
}
WRAPPER w_cuEventCreate(CUevent* e, unsigned flags) {
  WATCH_BEGIN(cuEventCreate);
  return made(c, model().events, e, real_cuEventCreate(e, flags));
}
WRAPPER w_cuEventDestroy(CUevent e) {
  WATCH_BEGIN(cuEventDestroy);
  check_stale_before(c, nullptr, e);
  return use_event(c, e, real_cuEventDestroy(e), true);
}
WRAPPER w_cuEventDestroy_v2(CUevent e) {
  WATCH_BEGIN(cuEventDestroy_v2);
  check_stale_before(c, nullptr, e);
  return use_event(c, e, real_cuEventDestroy_v2(e), true);
}
WRAPPER w_cuEventRecord(CUevent e, CUstream s) {
  WATCH_BEGIN(cuEventRecord);
  const CUresult r = real_cuEventRecord(e, s);
  Uses u(c);
  u.events.push_back({"an event", e});
  if (!special_stream(s)) u.streams.push_back({"a stream", s});
  u.check(r);
  Model& m = model();
  std::lock_guard lock(m.mutex);
  const Object* event = find_in(m.events, e);
  const Object* stream = special_stream(s) ? nullptr : find_in(m.streams, s);
  if (event != nullptr && stream != nullptr && event->ctx != stream->ctx)
    report(c, "event_recorded_on_another_contexts_stream", c.label(),
           "event of context " + pointer_text(event->ctx) + " recorded on a stream of context " + pointer_text(stream->ctx) +
               " by " + c.label() + " (documented to fail: cuEventRecord)");
  return r;
}
WRAPPER w_cuEventQuery(CUevent e) {
  WATCH_BEGIN(cuEventQuery);
  check_stale_before(c, nullptr, e);
  return use_event(c, e, real_cuEventQuery(e));
}
WRAPPER w_cuEventSynchronize(CUevent e) {
  WATCH_BEGIN(cuEventSynchronize);
  check_stale_before(c, nullptr, e);
  return use_event(c, e, real_cuEventSynchronize(e));
}
WRAPPER w_cuMemAlloc_v2(CUdeviceptr* p, std::size_t bytes) {
  WATCH_BEGIN(cuMemAlloc_v2);
  const CUresult r = real_cuMemAlloc_v2(p, bytes);
  end_call(c, r);
  check_no_context(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  if (r == kSuccess && p != nullptr) allocated(c, *p, bytes);
  return r;
}
WRAPPER w_cuMemFree_v2(CUdeviceptr p) {
  WATCH_BEGIN(cuMemFree_v2);
  const CUresult r = use_memory(c, p, real_cuMemFree_v2(p));
  std::lock_guard lock(model().mutex);
  freed(c, p, r);
  return r;
}
// Pinned host memory belongs to the context current when it was allocated.
WRAPPER w_cuMemAllocHost_v2(void** p, std::size_t bytes) {
  WATCH_BEGIN(cuMemAllocHost_v2);
  return made(c, model().host_memory, p, real_cuMemAllocHost_v2(p, bytes));
}
WRAPPER w_cuMemHostAlloc(void** p, std::size_t bytes, unsigned flags) {
  WATCH_BEGIN(cuMemHostAlloc);
  return made(c, model().host_memory, p, real_cuMemHostAlloc(p, bytes, flags));
}
WRAPPER w_cuMemFreeHost(void* p) {
  WATCH_BEGIN(cuMemFreeHost);
  const CUresult r = real_cuMemFreeHost(p);
  end_call(c, r);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  check_object(c, find_in(model().host_memory, p), "pinned host memory");
  model().host_memory.erase(p);
  return r;
}
WRAPPER w_cuMemsetD8_v2(CUdeviceptr p, unsigned char v, std::size_t n) {
  WATCH_BEGIN(cuMemsetD8_v2);
  return use_memory(c, p, real_cuMemsetD8_v2(p, v, n));
}
WRAPPER w_cuMemsetD32_v2(CUdeviceptr p, unsigned v, std::size_t n) {
  WATCH_BEGIN(cuMemsetD32_v2);
  return use_memory(c, p, real_cuMemsetD32_v2(p, v, n));
}
WRAPPER w_cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, std::size_t n) {
  WATCH_BEGIN(cuMemcpyHtoD_v2);
  return use_memory(c, dst, real_cuMemcpyHtoD_v2(dst, src, n));
}
WRAPPER w_cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, std::size_t n) {
  WATCH_BEGIN(cuMemcpyDtoH_v2);
  return use_memory(c, src, real_cuMemcpyDtoH_v2(dst, src, n));
}
WRAPPER w_cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t n, CUstream s) {
  WATCH_BEGIN(cuMemcpyHtoDAsync_v2);
  return use_memory(c, dst, real_cuMemcpyHtoDAsync_v2(dst, src, n, s), s, true);
}
// cudaMemsetAsync's (switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice).
WRAPPER w_cuMemsetD8Async(CUdeviceptr p, unsigned char v, std::size_t n, CUstream s) {
  WATCH_BEGIN(cuMemsetD8Async);
  return use_memory(c, p, real_cuMemsetD8Async(p, v, n, s), s, true);
}
WRAPPER w_cuMemsetD16Async(CUdeviceptr p, unsigned short v, std::size_t n, CUstream s) {
  WATCH_BEGIN(cuMemsetD16Async);
  return use_memory(c, p, real_cuMemsetD16Async(p, v, n, s), s, true);
}
WRAPPER w_cuMemsetD32Async(CUdeviceptr p, unsigned v, std::size_t n, CUstream s) {
  WATCH_BEGIN(cuMemsetD32Async);
  return use_memory(c, p, real_cuMemsetD32Async(p, v, n, s), s, true);
}
// ---- calls that take their context from the thread ----

// cuMemcpy and cuMemcpyAsync "infer the type of transfer from the pointer values"; they still need a
// current context (no_current_context.driver_copy_on_a_thread_with_none). The key says which way
// the copy went by the allocations the model knows: "<use>/<host|device>_to_<host|device>".
CUresult generic_copy(const Call& c, CUdeviceptr dst, CUdeviceptr src, CUresult r) {
  end_call(c, r);
  if (r == kInvalidContext && real_current() == nullptr) {
    std::lock_guard lock(model().mutex);
    const std::string way = std::string(find_memory(src) ? "device" : "host") + "_to_" + (find_memory(dst) ? "device" : "host");
    report(c, "no_current_context", c.label() + "/" + way, c.label() + " (" + way + ") on a thread with no current context");
  }
  Uses u(c);
  u.memory.push_back(dst);
  u.memory.push_back(src);
  u.check(r);
  return r;
}

const char* pointer_attribute_name(int attribute) {
  static const char* const kNames[] = {"?", "CONTEXT", "MEMORY_TYPE", "DEVICE_POINTER", "HOST_POINTER", "P2P_TOKENS",
                                       "SYNC_MEMOPS", "BUFFER_ID", "IS_MANAGED", "DEVICE_ORDINAL",
                                       "IS_LEGACY_CUDA_IPC_CAPABLE", "RANGE_START_ADDR", "RANGE_SIZE", "MAPPED"};
  return attribute > 0 && attribute < static_cast<int>(sizeof kNames / sizeof kNames[0]) ? kNames[attribute] : "other";
}

WRAPPER w_cuMemcpy(CUdeviceptr dst, CUdeviceptr src, std::size_t n) {
  WATCH_BEGIN(cuMemcpy);
  return generic_copy(c, dst, src, real_cuMemcpy(dst, src, n));
}
WRAPPER w_cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, std::size_t n, CUstream s) {
  WATCH_BEGIN(cuMemcpyAsync);
  return generic_copy(c, dst, src, real_cuMemcpyAsync(dst, src, n, s));
}
// A pointer's attributes asked by the program on a thread with nothing current: some answer (from
// the allocation), some fail (documented for DEVICE_POINTER: "in the current context"). The runtime's
// own calls are left out: it binds a context before it needs one.
WRAPPER w_cuPointerGetAttribute(void* data, int attribute, CUdeviceptr p) {
  WATCH_BEGIN(cuPointerGetAttribute);
  const CUresult r = real_cuPointerGetAttribute(data, attribute, p);
  end_call(c, r);
  if (O == Origin::program && real_current() == nullptr) {
    std::lock_guard lock(model().mutex);
    report(c, "no_current_context", c.label() + "/" + pointer_attribute_name(attribute),
           c.label() + " of " + pointer_attribute_name(attribute) + " on a thread with no current context (result " +
               std::to_string(r) + ")");
  }
  return r;
}

// ---- interprocess handles ----
//
// Each export is a record ("ipc_export": the handle's bytes, the exporting call, the context kind) and
// each open another ("ipc_open": the same, with the opening call's place): the report reader matches
// them across the processes of one run by the bytes (harness/reports/watch.cpp: a handle opened through
// the other API, or after its exporter's process ended). An open of a handle this process exported is
// reported here, before the open.

std::string hex_bytes(const IpcHandle& h) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : h.reserved) out += digits[b >> 4], out += digits[b & 15];
  return out;
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// `memory`: the exported allocation's address (0 for an event).
CUresult ipc_exported(const Call& c, const char* kind, const IpcHandle* h, CUresult r, CUdeviceptr memory = 0) {
  end_call(c, r);
  if (r != kSuccess || h == nullptr) return r;
  std::lock_guard lock(model().mutex);
  check_forked(c);
  const std::string bytes = hex_bytes(*h);
  model().exported[bytes] = c.label();
  if (memory != 0) model().exported_memory[memory] = bytes;
  const CUcontext ctx = real_current();
  const char* where = ctx == nullptr ? "none" : record_of(ctx).primary ? "primary" : "created_context";
  write_line("{\"event\":\"ipc_export\",\"pid\":" + std::to_string(getpid()) + ",\"kind\":\"" + kind +
             "\",\"handle\":\"" + bytes + "\",\"by\":" + json_string(c.label()) + ",\"context\":\"" + where +
             "\",\"t_ns\":" + std::to_string(now_ns()) + "}");
  return r;
}

// Where a call was made, as the fields of a record: thread, call number, function, component, site and
// the calls leading to it.
std::string call_fields(const Call& c) {
  Dl_info info{};
  std::string site = "?";
  if (c.caller != nullptr && dladdr(c.caller, &info) != 0 && info.dli_fname != nullptr) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "+0x%lx",
                  static_cast<unsigned long>(static_cast<char*>(c.caller) - static_cast<char*>(info.dli_fbase)));
    site = std::string(info.dli_fname) + offset;
  }
  return ",\"thread\":" + std::to_string(c.thread->index) + ",\"tid\":" + std::to_string(c.thread->tid) +
         ",\"call\":" + std::to_string(c.number) + ",\"function\":" + json_string(c.function) + ",\"component\":\"" +
         origin_name(c.origin) + "\"" + ",\"site\":" + json_string(site) + ",\"recent\":" + recent_calls(*c.thread);
}

// An exported allocation freed, or its context destroyed or reset, by this process: the reader finds
// the importers that closed their mapping of it only afterwards. Called with the model locked.
void exported_memory_ended(const Call& c, CUdeviceptr p, const std::string& bytes) {
  write_line("{\"event\":\"ipc_export_ended\",\"pid\":" + std::to_string(getpid()) + ",\"handle\":\"" + bytes +
             "\",\"by\":" + json_string(c.label()) + ",\"address\":" + std::to_string(p) +
             ",\"t_ns\":" + std::to_string(now_ns()) + "}");
}
// The exported allocations of a context that ended (with their generation of it). Called with the model
// locked, before context_ended.
void exported_memory_of_ended_context(const Call& c, CUcontext ctx) {
  Model& m = model();
  if (ctx == nullptr) return;
  const unsigned generation = record_of(ctx).generation;
  for (auto it = m.exported_memory.begin(); it != m.exported_memory.end();) {
    const Object* o = find_memory(it->first);
    if (o != nullptr && o->ctx == ctx && o->generation == generation) {
      exported_memory_ended(c, it->first, it->second);
      it = m.exported_memory.erase(it);
    } else {
      ++it;
    }
  }
}

// Before the open: a handle of this process's own, and the record the reader matches.
void ipc_opening(const Call& c, const char* kind, const IpcHandle& h) {
  const std::string bytes = hex_bytes(h);
  std::lock_guard lock(model().mutex);
  check_forked(c);
  Model& m = model();
  if (auto it = m.exported.find(bytes); it != m.exported.end())
    report(c, "ipc_handle_opened_in_its_exporting_process", c.label() + "/" + it->second,
           std::string("an interprocess ") + kind + " handle this process exported (" + it->second + ") opened by " + c.label() +
               " in the same process (the IPC functions open handles exported from another process)");
  write_line("{\"event\":\"ipc_open\",\"pid\":" + std::to_string(getpid()) + ",\"kind\":\"" + kind +
             "\",\"handle\":\"" + bytes + "\",\"by\":" + json_string(c.label()) +
             ",\"t_ns\":" + std::to_string(now_ns()) + call_fields(c) + "}");
}

// After an open: the mapping's address, for its close.
CUresult ipc_opened(const Call& c, const IpcHandle& h, const CUdeviceptr* p, CUresult r) {
  end_call(c, r);
  if (r != kSuccess || p == nullptr) return r;
  std::lock_guard lock(model().mutex);
  model().opened_memory[*p] = hex_bytes(h);
  return r;
}

WRAPPER w_cuIpcGetMemHandle(IpcHandle* h, CUdeviceptr p) {
  WATCH_BEGIN(cuIpcGetMemHandle);
  return ipc_exported(c, "memory", h, real_cuIpcGetMemHandle(h, p), p);
}
WRAPPER w_cuIpcOpenMemHandle(CUdeviceptr* p, IpcHandle h, unsigned flags) {
  WATCH_BEGIN(cuIpcOpenMemHandle);
  ipc_opening(c, "memory", h);
  return ipc_opened(c, h, p, real_cuIpcOpenMemHandle(p, h, flags));
}
WRAPPER w_cuIpcOpenMemHandle_v2(CUdeviceptr* p, IpcHandle h, unsigned flags) {
  WATCH_BEGIN(cuIpcOpenMemHandle_v2);
  ipc_opening(c, "memory", h);
  return ipc_opened(c, h, p, real_cuIpcOpenMemHandle_v2(p, h, flags));
}
// "Calling cudaFree on an exported memory region before calling cudaIpcCloseMemHandle in the importing
// context will result in undefined behavior" (cudaIpcOpenMemHandle): the close is recorded, before the
// call, for the reader to match with the exporter's end of the allocation.
WRAPPER w_cuIpcCloseMemHandle(CUdeviceptr p) {
  WATCH_BEGIN(cuIpcCloseMemHandle);
  {
    std::lock_guard lock(model().mutex);
    check_forked(c);
    if (auto it = model().opened_memory.find(p); it != model().opened_memory.end())
      write_line("{\"event\":\"ipc_close\",\"pid\":" + std::to_string(getpid()) + ",\"handle\":\"" + it->second +
                 "\",\"by\":" + json_string(c.label()) + ",\"t_ns\":" + std::to_string(now_ns()) + call_fields(c) + "}");
  }
  const CUresult r = real_cuIpcCloseMemHandle(p);
  end_call(c, r);
  if (r == kSuccess) {
    std::lock_guard lock(model().mutex);
    model().opened_memory.erase(p);
  }
  return r;
}
WRAPPER w_cuIpcGetEventHandle(IpcHandle* h, CUevent e) {
  WATCH_BEGIN(cuIpcGetEventHandle);
  return ipc_exported(c, "event", h, real_cuIpcGetEventHandle(h, e));
}
WRAPPER w_cuIpcOpenEventHandle(CUevent* e, IpcHandle h) {
  WATCH_BEGIN(cuIpcOpenEventHandle);
  ipc_opening(c, "event", h);
  return made(c, model().events, e, real_cuIpcOpenEventHandle(e, h));
}

// ---- kernel code loaded beside a running kernel ----
//
// Under lazy loading, "loading kernels might require context synchronization" (Programming Guide,
// Lazy Loading): a module or library loaded, a function fetched, asked about or launched for the
// first time on one thread may wait for a kernel another thread launched; if that kernel spins until
// work queued after it runs, neither ends (module_loading). Checked before the call, which may be the
// one that waits: a kernel another thread launched on a stream the model knows, still running (the
// real cuStreamQuery answers CUDA_ERROR_NOT_READY) for kStillRunningNs, is reported; one that ends
// sooner is not. Keyed "<use>/<lazy|eager>": under eager loading the code was loaded at
// initialization, and the kernel still runs beside new work all the same.
constexpr std::int64_t kStillRunningNs = 250'000'000;

// The runtime's launch or attribute query right after its own load was reported beside a running
// kernel on this thread: the load served it, so it names what the program asked for (a first launch,
// cudaFuncGetAttributes), which the load alone does not tell.
void name_the_call_a_load_served(const Call& c) {
  ThreadState& t = *c.thread;
  if (t.beside_pending.empty() || c.origin != Origin::runtime ||
      (std::strcmp(c.function, "cuLaunchKernel") != 0 && std::strcmp(c.function, "cuFuncGetAttribute") != 0 &&
       std::strcmp(c.function, "cuKernelGetAttribute") != 0))
    return;
  const std::string pending = std::exchange(t.beside_pending, std::string());
  const std::size_t bar = pending.find('|'), second = pending.find('|', bar + 1);
  const std::string load = pending.substr(0, bar), mode = pending.substr(bar + 1, second - bar - 1);
  std::lock_guard lock(model().mutex);
  report(c, "module_loaded_beside_a_running_kernel", c.label() + "/" + mode,
         c.label() + " on thread " + std::to_string(t.index) + ", served by the runtime's " + load + " (" + mode +
             " loading) made while the kernel another thread launched (call " + pending.substr(second + 1) + ") ran");
}

// `code`: the kernel handle the call loads or asks about; checked only the first time it is seen.
void check_code_loaded_beside_a_running_kernel(const Call& c, void* code = nullptr) {
  Model& m = model();
  name_the_call_a_load_served(c);
  // The handle this thread asked about last was seen then (used_code only grows): a launch loop takes
  // no lock here.
  if (code != nullptr && code == c.thread->last_code) return;
  std::vector<std::pair<void*, Launch>> others;
  {
    std::lock_guard lock(m.mutex);
    if (code != nullptr) c.thread->last_code = code;
    if (code != nullptr && !m.used_code.insert(code).second) return;
    for (const auto& [stream, launch] : m.last_launch)
      if (launch.thread != c.thread->index && c.thread->loaded_beside.count(launch.number) == 0) others.push_back({stream, launch});
  }
  if (others.empty() || real_cuStreamQuery == nullptr) return;
  // A stream or context being destroyed meanwhile (which may itself wait for the kernel): not checked.
  std::unique_lock query(m.query_mutex, std::try_to_lock);
  if (!query.owns_lock()) return;
  const std::int64_t deadline = now_ns() + kStillRunningNs;
  for (;;) {
    {
      std::lock_guard lock(m.mutex);
      for (auto it = others.begin(); it != others.end();) {
        auto live = m.last_launch.find(it->first);
        const bool same = live != m.last_launch.end() && live->second.number == it->second.number &&
                          record_of(it->second.ctx).generation == it->second.generation;
        if (same && real_cuStreamQuery(static_cast<CUstream>(it->first)) == kNotReady) {
          ++it;
          continue;
        }
        if (same) m.last_launch.erase(live);  // done: not asked again
        it = others.erase(it);
      }
      if (others.empty()) return;
      if (now_ns() >= deadline) {
        const Launch& running = others.front().second;
        c.thread->loaded_beside.insert(running.number);
        const char* mode = g_lazy_loading ? "lazy" : "eager";
        if (c.origin == Origin::runtime &&
            (std::strncmp(c.function, "cuLibrary", 9) == 0 || std::strcmp(c.function, "cuKernelGetFunction") == 0))
          c.thread->beside_pending = c.label() + "|" + mode + "|" + std::to_string(running.number);
        report(c, "module_loaded_beside_a_running_kernel", c.label() + "/" + mode,
               c.label() + " on thread " + std::to_string(c.thread->index) + " (" + mode + " loading) while the kernel thread " +
                   std::to_string(running.thread) + " launched (call " + std::to_string(running.number) + ") on stream " +
                   pointer_text(others.front().first) + " has run for over " + std::to_string(kStillRunningNs / 1000000) +
                   " ms since");
        return;
      }
    }
    const timespec pause{0, 1'000'000};
    nanosleep(&pause, nullptr);
  }
}

WRAPPER w_cuModuleLoadData(CUmodule* m, const void* image) {
  WATCH_BEGIN(cuModuleLoadData);
  check_code_loaded_beside_a_running_kernel(c);
  return made(c, model().modules, m, real_cuModuleLoadData(m, image));
}
WRAPPER w_cuLibraryLoadData(void** library, const void* code, void* jit_options, void** jit_values, unsigned jit_count,
                            void* library_options, void** library_values, unsigned library_count) {
  WATCH_BEGIN(cuLibraryLoadData);
  check_code_loaded_beside_a_running_kernel(c);
  const CUresult r = real_cuLibraryLoadData(library, code, jit_options, jit_values, jit_count, library_options,
                                            library_values, library_count);
  end_call(c, r);
  return r;
}
WRAPPER w_cuModuleUnload(CUmodule m) {
  WATCH_BEGIN(cuModuleUnload);
  const CUresult r = real_cuModuleUnload(m);
  Uses u(c);
  u.modules.push_back({"a module", m});
  u.check(r);
  std::lock_guard lock(model().mutex);
  if (r == kSuccess) model().modules.erase(m);
  return r;
}
WRAPPER w_cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
  WATCH_BEGIN(cuModuleGetFunction);
  check_code_loaded_beside_a_running_kernel(c);
  const CUresult r = real_cuModuleGetFunction(f, m, name);
  Uses u(c);
  u.modules.push_back({"a module", m});
  u.check(r);
  Model& model_ = model();
  std::lock_guard lock(model_.mutex);
  if (r == kSuccess && f != nullptr) {
    model_.function_handles.insert(*f);
    if (O == Origin::program) model_.program_code.insert(*f);
    if (const Object* module = find_in(model_.modules, m)) model_.functions[*f] = *module;
  }
  return r;
}

// A handle of one kind given where the other is taken (module_loading): reported before the call,
// which may crash (a CUfunction given to cuKernelGetFunction segfaulted for cuda-python's user).
// The program's calls only (how the runtime uses its own handles is its own business), but where the
// runtime passes on a handle the program gave it (runtime_too: cudaLaunchKernel's cuKernelGetName).
void check_handle_kind(const Call& c, void* handle, bool wants_kernel, bool runtime_too = false) {
  if (c.origin != Origin::program && !runtime_too) return;
  Model& m = model();
  std::lock_guard lock(m.mutex);
  check_forked(c);
  const bool other_kind = wants_kernel ? m.function_handles.count(handle) != 0 : m.kernel_handles.count(handle) != 0;
  if (!other_kind) return;
  const char* given = wants_kernel ? "CUfunction" : "CUkernel";
  report(c, "kernel_handle_of_the_other_kind", c.label() + "/" + given,
         c.label() + " given a " + given + " where it takes a " + (wants_kernel ? "CUkernel" : "CUfunction"));
}

WRAPPER w_cuLibraryGetKernel(void** k, void* library, const char* name) {
  WATCH_BEGIN(cuLibraryGetKernel);
  check_code_loaded_beside_a_running_kernel(c);
  const CUresult r = real_cuLibraryGetKernel(k, library, name);
  end_call(c, r);
  if (r == kSuccess && k != nullptr) {
    std::lock_guard lock(model().mutex);
    model().kernel_handles.insert(*k);
    if (O == Origin::program) model().program_code.insert(*k);
  }
  return r;
}
WRAPPER w_cuKernelGetFunction(CUfunction* f, void* k) {
  WATCH_BEGIN(cuKernelGetFunction);
  check_handle_kind(c, k, true);
  check_code_loaded_beside_a_running_kernel(c, k);
  const CUresult r = real_cuKernelGetFunction(f, k);
  end_call(c, r);
  if (r == kSuccess && f != nullptr) {
    std::lock_guard lock(model().mutex);
    model().function_handles.insert(*f);
    if (O == Origin::program) model().program_code.insert(*f);
    else if (library_name(c.caller) == nullptr) {
      model().runtime_functions.insert(*f);
      model().any_runtime_function = true;
    }
  }
  return r;
}
WRAPPER w_cuFuncGetAttribute(int* value, int attribute, CUfunction f) {
  WATCH_BEGIN(cuFuncGetAttribute);
  check_handle_kind(c, f, false);
  check_code_loaded_beside_a_running_kernel(c, f);
  const CUresult r = real_cuFuncGetAttribute(value, attribute, f);
  end_call(c, r);
  return r;
}
// With a CUPTI subscriber in the process (not under watch alone), CUDA 13's cudaLaunchKernel asks the
// name of the kernel it was given before launching it: a CUfunction there (cudaGetFuncBySymbol's) is
// the program's, passed through the runtime.
WRAPPER w_cuKernelGetName(const char** name, void* k) {
  WATCH_BEGIN(cuKernelGetName);
  check_handle_kind(c, k, true, true);
  const CUresult r = real_cuKernelGetName(name, k);
  end_call(c, r);
  return r;
}
// CUDA 13's cudaFuncGetAttributes asks its kernel's attributes here (after cuKernelGetFunction): watched
// only as the call a load reported beside a running kernel served, passed straight through otherwise.
WRAPPER w_cuKernelGetAttribute(int* value, int attribute, void* k, CUdevice dev) {
  if (__builtin_expect(this_thread().beside_pending.empty() && !any_call_is_checked(), true))
    return real_cuKernelGetAttribute(value, attribute, k, dev);
  WATCH_BEGIN(cuKernelGetAttribute);
  name_the_call_a_load_served(c);
  const CUresult r = real_cuKernelGetAttribute(value, attribute, k, dev);
  end_call(c, r);
  return r;
}
// A launch the driver refused for its context: the program's launch of a kernel handle it did not get
// from the driver itself (the runtime's: cudaGetFuncBySymbol, cudaGetKernel) where that handle does not
// belong, keyed "program:cuLaunchKernel/runtime_handle/<where>/<null_stream | stream>/<CUkernel |
// CUfunction | unseen: what made the handle, if the model saw it>", <where> being no_current_context
// (CUDA_ERROR_INVALID_CONTEXT, nothing current), created_context (CUDA_ERROR_INVALID_HANDLE with a
// created context current) or reset_primary/<what ended it> (CUDA_ERROR_INVALID_HANDLE with the primary
// current, reset since it started). A CUDA library's own launch (its caller's object, whichever way it
// resolved the driver: cuFFT calls the exported symbols) refused is keyed apart: with nothing current,
// "<use>/lib:<library>/no_current_context/<thread_never_had_one | thread_had_one>" (a new thread, or one
// whose context was unset); with a context current, library_handle_of_another_context,
// "<use>/lib:<library>/refused/<created_context | primary>" (a plan made under another context).
void check_refused_launch(const Call& c, void* handle, CUstream s, CUresult r) {
  const CUcontext current = real_current();
  Model& m = model();
  std::lock_guard lock(m.mutex);
  const std::string library = library_suffix(c);
  if (!library.empty()) {
    if (r == kInvalidContext && current == nullptr)
      report(c, "no_current_context",
             c.label() + library + "/no_current_context/" + (c.thread->had_context ? "thread_had_one" : "thread_never_had_one"),
             c.label() + " from a CUDA library (" + library.substr(5) + ") on a thread with no current context" +
                 (c.thread->had_context ? " (one was current on it before)" : " (none ever was)"));
    else if (r == kInvalidHandle && current != nullptr)
      report(c, "library_handle_of_another_context",
             c.label() + library + "/refused/" + (created_and_alive(current) ? "created_context" : "primary"),
             c.label() + " from a CUDA library (" + library.substr(5) + ") refused (" + std::to_string(r) + ") with context " +
                 pointer_text(current) + " current: its kernel belongs to another context");
    return;
  }
  if (c.origin == Origin::runtime) return;
  if (m.program_code.count(handle) != 0) return;
  std::string where;
  if (r == kInvalidContext && current == nullptr) where = "no_current_context";
  else if (r == kInvalidHandle && created_and_alive(current)) where = "created_context";
  else if (r == kInvalidHandle && current != nullptr)
    for (const auto& [device, primary] : m.primaries)  // the handle of a re-initialized primary may be new
      if (primary.ctx == current && !primary.last_ended_by.empty()) where = "reset_primary/" + primary.last_ended_by;
  if (where.empty()) return;
  const char* kind = m.kernel_handles.count(handle) ? "CUkernel" : m.function_handles.count(handle) ? "CUfunction" : "unseen";
  report(c, "runtime_kernel_handle_refused", c.label() + "/runtime_handle/" + where + "/" +
                                                 (special_stream(s) ? "null_stream" : "stream") + "/" + kind,
         c.label() + " of kernel handle " + pointer_text(handle) + ", which the program did not get from the driver (" + kind +
             "), refused (" + std::to_string(r) + ") with " +
             (current == nullptr ? std::string("no context current") : "context " + pointer_text(current) + " current"));
}

// cuBLAS's launch in a context where it made none of its objects (the events and memory cublasCreate
// makes), while it holds live ones in another: a handle made under one context used under another
// (libraries.cublas_handle_made_in_one_context_used_in_another). cuBLAS launches context-less kernels,
// which run wherever is current: the driver refuses nothing. Checked once per context and thread.
void check_library_home(const Call& c) {
  const char* library = library_name(c.caller);
  if (library == nullptr || std::strcmp(library, "cublas") != 0) return;
  const CUcontext current = real_current();
  if (current == nullptr) return;
  ThreadState& t = *c.thread;
  Model& m = model();
  std::lock_guard lock(m.mutex);
  const unsigned generation = record_of(current).generation;
  if (t.library_home == current && t.library_home_generation == generation) return;
  bool here = false;
  CUcontext elsewhere = nullptr;
  auto look = [&](const Object& o) {
    if (o.library != library || o.ctx == nullptr || o.generation != record_of(o.ctx).generation) return;
    if (o.ctx == current) here = true;
    else elsewhere = o.ctx;
  };
  for (const auto& [handle, o] : m.events) look(o);
  for (const auto& [handle, o] : m.streams) look(o);
  for (const auto& [address, allocation] : m.memory) look(allocation.second);
  if (here || elsewhere == nullptr) {
    t.library_home = current;
    t.library_home_generation = generation;
    return;
  }
  report(c, "library_handle_of_another_context", c.label() + "/lib:" + library + "/no_objects_here",
         c.label() + " from a CUDA library (" + library + ") with context " + pointer_text(current) +
             " current, where it made none of its objects; it holds live ones in context " + pointer_text(elsewhere) +
             ": a handle made under that context used under this one");
}

// The program's runtime launching a CUfunction it made for cudaGetFuncBySymbol: cudaLaunchKernel was
// given that handle, which it does not take (a __global__ function or a cudaKernel_t). CUDA 13 on the
// H100 passed it straight to cuLaunchKernel; no other runtime launch of the suite's launched such a handle.
void check_runtime_launch_of_a_function(const Call& c, void* f) {
  Model& m = model();
  if (!m.any_runtime_function.load(std::memory_order_relaxed) || library_name(c.caller) != nullptr) return;
  std::lock_guard lock(m.mutex);
  if (m.runtime_functions.count(f) == 0) return;
  report(c, "kernel_handle_of_the_other_kind", c.label() + "/CUfunction",
         c.label() + " of CUfunction " + pointer_text(f) +
             " (the runtime made it for cudaGetFuncBySymbol): cudaLaunchKernel was given a CUfunction, where it takes a "
             "__global__ function or a cudaKernel_t");
}

WRAPPER w_cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                         unsigned shared, CUstream s, void** params, void** extra) {
  WATCH_BEGIN(cuLaunchKernel);
  if (O == Origin::runtime) check_runtime_launch_of_a_function(c, reinterpret_cast<void*>(f));
  check_code_loaded_beside_a_running_kernel(c, reinterpret_cast<void*>(f));
  const CUresult r = real_cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shared, s, params, extra);
  Uses u(c);
  u.functions.push_back({"a kernel's module", f});
  u.work_stream = s;
  u.has_work_stream = true;
  // A handle the program did not get from cuModuleGetFunction may be a context-less CUkernel
  // (cuLibraryGetKernel, cudaGetKernel), whose context "will be taken from the specified stream".
  if (O == Origin::program) u.program_launch_handle = reinterpret_cast<void*>(f);
  u.records_launch = true;
  u.check(r);
  if (r == kInvalidContext || r == kInvalidHandle) check_refused_launch(c, reinterpret_cast<void*>(f), s, r);
  if (O == Origin::runtime && r == kSuccess) check_library_home(c);
  return r;
}

// ---- cuGetProcAddress ----

struct Watched {
  const char* name;
  void* program;
  void* runtime;
  void* const* real;
};
#define CTXSHARE_WATCHED_ROW(name, params, args)                                                      \
  {#name, reinterpret_cast<void*>(&w_##name<Origin::program>), reinterpret_cast<void*>(&w_##name<Origin::runtime>), \
   reinterpret_cast<void* const*>(&real_##name)},
const Watched kWatched[] = {CTXSHARE_WATCHED(CTXSHARE_WATCHED_ROW) CTXSHARE_WATCHED_BY_ADDRESS(CTXSHARE_WATCHED_ROW)};

// Which exported ABI a request (name, version) gets: the last row of its name whose version is at most
// the one asked (cudaTypedefs.h: PFN_<name>_v<version>).
struct Versioned {
  const char* name;
  int since;
  const char* symbol;
};
constexpr Versioned kVersions[] = {
    {"cuInit", 2000, "cuInit"},
    {"cuCtxCreate", 2000, "cuCtxCreate"}, {"cuCtxCreate", 3020, "cuCtxCreate_v2"},
    {"cuCtxCreate", 11040, "cuCtxCreate_v3"}, {"cuCtxCreate", 12050, "cuCtxCreate_v4"},
    {"cuCtxDestroy", 2000, "cuCtxDestroy"}, {"cuCtxDestroy", 4000, "cuCtxDestroy_v2"},
    {"cuCtxDetach", 2000, "cuCtxDetach"}, {"cuCtxSynchronize", 2000, "cuCtxSynchronize"},
    {"cuCtxSynchronize", 13000, "cuCtxSynchronize_v2"},
    {"cuCtxPushCurrent", 2000, "cuCtxPushCurrent"}, {"cuCtxPushCurrent", 4000, "cuCtxPushCurrent_v2"},
    {"cuCtxPopCurrent", 2000, "cuCtxPopCurrent"}, {"cuCtxPopCurrent", 4000, "cuCtxPopCurrent_v2"},
    {"cuCtxSetCurrent", 4000, "cuCtxSetCurrent"},
    {"cuDevicePrimaryCtxRetain", 7000, "cuDevicePrimaryCtxRetain"},
    {"cuDevicePrimaryCtxRelease", 7000, "cuDevicePrimaryCtxRelease"},
    {"cuDevicePrimaryCtxRelease", 11000, "cuDevicePrimaryCtxRelease_v2"},
    {"cuDevicePrimaryCtxReset", 7000, "cuDevicePrimaryCtxReset"},
    {"cuDevicePrimaryCtxReset", 11000, "cuDevicePrimaryCtxReset_v2"},
    {"cuStreamCreate", 2000, "cuStreamCreate"}, {"cuStreamCreateWithPriority", 5050, "cuStreamCreateWithPriority"},
    {"cuStreamDestroy", 2000, "cuStreamDestroy"}, {"cuStreamDestroy", 4000, "cuStreamDestroy_v2"},
    {"cuStreamQuery", 2000, "cuStreamQuery"}, {"cuStreamSynchronize", 2000, "cuStreamSynchronize"},
    {"cuStreamWaitEvent", 2000, "cuStreamWaitEvent"},
    {"cuEventCreate", 2000, "cuEventCreate"},
    {"cuEventDestroy", 2000, "cuEventDestroy"}, {"cuEventDestroy", 4000, "cuEventDestroy_v2"},
    {"cuEventRecord", 2000, "cuEventRecord"}, {"cuEventQuery", 2000, "cuEventQuery"},
    {"cuEventSynchronize", 2000, "cuEventSynchronize"},
    {"cuMemAlloc", 3020, "cuMemAlloc_v2"}, {"cuMemFree", 3020, "cuMemFree_v2"},
    {"cuMemAllocHost", 3020, "cuMemAllocHost_v2"}, {"cuMemHostAlloc", 2020, "cuMemHostAlloc"},
    {"cuMemFreeHost", 2000, "cuMemFreeHost"},
    {"cuMemsetD8", 3020, "cuMemsetD8_v2"}, {"cuMemsetD32", 3020, "cuMemsetD32_v2"},
    {"cuMemsetD8Async", 3020, "cuMemsetD8Async"}, {"cuMemsetD16Async", 3020, "cuMemsetD16Async"},
    {"cuMemsetD32Async", 3020, "cuMemsetD32Async"},
    {"cuMemcpyHtoD", 3020, "cuMemcpyHtoD_v2"}, {"cuMemcpyDtoH", 3020, "cuMemcpyDtoH_v2"},
    {"cuMemcpyHtoDAsync", 3020, "cuMemcpyHtoDAsync_v2"},
    {"cuMemcpy", 4000, "cuMemcpy"}, {"cuMemcpyAsync", 4000, "cuMemcpyAsync"},
    {"cuPointerGetAttribute", 4000, "cuPointerGetAttribute"},
    {"cuIpcGetMemHandle", 4010, "cuIpcGetMemHandle"}, {"cuIpcOpenMemHandle", 4010, "cuIpcOpenMemHandle"},
    {"cuIpcOpenMemHandle", 11000, "cuIpcOpenMemHandle_v2"}, {"cuIpcGetEventHandle", 4010, "cuIpcGetEventHandle"},
    {"cuIpcOpenEventHandle", 4010, "cuIpcOpenEventHandle"}, {"cuIpcCloseMemHandle", 4010, "cuIpcCloseMemHandle"},
    {"cuCtxGetCurrent", 4000, "cuCtxGetCurrent"},
    {"cuCtxGetDevice", 2000, "cuCtxGetDevice"}, {"cuCtxGetDevice", 13000, "cuCtxGetDevice_v2"},
    {"cuModuleLoadData", 2000, "cuModuleLoadData"}, {"cuLibraryLoadData", 12000, "cuLibraryLoadData"}, {"cuModuleUnload", 2000, "cuModuleUnload"},
    {"cuModuleGetFunction", 2000, "cuModuleGetFunction"}, {"cuLaunchKernel", 4000, "cuLaunchKernel"},
    {"cuLibraryGetKernel", 12000, "cuLibraryGetKernel"}, {"cuKernelGetAttribute", 12000, "cuKernelGetAttribute"}, {"cuKernelGetName", 12030, "cuKernelGetName"}, {"cuKernelGetFunction", 12000, "cuKernelGetFunction"},
    {"cuFuncGetAttribute", 2020, "cuFuncGetAttribute"},
};

const char* versioned_symbol(const char* name, int version) {
  const char* chosen = nullptr;
  for (const auto& v : kVersions)
    if (std::strcmp(v.name, name) == 0 && v.since <= version) chosen = v.symbol;
  return chosen;
}

// A per-thread-default-stream request of a function that has such a variant gets the real pointer:
// its wrapper would call the legacy one.
bool has_per_thread_variant(const char* name) {
  for (const char* suffix : {"_ptsz", "_ptds", "_v2_ptsz", "_v2_ptds"})
    if (dlsym(g_real, (std::string(name) + suffix).c_str()) != nullptr) return true;
  return false;
}

template <Origin O>
CUresult get_proc_address(const char* symbol, void** pfn, int version, std::uint64_t flags, int* status, bool v2);

template <Origin O>
CUresult CUDAAPI_get_proc_v1(const char* symbol, void** pfn, int version, std::uint64_t flags) {
  return get_proc_address<O>(symbol, pfn, version, flags, nullptr, false);
}
template <Origin O>
CUresult CUDAAPI_get_proc_v2(const char* symbol, void** pfn, int version, std::uint64_t flags, int* status) {
  return get_proc_address<O>(symbol, pfn, version, flags, status, true);
}

template <Origin O>
CUresult get_proc_address(const char* symbol, void** pfn, int version, std::uint64_t flags, int* status, bool v2) {
  if (real_cuGetProcAddress_v2 == nullptr && real_cuGetProcAddress == nullptr) return kStubLibrary;
  const CUresult r = v2 && real_cuGetProcAddress_v2 ? real_cuGetProcAddress_v2(symbol, pfn, version, flags, status)
                                                    : real_cuGetProcAddress(symbol, pfn, version, flags);
  if (r != kSuccess || symbol == nullptr || pfn == nullptr || *pfn == nullptr) return r;
  if (std::strcmp(symbol, "cuGetProcAddress") == 0) {
    // Whoever resolves entry points through a resolved cuGetProcAddress is the runtime's way.
    *pfn = version >= 12000 ? reinterpret_cast<void*>(&CUDAAPI_get_proc_v2<Origin::runtime>)
                            : reinterpret_cast<void*>(&CUDAAPI_get_proc_v1<Origin::runtime>);
    return r;
  }
  if ((flags & kPerThreadStreamFlag) != 0 && has_per_thread_variant(symbol)) return r;
  const char* exported = versioned_symbol(symbol, version);
  if (exported == nullptr) return r;
  for (const auto& w : kWatched)
    if (std::strcmp(w.name, exported) == 0 && *w.real != nullptr) {
      *pfn = O == Origin::runtime ? w.runtime : w.program;
      break;
    }
  return r;
}

// ---- loading ----

// ---- CUDA library handles (library_handles.cpp, in the preloaded exit marker) ----

// A library function the preloaded library saw, numbered and remembered among the thread's recent
// calls like a driver call; none of the checks a driver call gets at exit or after the teardown.
// result: 0 for a create told after its success, -1 for a destroy told before it.
Call library_call(const char* function, void* site, CUresult result) {
  return numbered_call(Origin::program, function, site, result);
}

// Made with this context current: the library binds the handle to it (or, with none, to the primary
// its own runtime instance made current inside the call).
void library_handle_made(const char* library, const char* function, const void* handle, void* site) {
  const Call c = library_call(function, site, kSuccess);
  const CUcontext ctx = real_current();
  Model& m = model();
  std::lock_guard lock(m.mutex);
  m.library_handles[{library, handle}] = Model::LibraryHandle{ctx, record_of(ctx).generation, function, c.number};
}

// Destroyed after its context ended: reported before the call, which may crash. Keyed
// "<destroy function>/lib:<library>/after/<the call that ended the context>".
void library_handle_destroying(const char* library, const char* function, const void* handle, void* site) {
  const Call c = library_call(function, site, static_cast<CUresult>(-1));
  Model& m = model();
  std::lock_guard lock(m.mutex);
  const auto it = m.library_handles.find({library, handle});
  if (it == m.library_handles.end()) return;
  const Model::LibraryHandle h = it->second;
  m.library_handles.erase(it);
  if (h.ctx == nullptr || exiting()) return;
  const ContextRecord& r = record_of(h.ctx);
  if (r.generation == h.generation) return;
  const std::string ender = h.generation < r.enders.size() ? r.enders[h.generation] : "?";
  report(c, "library_handle_outlived_its_context", std::string(function) + "/lib:" + library + "/after/" + ender,
         std::string(function) + " of " + library + " handle " + pointer_text(handle) + ", made by " + h.made_by + " (call " +
             std::to_string(h.number) + ") in context " + pointer_text(h.ctx) + ", which " + ender + " ended since");
}

// ---- runtime API calls (watch/runtime_api.cpp, with `watch --runtime-api`) ----

// The injection library subscribed: this process's runtime API calls are followed.
void runtime_api_followed() { write_line("{\"event\":\"runtime_api\",\"pid\":" + std::to_string(getpid()) + "}"); }

// cudaDeviceReset is documented to reset the primary context of the thread's current device. With a
// created context current it may reset nothing at all (no driver call but cuCtxGetCurrent on the H100),
// which no driver call shows: only the runtime call itself does. Numbered like a call, not kept among
// the thread's recent driver calls (some checks read the call before theirs).
void runtime_reset_asked(const char* function) {
  Model& m = model();
  ThreadState& t = this_thread();
  std::lock_guard lock(m.mutex);
  const CUcontext current = t.current();
  if (!created_and_alive(current) || exiting()) return;
  const Call c{Origin::runtime, function, nullptr, m.calls.fetch_add(1, std::memory_order_relaxed) + 1, &t};
  report(c, "runtime_reset_under_created_context", c.label() + "/created_current",
         std::string(function) + " was called with created context " + pointer_text(current) +
             " current on this thread: the runtime's reset is documented for the primary context of the current device, "
             "not for this one");
}

void runtime_api_enter(const char* function) {
  t_runtime_call = function;
  if (std::strcmp(function, "cudaDeviceReset") == 0) runtime_reset_asked(function);
}
void runtime_api_exit(const char*) { t_runtime_call = nullptr; }

[[gnu::constructor]] void load_real_driver() {
  const char* given = std::getenv("CTXSHARE_WATCH_REAL_DRIVER");
  g_real_path = given != nullptr && *given != '\0' ? given : find_real_driver();
  if (!g_real_path.empty()) g_real = dlopen(g_real_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (g_real == nullptr) {
    const char* why = g_real_path.empty() ? "no libcuda.so.1 found besides this one" : dlerror();
    std::fprintf(stderr, "ctxshare-watch: cannot load the real driver %s: %s; every driver call answers CUDA_ERROR_STUB_LIBRARY\n",
                 g_real_path.c_str(), why ? why : "");
  }
  const std::size_t n = sizeof kForwarded / sizeof kForwarded[0];
  for (std::size_t i = 0; i < n; ++i) {
    void* p = g_real ? dlsym(g_real, kForwarded[i]) : nullptr;
    ctxshare_watch_slots[i] = p != nullptr ? p : reinterpret_cast<void*>(&missing_symbol);
  }
  if (g_real != nullptr) {
#define CTXSHARE_RESOLVE(name, params, args) real_##name = reinterpret_cast<decltype(real_##name)>(dlsym(g_real, #name));
    CTXSHARE_WATCHED(CTXSHARE_RESOLVE)
    CTXSHARE_WATCHED_BY_ADDRESS(CTXSHARE_RESOLVE)
    real_cuGetProcAddress = reinterpret_cast<decltype(real_cuGetProcAddress)>(dlsym(g_real, "cuGetProcAddress"));
    real_cuGetProcAddress_v2 = reinterpret_cast<decltype(real_cuGetProcAddress_v2)>(dlsym(g_real, "cuGetProcAddress_v2"));
    g_real_get_current = reinterpret_cast<decltype(g_real_get_current)>(dlsym(g_real, "cuCtxGetCurrent"));
  }
  const char* log_calls = std::getenv("CTXSHARE_WATCH_CALLS");
  g_log_calls = log_calls != nullptr && *log_calls != '\0' && std::strcmp(log_calls, "0") != 0;
  const char* loading = std::getenv("CUDA_MODULE_LOADING");
  g_lazy_loading = loading == nullptr || std::strcmp(loading, "EAGER") != 0;
  g_exit = static_cast<CtxshareWatchExitState*>(dlsym(RTLD_DEFAULT, "ctxshare_watch_exit_state"));
  g_exit_running = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "ctxshare_watch_exit_running"));
  if (auto* hooks = static_cast<CtxshareWatchLibraryHooks*>(dlsym(RTLD_DEFAULT, "ctxshare_watch_library_hooks"))) {
    __atomic_store_n(&hooks->made, &library_handle_made, __ATOMIC_RELEASE);
    __atomic_store_n(&hooks->destroying, &library_handle_destroying, __ATOMIC_RELEASE);
  }
  if (auto* hooks = static_cast<CtxshareWatchRuntimeHooks*>(dlsym(RTLD_DEFAULT, "ctxshare_watch_runtime_hooks"))) {
    __atomic_store_n(&hooks->followed, &runtime_api_followed, __ATOMIC_RELEASE);
    __atomic_store_n(&hooks->enter, &runtime_api_enter, __ATOMIC_RELEASE);
    __atomic_store_n(&hooks->exit, &runtime_api_exit, __ATOMIC_RELEASE);
  }
  pthread_atfork(nullptr, nullptr, &on_fork_child);
  char exe[PATH_MAX] = {};
  [[maybe_unused]] auto len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  write_line("{\"event\":\"start\",\"pid\":" + std::to_string(getpid()) + ",\"ppid\":" + std::to_string(getppid()) +
             ",\"exe\":" + json_string(exe) + ",\"driver\":" + json_string(g_real_path) +
             ",\"loaded\":" + (g_real ? "true" : "false") + ",\"exit_marker\":" + (g_exit ? "true" : "false") + "}");
}

// The process's end, for the reader: a handle opened after its exporter's process ended.
[[gnu::destructor]] void process_ends() {
  write_line("{\"event\":\"end\",\"pid\":" + std::to_string(getpid()) + ",\"t_ns\":" + std::to_string(now_ns()) + "}");
}

}  // namespace

// ---- the exported watched symbols ----

#define CTXSHARE_EXPORT(name, params, args) \
  extern "C" [[gnu::visibility("default")]] CUresult name params { return w_##name<Origin::program> args; }
CTXSHARE_WATCHED(CTXSHARE_EXPORT)

extern "C" [[gnu::visibility("default")]] CUresult cuGetProcAddress(const char* symbol, void** pfn, int version,
                                                                    std::uint64_t flags) {
  return get_proc_address<Origin::program>(symbol, pfn, version, flags, nullptr, false);
}
extern "C" [[gnu::visibility("default")]] CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int version,
                                                                       std::uint64_t flags, int* status) {
  return get_proc_address<Origin::program>(symbol, pfn, version, flags, status, true);
}
