// One case in this process, the same in the suite's child and in a reproducer: its needs (decided
// before the body runs), its body, the end-of-case checks.
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>

#include "harness/case/case.h"

namespace ctxshare {
namespace {

std::string toolkit_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

int compute_capability_of_device_0() {
  trace::Harness by_harness;
  CUdevice dev = 0;
  int major = 0, minor = 0;
  cuDeviceGet(&dev, 0);
  cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  return major * 10 + minor;
}

// Why this machine cannot run the case, or empty.
std::string unmet_need(const Needs& needs) {
  // A property of the build, so it comes before anything about the machine.
  if (CUDART_VERSION < needs.min_toolkit)
    return "needs a build with the CUDA " + toolkit_text(needs.min_toolkit) + " toolkit or newer, this one has " +
           toolkit_text(CUDART_VERSION);
  if (needs.devices == 0) return {};
  const DriverInfo& drv = load_driver();
  emit(Event::driver, {{"path", drv.path},
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
  if (needs.min_compute_capability > 0)
    if (const int cc = compute_capability_of_device_0(); cc < needs.min_compute_capability)
      return "needs compute capability " + std::to_string(needs.min_compute_capability) + ", device 0 has " + std::to_string(cc);
  for (const auto& lib : needs.libraries)
    if (std::string why = library_problem(lib); !why.empty()) return why;
  return {};
}

// Runs fn; what it throws becomes a finding (a failed CU() has recorded its own), a skip, or nothing.
template <class Fn>
void guarded(const char* what, Fn&& fn, std::string* skipped) {
  try {
    fn();
  } catch (const Stop&) {
    // The finding is recorded; what follows in the body depended on the failed call.
  } catch (const Skip& s) {
    *skipped = s.reason;
  } catch (const std::exception& e) {
    record_finding(FindingKind::exception, std::string(what) + " threw: " + e.what(), nullptr, nullptr, 0);
  }
}

// A peer process (peer.h): the case's needs, then its peer function instead of its body; every event
// goes to the case that started it. Always exits 0: the case judges what it said.
int run_peer(const CaseDef& def, const std::string& name) {
  emit(Event::start, {{"case", def.id}, {"pid", static_cast<long long>(getpid())}, {"peer", name}});
  std::string skipped = unmet_need(def.spec.needs);
  if (!skipped.empty()) {
    emit(Event::skip, {{"reason", skipped}});
    return 0;
  }
  Case h(def);
  const PeerBody body = find_peer(def.family, name);
  guarded("the peer", [&] {
    if (body == nullptr) throw std::logic_error(def.family + " has no peer '" + name + "'");
    body(h);
  }, &skipped);
  guarded("releasing the peer's resources", [&] { h.finish(); }, &skipped);
  if (!skipped.empty() && findings_recorded() == 0) {
    emit(Event::skip, {{"reason", skipped}});
    return 0;
  }
  emit(Event::end, {{"findings", findings_recorded()}, {"checks", checks_made()}});
  return 0;
}

}  // namespace

int run_case(const CaseDef& def) {
  if (const std::optional<std::string> peer = take_peer_request()) std::exit(run_peer(def, *peer));
  emit(Event::start, {{"case", def.id}, {"pid", static_cast<long long>(getpid())}});
  std::string skipped = unmet_need(def.spec.needs);
  if (!skipped.empty()) {
    emit(Event::skip, {{"reason", skipped}});
    return 77;
  }
  // On the heap: work the case leaves for exit (Case::at_exit) uses it after this returns.
  auto h = std::make_unique<Case>(def);
  guarded("the case", [&] { def.body(*h); }, &skipped);
  guarded("releasing the case's resources", [&] { h->finish(); }, &skipped);
  const int checks = checks_made();  // the end-of-case validation of what it handed over counts too
  if (!skipped.empty() && findings_recorded() == 0) {
    cancel_exit_work();
    emit(Event::skip, {{"reason", skipped}});
    return 77;
  }
  if (exit_work_pending()) {
    h.release();  // lives until the process ends, deliberately never destroyed
    return kEndsAtExit;
  }
  emit(Event::end, {{"findings", findings_recorded()}, {"checks", checks}});
  if (findings_recorded() > 0) return 1;
  return checks == 0 ? 2 : 0;
}

}  // namespace ctxshare
