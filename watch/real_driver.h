// Where the real libcuda.so.1 is, for the two driver libraries that stand in for it (watch's
// interposer, mutate's fault injector) when no variable names it: the first libcuda.so.1 on
// LD_LIBRARY_PATH or in the usual directories that is neither the including library itself nor a
// toolkit stub. Internal linkage on purpose: own_path() names the object that includes it.
#pragma once

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

std::string own_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_path), &info) == 0 || info.dli_fname == nullptr) return "";
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
}

std::string find_real_driver() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("LD_LIBRARY_PATH")) {
    std::string all = path;
    for (std::size_t start = 0; start <= all.size();) {
      const std::size_t end = all.find(':', start);
      dirs.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const char* d : {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64",
                        "/usr/lib/wsl/lib"})
    dirs.push_back(d);
  const std::string self = own_path();
  for (const auto& d : dirs) {
    if (d.empty()) continue;
    const std::string candidate = d + "/libcuda.so.1";
    char resolved[PATH_MAX];
    if (realpath(candidate.c_str(), resolved) == nullptr || self == resolved) continue;
    if (std::strstr(resolved, "/stubs/") != nullptr) continue;
    return candidate;
  }
  return "";
}

}  // namespace
