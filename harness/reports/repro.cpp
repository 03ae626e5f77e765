#include "harness/build_info.h"
#include "harness/reports/repro.h"

#include <filesystem>
#include <algorithm>
#include <sstream>

#include "harness/cuda/libraries.h"
#include "harness/results/result_file.h"

namespace ctxshare {
namespace {

// The embedded file a case was compiled from: __FILE__ is the path the compiler was given.
const SourceFiles::value_type* source_of(const CaseDef& def) {
  for (const auto& entry : embedded_sources())
    if (def.file == entry.first || def.file.ends_with("/" + entry.first)) return &entry;
  return nullptr;
}

// repro.cu: the case's family text with only this case left, and a main that runs it.
// support: cases/support.cuh where the family includes it (empty otherwise), written in before the case.
std::string repro_source(const CaseDef& def, const std::string& family_text, bool kernels, const std::string& support) {
  std::string cu = "// Reproducer of the ctxshare case " + def.id + ", exported by `ctxshare repro`.\n"
                   "// The case below is the suite's own source; ctxshare_case_layer.h is the suite's case layer (the\n"
                   "// object `h`, its checks, the traced cu* and cuda* names, driver loading), exported verbatim, so\n"
                   "// this program judges the case exactly as the suite does. Build: sh build.sh; run: ./repro.\n"
                   "// Claims checked: ";
  for (const auto& c : def.spec.claims) cu += c + " ";
  cu += "\n// Source followed: " + def.spec.source + "\n#include \"ctxshare_case_layer.h\"\n";
  if (kernels) cu += "#include \"kernels.cuh\"\n";
  if (!support.empty()) cu += "// cases/support.cuh: what several families of the suite share.\n" + without_project_includes(support);
  cu += without_project_includes(only_case(family_text, def.name));
  cu += "\nint main() { return ctxshare::reproduce(\"" + def.id + "\"); }\n";
  return cu;
}

// build.sh and CMakeLists.txt that build the reproducer as this ctxshare was built: the same toolkit,
// CUDA compiler, default stream and runtime linkage (the variant in environment.json). The driver and
// the libraries are loaded at run time, as in the suite: nothing links libcuda, so the reproducer
// starts, and exits 77, where there is no driver.
std::pair<std::string, std::string> build_files(const std::string& sources) {
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
  std::string build = "#!/bin/sh\n# Builds the reproducer as ctxshare " CTXSHARE_VARIANT " was built; needs that CUDA toolkit only.\n"
                      "set -e\ncd \"$(dirname \"$0\")\"\n";
  std::string cmake = "cmake_minimum_required(VERSION 3.25...4.4)\n# Builds the reproducer as ctxshare " CTXSHARE_VARIANT " was built.\n";
#ifdef CTXSHARE_CUDA_WITH_CLANG
  std::string archs;
  std::istringstream list(CTXSHARE_CUDA_ARCHITECTURES);
  for (std::string a; list >> a;) archs += " --cuda-gpu-arch=sm_" + a;
  const std::string clang = std::filesystem::path(CTXSHARE_CXX_COMPILER).filename().string();
  build += "# clang compiles it as CUDA against the toolkit in CUDA_PATH (the CUDA 12 wheels have no nvcc).\n"
           "CUDA_PATH=\"${CUDA_PATH:-" CTXSHARE_TOOLKIT_ROOT "}\"\n" + clang +
           " -x cuda --cuda-path=\"$CUDA_PATH\" -isystem \"$CUDA_PATH/include\" -Wno-unknown-cuda-version -Wno-unused-function" + archs +
           (ptds ? " -DCUDA_API_PER_THREAD_DEFAULT_STREAM" : "") + " -std=c++20 -O2 -o repro " + sources + " -L\"$CUDA_PATH/lib64\" " +
           (shared_cudart ? "-lcudart -Wl,-rpath,\"$CUDA_PATH/lib64\"" : "-lcudart_static") + " -ldl -lrt -lpthread\n";
  cmake += "# Configure with -DCMAKE_CXX_COMPILER=" + clang + ": clang compiles the .cu files as CUDA.\n"
           "project(ctxshare_repro LANGUAGES CXX)\nset(CUDAToolkit_ROOT \"" CTXSHARE_TOOLKIT_ROOT "\" CACHE PATH \"the CUDA toolkit\")\n"
           "find_package(CUDAToolkit REQUIRED)\nadd_executable(repro " + sources + ")\n"
           "set_source_files_properties(" + sources + " PROPERTIES LANGUAGE CXX)\n"
           "target_compile_options(repro PRIVATE -x cuda --cuda-path=${CUDAToolkit_LIBRARY_ROOT} -isystem ${CUDAToolkit_INCLUDE_DIRS}\n"
           "  -Wno-unknown-cuda-version" + archs + " -std=c++20)\n";
#else
  build += std::string("nvcc -std=c++20 --expt-relaxed-constexpr -O2") + (ptds ? " --default-stream per-thread" : "") +
           (shared_cudart ? " -cudart shared" : "") + " -diag-suppress 177 -o repro " + sources + " -ldl\n";
  cmake += "project(ctxshare_repro LANGUAGES CXX CUDA)\nset(CMAKE_CUDA_RUNTIME_LIBRARY None)\n"
           "find_package(CUDAToolkit REQUIRED)\nadd_executable(repro " + sources + ")\n"
           "target_compile_options(repro PRIVATE -std=c++20 --expt-relaxed-constexpr" +
           std::string(ptds ? " --default-stream=per-thread" : "") + ")\n";
#endif
  build += "echo \"built ./repro; run it with ./repro (exit 0: passed, 1: findings, 2: no check made, 77: skipped, with the reason)\"\n";
  if (ptds) cmake += "target_compile_definitions(repro PRIVATE CUDA_API_PER_THREAD_DEFAULT_STREAM)\n";
  cmake += std::string("target_link_libraries(repro PRIVATE ") + (shared_cudart ? "CUDA::cudart" : "CUDA::cudart_static") +
           " ${CMAKE_DL_LIBS})\n";
  return {build, cmake};
}

// Which library headers the suite's toolkit had (harness/cuda/libraries.h): the reproducer takes the
// same, rather than whatever another toolkit left on the include path (/usr/local/include).
std::string toolkit_headers() {
  std::string out = "// The library headers of the toolkit ctxshare was built with.\n";
  for (const auto& [name, has] : {std::pair{"CUFFT", CTXSHARE_HAS_CUFFT}, {"CURAND", CTXSHARE_HAS_CURAND},
                                  {"CUSPARSE", CTXSHARE_HAS_CUSPARSE}, {"CUSOLVER", CTXSHARE_HAS_CUSOLVER},
                                  {"NVJITLINK", CTXSHARE_HAS_NVJITLINK}})
    out += std::string("#define CTXSHARE_TOOLKIT_HAS_") + name + " " + std::to_string(has) + "\n";
  return out;
}

std::string rewrite_kernels_include(std::string text) {
  const std::string from = "#include \"cases/kernels.cuh\"";
  if (const auto at = text.find(from); at != std::string::npos) text.replace(at, from.size(), "#include \"kernels.cuh\"");
  return text;
}

// The environment's value at a JSON pointer, as text; "unknown" where absent.
std::string env_at(const nlohmann::json& env, const char* p) {
  const nlohmann::json::json_pointer ptr(p);
  return env.contains(ptr) ? (env.at(ptr).is_string() ? env.at(ptr).get<std::string>() : env.at(ptr).dump()) : "unknown";
}

void report_summary(std::ostream& report, const CaseDef& def, const nlohmann::json& result, const nlohmann::json& env) {
  report << "# " << def.id << "\n\n## Summary\n\n";
  if (!result.is_null()) {
    report << "On " << env_at(env, "/cuda/devices/0/name") << " with driver " << env_at(env, "/cuda/driver/nvml_version")
           << ", `" << def.id << "` ended **" << result.value("outcome", "?") << "**";
    if (result.contains("reason")) report << ": " << result["reason"].get<std::string>();
    report << ".\n";
  } else {
    report << "(Run `./repro` and paste what it prints; or export with `--results FILE` to fill this in.)\n";
  }
}

void report_expected(std::ostream& report, const CaseDef& def) {
  switch (def.spec.verdict) {
    case Verdict::works: report << "Every call succeeds and every check in the steps holds, as documented.\n"; break;
    case Verdict::fails: report << "The documented error: " << def.spec.expected_error << ".\n"; break;
    case Verdict::hazard:
      report << "The documentation leaves this open (a hazard case): the case records what happens, and the suite judges it "
                "against what was seen before on this driver and build.\n";
      break;
    case Verdict::measurement: report << "A measurement: the timings are recorded, and the work they time is checked.\n"; break;
  }
}

void report_actual(std::ostream& report, const nlohmann::json& result) {
  if (result.is_null()) {
    report << "(Not filled in: no result file was given.)\n";
    return;
  }
  for (const auto& f : result.value("findings", nlohmann::json::array())) {
    report << "- " << f.value("kind", "") << ": " << f.value("message", "");
    if (f.contains("evidence")) report << " `" << f["evidence"].dump() << "`";
    report << "\n";
  }
  if (result.contains("observations") && !result["observations"].empty())
    report << "\nObserved: `" << result["observations"].dump() << "`\n";
  report << "\nThe full call trace is in trace.json.\n";
}

// The report draft: summary, steps, expected, actual, environment.
std::string report_draft(const CaseDef& def, const std::string& block, const nlohmann::json& result,
                         const nlohmann::json& env) {
  std::ostringstream report;
  report_summary(report, def, result, env);
  report << "\nThe case checks the documented claims ";
  for (const auto& c : def.spec.claims) report << c << " ";
  report << "(" << def.spec.source << ").\n\n## Steps\n\nThe steps are the case's body, performed by `repro.cu`; build with `sh build.sh`, "
         << "run with `./repro`.\n\n```cpp\n" << block << "\n```\n\n## Expected\n\n";
  report_expected(report, def);
  report << "\n## Actual\n\n";
  report_actual(report, result);
  report << "\n## Environment\n\n- GPU: " << env_at(env, "/cuda/devices/0/name") << " (compute capability "
         << env_at(env, "/cuda/devices/0/compute_capability") << ")\n- driver: " << env_at(env, "/cuda/driver/nvml_version")
         << " (CUDA " << env_at(env, "/cuda/driver/version") << "), " << env_at(env, "/cuda/driver/library") << "\n- runtime: "
         << env_at(env, "/cuda/runtime_version") << ", build " << env_at(env, "/build/variant") << "\n- OS: " << env_at(env, "/os")
         << ", " << env_at(env, "/kernel") << "\n\nThe whole environment is in environment.json.\n";
  return report.str();
}

}  // namespace

std::string export_repro(const CaseDef& def, const std::string& dir, const nlohmann::json& result,
                         const nlohmann::json& environment) {
  namespace fs = std::filesystem;
  const auto& sources = embedded_sources();
  const auto* file = source_of(def);
  if (file == nullptr) return def.id + ": its source was not embedded in this build";
  const std::string& text = file->second;
  const std::vector<CaseBlock> blocks = case_blocks(text);
  const auto own = std::find_if(blocks.begin(), blocks.end(), [&](const CaseBlock& b) { return b.name == def.name; });
  if (own == blocks.end()) return def.id + ": its CTXSHARE_CASE block was not found in " + file->first;
  std::string error;
  const std::string layer = amalgamate_case_layer(sources, &error);
  if (layer.empty()) return error;

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return dir + ": " + ec.message();

  const bool support = text.find("#include \"cases/support.cuh\"") != std::string::npos;
  const bool kernels = support || text.find("#include \"cases/kernels.cuh\"") != std::string::npos;
  std::vector<std::pair<std::string, std::string>> files = {
      {"repro.cu", repro_source(def, text, kernels, support ? sources.at("cases/support.cuh") : std::string())},
      {"ctxshare_case_layer.h", "// The ctxshare case layer, exported verbatim from the suite by `ctxshare repro` (" CTXSHARE_VARIANT
                                "): each file\n// under its marker, without its project includes.\n#pragma once\n" + toolkit_headers() + layer}};
  if (kernels) {
    files.emplace_back("kernels.cuh", sources.at("cases/kernels.cuh"));
    files.emplace_back("kernels.cu", rewrite_kernels_include(sources.at("cases/kernels.cu")));
  }
  const auto [build, cmake] = build_files(kernels ? "repro.cu kernels.cu" : "repro.cu");
  const std::string block = text.substr(own->begin, own->end - own->begin);
  files.emplace_back("build.sh", build);
  files.emplace_back("CMakeLists.txt", cmake);
  files.emplace_back("environment.json", environment.dump(2) + "\n");
  files.emplace_back("REPORT.md", report_draft(def, block, result, environment));
  for (const auto& [name, content] : files)
    if (std::string why = write_whole_file((fs::path(dir) / name).string(), content); !why.empty()) return why;
  fs::permissions(fs::path(dir) / "build.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  if (!result.is_null())
    if (std::string why = write_whole_file((fs::path(dir) / "trace.json").string(), result.dump(1) + "\n"); !why.empty()) return why;
  return {};
}

}  // namespace ctxshare
