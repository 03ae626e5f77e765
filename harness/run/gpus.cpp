#include "harness/run/gpus.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace ctxshare {
namespace {

// NVML opened, initialized and shut down around one query.
template <class Query>
auto with_nvml(Query query, decltype(query(nullptr)) otherwise) {
  void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (nvml == nullptr) return otherwise;
  using Init = int (*)();
  auto init = reinterpret_cast<Init>(dlsym(nvml, "nvmlInit_v2"));
  auto shutdown = reinterpret_cast<Init>(dlsym(nvml, "nvmlShutdown"));
  auto result = otherwise;
  if (init != nullptr && shutdown != nullptr && init() == 0) {
    result = query(nvml);
    shutdown();
  }
  dlclose(nvml);
  return result;
}

}  // namespace

std::string nvml_driver_version() {
  return with_nvml(
      [](void* nvml) -> std::string {
        auto version = reinterpret_cast<int (*)(char*, unsigned int)>(dlsym(nvml, "nvmlSystemGetDriverVersion"));
        char buf[96] = {};
        return version != nullptr && version(buf, sizeof buf) == 0 ? std::string(buf) : std::string();
      },
      std::string());
}

int nvml_gpu_count() {
  return with_nvml(
      [](void* nvml) -> int {
        auto count = reinterpret_cast<int (*)(unsigned int*)>(dlsym(nvml, "nvmlDeviceGetCount_v2"));
        unsigned int n = 0;
        return count != nullptr && count(&n) == 0 ? static_cast<int>(n) : -1;
      },
      -1);
}

std::vector<std::string> schedulable_gpus() {
  std::vector<std::string> gpus;
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
    std::stringstream list(visible);
    // CUDA stops at the first entry it cannot read; an empty variable hides every GPU.
    for (std::string entry; std::getline(list, entry, ',');) {
      entry.erase(std::remove(entry.begin(), entry.end(), ' '), entry.end());
      if (entry.empty() || entry[0] == '-') break;
      gpus.push_back(entry);
    }
    return gpus;
  }
  for (int i = 0; i < nvml_gpu_count(); ++i) gpus.push_back(std::to_string(i));
  return gpus;
}

int default_jobs(std::size_t gpus) {
  const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  if (gpus == 0) return static_cast<int>(cores);
  return static_cast<int>(std::min<long>(cores, 4 * static_cast<long>(gpus)));
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
