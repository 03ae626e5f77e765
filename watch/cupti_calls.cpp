// libctxshare_cupti_calls.so: a diagnostic beside `ctxshare watch`, not part of it. Loaded by the
// driver itself (CUDA_INJECTION64_PATH), it logs every driver and runtime API entry of the process
// with its thread, watched by the interposer or not, through CUPTI's callback API: what the interposer
// cannot see (runtime calls; driver calls it passes straight through) is what decides whether a
// hazard case can be recalled at all (docs/watch.md, Limits).
//   CUDA_INJECTION64_PATH=build/watch-driver/libctxshare_cupti_calls.so CTXSHARE_CUPTI_OUT=DIR ctxshare run ID
// leaves DIR/<pid>.txt: one "<tid> <D|R> <function>" line per entry. A diagnostic for a GPU machine;
// it holds CUPTI's one subscriber, so it does not run beside a profiler.
#include <cupti.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {
FILE* g_out = nullptr;
std::mutex g_mutex;

void CUPTIAPI on_entry(void*, CUpti_CallbackDomain domain, CUpti_CallbackId, const void* data) {
  const auto* info = static_cast<const CUpti_CallbackData*>(data);
  if (info->callbackSite != CUPTI_API_ENTER) return;
  std::lock_guard lock(g_mutex);
  std::fprintf(g_out, "%ld %c %s\n", static_cast<long>(syscall(SYS_gettid)),
               domain == CUPTI_CB_DOMAIN_DRIVER_API ? 'D' : 'R', info->functionName);
  std::fflush(g_out);  // a crash keeps every line up to the last call
}
}  // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection() {
  const char* dir = std::getenv("CTXSHARE_CUPTI_OUT");
  const std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : ".") + "/" + std::to_string(getpid()) + ".txt";
  g_out = std::fopen(path.c_str(), "w");
  if (g_out == nullptr) return 0;
  CUpti_SubscriberHandle subscriber{};
  if (cuptiSubscribe(&subscriber, on_entry, nullptr) != CUPTI_SUCCESS ||
      cuptiEnableDomain(1, subscriber, CUPTI_CB_DOMAIN_DRIVER_API) != CUPTI_SUCCESS ||
      cuptiEnableDomain(1, subscriber, CUPTI_CB_DOMAIN_RUNTIME_API) != CUPTI_SUCCESS) {
    std::fprintf(g_out, "ctxshare_cupti_calls: CUPTI refused the subscriber (a profiler holds it?)\n");
    return 0;
  }
  return 1;
}
