// libctxshare_watch_runtime_api.so: what `ctxshare watch --runtime-api` (and `run --watch
// --watch-runtime-api`) adds to the interposer: the CUDA runtime's API calls, which a driver interposer
// cannot see (a runtime call that makes no driver call, or one whose driver calls look like another's).
// The driver loads it (CUDA_INJECTION64_PATH) at cuInit; it subscribes to CUPTI's runtime API callbacks
// and tells the interposer, through the preloaded exit marker's hooks, where each call begins and ends.
// CUPTI takes one subscriber per process: not beside a profiler. Opt-in, because a CUPTI subscriber
// changes what the runtime does (CUDA 13's cudaLaunchKernel then asks cuKernelGetName of its kernel).
#include <cupti.h>
#include <dlfcn.h>

#include <cstdio>

#include "watch/preload_abi.h"

namespace {

CtxshareWatchRuntimeHooks* g_hooks = nullptr;

void CUPTIAPI on_runtime_call(void*, CUpti_CallbackDomain, CUpti_CallbackId, const void* data) {
  const auto* info = static_cast<const CUpti_CallbackData*>(data);
  auto* enter = __atomic_load_n(&g_hooks->enter, __ATOMIC_ACQUIRE);
  auto* exit = __atomic_load_n(&g_hooks->exit, __ATOMIC_ACQUIRE);
  if (info->callbackSite == CUPTI_API_ENTER && enter != nullptr) enter(info->functionName);
  else if (info->callbackSite == CUPTI_API_EXIT && exit != nullptr) exit(info->functionName);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection() {
  g_hooks = static_cast<CtxshareWatchRuntimeHooks*>(dlsym(RTLD_DEFAULT, "ctxshare_watch_runtime_hooks"));
  if (g_hooks == nullptr) {
    std::fprintf(stderr, "ctxshare-watch: runtime API calls not followed: libctxshare_watch_exit.so is not preloaded\n");
    return 0;
  }
  CUpti_SubscriberHandle subscriber{};
  if (cuptiSubscribe(&subscriber, on_runtime_call, nullptr) != CUPTI_SUCCESS ||
      cuptiEnableDomain(1, subscriber, CUPTI_CB_DOMAIN_RUNTIME_API) != CUPTI_SUCCESS) {
    std::fprintf(stderr, "ctxshare-watch: runtime API calls not followed: CUPTI refused the subscriber (a profiler holds it?)\n");
    return 0;
  }
  if (auto* followed = __atomic_load_n(&g_hooks->followed, __ATOMIC_ACQUIRE)) followed();
  return 1;
}
