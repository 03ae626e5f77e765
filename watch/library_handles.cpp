// Part of libctxshare_watch_exit.so, preloaded by `ctxshare watch` (docs/watch.md, "Library handles"):
// it tells the interposer when a CUDA library handle is made and destroyed, so that a handle outliving
// its context is reported (library_contexts.*_used_after_its_context_is_gone).
//
// Why here: the interposer sees the driver calls a library makes, not its handles. cuRAND and cuSPARSE
// used after their context was destroyed make the same driver calls as a handle made anew (their CUPTI
// traces in docs/results/watch/calls/). Two ways in, since a program reaches a library's functions in
// two: calls the dynamic linker binds (a program or a library linked with -lcublas) come to the
// functions this library exports under the same names, preloaded so that they come first; functions
// found with dlsym (the suite, ctypes: PyCUDA with cuBLAS, scikit-cuda; most plugins) come through the
// dlsym this library defines, which for a handle it gives (dlopen's) and a function it watches hands
// back a wrapper. Both forward to the library's own function and tell the interposer. Every other
// dlsym request jumps to glibc's with the caller's return address untouched, so RTLD_NEXT and
// RTLD_DEFAULT keep their meaning (a C++ wrapper that called it would make this library their caller).
//
// C ABI and libc only. Every wrapped function returns its library's status, 0 for success.
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include <atomic>

#include "watch/preload_abi.h"

extern "C" {

// Set by the interposer through dlsym(RTLD_DEFAULT, ...); null where it is not loaded.
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

// A create or destroy inside another (cuSOLVER's cusolverDnCreate makes a cuBLAS handle through its
// own call of cublasCreate_v2) belongs to the outer handle: only the outermost call tells.
thread_local int t_depth = 0;
struct Outermost {
  const bool is = t_depth++ == 0;
  ~Outermost() { --t_depth; }
};

// The library's own function behind an exported wrapper below: the next definition after this library
// in the process's global scope (a program linked with -l<library>), or else in the loaded library of
// that name (one loaded by a plugin or an extension module with its own local scope).
void* library_function(const char* library, const char* name) {
  auto real_dlsym = reinterpret_cast<void* (*)(void*, const char*)>(__atomic_load_n(&ctxshare_real_dlsym, __ATOMIC_ACQUIRE));
  if (void* next = dlsym(RTLD_NEXT, name)) return next;  // through dlsym above: this library is the caller
  struct Search {
    const char* library;
    const char* name;
    void* (*real_dlsym)(void*, const char*);
    void* found;
  } search{library, name, real_dlsym, nullptr};
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        const char* base = info->dlpi_name != nullptr ? strrchr(info->dlpi_name, '/') : nullptr;
        base = base != nullptr ? base + 1 : info->dlpi_name;
        // "libcublas.so.13", not "libcublasLt.so.13": the library's name, then ".so".
        const size_t n = strlen(s->library);
        if (base == nullptr || strncmp(base, "lib", 3) != 0 || strncmp(base + 3, s->library, n) != 0 ||
            strncmp(base + 3 + n, ".so", 3) != 0 || s->real_dlsym == nullptr)
          return 0;
        void* handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
        if (handle == nullptr) return 0;
        s->found = s->real_dlsym(handle, s->name);  // glibc's: the dlsym above would hand back its wrapper
        dlclose(handle);
        return s->found != nullptr;
      },
      &search);
  return search.found;
}
int missing(const char* name) {
  fprintf(stderr, "ctxshare-watch: %s: its library's own function was not found in the process\n", name);
  return 1;  // every one of these libraries' "not initialized" (cuFFT's: invalid plan)
}

#define CTXSHARE_BODY_made(lib, name, params, args, handle, real)  \
  {                                                                \
    void* site = __builtin_return_address(0);                      \
    auto* function = reinterpret_cast<int(*) params>(real);        \
    if (function == nullptr) return missing(#name);                \
    const Outermost outermost;                                     \
    const int status = function args;                              \
    if (status == 0 && outermost.is) tell_made(#lib, #name, handle, site); \
    return status;                                                 \
  }
#define CTXSHARE_BODY_destroying(lib, name, params, args, handle, real) \
  {                                                                     \
    auto* function = reinterpret_cast<int(*) params>(real);             \
    if (function == nullptr) return missing(#name);                     \
    const Outermost outermost;                                          \
    if (outermost.is) tell_destroying(#lib, #name, handle, __builtin_return_address(0)); \
    return function args;                                               \
  }
// What dlsym hands back for a library handle's function: its real address is the one dlsym found.
#define CTXSHARE_WRAP(kind, lib, name, params, args, handle) \
  std::atomic<void*> real_##name{nullptr};                   \
  int wrapped_##name params CTXSHARE_BODY_##kind(lib, name, params, args, handle, real_##name.load(std::memory_order_acquire))
CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_WRAP)

struct Wrapped {
  const char* name;
  void* wrapper;
  std::atomic<void*>* real;
};
#define CTXSHARE_ROW(kind, lib, name, params, args, handle) {#name, reinterpret_cast<void*>(&wrapped_##name), &real_##name},
const Wrapped kWrapped[] = {CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_ROW)};

// The same functions exported, for calls the dynamic linker binds (a program or a library linked with
// -lcublas): this library is preloaded, so it comes first.
#define CTXSHARE_EXPORT(kind, lib, name, params, args, handle)                                         \
  std::atomic<void*> linked_##name{nullptr};                                                         \
  void* linked_function_##name() {                                                                   \
    void* f = linked_##name.load(std::memory_order_acquire);                                         \
    if (f == nullptr && (f = library_function(#lib, #name)) != nullptr) linked_##name.store(f, std::memory_order_release); \
    return f;                                                                                        \
  }
CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_EXPORT)

}  // namespace

#define CTXSHARE_EXPORT_DEFINITION(kind, lib, name, params, args, handle) \
  extern "C" [[gnu::visibility("default")]] int name params CTXSHARE_BODY_##kind(lib, name, params, args, handle, linked_function_##name())
CTXSHARE_LIBRARY_FUNCTIONS(CTXSHARE_EXPORT_DEFINITION)

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
    // The global scope's answer (dlopen(NULL)'s handle) is this library's exported function, which tells.
    Dl_info found{}, self{};
    if (dladdr(real, &found) != 0 && dladdr(reinterpret_cast<void*>(&ctxshare_watched_dlsym), &self) != 0 &&
        found.dli_fbase == self.dli_fbase)
      return nullptr;
    void* expected = nullptr;
    // A second copy of the library (another version, another path) is not watched: one slot per name.
    if (!w.real->compare_exchange_strong(expected, real) && expected != real) return nullptr;
    return w.wrapper;
  }
  return nullptr;
}
