// A fake libcuda.so.1 for the tests of `ctxshare watch`: the driver's C ABI for the subset the probe
// calls, with deterministic handles and the documented answers, so that the interposer's forwarding
// and every detector are tested without a GPU. No CUDA header: the types are the ABI's.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

namespace {
using CUresult = int;
using CUdevice = int;
using Handle = void*;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kInvalidContext = 201, kContextDestroyed = 709,
                   kInvalidHandle = 400, kNotFound = 500;

struct Context {
  bool alive = true;
  int device = 0;
};

std::mutex g_mutex;
std::uintptr_t g_next = 0x10000;
std::map<Handle, Context> g_contexts;
std::map<Handle, Handle> g_owner;  // stream, event, allocation, module -> its context
std::map<int, int> g_primary_refs;
// Device allocations, and the addresses of those a reset left behind (never freed): the next
// allocation gets one of them, as the H100 run's cudaMalloc after cudaDeviceReset got the stale
// pointer's address (stale_objects.stale_pointer_freed_after_the_reset_and_a_new_allocation).
std::map<Handle, bool> g_allocations;
std::vector<Handle> g_reusable;
thread_local std::vector<Handle> t_stack;

// A launch with kHeldSharedBytes of shared memory stands for a kernel that spins: its stream stays
// busy (cuStreamQuery: CUDA_ERROR_NOT_READY) for a second.
constexpr unsigned kHeldSharedBytes = 0x6a7e;
constexpr CUresult kNotReady = 600;
std::map<Handle, std::chrono::steady_clock::time_point> g_busy_until;
// Handles 0xbad00 to 0xbadff stand for CUfunctions the runtime made in device 0's primary context
// before any reset: refused in another context (CUDA_ERROR_INVALID_HANDLE), or with none current.
bool g_primary_was_reset = false;
Handle next_handle() { return reinterpret_cast<Handle>(g_next += 0x100); }
Handle primary_of(int device) { return reinterpret_cast<Handle>(0x1000 + 0x10 * device); }
Handle current() { return t_stack.empty() ? nullptr : t_stack.back(); }
bool alive(Handle ctx) {
  auto it = g_contexts.find(ctx);
  return it != g_contexts.end() && it->second.alive;
}
// An object's call: its context must be alive.
CUresult object_call(Handle object) {
  std::lock_guard lock(g_mutex);
  auto it = g_owner.find(object);
  if (it == g_owner.end()) return kInvalidHandle;
  return alive(it->second) ? kSuccess : kContextDestroyed;
}
CUresult make_object(Handle* out) {
  std::lock_guard lock(g_mutex);
  if (current() == nullptr || !alive(current())) return kInvalidContext;
  *out = next_handle();
  g_owner[*out] = current();
  return kSuccess;
}
}  // namespace

#define FAKE extern "C" [[gnu::visibility("default")]] CUresult

