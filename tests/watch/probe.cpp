// The program the tests run under `ctxshare watch`, against the fake driver: each scenario performs one
// hazard the interposer knows (or none), calling the driver both ways a real process does: the exported
// symbols, as a program linked with -lcuda does, and pointers resolved through a cuGetProcAddress that
// was itself resolved through cuGetProcAddress, as the CUDA runtime does.
#include <cuda.h>
#include <cudaTypedefs.h>
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "watch/preload_abi.h"

namespace {

// The runtime's way: every entry point through the resolved cuGetProcAddress.
template <class Fn>
Fn runtime_entry(const char* name) {
  static PFN_cuGetProcAddress_v12000 resolver = [] {
    void* p = nullptr;
    CUdriverProcAddressQueryResult status{};
    cuGetProcAddress("cuGetProcAddress", &p, 12000, CU_GET_PROC_ADDRESS_DEFAULT, &status);
    return reinterpret_cast<PFN_cuGetProcAddress_v12000>(p);
  }();
  void* p = nullptr;
  CUdriverProcAddressQueryResult status{};
  if (resolver == nullptr || resolver(name, &p, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &status) != CUDA_SUCCESS) {
    std::fprintf(stderr, "probe: no entry point %s\n", name);
    std::exit(90);
  }
  return reinterpret_cast<Fn>(p);
}

// The runtime's calls used below.
CUresult rt_retain(CUcontext* ctx, CUdevice d) {
  return runtime_entry<CUresult (*)(CUcontext*, CUdevice)>("cuDevicePrimaryCtxRetain")(ctx, d);
}
CUresult rt_release(CUdevice d) { return runtime_entry<CUresult (*)(CUdevice)>("cuDevicePrimaryCtxRelease")(d); }
CUresult rt_reset(CUdevice d) { return runtime_entry<CUresult (*)(CUdevice)>("cuDevicePrimaryCtxReset")(d); }
CUresult rt_set_current(CUcontext ctx) { return runtime_entry<CUresult (*)(CUcontext)>("cuCtxSetCurrent")(ctx); }
CUresult rt_stream_create(CUstream* s) {
  return runtime_entry<CUresult (*)(CUstream*, unsigned)>("cuStreamCreate")(s, CU_STREAM_DEFAULT);
}
CUresult rt_stream_query(CUstream s) { return runtime_entry<CUresult (*)(CUstream)>("cuStreamQuery")(s); }
CUresult rt_event_create(CUevent* e) { return runtime_entry<CUresult (*)(CUevent*, unsigned)>("cuEventCreate")(e, 0); }
CUresult rt_stream_destroy(CUstream s) { return runtime_entry<CUresult (*)(CUstream)>("cuStreamDestroy")(s); }
CUresult rt_event_destroy(CUevent e) { return runtime_entry<CUresult (*)(CUevent)>("cuEventDestroy")(e); }
CUresult rt_event_query(CUevent e) { return runtime_entry<CUresult (*)(CUevent)>("cuEventQuery")(e); }

// Interprocess handles, exported and opened either way.
CUresult export_memory(bool runtime, CUipcMemHandle* h, CUdeviceptr p) {
  return runtime ? runtime_entry<CUresult (*)(CUipcMemHandle*, CUdeviceptr)>("cuIpcGetMemHandle")(h, p) : cuIpcGetMemHandle(h, p);
}
CUresult open_memory(bool runtime, CUdeviceptr* p, CUipcMemHandle h) {
  return runtime ? runtime_entry<CUresult (*)(CUdeviceptr*, CUipcMemHandle, unsigned)>("cuIpcOpenMemHandle")(p, h, 1)
                 : cuIpcOpenMemHandle(p, h, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
}
std::string hex(const CUipcMemHandle& h) {
  std::string out;
  char byte[3];
  for (unsigned char b : h.reserved) std::snprintf(byte, sizeof byte, "%02x", b), out += byte;
  return out;
}
CUipcMemHandle unhex(const std::string& text) {
  CUipcMemHandle h{};
  for (std::size_t i = 0; i < sizeof h.reserved && 2 * i + 1 < text.size(); ++i)
    h.reserved[i] = static_cast<char>(std::stoi(text.substr(2 * i, 2), nullptr, 16));
  return h;
}

// An exporter exec'd afresh, as a peer is (its own watched process): SCENARIO ARG of this program,
// talking through pipes; the handle it printed first.
struct Exporter {
  pid_t pid = -1;
  int to = -1, from = -1;  // its standard input and output
  CUipcMemHandle handle{};
};
bool start_exporter(const char* self, const char* scenario, const std::string& arg, Exporter* e) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return false;
  e->pid = fork();
  if (e->pid == 0) {
    dup2(from_child[1], 1);
    dup2(to_child[0], 0);
    for (int fd : {from_child[0], from_child[1], to_child[0], to_child[1]}) close(fd);
    execl(self, self, scenario, arg.c_str(), nullptr);
    _exit(92);
  }
  close(from_child[1]);
  close(to_child[0]);
  e->to = to_child[1];
  e->from = from_child[0];
  char text[200] = {};
  std::size_t got = 0;
  for (ssize_t n; got < 128 && (n = read(e->from, text + got, 128 - got)) > 0;) got += static_cast<std::size_t>(n);
  e->handle = unhex(std::string(text, got));
  return true;
}
// Closes its input (the exporter's cue to exit) and waits for it.
void end_exporter(Exporter& e) {
  close(e.to);
  waitpid(e.pid, nullptr, 0);
}

// A CUDA library's calls (tests/watch/fake_library.cpp, libcublas_watchprobe.so).
extern "C" CUresult fakelib_retain(CUcontext* ctx, CUdevice d);
extern "C" CUresult fakelib_release(CUdevice d);
extern "C" CUresult fakelib_event_create(CUevent* e);
extern "C" CUresult fakelib_event_destroy(CUevent e);
extern "C" CUresult fakelib_set_current(CUcontext ctx);
extern "C" CUresult fakelib_launch(CUfunction f);
// cuFFT's stand-in (tests/watch/fake_fft.cpp, libcufft_watchprobe.so): the exported symbols.
extern "C" CUresult fakefft_launch(CUfunction f);

CUresult rt_stream_synchronize(CUstream s) { return runtime_entry<CUresult (*)(CUstream)>("cuStreamSynchronize")(s); }
extern "C" void fakelib_start_with_teardown_at_exit();
extern "C" int fakelib_generators_destroyed();
extern "C" int curandCreateGenerator(void** generator, int type);
extern "C" int curandDestroyGenerator(void* generator);
extern "C" int cusolverDnCreate(void** handle);
extern "C" int cusolverDnDestroy(void* handle);

// What exit handlers and thread-local destructors release (scenario exit_calls).
CUdeviceptr g_runtime_memory = 0;
CUcontext g_created = nullptr;
CUevent g_thread_local_event = nullptr;
void runtime_frees_at_exit() {
  std::printf("free at exit: %d\n", runtime_entry<CUresult (*)(CUdeviceptr)>("cuMemFree")(g_runtime_memory));
}
// cudaGetDevice: the runtime's cuCtxGetDevice (CUDA 13's, with a context argument) and nothing else.
void runtime_asks_the_device_at_exit() {
  CUdevice dev = -1;
  std::printf("device at exit: %d\n", runtime_entry<CUresult (*)(CUdevice*, CUcontext)>("cuCtxGetDevice")(&dev, nullptr));
}
// What cudaDeviceReset destroyed, released by the runtime from an exit handler registered after it started.
CUevent g_reset_event = nullptr;
CUstream g_reset_stream = nullptr;
void runtime_releases_after_reset_at_exit() {
  if (g_reset_event != nullptr) std::printf("event destroy at exit: %d\n", rt_event_destroy(g_reset_event));
  if (g_reset_stream != nullptr) std::printf("stream destroy at exit: %d\n", rt_stream_destroy(g_reset_stream));
  if (g_reset_event == nullptr && g_reset_stream == nullptr)
    std::printf("free at exit: %d\n", runtime_entry<CUresult (*)(CUdeviceptr)>("cuMemFree")(g_runtime_memory));
}
void program_destroys_at_exit() { std::printf("destroy at exit: %d\n", cuCtxDestroy(g_created)); }
// The runtime's own teardown, registered before main (as a static runtime's is): it frees what it
// holds and releases the primary; scenario exit_calls teardowns_only arms it.
bool g_runtime_teardown_armed = false;
void runtime_tears_down() {
  if (!g_runtime_teardown_armed) return;
  runtime_entry<CUresult (*)(CUdeviceptr)>("cuMemFree")(g_runtime_memory);
  std::printf("runtime teardown: %d\n", rt_release(0));  // not a tail call: the release's caller is this object
}
[[gnu::constructor]] void runtime_registers_its_teardown() { std::atexit(runtime_tears_down); }
struct ThreadLocalEvent {
  ~ThreadLocalEvent() { rt_event_destroy(g_thread_local_event); }
};

// What the runtime does for its first call on a device: retain the primary, make it current.
CUcontext runtime_initializes() {
  CUcontext primary = nullptr;
  rt_retain(&primary, 0);
  rt_set_current(primary);
  return primary;
}

int unbalanced_release() {
  runtime_initializes();
  std::printf("release: %d\n", cuDevicePrimaryCtxRelease(0));  // the program never retained it
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  const std::string arg = argc > 2 ? argv[2] : "";
  cuInit(0);
  if (scenario == "clean") {
    char name[64] = {};
    cuDeviceGetName(name, sizeof name, 0);  // not watched: forwarded by a trampoline
    std::printf("device name: %s\n", name);
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    CUevent event = nullptr;
    CUdeviceptr p = 0;
    cuStreamCreate(&stream, CU_STREAM_DEFAULT);
    cuEventCreate(&event, 0);
    cuMemAlloc(&p, 256);
    cuMemsetD8(p, 1, 256);
    cuEventRecord(event, stream);
    cuStreamQuery(stream);
    cuMemFree(p);
    cuEventDestroy(event);
    cuStreamDestroy(stream);
    cuCtxDestroy(ctx);
    runtime_initializes();  // and a balanced retain and release beside the runtime's
    CUcontext primary = nullptr;
    cuDevicePrimaryCtxRetain(&primary, 0);
    cuDevicePrimaryCtxRelease(0);
    std::printf("clean: done\n");
    return 0;
  }
  if (scenario == "unbalanced_release") return unbalanced_release();
  if (scenario == "destroyed_context_stream") {  // arg: runtime or program, who queries
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    cuCtxDestroy(ctx);
    const CUresult r = arg == "runtime" ? rt_stream_query(stream) : cuStreamQuery(stream);
    std::printf("query: %d\n", r);
    return 0;
  }
  if (scenario == "destroyed_context_stream_then_event") {
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    CUevent event = nullptr;
    rt_stream_create(&stream);
    rt_event_create(&event);
    cuCtxDestroy(ctx);
    rt_stream_query(stream);
    rt_event_query(event);
    return 0;
  }
  if (scenario == "reset_stream") {  // arg: <creator runtime|program>.<user runtime|program>.<before|after|implicit>
    const std::string creator = arg.substr(0, arg.find('.'));
    const std::string rest = arg.substr(arg.find('.') + 1);
    const std::string user = rest.substr(0, rest.find('.')), when = rest.substr(rest.find('.') + 1);
    runtime_initializes();
    CUstream stream = nullptr;
    if (creator == "runtime") rt_stream_create(&stream);
    else cuStreamCreate(&stream, CU_STREAM_DEFAULT);
    rt_reset(0);
    if (when == "after") runtime_initializes();
    CUcontext primary = nullptr;
    if (when == "implicit") rt_retain(&primary, 0);  // the runtime's query re-initializes, then queries
    std::printf("query: %d\n", user == "runtime" ? rt_stream_query(stream) : cuStreamQuery(stream));
    return 0;
  }
  if (scenario == "event_on_other_context_stream") {
    CUcontext first = nullptr, second = nullptr;
    cuCtxCreate_v4(&first, nullptr, 0, 0);
    CUevent event = nullptr;
    cuEventCreate(&event, 0);
    cuCtxCreate_v4(&second, nullptr, 0, 0);
    CUstream stream = nullptr;
    cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    std::printf("record: %d\n", cuEventRecord(event, stream));
    return 0;
  }
  if (scenario == "foreign_stream") {
    CUcontext owner = nullptr, other = nullptr;
    cuCtxCreate_v4(&owner, nullptr, 0, 0);
    CUstream stream = nullptr;
    cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    CUdeviceptr p = 0;
    cuMemAlloc(&p, 256);
    cuCtxCreate_v4(&other, nullptr, 0, 0);
    int words[64] = {};
    std::printf("copy: %d\n", cuMemcpyHtoDAsync(p, words, sizeof words, stream));
    return 0;
  }
  if (scenario == "another_devices_stream") {  // arg: runtime_copy, runtime_launch or program_copy
    // The runtime's stream of device 1, used with device 0's primary current (cudaSetDevice(0)).
    CUcontext device0 = nullptr, device1 = nullptr;
    rt_retain(&device0, 0);
    rt_retain(&device1, 1);
    rt_set_current(device1);
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    CUdeviceptr p = 0;
    runtime_entry<CUresult (*)(CUdeviceptr*, std::size_t)>("cuMemAlloc")(&p, 256);
    rt_set_current(device0);
    int words[64] = {};
    if (arg == "runtime_copy")
      std::printf("copy: %d\n", runtime_entry<CUresult (*)(CUdeviceptr, const void*, std::size_t, CUstream)>("cuMemcpyHtoDAsync")(
                                     p, words, sizeof words, stream));
    if (arg == "program_copy") std::printf("copy: %d\n", cuMemcpyHtoDAsync(p, words, sizeof words, stream));
    if (arg == "runtime_launch")
      runtime_entry<CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void**,
                                 void**)>("cuLaunchKernel")(nullptr, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr);
    return 0;
  }
  if (scenario == "no_context_stream") {
    CUstream stream = nullptr;
    std::printf("stream: %d\n", cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
    return 0;
  }
  if (scenario == "no_context_pid") {  // no_context, saying its pid (the name of its records)
    std::printf("pid: %d\n", static_cast<int>(getpid()));
    CUdeviceptr p = 0;
    std::printf("alloc: %d\n", cuMemAlloc(&p, 256));
    return 0;
  }
  if (scenario == "no_context") {
    CUdeviceptr p = 0;
    std::printf("alloc: %d\n", cuMemAlloc(&p, 256));
    return 0;
  }
  if (scenario == "pushed_at_thread_exit") {
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    cuCtxPopCurrent(nullptr);
    std::thread([ctx] { cuCtxPushCurrent(ctx); }).join();
    return 0;
  }
  if (scenario == "runtime_switch") {
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    runtime_initializes();
    return 0;
  }
  if (scenario == "library_runtimes_end") {  // arg: library_first or process_first, whose teardown comes first
    runtime_initializes();
    CUcontext primary = nullptr;
    fakelib_retain(&primary, 0);
    if (arg == "library_first") {
      fakelib_release(0);  // the library's runtime instance, done with it
      rt_release(0);       // the process's runtime, at exit
    } else {
      rt_release(0);
      fakelib_release(0);  // the library's own teardown after the process's: its own retain
    }
    return 0;
  }
  if (scenario == "call_after_process_runtime_teardown") {  // a library's event freed after the runtime's teardown
    runtime_initializes();
    CUevent event = nullptr;
    fakelib_event_create(&event);
    rt_release(0);
    std::printf("destroy: %d\n", fakelib_event_destroy(event));
    return 0;
  }
  if (scenario == "runtime_api") {  // arg: created, primary or stale_stream; what the injection tells (watch/runtime_api.cpp)
    auto* hooks = static_cast<CtxshareWatchRuntimeHooks*>(dlsym(RTLD_DEFAULT, "ctxshare_watch_runtime_hooks"));
    if (hooks == nullptr || hooks->enter == nullptr) {
      std::fprintf(stderr, "probe: no runtime hooks\n");
      return 91;
    }
    hooks->followed();
    runtime_initializes();
    if (arg == "created") {  // cudaDeviceReset with a created context current: the runtime makes no driver call
      CUcontext ctx = nullptr;
      cuCtxCreate_v4(&ctx, nullptr, 0, 0);
      hooks->enter("cudaDeviceReset");
      hooks->exit("cudaDeviceReset");
    } else if (arg == "primary") {  // with its primary current: the documented reset
      hooks->enter("cudaDeviceReset");
      rt_reset(0);
      hooks->exit("cudaDeviceReset");
    } else if (arg == "stale_stream") {  // a report made inside a runtime call names it
      CUcontext ctx = nullptr;
      cuCtxCreate_v4(&ctx, nullptr, 0, 0);
      CUstream stream = nullptr;
      rt_stream_create(&stream);
      cuCtxDestroy(ctx);
      hooks->enter("cudaStreamQuery");
      rt_stream_query(stream);
      hooks->exit("cudaStreamQuery");
    }
    std::printf("runtime_api: %s\n", arg.c_str());
    return 0;
  }
  if (scenario == "library_handle") {  // arg: context_destroyed_first, global_scope_first or handle_destroyed_first
    // Found as the suite and ctypes find a library's functions: dlopen, then dlsym of the handle.
    void* library = dlopen("libcublas_watchprobe.so", RTLD_NOW | RTLD_NOLOAD);
    // The global scope asked first (it answers with the watch library's exported functions, when preloaded).
    if (arg == "global_scope_first") dlsym(dlopen(nullptr, RTLD_NOW), "curandCreateGenerator");
    auto create = reinterpret_cast<int (*)(void**, int)>(dlsym(library, "curandCreateGenerator"));
    auto destroy = reinterpret_cast<int (*)(void*)>(dlsym(library, "curandDestroyGenerator"));
    if (create == nullptr || destroy == nullptr) return std::printf("probe: no library function\n"), 90;
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    void* generator = nullptr;
    std::printf("create: %d\n", create(&generator, 100));
    if (arg == "handle_destroyed_first") std::printf("destroy: %d\n", destroy(generator));
    cuCtxDestroy(ctx);
    if (arg != "handle_destroyed_first") std::printf("destroy: %d\n", destroy(generator));
    std::printf("destroyed by the library: %d\n", fakelib_generators_destroyed());
    return 0;
  }
  if (scenario == "library_handle_linked") {  // arg: curand or cusolver, called as a program linked with it
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    void* handle = nullptr;
    std::printf("create: %d\n", arg == "curand" ? curandCreateGenerator(&handle, 100) : cusolverDnCreate(&handle));
    cuCtxDestroy(ctx);
    std::printf("destroy: %d\n", arg == "curand" ? curandDestroyGenerator(handle) : cusolverDnDestroy(handle));
    return 0;
  }
  if (scenario == "library_handle_in_a_plugin") {  // a plugin beside the probe, loaded with a local scope
    char exe[4096] = {};
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const std::string dir = std::string(exe, n > 0 ? static_cast<std::size_t>(n) : 0);
    void* plugin = dlopen((dir.substr(0, dir.rfind('/')) + "/libwatch_plugin.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (plugin == nullptr) return std::printf("probe: no plugin: %s\n", dlerror()), 90;
    auto make = reinterpret_cast<int (*)(void**)>(dlsym(plugin, "plugin_make_handle"));
    auto destroy = reinterpret_cast<int (*)(void*)>(dlsym(plugin, "plugin_destroy_handle"));
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    void* handle = nullptr;
    std::printf("create: %d\n", make(&handle));
    cuCtxDestroy(ctx);
    std::printf("destroy: %d\n", destroy(handle));
    return 0;
  }
  if (scenario == "rtld_next") {  // dlsym(RTLD_NEXT) from the program: the next object after it, the preload first
    std::printf("RTLD_NEXT finds the exit marker's symbol: %s\n",
                dlsym(RTLD_NEXT, "ctxshare_watch_exit_running") != nullptr ? "yes" : "no");
    return 0;
  }
  if (scenario == "library_event_after_cuCtxDestroy") {
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUevent event = nullptr;
    fakelib_event_create(&event);
    cuCtxDestroy(ctx);
    std::printf("destroy: %d\n", fakelib_event_destroy(event));
    return 0;
  }
  if (scenario == "runtime_objects_at_reset") {  // arg: stream, event or both, left in the primary the runtime resets
    runtime_initializes();
    CUstream stream = nullptr;
    CUevent event = nullptr;
    if (arg != "event") rt_stream_create(&stream);
    if (arg != "stream") rt_event_create(&event);
    std::printf("reset: %d\n", rt_reset(0));
    return 0;
  }
  if (scenario == "runtime_objects_without_a_stale_handle") {  // none of these leaves the runtime a stale handle
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream runtime_stream = nullptr, program_stream = nullptr;
    CUevent runtime_event = nullptr, library_event = nullptr;
    rt_stream_create(&runtime_stream);
    rt_event_create(&runtime_event);
    cuStreamCreate(&program_stream, CU_STREAM_DEFAULT);  // the program's: its use is checked where it happens
    fakelib_event_create(&library_event);                // a library's own runtime instance's
    rt_stream_destroy(runtime_stream);
    rt_event_destroy(runtime_event);
    cuCtxDestroy(ctx);
    runtime_initializes();
    rt_stream_create(&runtime_stream);  // left to the runtime's teardown at exit: its own last release
    std::printf("release: %d\n", rt_release(0));
    return 0;
  }
  if (scenario == "ipc_open_own_handle") {  // arg: runtime or program, who opens the runtime's handle
    runtime_initializes();
    CUdeviceptr p = 0, opened = 0;
    cuMemAlloc(&p, 256);
    CUipcMemHandle handle{};
    export_memory(true, &handle, p);
    std::printf("open: %d\n", open_memory(arg == "runtime", &opened, handle));
    return 0;
  }
  if (scenario == "ipc_open_from_another_process") {  // arg: <exporter>.<opener>.<while_alive|after_exit>
    const std::string exporter = arg.substr(0, arg.find('.'));
    const std::string rest = arg.substr(arg.find('.') + 1);
    const std::string opener = rest.substr(0, rest.find('.')), when = rest.substr(rest.find('.') + 1);
    Exporter e;
    if (!start_exporter(argv[0], "ipc_exporter_waits", exporter, &e)) return 91;
    if (when == "after_exit") end_exporter(e);
    runtime_initializes();
    CUdeviceptr opened = 0;
    std::printf("open: %d\n", open_memory(opener == "runtime", &opened, e.handle));
    if (when != "after_exit") end_exporter(e);
    return 0;
  }
  if (scenario == "ipc_exporter_waits") {  // the exporter: prints its handle, exits when its input closes
    runtime_initializes();
    CUdeviceptr p = 0;
    cuMemAlloc(&p, 256);
    CUipcMemHandle handle{};
    export_memory(arg == "runtime", &handle, p);
    std::fputs(hex(handle).c_str(), stdout);
    std::fflush(stdout);
    char ignored;
    while (read(0, &ignored, 1) > 0) {
    }
    return 0;
  }
  if (scenario == "ipc_close_after_the_exporter_ended") {
    // arg: <created_context | runtime: the exporter's memory, ended by cuCtxDestroy or the runtime's
    // reset>.<close_after | close_before: the importer's close against that end>
    const std::string exporter = arg.substr(0, arg.find('.')), when = arg.substr(arg.find('.') + 1);
    Exporter e;
    if (!start_exporter(argv[0], "ipc_exporter_ends_on_request", exporter, &e)) return 91;
    runtime_initializes();
    CUdeviceptr opened = 0;
    std::printf("open: %d\n", open_memory(true, &opened, e.handle));
    using Close = CUresult (*)(CUdeviceptr);
    if (when == "close_before") std::printf("close: %d\n", runtime_entry<Close>("cuIpcCloseMemHandle")(opened));
    char ack = 0;
    if (write(e.to, "e", 1) != 1 || read(e.from, &ack, 1) != 1) return 93;  // the exporter ended it
    if (when == "close_after") std::printf("close: %d\n", runtime_entry<Close>("cuIpcCloseMemHandle")(opened));
    end_exporter(e);
    return 0;
  }
  if (scenario == "ipc_exporter_ends_on_request") {  // prints its handle; ends the memory on 'e', says so, exits at EOF
    CUdeviceptr p = 0;
    CUipcMemHandle handle{};
    CUcontext ctx = nullptr;
    if (arg == "created_context") {
      cuCtxCreate_v4(&ctx, nullptr, 0, 0);
      cuMemAlloc(&p, 256);
      export_memory(false, &handle, p);
    } else {
      runtime_initializes();
      runtime_entry<CUresult (*)(CUdeviceptr*, std::size_t)>("cuMemAlloc")(&p, 256);
      export_memory(true, &handle, p);
    }
    std::fputs(hex(handle).c_str(), stdout);
    std::fflush(stdout);
    char request = 0;
    if (read(0, &request, 1) == 1) {
      if (arg == "created_context") cuCtxDestroy(ctx);
      else rt_reset(0);
      std::fputs("e", stdout);
      std::fflush(stdout);
    }
    while (read(0, &request, 1) > 0) {
    }
    return 0;
  }
  if (scenario == "no_context_pointer_attribute") {  // arg: CONTEXT or DEVICE_POINTER, asked on a new thread
    runtime_initializes();
    CUdeviceptr p = 0;
    cuMemAlloc(&p, 256);
    const auto attribute = arg == "CONTEXT" ? CU_POINTER_ATTRIBUTE_CONTEXT : CU_POINTER_ATTRIBUTE_DEVICE_POINTER;
    unsigned long long answer = 0;
    cuPointerGetAttribute(&answer, attribute, p);  // with the primary current: nothing to report
    std::thread([&] { std::printf("attribute: %d\n", cuPointerGetAttribute(&answer, attribute, p)); }).join();
    return 0;
  }
  if (scenario == "no_context_generic_copy") {  // arg: host_to_device or device_to_host, on a new thread
    runtime_initializes();
    CUdeviceptr device = 0;
    cuMemAlloc(&device, 256);
    static char host[256];
    const auto host_address = reinterpret_cast<CUdeviceptr>(host);
    std::thread([&] {
      std::printf("copy: %d\n", arg == "host_to_device" ? cuMemcpy(device, host_address, 256) : cuMemcpy(host_address, device, 256));
    }).join();
    return 0;
  }
  if (scenario == "documented_reset") {  // the program resets the primary the runtime retains
    runtime_initializes();
    std::printf("reset: %d\n", cuDevicePrimaryCtxReset(0));
    return 0;
  }
  if (scenario == "runtime_waits_after_switch") {  // arg: stream_query, stream_synchronize or event_query
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    CUevent event = nullptr;
    cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    cuEventCreate(&event, 0);
    runtime_initializes();  // cudaSetDevice over the created context
    const CUresult r = arg == "stream_query" ? rt_stream_query(stream)
                       : arg == "stream_synchronize" ? rt_stream_synchronize(stream)
                                                     : rt_event_query(event);
    std::printf("wait: %d\n", r);
    return 0;
  }
  if (scenario == "context_less_kernel_on_a_created_stream") {  // a CUkernel, not a CUfunction of the current context
    CUcontext owner = nullptr, other = nullptr;
    cuCtxCreate_v4(&owner, nullptr, 0, 0);
    CUstream stream = nullptr;
    cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    cuCtxCreate_v4(&other, nullptr, 0, 0);
    auto* kernel = reinterpret_cast<CUfunction>(0x4242);  // what cuLibraryGetKernel handed out
    std::printf("launch: %d\n", cuLaunchKernel(kernel, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr));
    return 0;
  }
  if (scenario == "fork_after_driver_init") {
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    const pid_t child = fork();
    if (child == 0) {
      CUdeviceptr p = 0;
      cuMemAlloc(&p, 256);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    std::printf("child: %d\n", child);
    return 0;
  }
  if (scenario == "exec_child") {  // a child that execs: its own process, its own reports
    const pid_t child = fork();
    if (child == 0) {
      execl("/proc/self/exe", argv[0], "unbalanced_release", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    std::printf("child: %d\n", child);
    return 0;
  }
  if (scenario == "runtime_came_second") {  // arg: <how the runtime came: push|set|found_current>.<use>
    const std::string how = arg.substr(0, arg.find('.')), use = arg.substr(arg.find('.') + 1);
    CUcontext primary = nullptr;
    cuDevicePrimaryCtxRetain(&primary, 0);  // the program makes the primary active
    if (how == "found_current") cuCtxSetCurrent(primary);
    if (how == "push") runtime_entry<CUresult (*)(CUcontext)>("cuCtxPushCurrent")(primary);  // cudaInitDevice
    if (how == "set") rt_set_current(primary);  // cudaSetDevice, or the first cudaMalloc
    CUcontext mine = nullptr;
    rt_retain(&mine, 0);
    if (how == "push") {  // and the next runtime call (cudaMalloc) makes it current
      runtime_entry<CUresult (*)(CUcontext*)>("cuCtxPopCurrent")(&mine);
      rt_set_current(primary);
    }
    CUdeviceptr p = 0;
    runtime_entry<CUresult (*)(CUdeviceptr*, std::size_t)>("cuMemAlloc")(&p, 256);
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    if (use != "kept") cuDevicePrimaryCtxRelease(0);  // the program's only retain
    char word[4];
    if (use == "runtime_copy" || use == "kept")
      std::printf("copy: %d\n", runtime_entry<CUresult (*)(void*, CUdeviceptr, std::size_t)>("cuMemcpyDtoH")(word, p, 4));
    if (use == "runtime_stream_destroy") std::printf("destroy: %d\n", rt_stream_destroy(stream));
    if (use == "program_stream_sync") std::printf("sync: %d\n", cuStreamSynchronize(stream));
    return 0;
  }
  if (scenario == "released_twice_then_runtime_stream") {  // the program's second release ends the runtime's primary
    CUcontext primary = nullptr;
    cuDevicePrimaryCtxRetain(&primary, 0);
    runtime_initializes();
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    cuDevicePrimaryCtxRelease(0);
    cuDevicePrimaryCtxRelease(0);  // one more than it retained: the runtime's reference goes
    std::printf("query: %d\n", rt_stream_query(stream));
    return 0;
  }
  if (scenario == "runtime_came_first") {  // the runtime made the primary active; a component retains and releases
    runtime_initializes();
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    CUcontext primary = nullptr;
    cuDevicePrimaryCtxRetain(&primary, 0);
    cuDevicePrimaryCtxRelease(0);
    std::printf("query: %d\n", rt_stream_query(stream));
    return 0;
  }
  if (scenario == "repeated") {  // the same site three times: one report
    runtime_initializes();
    for (int i = 0; i < 3; ++i) cuDevicePrimaryCtxRelease(0);
    return 0;
  }
  if (scenario == "exit_calls") {  // arg: what exit releases, <what>.<registered before|after the runtime's first call>
    if (arg == "runtime_free.before") std::atexit(runtime_frees_at_exit);
    if (arg == "runtime_get_device.before") std::atexit(runtime_asks_the_device_at_exit);
    if (arg == "program_destroy.before") std::atexit(program_destroys_at_exit);
    if (arg == "program_destroy.before" || arg == "program_destroy.after") cuCtxCreate_v4(&g_created, nullptr, 0, 0);
    runtime_initializes();
    runtime_entry<CUresult (*)(CUdeviceptr*, std::size_t)>("cuMemAlloc")(&g_runtime_memory, 256);
    if (arg == "runtime_free.after") std::atexit(runtime_frees_at_exit);
    if (arg.rfind("after_reset.", 0) == 0) {  // after_reset.<free|event|stream>: cudaDeviceReset, then exit
      if (arg == "after_reset.event") rt_event_create(&g_reset_event);
      if (arg == "after_reset.stream") rt_stream_create(&g_reset_stream);
      std::atexit(runtime_releases_after_reset_at_exit);
      rt_reset(0);
    }
    if (arg == "runtime_get_device.after") std::atexit(runtime_asks_the_device_at_exit);
    if (arg == "program_destroy.after") std::atexit(program_destroys_at_exit);
    if (arg == "thread_local") {
      thread_local ThreadLocalEvent holder;
      rt_event_create(&g_thread_local_event);
    }
    if (arg == "exit_call") {  // exit called, not main's return
      std::atexit(runtime_frees_at_exit);
      std::exit(0);
    }
    if (arg == "teardowns_only") {  // the runtime's and a library's own teardown: nothing to report
      fakelib_start_with_teardown_at_exit();
      g_runtime_teardown_armed = true;
    }
    return 0;
  }
  if (scenario == "stale_event_wait") {  // arg: cuCtxDestroy or reset, what ended the runtime event's context
    CUcontext ctx = nullptr;
    CUevent event = nullptr;
    if (arg == "cuCtxDestroy") cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    else runtime_initializes();
    rt_event_create(&event);
    if (arg == "cuCtxDestroy") cuCtxDestroy(ctx);
    else rt_reset(0);
    runtime_initializes();
    CUstream live = nullptr;
    cuStreamCreate(&live, CU_STREAM_DEFAULT);
    std::printf("wait: %d\n", cuStreamWaitEvent(live, event, 0));
    return 0;
  }
  if (scenario == "pinned_after_reset") {  // arg: runtime or program, who frees the runtime's pinned memory
    runtime_initializes();
    void* pinned = nullptr;
    runtime_entry<CUresult (*)(void**, std::size_t, unsigned)>("cuMemHostAlloc")(&pinned, 256, 0);
    rt_reset(0);
    if (arg == "runtime") runtime_initializes();  // the runtime's next call re-initializes the primary first
    std::printf("free: %d\n", arg == "runtime" ? runtime_entry<CUresult (*)(void*)>("cuMemFreeHost")(pinned) : cuMemFreeHost(pinned));
    return 0;
  }
  if (scenario == "detached_context_stream") {  // PyCUDA's way of ending a context
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    rt_stream_create(&stream);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    cuCtxDetach(ctx);
#pragma GCC diagnostic pop
    std::printf("query: %d\n", rt_stream_query(stream));
    return 0;
  }
  if (scenario == "load_beside_a_running_kernel") {
    // arg: runtime_first_launch, runtime_attributes, module, library, runtime_library_launch,
    // runtime_library_attributes, runtime_library_kernel_attributes (on a second thread while the first's
    // kernel spins), after_it_ended
    // (the same, once it ended) or same_thread.
    using Launch = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream,
                                void**, void**);
    const CUcontext primary = runtime_initializes();
    CUstream held = nullptr;
    rt_stream_create(&held);
    constexpr unsigned kSpins = 0x6a7e;  // the fake driver's held kernel: its stream stays busy for a second
    runtime_entry<Launch>("cuLaunchKernel")(reinterpret_cast<CUfunction>(0x5000), 1, 1, 1, 1, 1, 1, kSpins, held, nullptr,
                                            nullptr);
    auto load = [&] {
      rt_set_current(primary);
      CUstream other = nullptr;
      rt_stream_create(&other);
      const auto fresh = reinterpret_cast<CUfunction>(0x6000);
      if (arg == "runtime_first_launch" || arg == "after_it_ended" || arg == "same_thread")
        runtime_entry<Launch>("cuLaunchKernel")(fresh, 1, 1, 1, 1, 1, 1, 0, other, nullptr, nullptr);
      int registers = 0;
      if (arg == "runtime_attributes")
        runtime_entry<CUresult (*)(int*, CUfunction_attribute, CUfunction)>("cuFuncGetAttribute")(
            &registers, CU_FUNC_ATTRIBUTE_NUM_REGS, fresh);
      CUfunction function = nullptr;
      if (arg == "module") {
        CUmodule module = nullptr;
        cuModuleLoadData(&module, "image");
        cuModuleGetFunction(&function, module, "k");
      }
      if (arg == "library") {
        CUlibrary library = nullptr;
        cuLibraryLoadData(&library, "image", nullptr, nullptr, 0, nullptr, nullptr, 0);
        CUkernel kernel = nullptr;
        cuLibraryGetKernel(&kernel, library, "k");
        function = reinterpret_cast<CUfunction>(kernel);
      }
      // The runtime's lazy load of its own library for a first launch or cudaFuncGetAttributes.
      if (arg == "runtime_library_launch" || arg == "runtime_library_attributes" || arg == "runtime_library_kernel_attributes") {
        using LoadData = CUresult (*)(CUlibrary*, const void*, CUjit_option*, void**, unsigned, CUlibraryOption*, void**, unsigned);
        CUlibrary library = nullptr;
        runtime_entry<LoadData>("cuLibraryLoadData")(&library, "image", nullptr, nullptr, 0, nullptr, nullptr, 0);
        CUkernel kernel = nullptr;
        runtime_entry<CUresult (*)(CUkernel*, CUlibrary, const char*)>("cuLibraryGetKernel")(&kernel, library, "k");
        const auto served = reinterpret_cast<CUfunction>(kernel);
        if (arg == "runtime_library_launch")
          runtime_entry<Launch>("cuLaunchKernel")(served, 1, 1, 1, 1, 1, 1, 0, other, nullptr, nullptr);
        else if (arg == "runtime_library_kernel_attributes") {  // CUDA 13's cudaFuncGetAttributes, on the H100
          CUfunction in_context = nullptr;
          runtime_entry<CUresult (*)(CUfunction*, CUkernel)>("cuKernelGetFunction")(&in_context, kernel);
          runtime_entry<CUresult (*)(int*, CUfunction_attribute, CUkernel, CUdevice)>("cuKernelGetAttribute")(
              &registers, CU_FUNC_ATTRIBUTE_NUM_REGS, kernel, 0);
        } else
          runtime_entry<CUresult (*)(int*, CUfunction_attribute, CUfunction)>("cuFuncGetAttribute")(
              &registers, CU_FUNC_ATTRIBUTE_NUM_REGS, served);
      }
      if (function != nullptr) cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, other, nullptr, nullptr);
    };
    if (arg == "same_thread") load();
    else {
      if (arg == "after_it_ended") std::this_thread::sleep_for(std::chrono::milliseconds(1200));
      std::thread second(load);
      second.join();
    }
    return 0;
  }
  if (scenario == "runtime_handle_launched") {
    // arg: into_created_context_null_stream, into_created_context_stream, after_program_reset,
    // after_runtime_reset, on_a_thread_with_none or in_its_context (the runtime's function where it belongs).
    const CUcontext primary = runtime_initializes();
    const auto function = reinterpret_cast<CUfunction>(0xbad00);  // cudaGetFuncBySymbol's, of the primary
    CUstream stream = nullptr;
    if (arg == "into_created_context_null_stream" || arg == "into_created_context_stream") {
      CUcontext created = nullptr;
      cuCtxCreate_v4(&created, nullptr, 0, 0);
      if (arg == "into_created_context_stream") cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    }
    if (arg == "after_program_reset") {
      cuDevicePrimaryCtxReset(0);
      rt_release(0);  // the runtime lets go of the retain the reset did not release (the H100 run's order)
    }
    if (arg == "after_runtime_reset") rt_reset(0);
    if (arg == "after_program_reset" || arg == "after_runtime_reset") runtime_initializes();
    CUresult r = CUDA_SUCCESS;
    if (arg == "on_a_thread_with_none")
      std::thread([&] { r = cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr); }).join();
    else r = cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr);
    std::printf("launch: %d (primary %p)\n", r, static_cast<void*>(primary));
    return 0;
  }
  if (scenario == "library_binds_a_context_on_a_new_thread") {  // arg: primary or created_context
    CUcontext ctx = runtime_initializes();
    if (arg == "created_context") cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    std::thread([&] { fakelib_set_current(ctx); }).join();
    fakelib_set_current(ctx);  // the main thread, where a context is current: not reported
    return 0;
  }
  if (scenario == "library_launch_on_a_thread_with_none") {
    runtime_initializes();
    std::thread([] { fakelib_launch(reinterpret_cast<CUfunction>(0xbad01)); }).join();
    return 0;
  }
  if (scenario == "fft_launch_refused") {  // arg: new_thread, same_thread (after cuCtxSetCurrent(NULL)) or another_context
    runtime_initializes();
    const auto plan_kernel = reinterpret_cast<CUfunction>(0xbad01);  // a kernel of the primary, where the plan was made
    CUresult r = CUDA_SUCCESS;
    if (arg == "new_thread") std::thread([&] { r = fakefft_launch(plan_kernel); }).join();
    if (arg == "same_thread") {
      cuCtxSetCurrent(nullptr);
      r = fakefft_launch(plan_kernel);
    }
    if (arg == "another_context") {
      CUcontext created = nullptr;
      cuCtxCreate_v4(&created, nullptr, 0, 0);
      r = fakefft_launch(plan_kernel);
    }
    std::printf("launch: %d\n", r);
    return 0;
  }
  if (scenario == "library_in_another_context") {  // arg: handle_elsewhere, handle_in_each or at_home
    CUcontext first = nullptr, second = nullptr;
    cuCtxCreate_v4(&first, nullptr, 0, 0);
    CUevent first_event = nullptr, second_event = nullptr;
    fakelib_event_create(&first_event);  // what the library's handle made in the first context
    if (arg != "at_home") {
      cuCtxCreate_v4(&second, nullptr, 0, 0);
      if (arg == "handle_in_each") fakelib_event_create(&second_event);
    }
    std::printf("launch: %d\n", fakelib_launch(reinterpret_cast<CUfunction>(0x4242)));  // a context-less kernel
    return 0;
  }
  if (scenario == "runtime_function_on_a_stream_with_none") {  // arg: CUfunction or CUkernel, the runtime's handle
    runtime_initializes();
    CUkernel kernel = nullptr;
    runtime_entry<CUresult (*)(CUkernel*, CUlibrary, const char*)>("cuLibraryGetKernel")(&kernel, nullptr, "k");
    CUfunction function = nullptr;  // cudaGetFuncBySymbol's
    runtime_entry<CUresult (*)(CUfunction*, CUkernel)>("cuKernelGetFunction")(&function, kernel);
    CUstream stream = nullptr;
    rt_stream_create(&stream);
    const auto handle = arg == "CUfunction" ? function : reinterpret_cast<CUfunction>(kernel);
    CUresult r = CUDA_ERROR_UNKNOWN;
    std::thread([&] { r = cuLaunchKernel(handle, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr); }).join();
    std::printf("launch: %d\n", r);
    return 0;
  }
  if (scenario == "runtime_memset_after_switch") {  // the runtime's cudaMemsetAsync on a created context's stream
    CUcontext ctx = nullptr;
    cuCtxCreate_v4(&ctx, nullptr, 0, 0);
    CUstream stream = nullptr;
    cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
    CUdeviceptr p = 0;
    cuMemAlloc(&p, 256);
    runtime_initializes();  // cudaSetDevice over the created context
    using MemsetAsync = CUresult (*)(CUdeviceptr, unsigned char, std::size_t, CUstream);
    std::printf("memset: %d\n", runtime_entry<MemsetAsync>("cuMemsetD8Async")(p, 0, 256, stream));
    return 0;
  }
  if (scenario == "stale_pointer_freed") {  // arg: then_used (the new allocation used after) or fresh_freed (correct)
    using Alloc = CUresult (*)(CUdeviceptr*, std::size_t);
    using Free = CUresult (*)(CUdeviceptr);
    using CopyOut = CUresult (*)(void*, CUdeviceptr, std::size_t);
    runtime_initializes();
    CUdeviceptr stale = 0, fresh = 0;
    runtime_entry<Alloc>("cuMemAlloc")(&stale, 256);
    rt_reset(0);  // cudaDeviceReset: the allocation ends with it, unfreed
    runtime_initializes();
    runtime_entry<Alloc>("cuMemAlloc")(&fresh, 256);  // the fake driver hands out the stale address again
    std::printf("same address: %d\n", fresh == stale);
    std::printf("free: %d\n", runtime_entry<Free>("cuMemFree")(arg == "then_used" ? stale : fresh));
    if (arg == "then_used") {
      char host[256];
      std::printf("copy: %d\n", runtime_entry<CopyOut>("cuMemcpyDtoH")(host, fresh, sizeof host));
    }
    return 0;
  }
  if (scenario == "fork_after_runtime_init") {  // the child only asks which context is current
    runtime_initializes();
    CUdeviceptr p = 0;
    runtime_entry<CUresult (*)(CUdeviceptr*, std::size_t)>("cuMemAlloc")(&p, 256);
    const pid_t child = fork();
    if (child == 0) {
      CUcontext current = nullptr;
      cuCtxGetCurrent(&current);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CUcontext current = nullptr;
    cuCtxGetCurrent(&current);  // the parent's: nothing to report
    std::printf("child: %d\n", child);
    return 0;
  }
  if (scenario == "handle_kinds") {  // arg: kernel_as_function, function_as_kernel, function_to_cudaLaunchKernel[_profiled] or each_as_itself
    runtime_initializes();
    CUkernel kernel = nullptr;  // cudaGetKernel's handle: the runtime got it from cuLibraryGetKernel
    runtime_entry<CUresult (*)(CUkernel*, CUlibrary, const char*)>("cuLibraryGetKernel")(&kernel, nullptr, "k");
    CUfunction function = nullptr;  // cudaGetFuncBySymbol's: a CUfunction of the current context
    runtime_entry<CUresult (*)(CUfunction*, CUkernel)>("cuKernelGetFunction")(&function, kernel);
    int registers = 0;
    CUfunction other = nullptr;
    if (arg == "kernel_as_function") cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, reinterpret_cast<CUfunction>(kernel));
    if (arg == "function_as_kernel") cuKernelGetFunction(&other, reinterpret_cast<CUkernel>(function));
    // cudaLaunchKernel given the CUfunction launches it as it is; with a CUPTI subscriber it first asks
    // its name as a CUkernel's. The runtime's own launch of the kernel passes the CUkernel.
    using GetName = CUresult (*)(const char**, CUkernel);
    using Launch = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream,
                                void**, void**);
    const char* name = nullptr;
    if (arg == "function_to_cudaLaunchKernel_profiled") runtime_entry<GetName>("cuKernelGetName")(&name, reinterpret_cast<CUkernel>(function));
    if (arg == "function_to_cudaLaunchKernel")
      runtime_entry<Launch>("cuLaunchKernel")(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);
    if (arg == "each_as_itself") {
      cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, function);
      cuKernelGetFunction(&other, kernel);
      runtime_entry<GetName>("cuKernelGetName")(&name, kernel);
      runtime_entry<Launch>("cuLaunchKernel")(reinterpret_cast<CUfunction>(kernel), 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);
      cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);  // the program's own launch of it
    }
    return 0;
  }
  if (scenario == "exit") {
    std::printf("to stdout\n");
    std::fprintf(stderr, "to stderr\n");
    return std::atoi(arg.c_str());
  }
  if (scenario == "crash_after_hazard") {
    unbalanced_release();
    std::fflush(stdout);
    std::raise(SIGSEGV);
    return 0;
  }
  std::fprintf(stderr, "probe: unknown scenario '%s'\n", scenario.c_str());
  return 64;
}
