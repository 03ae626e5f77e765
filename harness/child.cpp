// The child side of a case: check its needs (an unmet need is a skip with the reason, decided before the
// body runs), run the body, then let the harness validate, release and look for what was left behind.
#include <unistd.h>

#include <cuda_runtime_api.h>

#include <exception>

#include "harness/libraries.h"
#include "harness/runner.h"

namespace ctxshare {
namespace {

// Why this machine cannot run the case, or empty.
std::string unmet_need(const Needs& needs) {
  // A property of the build, so it comes before anything about the machine.
  if (CUDART_VERSION < needs.min_toolkit)
    return "needs a build with the CUDA " + std::to_string(needs.min_toolkit / 1000) + "." +
           std::to_string(needs.min_toolkit % 1000 / 10) + " toolkit or newer, this one has " +
           std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
  if (needs.devices == 0) return {};
  const DriverInfo& drv = load_driver();
  trace::emit({{"ev", "driver"},
               {"path", drv.path},
               {"version", drv.version},
               {"initialized", drv.initialized},
               {"devices", drv.device_count},
               {"unresolved", drv.unresolved},
               {"problem", drv.problem}});
  if (!drv.initialized) return drv.problem;
  if (drv.device_count < needs.devices)
    return "needs " + std::to_string(needs.devices) + " devices, the driver reports " + std::to_string(drv.device_count);
  if (drv.version < needs.min_driver)
    return "needs a driver of CUDA " + std::to_string(needs.min_driver) + " or newer, found " + std::to_string(drv.version);
  if (needs.min_compute_capability > 0) {
    trace::Harness by_harness;
    CUdevice dev = 0;
    int major = 0, minor = 0;
    cuDeviceGet(&dev, 0);
    cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    if (major * 10 + minor < needs.min_compute_capability)
      return "needs compute capability " + std::to_string(needs.min_compute_capability) + ", device 0 has " +
             std::to_string(major * 10 + minor);
  }
  for (const auto& lib : needs.libraries)
    if (std::string why = library_problem(lib); !why.empty()) return why;
  return {};
}

}  // namespace

int run_case_in_this_process(const CaseDef& def, int event_fd) {
  trace::open(event_fd);
  trace::emit({{"ev", "start"}, {"case", def.id}, {"pid", static_cast<long long>(getpid())}});
  if (std::string why = unmet_need(def.spec.needs); !why.empty()) {
    trace::emit({{"ev", "skip"}, {"reason", why}});
    return 0;
  }
  Case h(def);
  try {
    def.body(h);
  } catch (const Stop&) {
    // The finding is recorded; what follows in the body depended on the failed call.
  } catch (const std::exception& e) {
    record_finding(FindingKind::exception, std::string("the case threw: ") + e.what(), nullptr, nullptr, 0);
  }
  try {
    h.finish();
  } catch (const Stop&) {
  } catch (const std::exception& e) {
    record_finding(FindingKind::exception, std::string("releasing the case's resources threw: ") + e.what(), nullptr,
                   nullptr, 0);
  }
  trace::emit({{"ev", "end"}, {"findings", h.findings()}});
  return 0;
}

}  // namespace ctxshare
