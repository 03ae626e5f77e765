#include "harness/repro.h"

#include <filesystem>
#include <regex>
#include <sstream>

#include "harness/results.h"

namespace ctxshare {
namespace {

std::string without_harness_includes(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("#include \"harness/", 0) == 0 || line.rfind("#include \"cases/", 0) == 0 || line == "#pragma once")
      continue;
    out += line + "\n";
  }
  return out;
}

// The case's block in its file, from CTXSHARE_CASE to the closing brace of its body.
std::string case_block(const std::string& text, const std::string& family, const std::string& name) {
  const std::string head = "CTXSHARE_CASE(" + family + ", " + name + ",";
  const auto start = text.find(head);
  if (start == std::string::npos) return {};
  const auto body = text.find(") {\n", start);
  if (body == std::string::npos) return {};
  int depth = 0;
  for (size_t i = body + 2; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return text.substr(start, i + 1 - start);
  }
  return {};
}

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// build.sh and CMakeLists.txt that build the reproducer as this ctxshare was built: the same toolkit,
// CUDA compiler, default stream and runtime linkage (the variant in environment.json).
std::pair<std::string, std::string> build_files(bool cublas) {
#ifdef CTXSHARE_CUDART_SHARED
  const bool shared_cudart = true;
#else
  const bool shared_cudart = false;
#endif
#ifdef CUDA_API_PER_THREAD_DEFAULT_STREAM
  const bool ptds = true;
#else
  const bool ptds = false;
#endif
  const std::string libs = std::string("-lcuda -lnvrtc") + (cublas ? " -lcublas" : "");
  const std::string cmake_libs = std::string("CUDA::cuda_driver ") + (shared_cudart ? "CUDA::cudart" : "CUDA::cudart_static") +
                                 " CUDA::nvrtc " + (cublas ? "CUDA::cublas " : "") + "nlohmann_json::nlohmann_json";
  std::string build = "#!/bin/sh\n# Builds the reproducer as ctxshare " CTXSHARE_VARIANT " was built. Needs that CUDA toolkit and\n"
                      "# nlohmann-json (header only; Debian/Ubuntu: nlohmann-json3-dev).\nset -e\ncd \"$(dirname \"$0\")\"\n";
  std::string cmake = "cmake_minimum_required(VERSION 3.25...4.4)\n# Builds the reproducer as ctxshare " CTXSHARE_VARIANT " was built.\n";
#ifdef CTXSHARE_CUDA_WITH_CLANG
  std::string archs;
  std::istringstream list(CTXSHARE_CUDA_ARCHITECTURES);
  for (std::string a; list >> a;) archs += " --cuda-gpu-arch=sm_" + a;
  const std::string clang = std::filesystem::path(CTXSHARE_CXX_COMPILER).filename().string();
  build += "# clang compiles it as CUDA against the toolkit in CUDA_PATH (the CUDA 12 wheels have no nvcc).\n"
           "CUDA_PATH=\"${CUDA_PATH:-" CTXSHARE_TOOLKIT_ROOT "}\"\n" + clang +
           " -x cuda --cuda-path=\"$CUDA_PATH\" -isystem \"$CUDA_PATH/include\" -Wno-unknown-cuda-version" + archs +
           (ptds ? " -DCUDA_API_PER_THREAD_DEFAULT_STREAM" : "") + " -std=c++20 -O2 -o repro repro.cu -L\"$CUDA_PATH/lib64\" " +
           "-L\"$CUDA_PATH/lib64/stubs\" " + (shared_cudart ? "-lcudart" : "-lcudart_static") + " -ldl -lrt -lpthread " + libs + "\n";
  cmake += "# Configure with -DCMAKE_CXX_COMPILER=" + clang + ": clang compiles repro.cu as CUDA.\n"
           "project(ctxshare_repro LANGUAGES CXX)\nset(CUDAToolkit_ROOT \"" CTXSHARE_TOOLKIT_ROOT "\" CACHE PATH \"the CUDA toolkit\")\n"
           "find_package(CUDAToolkit REQUIRED)\nfind_package(nlohmann_json REQUIRED)\nadd_executable(repro repro.cu)\n"
           "set_source_files_properties(repro.cu PROPERTIES LANGUAGE CXX)\n"
           "target_compile_options(repro PRIVATE -x cuda --cuda-path=${CUDAToolkit_LIBRARY_ROOT} -isystem ${CUDAToolkit_INCLUDE_DIRS}\n"
           "  -Wno-unknown-cuda-version" + archs + " -std=c++20)\n";
#else
  build += std::string("nvcc -std=c++20 --expt-relaxed-constexpr -O2") + (ptds ? " --default-stream per-thread" : "") +
           (shared_cudart ? " -cudart shared" : "") + " -o repro repro.cu " + libs + "\n";
  cmake += "project(ctxshare_repro LANGUAGES CXX CUDA)\nset(CMAKE_CUDA_RUNTIME_LIBRARY None)\n"
           "find_package(CUDAToolkit REQUIRED)\nfind_package(nlohmann_json REQUIRED)\nadd_executable(repro repro.cu)\n"
           "target_compile_options(repro PRIVATE -std=c++20 --expt-relaxed-constexpr" +
           std::string(ptds ? " --default-stream=per-thread" : "") + ")\n";
#endif
  build += "echo \"built ./repro; run it with ./repro (exit 0: passed, 1: findings, 77: no usable driver or too few devices)\"\n";
  if (ptds) cmake += "target_compile_definitions(repro PRIVATE CUDA_API_PER_THREAD_DEFAULT_STREAM)\n";
  cmake += "target_link_libraries(repro PRIVATE " + cmake_libs + ")\n";
  return {build, cmake};
}

}  // namespace

