// What the preloaded libctxshare_watch_exit.so shares with the interposer and the runtime API injection:
// three C structs, each one exported object of the preloaded library that the others find with
// dlsym(RTLD_DEFAULT, name). One definition here, so the three libraries cannot drift apart. C ABI only.
#pragma once

extern "C" {

// "ctxshare_watch_exit_state" (exit_marker.cpp): when the process's exit began.
struct CtxshareWatchExitState {
  int main_started;     // __libc_start_main called main
  int runtime_started;  // set by the interposer: the CUDA runtime's first driver call
  int exiting;          // main returned or exit was called
};

// "ctxshare_watch_library_hooks" (library_handles.cpp): set by the interposer; null where it is not loaded.
struct CtxshareWatchLibraryHooks {
  void (*made)(const char* library, const char* function, const void* handle, void* site);
  void (*destroying)(const char* library, const char* function, const void* handle, void* site);
};

// "ctxshare_watch_runtime_hooks" (exit_marker.cpp): set by the interposer, called by the runtime API injection
// (runtime_api.cpp, `watch --runtime-api`).
struct CtxshareWatchRuntimeHooks {
  void (*followed)();                   // the injection subscribed
  void (*enter)(const char* function);  // a runtime API call begins on the calling thread
  void (*exit)(const char* function);   // and ends
};

}  // extern "C"
