// Part of libctxshare_watch_exit.so, preloaded by `ctxshare watch` (docs/watch.md, "Library handles"):
// it tells the interposer when a CUDA library handle is made and destroyed, so that a handle outliving
// its context is reported (library_contexts.*_used_after_its_context_is_gone).
//
// Why here: the interposer sees the driver calls a library makes, not its handles. cuRAND and cuSPARSE
// used after their context was destroyed make the same driver calls as a handle made anew (their CUPTI
// traces in docs/results/watch/calls/). The suite, ctypes (PyCUDA with cuBLAS, scikit-cuda) and most
// plugins load these libraries with dlopen and find each function with dlsym; so this library defines
// dlsym. For a handle it gives (dlopen's) and a function it watches, dlsym hands back a wrapper that
// forwards to the library's own function and calls the interposer's hook; every other request jumps
// to glibc's dlsym with the caller's return address untouched, so RTLD_NEXT and RTLD_DEFAULT keep
// their meaning (a C++ wrapper that called it would make this library their caller). Calls bound by
// the dynamic linker (a program linked with -lcublas) do not come here (Limits).
//
// C ABI and libc only. Every wrapped function returns its library's status, 0 for success.
#include <dlfcn.h>
#include <string.h>

#include <atomic>

extern "C" {

// Set by the interposer through dlsym(RTLD_DEFAULT, ...); null where it is not loaded.
struct CtxshareWatchLibraryHooks {
  void (*made)(const char* library, const char* function, const void* handle, void* site);
  void (*destroying)(const char* library, const char* function, const void* handle, void* site);
};
[[gnu::visibility("default")]] CtxshareWatchLibraryHooks ctxshare_watch_library_hooks = {nullptr, nullptr};

// glibc's dlsym, found on the first call (this library's constructor may run after another's dlsym).
[[gnu::visibility("hidden")]] void* ctxshare_real_dlsym = nullptr;
// The wrapper of (handle, name), or null for glibc's answer: called by dlsym below.
[[gnu::visibility("hidden")]] void* ctxshare_watched_dlsym(void* handle, const char* name);

}  // extern "C"

// dlsym: the wrapper where ctxshare_watched_dlsym gives one, else a jump to glibc's dlsym, which then
// sees the caller's return address (what RTLD_NEXT is relative to). x86-64, as the interposer is.
asm(R"(
  .pushsection .text
  .globl dlsym
  .type dlsym, @function
dlsym:
  .cfi_startproc
  pushq %rdi
  .cfi_adjust_cfa_offset 8
  pushq %rsi
  .cfi_adjust_cfa_offset 8
  subq $8, %rsp
  .cfi_adjust_cfa_offset 8
  call ctxshare_watched_dlsym
  addq $8, %rsp
  .cfi_adjust_cfa_offset -8
  popq %rsi
  .cfi_adjust_cfa_offset -8
  popq %rdi
  .cfi_adjust_cfa_offset -8
  testq %rax, %rax
  jz 1f
  ret
1:
  jmp *ctxshare_real_dlsym(%rip)
  .cfi_endproc
  .size dlsym, .-dlsym
  .popsection
)");