FAKE cuInit(unsigned) { return kSuccess; }
FAKE cuDriverGetVersion(int* v) { return *v = 13000, kSuccess; }
FAKE cuDeviceGet(CUdevice* d, int ordinal) { return *d = ordinal, kSuccess; }
FAKE cuDeviceGetCount(int* n) { return *n = 1, kSuccess; }
// Not watched: reached through the interposer's trampoline.
FAKE cuDeviceGetName(char* name, int length, CUdevice d) {
  std::snprintf(name, static_cast<std::size_t>(length), "fake device %d", d);
  return kSuccess;
}
FAKE cuCtxGetCurrent(Handle* ctx) { return *ctx = current(), kSuccess; }
FAKE cuCtxCreate_v2(Handle* ctx, unsigned, CUdevice d) {
  std::lock_guard lock(g_mutex);
  *ctx = next_handle();
  g_contexts[*ctx] = Context{true, d};
  t_stack.push_back(*ctx);
  return kSuccess;
}
FAKE cuCtxCreate_v4(Handle* ctx, void*, unsigned flags, CUdevice d) { return cuCtxCreate_v2(ctx, flags, d); }
FAKE cuCtxDestroy_v2(Handle ctx) {
  std::lock_guard lock(g_mutex);
  if (!alive(ctx)) return kInvalidContext;
  g_contexts[ctx].alive = false;
  if (current() == ctx) t_stack.pop_back();
  return kSuccess;
}
FAKE cuCtxPushCurrent_v2(Handle ctx) { return t_stack.push_back(ctx), kSuccess; }
FAKE cuCtxPopCurrent_v2(Handle* ctx) {
  if (t_stack.empty()) return kInvalidContext;
  if (ctx) *ctx = t_stack.back();
  t_stack.pop_back();
  return kSuccess;
}
FAKE cuCtxSetCurrent(Handle ctx) {
  if (ctx == nullptr) {
    if (!t_stack.empty()) t_stack.pop_back();
  } else if (t_stack.empty()) t_stack.push_back(ctx);
  else t_stack.back() = ctx;
  return kSuccess;
}
FAKE cuDevicePrimaryCtxRetain(Handle* ctx, CUdevice d) {
  std::lock_guard lock(g_mutex);
  *ctx = primary_of(d);
  // The first retain, or the first after a reset, initializes it.
  if (g_primary_refs[d]++ == 0 || !alive(*ctx)) g_contexts[*ctx] = Context{true, d};
  return kSuccess;
}
FAKE cuDevicePrimaryCtxRelease_v2(CUdevice d) {
  std::lock_guard lock(g_mutex);
  if (g_primary_refs[d] == 0) return kInvalidContext;  // documented: released without a retain
  if (--g_primary_refs[d] == 0) g_contexts[primary_of(d)].alive = false;
  return kSuccess;
}
// "Resetting the primary context does not release it": the retains stay, to be released.
FAKE cuDevicePrimaryCtxReset_v2(CUdevice d) {
  std::lock_guard lock(g_mutex);
  g_contexts[primary_of(d)].alive = false;
  g_primary_was_reset = true;
  for (const auto& [address, live] : g_allocations)
    if (live && g_owner[address] == primary_of(d)) g_reusable.push_back(address);
  return kSuccess;
}
FAKE cuStreamCreate(Handle* s, unsigned) { return make_object(s); }
FAKE cuStreamDestroy_v2(Handle s) { return object_call(s); }
FAKE cuStreamQuery(Handle s) {
  // The H100 run's answer to the program's query of its stream of a primary reset (and re-initialized)
  // since: a crash inside it. Only when asked: the other tests want the documented answers.
  if (std::getenv("FAKE_DRIVER_CRASHES_ON_STALE_QUERY") != nullptr) {
    std::lock_guard lock(g_mutex);
    if (g_primary_was_reset && g_owner[s] == primary_of(0)) std::raise(SIGSEGV);
  }
  {
    std::lock_guard lock(g_mutex);
    auto it = g_busy_until.find(s);
    if (it != g_busy_until.end() && std::chrono::steady_clock::now() < it->second) return kNotReady;
  }
  return object_call(s);
}
FAKE cuStreamSynchronize(Handle s) { return object_call(s); }
FAKE cuEventCreate(Handle* e, unsigned) { return make_object(e); }
FAKE cuEventDestroy_v2(Handle e) { return object_call(e); }
FAKE cuEventQuery(Handle e) { return object_call(e); }
FAKE cuEventRecord(Handle e, Handle s) {
  std::lock_guard lock(g_mutex);
  return g_owner[e] == g_owner[s] ? kSuccess : kInvalidHandle;  // documented: the same context
}
FAKE cuMemAlloc_v2(std::uintptr_t* p, std::size_t) {
  Handle h = nullptr;
  const CUresult r = make_object(&h);
  if (r != kSuccess) return r;
  std::lock_guard lock(g_mutex);
  if (!g_reusable.empty()) {
    g_owner.erase(h);
    h = g_reusable.back();
    g_reusable.pop_back();
    g_owner[h] = current();
  }
  g_allocations[h] = true;
  *p = reinterpret_cast<std::uintptr_t>(h);
  return kSuccess;
}
FAKE cuMemFree_v2(std::uintptr_t p) {
  const CUresult r = object_call(reinterpret_cast<Handle>(p));
  std::lock_guard lock(g_mutex);
  if (r == kSuccess && g_allocations.count(reinterpret_cast<Handle>(p)) != 0) {
    g_allocations.erase(reinterpret_cast<Handle>(p));
    g_owner.erase(reinterpret_cast<Handle>(p));
  }
  return r;
}
FAKE cuMemcpyDtoH_v2(void*, std::uintptr_t p, std::size_t) { return object_call(reinterpret_cast<Handle>(p)); }
FAKE cuMemHostAlloc(void** p, std::size_t, unsigned) {
  Handle h = nullptr;
  const CUresult r = make_object(&h);
  if (r == kSuccess) *p = h;
  return r;
}
FAKE cuMemAllocHost_v2(void** p, std::size_t n) { return cuMemHostAlloc(p, n, 0); }
FAKE cuMemFreeHost(void* p) { return object_call(p); }
FAKE cuStreamWaitEvent(Handle s, Handle e, unsigned) {
  const CUresult r = s == nullptr ? kSuccess : object_call(s);
  return r != kSuccess ? r : object_call(e);
}
FAKE cuCtxSynchronize() { return current() == nullptr ? kInvalidContext : kSuccess; }
FAKE cuCtxGetDevice_v2(CUdevice* dev, Handle ctx) {
  if (ctx == nullptr) ctx = current();
  if (ctx == nullptr) return kInvalidContext;
  std::lock_guard lock(g_mutex);
  const auto it = g_contexts.find(ctx);
  return it == g_contexts.end() || !it->second.alive ? kContextDestroyed : (*dev = it->second.device, kSuccess);
}
FAKE cuCtxGetDevice(CUdevice* dev) { return cuCtxGetDevice_v2(dev, nullptr); }
FAKE cuCtxDetach(Handle ctx) { return cuCtxDestroy_v2(ctx); }
// A library's kernel, and its function in the current context.
FAKE cuLibraryGetKernel(Handle* k, Handle, const char*) { return *k = next_handle(), kSuccess; }
FAKE cuKernelGetFunction(Handle* f, Handle) { return make_object(f); }
FAKE cuFuncGetAttribute(int* value, int, Handle) { return *value = 32, kSuccess; }
FAKE cuKernelGetAttribute(int* value, int, Handle, CUdevice) { return *value = 32, kSuccess; }
FAKE cuKernelGetName(const char** name, Handle) { return *name = "k", kSuccess; }
FAKE cuMemsetD8_v2(std::uintptr_t p, unsigned char, std::size_t) { return object_call(reinterpret_cast<Handle>(p)); }
FAKE cuMemsetD8Async(std::uintptr_t p, unsigned char, std::size_t, Handle s) {
  const CUresult r = object_call(s);
  return r != kSuccess ? r : object_call(reinterpret_cast<Handle>(p));
}
FAKE cuMemcpyHtoDAsync_v2(std::uintptr_t p, const void*, std::size_t, Handle s) {
  const CUresult r = object_call(s);
  return r != kSuccess ? r : object_call(reinterpret_cast<Handle>(p));
}
FAKE cuLaunchKernel(Handle f, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned shared, Handle s, void**,
                    void**) {
  const auto handle = reinterpret_cast<std::uintptr_t>(f);
  if (handle >= 0xbad00 && handle <= 0xbadff) {
    std::lock_guard lock(g_mutex);
    const Handle ctx = s == nullptr ? current() : g_owner[s];
    if (ctx == nullptr) return kInvalidContext;
    if (ctx != primary_of(0) || g_primary_was_reset) return kInvalidHandle;
  }
  if (shared == kHeldSharedBytes) {
    std::lock_guard lock(g_mutex);
    g_busy_until[s] = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
  return s == nullptr ? kSuccess : object_call(s);
}
FAKE cuModuleLoadData(Handle* m, const void*) { return make_object(m); }
FAKE cuModuleGetFunction(Handle* f, Handle m, const char*) {
  const CUresult r = object_call(m);
  if (r == kSuccess) *f = next_handle();
  return r;
}
FAKE cuLibraryLoadData(Handle* library, const void*, void*, void**, unsigned, void*, void**, unsigned) {
  return *library = next_handle(), kSuccess;
}
// Copies and pointer attributes that take their context from the thread.
FAKE cuMemcpy(std::uintptr_t, std::uintptr_t, std::size_t) { return current() == nullptr ? kInvalidContext : kSuccess; }
FAKE cuMemcpyAsync(std::uintptr_t, std::uintptr_t, std::size_t, Handle) {
  return current() == nullptr ? kInvalidContext : kSuccess;
}
FAKE cuPointerGetAttribute(void* data, int attribute, std::uintptr_t p) {
  constexpr int kDevicePointer = 3;  // "If there is no current CUcontext then CUDA_ERROR_INVALID_CONTEXT is returned"
  if (attribute == kDevicePointer && current() == nullptr) return kInvalidContext;
  constexpr int kRangeStart = 11;  // an address no allocation covers has no range
  if (attribute == kRangeStart) {
    std::lock_guard lock(g_mutex);
    if (g_allocations.count(reinterpret_cast<Handle>(p)) == 0) return kInvalidValue;
  }
  std::memcpy(data, &p, sizeof p);
  return kSuccess;
}

// Interprocess handles: 64 bytes naming the exporting process and the object; an open maps a new address.
struct IpcHandle {
  char reserved[64];
};
CUresult export_handle(IpcHandle* h, std::uintptr_t object) {
  std::memset(h->reserved, 0, sizeof h->reserved);
  const long pid = static_cast<long>(getpid());
  std::memcpy(h->reserved, &pid, sizeof pid);
  std::memcpy(h->reserved + 8, &object, sizeof object);
  return object_call(reinterpret_cast<Handle>(object));
}
FAKE cuIpcGetMemHandle(IpcHandle* h, std::uintptr_t p) { return export_handle(h, p); }
FAKE cuIpcGetEventHandle(IpcHandle* h, Handle e) { return export_handle(h, reinterpret_cast<std::uintptr_t>(e)); }
FAKE cuIpcOpenMemHandle_v2(std::uintptr_t* p, IpcHandle, unsigned) {
  Handle h = nullptr;
  const CUresult r = make_object(&h);
  if (r == kSuccess) *p = reinterpret_cast<std::uintptr_t>(h);
  return r;
}
FAKE cuIpcOpenMemHandle(std::uintptr_t* p, IpcHandle h, unsigned flags) { return cuIpcOpenMemHandle_v2(p, h, flags); }
FAKE cuIpcOpenEventHandle(Handle* e, IpcHandle) { return make_object(e); }
FAKE cuIpcCloseMemHandle(std::uintptr_t p) { return object_call(reinterpret_cast<Handle>(p)); }

FAKE cuGetProcAddress_v2(const char* symbol, void** pfn, int version, std::uint64_t, int* status);
FAKE cuGetProcAddress(const char* symbol, void** pfn, int version, std::uint64_t flags) {
  return cuGetProcAddress_v2(symbol, pfn, version, flags, nullptr);
}
// The newest ABI of each name, as the real driver answers a CUDA 12 or 13 request (cuCtxCreate: the
// ABI the version selects), and the ABIs of before for the harness's older versions (its cuInit is
// 2000): each name here kept its signature since, but cuGetProcAddress, which answers only 12000 on.
FAKE cuGetProcAddress_v2(const char* symbol, void** pfn, int version, std::uint64_t, int* status) {
  if (std::strcmp(symbol, "cuCtxCreate") == 0 && version < 12050 && version >= 3020) {
    if (status) *status = 0;
    return *pfn = reinterpret_cast<void*>(&cuCtxCreate_v2), kSuccess;
  }
  // Never destroyed: exit handlers resolve entry points too, after every static destroyed before them.
  static const std::map<std::string, void*>& kEntries = *new std::map<std::string, void*>{
      {"cuDriverGetVersion", reinterpret_cast<void*>(&cuDriverGetVersion)},
      {"cuDeviceGet", reinterpret_cast<void*>(&cuDeviceGet)},
      {"cuDeviceGetCount", reinterpret_cast<void*>(&cuDeviceGetCount)},
      {"cuGetProcAddress", reinterpret_cast<void*>(&cuGetProcAddress_v2)},
      {"cuInit", reinterpret_cast<void*>(&cuInit)},
      {"cuDeviceGetName", reinterpret_cast<void*>(&cuDeviceGetName)},
      {"cuCtxGetCurrent", reinterpret_cast<void*>(&cuCtxGetCurrent)},
      {"cuCtxCreate", reinterpret_cast<void*>(&cuCtxCreate_v4)},
      {"cuCtxDestroy", reinterpret_cast<void*>(&cuCtxDestroy_v2)},
      {"cuCtxPushCurrent", reinterpret_cast<void*>(&cuCtxPushCurrent_v2)},
      {"cuCtxPopCurrent", reinterpret_cast<void*>(&cuCtxPopCurrent_v2)},
      {"cuCtxSetCurrent", reinterpret_cast<void*>(&cuCtxSetCurrent)},
      {"cuDevicePrimaryCtxRetain", reinterpret_cast<void*>(&cuDevicePrimaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease", reinterpret_cast<void*>(&cuDevicePrimaryCtxRelease_v2)},
      {"cuDevicePrimaryCtxReset", reinterpret_cast<void*>(&cuDevicePrimaryCtxReset_v2)},
      {"cuStreamCreate", reinterpret_cast<void*>(&cuStreamCreate)},
      {"cuStreamDestroy", reinterpret_cast<void*>(&cuStreamDestroy_v2)},
      {"cuStreamQuery", reinterpret_cast<void*>(&cuStreamQuery)},
      {"cuStreamSynchronize", reinterpret_cast<void*>(&cuStreamSynchronize)},
      {"cuEventCreate", reinterpret_cast<void*>(&cuEventCreate)},
      {"cuEventQuery", reinterpret_cast<void*>(&cuEventQuery)},
      {"cuEventDestroy", reinterpret_cast<void*>(&cuEventDestroy_v2)},
      {"cuEventRecord", reinterpret_cast<void*>(&cuEventRecord)},
      {"cuMemAlloc", reinterpret_cast<void*>(&cuMemAlloc_v2)},
      {"cuMemFree", reinterpret_cast<void*>(&cuMemFree_v2)},
      {"cuMemsetD8", reinterpret_cast<void*>(&cuMemsetD8_v2)},
      {"cuMemHostAlloc", reinterpret_cast<void*>(&cuMemHostAlloc)},
      {"cuMemAllocHost", reinterpret_cast<void*>(&cuMemAllocHost_v2)},
      {"cuMemFreeHost", reinterpret_cast<void*>(&cuMemFreeHost)},
      {"cuStreamWaitEvent", reinterpret_cast<void*>(&cuStreamWaitEvent)},
      {"cuCtxSynchronize", reinterpret_cast<void*>(&cuCtxSynchronize)},
      {"cuCtxGetDevice", reinterpret_cast<void*>(&cuCtxGetDevice_v2)},  // the probe asks at 13000
      {"cuCtxDetach", reinterpret_cast<void*>(&cuCtxDetach)},
      {"cuLibraryGetKernel", reinterpret_cast<void*>(&cuLibraryGetKernel)},
      {"cuKernelGetFunction", reinterpret_cast<void*>(&cuKernelGetFunction)},
      {"cuFuncGetAttribute", reinterpret_cast<void*>(&cuFuncGetAttribute)},
      {"cuKernelGetAttribute", reinterpret_cast<void*>(&cuKernelGetAttribute)},
      {"cuKernelGetName", reinterpret_cast<void*>(&cuKernelGetName)},
      {"cuLaunchKernel", reinterpret_cast<void*>(&cuLaunchKernel)},
      {"cuIpcGetMemHandle", reinterpret_cast<void*>(&cuIpcGetMemHandle)},
      {"cuIpcGetEventHandle", reinterpret_cast<void*>(&cuIpcGetEventHandle)},
      {"cuIpcOpenMemHandle", reinterpret_cast<void*>(&cuIpcOpenMemHandle_v2)},
      {"cuIpcOpenEventHandle", reinterpret_cast<void*>(&cuIpcOpenEventHandle)},
      {"cuIpcCloseMemHandle", reinterpret_cast<void*>(&cuIpcCloseMemHandle)},
      {"cuMemsetD8Async", reinterpret_cast<void*>(&cuMemsetD8Async)},
      {"cuMemcpyHtoDAsync", reinterpret_cast<void*>(&cuMemcpyHtoDAsync_v2)},
      {"cuMemcpyDtoH", reinterpret_cast<void*>(&cuMemcpyDtoH_v2)},
      {"cuLibraryLoadData", reinterpret_cast<void*>(&cuLibraryLoadData)},
  };
  auto it = kEntries.find(symbol);
  if (status) *status = it == kEntries.end() ? 1 : 0;
  const bool too_old = std::strcmp(symbol, "cuGetProcAddress") == 0 ? version < 12000 : version < 2000;
  if (it == kEntries.end() || too_old) return *pfn = nullptr, kNotFound;
  *pfn = it->second;
  return kSuccess;
}
