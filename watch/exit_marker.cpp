// libctxshare_watch_exit.so: preloaded (LD_PRELOAD) by `ctxshare watch` and `run --watch` beside the
// interposing libcuda.so.1, it tells the interposer that the process's exit has begun and which kind
// of exit work is running (docs/watch.md, "Calls during exit").
//
// Why a preloaded library: the interposer cannot learn it by itself. An atexit handler it registered
// runs in reverse order of registration, so after every handler registered later (the ones that make
// the calls); wrapping `exit` misses a return from main, which glibc's __libc_start_main calls through
// its own hidden alias. So this library wraps __libc_start_main (main's return) and exit (an explicit
// exit), and marks "exiting" before any exit handler or thread-local destructor runs. It also wraps
// __cxa_atexit (std::atexit and static destructors come through it) and __cxa_thread_atexit_impl
// (thread_local destructors) so that each handler, when it runs, says when it was registered: before
// main, during main before the CUDA runtime's first call, after it, or a thread-local destructor.
// The interposer marks the runtime's first call (runtime_started). Nothing here calls CUDA.
//
// C ABI and libc only; a program without the interposer loses nothing but a few instructions per
// registration.
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "watch/preload_abi.h"

extern "C" {

// Read by the interposer through dlsym(RTLD_DEFAULT, ...).
[[gnu::visibility("default")]] CtxshareWatchExitState ctxshare_watch_exit_state = {0, 0, 0};

// What the calling thread runs now, as the interposer names it: 0 nothing known (not in a wrapped
// handler), 1 a handler registered before main, 2 one registered during main before the runtime's
// first call, 3 one registered after it, 4 a thread-local destructor, 5 a handler or thread-local
// destructor a CUDA library (the runtime's shared library among them) registered for itself.
static thread_local int t_running = 0;
[[gnu::visibility("default")]] int ctxshare_watch_exit_running() { return t_running; }

// Where the runtime API injection (watch/runtime_api.cpp, loaded by the driver with `watch --runtime-api`)
// finds the interposer: both see this preloaded library in the global scope, where the interposer itself
// may not be (the CUDA runtime opens libcuda.so.1 with a local scope). Set by the interposer; null where it
// is not loaded.
[[gnu::visibility("default")]] CtxshareWatchRuntimeHooks ctxshare_watch_runtime_hooks = {nullptr, nullptr, nullptr};

}  // extern "C"

namespace {

void mark_exiting() { __atomic_store_n(&ctxshare_watch_exit_state.exiting, 1, __ATOMIC_SEQ_CST); }

// The registering object's __dso_handle, in a CUDA library: its own teardown, not the program's.
bool registered_by_a_cuda_library(void* dso) {
  Dl_info info{};
  if (dso == nullptr || dladdr(dso, &info) == 0 || info.dli_fname == nullptr) return false;
  const char* name = strrchr(info.dli_fname, '/');
  name = name != nullptr ? name + 1 : info.dli_fname;
  static const char* const kLibraries[] = {"libcudart", "libcublas", "libcufft", "libcurand", "libcusparse", "libcusolver",
                                           "libnvjpeg", "libnpp", "libcudnn", "libnccl", "libnvrtc", "libnvJitLink", "libcuda."};
  for (const char* lib : kLibraries)
    if (strncmp(name, lib, strlen(lib)) == 0) return true;
  return false;
}

int registration_kind(void* dso) {
  if (registered_by_a_cuda_library(dso)) return 5;
  if (!__atomic_load_n(&ctxshare_watch_exit_state.main_started, __ATOMIC_RELAXED)) return 1;
  return __atomic_load_n(&ctxshare_watch_exit_state.runtime_started, __ATOMIC_RELAXED) ? 3 : 2;
}

struct Handler {
  void (*fn)(void*);
  void* arg;
  int kind;
};

// Each registered function runs through this, which says what runs while it does.
void run_handler(void* p) {
  Handler* h = static_cast<Handler*>(p);
  const int before = t_running;
  t_running = h->kind;
  h->fn(h->arg);
  t_running = before;
  free(h);
}

Handler* wrap(void (*fn)(void*), void* arg, int kind) {
  Handler* h = static_cast<Handler*>(malloc(sizeof(Handler)));
  if (h != nullptr) *h = Handler{fn, arg, kind};
  return h;
}

using MainFn = int (*)(int, char**, char**);
MainFn g_main = nullptr;

int watched_main(int argc, char** argv, char** envp) {
  __atomic_store_n(&ctxshare_watch_exit_state.main_started, 1, __ATOMIC_SEQ_CST);
  const int code = g_main(argc, argv, envp);
  mark_exiting();  // __libc_start_main calls exit(code) next
  return code;
}

}  // namespace

extern "C" {

[[gnu::visibility("default")]] int __libc_start_main(MainFn main, int argc, char** argv, void (*init)(), void (*fini)(),
                                                     void (*rtld_fini)(), void* stack_end) {
  using Real = int (*)(MainFn, int, char**, void (*)(), void (*)(), void (*)(), void*);
  auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "__libc_start_main"));
  g_main = main;
  return real(&watched_main, argc, argv, init, fini, rtld_fini, stack_end);
}

[[gnu::visibility("default")]] void exit(int code) {  // noreturn: libc's declaration says so
  mark_exiting();
  using Real = void (*)(int);
  auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "exit"));
  real(code);
  __builtin_unreachable();
}

[[gnu::visibility("default")]] int __cxa_atexit(void (*fn)(void*), void* arg, void* dso) {
  using Real = int (*)(void (*)(void*), void*, void*);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "__cxa_atexit"));
  Handler* h = wrap(fn, arg, registration_kind(dso));
  return h != nullptr ? real(&run_handler, h, dso) : real(fn, arg, dso);
}

[[gnu::visibility("default")]] int __cxa_thread_atexit_impl(void (*fn)(void*), void* obj, void* dso) {
  using Real = int (*)(void (*)(void*), void*, void*);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "__cxa_thread_atexit_impl"));
  Handler* h = wrap(fn, obj, registered_by_a_cuda_library(dso) ? 5 : 4);
  return h != nullptr ? real(&run_handler, h, dso) : real(fn, obj, dso);
}

}  // extern "C"
