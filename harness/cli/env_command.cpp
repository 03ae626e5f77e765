#include <cstdio>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/reports/environment.h"

namespace ctxshare {
namespace {

void print_cuda(const nlohmann::json& cuda) {
  const auto& d = cuda["driver"];
  if (!d.value("initialized", false)) std::printf("driver:   none usable: %s\n", d.value("problem", "").c_str());
  else
    std::printf("driver:   %d (%s) at %s\n", d.value("version", 0),
                d["nvml_version"].is_string() ? d["nvml_version"].get<std::string>().c_str() : "no NVML",
                d.value("library", "").c_str());
  std::printf("runtime:  %s\n", cuda["runtime_version"].dump().c_str());
  for (const auto& dev : cuda["devices"])
    std::printf("device %d: %s, cc %s, %s, %s\n", dev.value("ordinal", 0), dev.value("name", "").c_str(),
                dev.value("compute_capability", "").c_str(), dev.value("pci_bus_id", "").c_str(), dev.value("uuid", "").c_str());
}

}  // namespace

int env_command(bool json) {
  const nlohmann::json env = environment_through_child();
  if (json) {
    std::cout << env.dump(2) << "\n";
    return 0;
  }
  const auto& cuda = env["cuda"];
  std::printf("os:       %s (%s, %s)\n", env["os"].get<std::string>().c_str(), env["kernel"].get<std::string>().c_str(),
              env["machine"].get<std::string>().c_str());
  std::printf("build:    %s\n", env["build"].dump().c_str());
  if (cuda.contains("error")) {
    std::printf("cuda:     %s\n", cuda["error"].get<std::string>().c_str());
    return 0;
  }
  print_cuda(cuda);
  std::printf("variables: %s\n", env["variables"].dump().c_str());
  return 0;
}

int env_child_command() {
  std::cout << cuda_environment().dump() << "\n";
  return 0;
}

}  // namespace ctxshare