namespace {

CtxshareWatchLibraryHooks* hooks() { return &ctxshare_watch_library_hooks; }

void tell_made(const char* library, const char* function, const void* handle, void* site) {
  if (auto* hook = __atomic_load_n(&hooks()->made, __ATOMIC_ACQUIRE)) hook(library, function, handle, site);
}
void tell_destroying(const char* library, const char* function, const void* handle, void* site) {
  if (auto* hook = __atomic_load_n(&hooks()->destroying, __ATOMIC_ACQUIRE)) hook(library, function, handle, site);
}
const void* plan_key(int plan) { return reinterpret_cast<const void*>(static_cast<long>(plan)); }

// Each watched function: what it does to a handle, its library, its parameters, and its handle. A
// `made` function tells after a success; a `destroying` one before the call, which may crash when the
// handle's context is gone.
#define CTXSHARE_LIBRARY_FUNCTIONS(X)                                                                            \
  X(made, cublas, cublasCreate_v2, (void** h), (h), *h)                                                          \
  X(destroying, cublas, cublasDestroy_v2, (void* h), (h), h)                                                     \
  X(made, curand, curandCreateGenerator, (void** g, int type), (g, type), *g)                                    \
  X(destroying, curand, curandDestroyGenerator, (void* g), (g), g)                                               \
  X(made, cusparse, cusparseCreate, (void** h), (h), *h)                                                         \
  X(destroying, cusparse, cusparseDestroy, (void* h), (h), h)                                                    \
  X(made, cusolver, cusolverDnCreate, (void** h), (h), *h)                                                       \
  X(destroying, cusolver, cusolverDnDestroy, (void* h), (h), h)                                                  \
  X(made, cufft, cufftCreate, (int* p), (p), plan_key(*p))                                                       \
  X(made, cufft, cufftPlan1d, (int* p, int nx, int type, int batch), (p, nx, type, batch), plan_key(*p))         \
  X(made, cufft, cufftPlan2d, (int* p, int nx, int ny, int type), (p, nx, ny, type), plan_key(*p))               \
  X(made, cufft, cufftPlan3d, (int* p, int nx, int ny, int nz, int type), (p, nx, ny, nz, type), plan_key(*p))   \
  X(made, cufft, cufftPlanMany,                                                                                  \
    (int* p, int rank, int* n, int* inembed, int istride, int idist, int* onembed, int ostride, int odist,        \
     int type, int batch),                                                                                       \
    (p, rank, n, inembed, istride, idist, onembed, ostride, odist, type, batch), plan_key(*p))                   \
  X(destroying, cufft, cufftDestroy, (int p), (p), plan_key(p))

#define CTXSHARE_CALL_REAL(name, params, args) reinterpret_cast<int(*) params>(real_##name.load(std::memory_order_acquire)) args
#define CTXSHARE_WRAP_made(lib, name, params, args, handle)                    \
  int wrapped_##name params {                                                  \
    void* site = __builtin_return_address(0);                                  \
    const int status = CTXSHARE_CALL_REAL(name, params, args);                 \
    if (status == 0) tell_made(#lib, #name, handle, site);                     \
    return status;                                                             \
  }
#define CTXSHARE_WRAP_destroying(lib, name, params, args, handle)              \
  int wrapped_##name params {                                                  \
    tell_destroying(#lib, #name, handle, __builtin_return_address(0));         \
    return CTXSHARE_CALL_REAL(name, params, args);                             \
  }
#define CTXSHARE_WRAP(kind, lib, name, params, args, handle) \
  std::atomic<void*> real_##name{nullptr};                   \
  CTXSHARE_WRAP_##kind(lib, name, params, args, handle)
CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_WRAP)

struct Wrapped {
  const char* name;
  void* wrapper;
  std::atomic<void*>* real;
};
#define CTXSHARE_ROW(kind, lib, name, params, args, handle) {#name, reinterpret_cast<void*>(&wrapped_##name), &real_##name},
const Wrapped kWrapped[] = {CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_ROW)};

}  // namespace

extern "C" void* ctxshare_watched_dlsym(void* handle, const char* name) {
  if (ctxshare_real_dlsym == nullptr) {
    void* real = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
    if (real == nullptr) real = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
    __atomic_store_n(&ctxshare_real_dlsym, real, __ATOMIC_RELEASE);
  }
  // Only the libraries' names are looked at further; RTLD_DEFAULT and RTLD_NEXT depend on the caller.
  if (handle == RTLD_DEFAULT || handle == RTLD_NEXT || name == nullptr || name[0] != 'c' || name[1] != 'u') return nullptr;
  for (const Wrapped& w : kWrapped) {
    if (strcmp(w.name, name) != 0) continue;
    auto real_dlsym = reinterpret_cast<void* (*)(void*, const char*)>(ctxshare_real_dlsym);
    void* real = real_dlsym != nullptr ? real_dlsym(handle, name) : nullptr;
    if (real == nullptr) return nullptr;  // glibc answers again, with its error
    void* expected = nullptr;
    // A second copy of the library (another version, another path) is not watched: one slot per name.
    if (!w.real->compare_exchange_strong(expected, real) && expected != real) return nullptr;
    return w.wrapper;
  }
  return nullptr;
}
