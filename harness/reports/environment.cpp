#include "harness/build_info.h"
#include "harness/reports/environment.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>

#include "harness/cuda/driver_api.h"
#include "harness/cuda/runtime_api.h"
#include "harness/run/runner.h"

namespace ctxshare {

std::string version_line() { return std::string("ctxshare ") + CTXSHARE_VERSION + " (" + CTXSHARE_VARIANT + ")"; }
namespace {

// The headers compiled against are those of the toolkit CMake found: another toolkit's headers earlier
// on the include path (CUDA 13's in /usr/local/include under a CUDA 12 build) would make every result
// lie about its variant.
constexpr int toolkit_version_number(const char* v) {
  int major = 0, minor = 0;
  for (; *v >= '0' && *v <= '9'; ++v) major = major * 10 + (*v - '0');
  if (*v == '.') ++v;
  for (; *v >= '0' && *v <= '9'; ++v) minor = minor * 10 + (*v - '0');
  return major * 1000 + minor * 10;
}
static_assert(toolkit_version_number(CTXSHARE_TOOLKIT_VERSION) == CUDART_VERSION,
              "cuda_runtime_api.h is not the header of the toolkit CMake found (CTXSHARE_TOOLKIT_VERSION)");
static_assert(CUDA_VERSION == CUDART_VERSION, "cuda.h and cuda_runtime_api.h come from different toolkits");

// The variables that change what CUDA does; the only ones ever read.
constexpr const char* kCudaVariables[] = {
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",    "CUDA_MODULE_LOADING", "CUDA_LAUNCH_BLOCKING",
    "CUDA_DEVICE_MAX_CONNECTIONS", "CUDA_FORCE_PTX_JIT", "CUDA_DISABLE_PTX_JIT", "CUDA_CACHE_DISABLE",
    "CUDA_ENABLE_COREDUMP_ON_EXCEPTION", "CUDA_MPS_PIPE_DIRECTORY", "CTXSHARE_LIBCUDA"};

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return "unknown";
}

// NVML, loaded at run time, for what the driver API does not say: the full driver version string
// and persistence mode. Declared here by hand: the toolkit ships no nvml.h; these signatures are
// NVML's stable C ABI.
struct Nvml {
  using Init = int (*)();
  using Shutdown = int (*)();
  using SystemString = int (*)(char*, unsigned);
  using ByPci = int (*)(const char*, void**);
  using Persistence = int (*)(void*, int*);
  using ByIndex = int (*)(unsigned, void**);
  using Clock = int (*)(void*, int, unsigned*);
  void* lib = nullptr;
  Init init = nullptr;
  Shutdown shutdown = nullptr;
  SystemString driver_version = nullptr;
  ByPci by_pci = nullptr;
  Persistence persistence = nullptr;
  ByIndex by_index = nullptr;
  Clock clock = nullptr;
  bool ok = false;
  Nvml() {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return;
    init = reinterpret_cast<Init>(dlsym(lib, "nvmlInit_v2"));
    shutdown = reinterpret_cast<Shutdown>(dlsym(lib, "nvmlShutdown"));
    driver_version = reinterpret_cast<SystemString>(dlsym(lib, "nvmlSystemGetDriverVersion"));
    by_pci = reinterpret_cast<ByPci>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    persistence = reinterpret_cast<Persistence>(dlsym(lib, "nvmlDeviceGetPersistenceMode"));
    by_index = reinterpret_cast<ByIndex>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    clock = reinterpret_cast<Clock>(dlsym(lib, "nvmlDeviceGetClockInfo"));
    ok = init != nullptr && init() == 0;
  }
  ~Nvml() {
    if (ok && shutdown != nullptr) shutdown();
  }
};

std::string uuid_string(const CUuuid& u) {
  char buf[64];
  const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
  std::snprintf(buf, sizeof buf, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return buf;
}

}  // namespace

nlohmann::json gpu_clocks() {
  Nvml nvml;
  void* device = nullptr;
  unsigned sm = 0, memory = 0;
  // NVML_CLOCK_SM is 1, NVML_CLOCK_MEM is 2.
  if (!nvml.ok || nvml.by_index == nullptr || nvml.clock == nullptr || nvml.by_index(0, &device) != 0 ||
      nvml.clock(device, 1, &sm) != 0 || nvml.clock(device, 2, &memory) != 0)
    return nullptr;
  return {{"sm_mhz", sm}, {"memory_mhz", memory}, {"source", "NVML, device 0, when the benchmarks ended"}};
}

nlohmann::json host_environment() {
  utsname u{};
  uname(&u);
  nlohmann::json vars = nlohmann::json::object();
  for (const char* name : kCudaVariables)
    if (const char* v = std::getenv(name)) vars[name] = v;
  return {
      {"os", os_pretty_name()},
      {"kernel", std::string(u.sysname) + " " + u.release},
      {"machine", u.machine},
      {"variables", vars},
      {"build",
       {{"ctxshare", CTXSHARE_VERSION},
        {"toolkit", CUDART_VERSION},
        {"toolkit_version", CTXSHARE_TOOLKIT_VERSION},
#ifdef CTXSHARE_CUDART_SHARED
        {"cudart", "shared"},
#else
        {"cudart", "static"},
#endif
        {"compiler", __VERSION__},
        {"cuda_compiler", CTXSHARE_CUDA_COMPILER},
        {"cuda_architectures", CTXSHARE_CUDA_ARCHITECTURES},
#ifdef CUDA_API_PER_THREAD_DEFAULT_STREAM
        {"default_stream", "per-thread"},
#else
        {"default_stream", "legacy"},
#endif
        {"variant", CTXSHARE_VARIANT}}},
  };
}

nlohmann::json environment_through_child() {
  nlohmann::json env = host_environment();
  int status = 0;
  const std::string out = run_self({"__env"}, &status, 60);
  nlohmann::json cuda = nlohmann::json::parse(out, nullptr, false);
  if (cuda.is_discarded() || !cuda.is_object())
    env["cuda"] = {{"error", "the environment probe failed (status " + std::to_string(status) + ")"}};
  else
    env["cuda"] = cuda;
  return env;
}

std::string no_gpu_reason(const nlohmann::json& environment) {
  const nlohmann::json& cuda = environment.is_object() && environment.contains("cuda") ? environment["cuda"] : nlohmann::json();
  if (!cuda.is_object()) return "the environment probe gave no CUDA facts";
  if (cuda.contains("error")) return cuda.value("error", "the environment probe failed");
  const nlohmann::json& driver = cuda.contains("driver") ? cuda["driver"] : nlohmann::json();
  if (!driver.is_object() || !driver.value("initialized", false)) {
    const std::string problem = driver.is_object() ? driver.value("problem", "") : "";
    return problem.empty() ? "the driver did not initialize" : problem;
  }
  if (!cuda.contains("devices") || cuda["devices"].empty()) return "the driver initialized but found no GPU";
  return {};
}

nlohmann::json cuda_environment() {
  trace::Harness by_harness;
  const DriverInfo& drv = load_driver();
  nlohmann::json env = {{"driver",
                         {{"library", drv.path},
                          {"version", drv.version},
                          {"initialized", drv.initialized},
                          {"unresolved_functions", drv.unresolved},
                          {"problem", drv.problem}}}};
  Nvml nvml;
  if (nvml.ok && nvml.driver_version != nullptr) {
    char version[96] = {};
    if (nvml.driver_version(version, sizeof version) == 0) env["driver"]["nvml_version"] = version;
  } else {
    env["driver"]["nvml_version"] = nullptr;
  }
  int rt = 0;
  env["runtime_version"] = cudaRuntimeGetVersion(&rt) == cudaSuccess ? nlohmann::json(rt) : nlohmann::json(nullptr);
  nlohmann::json devices = nlohmann::json::array();
  if (drv.initialized) {
    CUmoduleLoadingMode mode{};
    if (cuModuleGetLoadingMode(&mode) == CUDA_SUCCESS)
      env["module_loading"] = mode == CU_MODULE_LAZY_LOADING ? "lazy" : "eager";
    for (int i = 0; i < drv.device_count; ++i) {
      CUdevice dev = 0;
      if (cuDeviceGet(&dev, i) != CUDA_SUCCESS) continue;
      char name[256] = {}, pci[64] = {};
      CUuuid uuid{};
      int major = 0, minor = 0;
      size_t memory = 0;
      cuDeviceGetName(name, sizeof name, dev);
      cuDeviceGetUuid(&uuid, dev);
      cuDeviceGetPCIBusId(pci, sizeof pci, dev);
      cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
      cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
      cuDeviceTotalMem(&memory, dev);
      nlohmann::json d = {{"ordinal", i},         {"name", name}, {"uuid", uuid_string(uuid)},
                          {"compute_capability", std::to_string(major) + "." + std::to_string(minor)},
                          {"pci_bus_id", pci},    {"memory_bytes", memory}};
      void* handle = nullptr;
      int persistence = 0;
      if (nvml.ok && nvml.by_pci != nullptr && nvml.persistence != nullptr && nvml.by_pci(pci, &handle) == 0 &&
          nvml.persistence(handle, &persistence) == 0)
        d["persistence_mode"] = persistence == 1;
      devices.push_back(d);
    }
  }
  env["devices"] = devices;
  return env;
}

}  // namespace ctxshare