std::string export_repro(const CaseDef& def, const std::string& dir, const nlohmann::json& result,
                         const nlohmann::json& environment) {
  namespace fs = std::filesystem;
  const auto& sources = embedded_sources();
  const auto file = sources.find(base_name(def.file));
  const auto prelude = sources.find("repro_prelude.h");
  if (file == sources.end() || prelude == sources.end()) return def.id + ": its source was not embedded in this build";
  const std::string& text = file->second;
  const std::string name = def.id.substr(def.family.size() + 1, def.id.size() - def.family.size() - 1 -
                                                                     (def.variant.empty() ? 0 : def.variant.size() + 1));
  const std::string block = case_block(text, def.family, name);
  if (block.empty()) return def.id + ": its CTXSHARE_CASE block was not found in " + base_name(def.file);

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return dir + ": " + ec.message();

  // The case's whole family file goes in, for its kernels and helpers; main() runs only this case.
  std::string cu = "// Reproducer of the ctxshare case " + def.id + ", exported by `ctxshare repro`.\n"
                   "// It performs the case's steps with plain cu* and cuda* calls; build it with build.sh or CMake.\n"
                   "// Claims checked: ";
  for (const auto& c : def.spec.claims) cu += c + " ";
  cu += "\n// Source followed: " + def.spec.source + "\n\n" + prelude->second + "\n";
  const bool uses_kernels = text.find("#include \"cases/kernels.cuh\"") != std::string::npos;
  if (uses_kernels) {
    cu += "// ---- cases/kernels.cuh and cases/kernels.cu ----\n" + without_harness_includes(sources.at("kernels.cuh"));
    if (sources.count("kernels.cu")) cu += without_harness_includes(sources.at("kernels.cu"));
  }
  cu += "\n// ---- cases/" + base_name(def.file) + ", the case's family, as it is in ctxshare ----\n" +
        without_harness_includes(text) + "\nint main(int argc, char** argv) { return ctxshare::repro_main(argc > 1 ? argv[1] : \"" +
        def.id + "\"); }\n";

  const bool cublas = text.find("cublas") != std::string::npos;
  const auto [build, cmake] = build_files(cublas);

  // The report draft: summary, steps, expected, actual, environment.
  std::ostringstream report;
  const auto& env = environment;
  auto env_at = [&](const char* p) {
    const nlohmann::json::json_pointer ptr(p);
    return env.contains(ptr) ? (env.at(ptr).is_string() ? env.at(ptr).get<std::string>() : env.at(ptr).dump()) : "unknown";
  };
  report << "# " << def.id << "\n\n## Summary\n\n";
  if (!result.is_null()) {
    report << "On " << env_at("/cuda/devices/0/name") << " with driver " << env_at("/cuda/driver/nvml_version") << ", `" << def.id
           << "` ended **" << result.value("outcome", "?") << "**";
    if (result.contains("reason")) report << ": " << result["reason"].get<std::string>();
    report << ".\n";
  } else {
    report << "(Run `./repro` and paste what it prints; or export with `--results FILE` to fill this in.)\n";
  }
  report << "\nThe case checks the documented claims " ;
  for (const auto& c : def.spec.claims) report << c << " ";
  report << "(" << def.spec.source << ").\n\n## Steps\n\nThe steps are the case's body, performed by `repro.cu`; build with `sh build.sh`, "
         << "run with `./repro`.\n\n```cpp\n" << block << "\n```\n\n## Expected\n\n";
  switch (def.spec.verdict) {
    case Verdict::works: report << "Every call succeeds and every check in the steps holds, as documented.\n"; break;
    case Verdict::fails: report << "The documented error: " << def.spec.expected_error << ".\n"; break;
    case Verdict::diagnostic: report << "The documentation leaves this open; the case records what happens. It must not crash or hang.\n"; break;
  }
  report << "\n## Actual\n\n";
  if (result.is_null()) {
    report << "(Not filled in: no result file was given.)\n";
  } else {
    for (const auto& f : result.value("findings", nlohmann::json::array())) {
      report << "- " << f.value("kind", "") << ": " << f.value("message", "");
      if (f.contains("evidence")) report << " `" << f["evidence"].dump() << "`";
      report << "\n";
    }
    if (result.contains("observations") && !result["observations"].empty())
      report << "\nObserved: `" << result["observations"].dump() << "`\n";
    report << "\nThe full call trace is in trace.json.\n";
  }
  report << "\n## Environment\n\n- GPU: " << env_at("/cuda/devices/0/name") << " (compute capability "
         << env_at("/cuda/devices/0/compute_capability") << ")\n- driver: " << env_at("/cuda/driver/nvml_version")
         << " (CUDA " << env_at("/cuda/driver/version") << "), " << env_at("/cuda/driver/library") << "\n- runtime: "
         << env_at("/cuda/runtime_version") << ", build " << env_at("/build/variant") << "\n- OS: " << env_at("/os") << ", "
         << env_at("/kernel") << "\n\nThe whole environment is in environment.json.\n";

  const std::vector<std::pair<std::string, std::string>> files = {
      {"repro.cu", cu},
      {"build.sh", build},
      {"CMakeLists.txt", cmake},
      {"environment.json", environment.dump(2) + "\n"},
      {"REPORT.md", report.str()},
  };
  for (const auto& [name, content] : files)
    if (std::string why = write_whole_file((fs::path(dir) / name).string(), content); !why.empty()) return why;
  fs::permissions(fs::path(dir) / "build.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  if (!result.is_null())
    if (std::string why = write_whole_file((fs::path(dir) / "trace.json").string(), result.dump(1) + "\n"); !why.empty()) return why;
  return {};
}

}  // namespace ctxshare
