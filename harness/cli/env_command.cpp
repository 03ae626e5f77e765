#include <cstdio>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/reports/environment.h"

namespace ctxshare {
namespace {

// CUDA numbers versions as 1000 * major + 10 * minor (13000 is 13.0); people say 13.0.
std::string cuda_version(const nlohmann::json& v) {
  if (!v.is_number_integer()) return "unknown";
  const int n = v.get<int>();
  return std::to_string(n / 1000) + "." + std::to_string(n % 1000 / 10);
}

std::string text(const nlohmann::json& j, const char* key, const char* otherwise = "unknown") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : otherwise;
}

void row(const char* label, const std::string& value) { std::printf("%-10s %s\n", label, value.c_str()); }

void print_driver(const nlohmann::json& cuda) {
  const auto& d = cuda["driver"];
  std::string where = text(d, "library", "");
  where = where.empty() ? "" : ", " + where;
  if (!d.value("initialized", false)) {
    row("driver:", "none usable: " + text(d, "problem", "") + where);
    return;
  }
  // NVML says the version as the driver's packages name it (580.159.04); the driver API only its CUDA version.
  const std::string nvml = text(d, "nvml_version", "");
  row("driver:", (nvml.empty() ? "version unknown (no NVML)" : nvml) + " (CUDA " + cuda_version(d["version"]) + ")" + where);
  if (const auto& missing = d["unresolved_functions"]; missing.is_array() && !missing.empty())
    row("", std::to_string(missing.size()) + " driver functions not found, first " + missing[0].dump());
}

void print_devices(const nlohmann::json& cuda) {
  const auto& devices = cuda["devices"];
  if (!devices.is_array() || devices.empty()) {
    row("GPUs:", "none");
    return;
  }
  row("GPUs:", std::to_string(devices.size()));
  for (const auto& dev : devices) {
    char line[512];
    std::snprintf(line, sizeof line, "  %d: %s, compute capability %s, %.1f GiB, bus %s, %s", dev.value("ordinal", 0),
                  text(dev, "name").c_str(), text(dev, "compute_capability").c_str(),
                  dev.value("memory_bytes", 0.0) / (1024.0 * 1024 * 1024), text(dev, "pci_bus_id").c_str(), text(dev, "uuid").c_str());
    std::string s = line;
    if (dev.contains("persistence_mode")) s += dev["persistence_mode"].get<bool>() ? ", persistence on" : ", persistence off";
    std::printf("%s\n", s.c_str());
  }
}

// The report a person reads, or pastes into a bug: one fact per line, versions as CUDA's releases name them.
void print_report(const nlohmann::json& env) {
  const auto& b = env["build"];
  row("ctxshare:", text(b, "ctxshare") + ", build variant " + text(b, "variant"));
  row("os:", text(env, "os") + ", " + text(env, "kernel") + ", " + text(env, "machine"));
  const auto& cuda = env["cuda"];
  if (cuda.contains("error")) {
    row("cuda:", text(cuda, "error"));
  } else {
    print_driver(cuda);
    row("runtime:", cuda["runtime_version"].is_number_integer() ? "CUDA " + cuda_version(cuda["runtime_version"]) + " (" +
                                                                      text(b, "cudart") + " cudart)"
                                                                : "unknown (cudaRuntimeGetVersion failed)");
  }
  row("toolkit:", "CUDA " + cuda_version(b["toolkit"]) + " (" + text(b, "toolkit_version") + "), compiled by " +
                      text(b, "cuda_compiler") + " for architectures " + text(b, "cuda_architectures") + ", C++ compiler " +
                      text(b, "compiler"));
  row("streams:", text(b, "default_stream") + " default stream");
  if (!cuda.contains("error")) {
    if (cuda.contains("module_loading")) row("modules:", text(cuda, "module_loading") + " loading");
    print_devices(cuda);
  }
  const auto& vars = env["variables"];
  if (!vars.is_object() || vars.empty()) row("variables:", "none of CUDA's set");
  const char* label = "variables:";
  for (const auto& [name, value] : vars.items()) {
    row(label, name + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    label = "";
  }
}

}  // namespace

int env_command(bool json) {
  const nlohmann::json env = environment_through_child();
  if (json) {
    std::cout << env.dump(2) << "\n";
    return 0;
  }
  print_report(env);
  return 0;
}

int env_child_command() {
  std::cout << cuda_environment().dump() << "\n";
  return 0;
}

}  // namespace ctxshare
