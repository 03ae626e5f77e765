#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/reports/environment.h"
#include "harness/reports/repro.h"
#include "harness/results/result_file.h"

namespace ctxshare {
namespace {

// The case's result and its run's environment from a result file, or why not.
std::string from_results(const std::string& path, const std::string& id, nlohmann::json* result, nlohmann::json* env) {
  ResultFile run;
  if (std::string why = load_results(path, &run); !why.empty()) return why;
  for (const auto& c : run.doc["cases"])
    if (c["id"] == id) *result = c;
  if (result->is_null()) return path + ": has no result for " + id;
  *env = run.doc.value("environment", nlohmann::json::object());
  return {};
}

}  // namespace

int repro_command(const ReproArgs& a) {
  const CaseDef* def = find_case(a.id);
  if (def == nullptr) return bad_input("unknown case '" + a.id + "' (ctxshare list shows the cases)");
  nlohmann::json result, env;
  if (a.results_path.empty()) env = environment_through_child();
  else if (std::string why = from_results(a.results_path, a.id, &result, &env); !why.empty()) return bad_input(why);
  if (std::string why = export_repro(*def, a.out_dir, result, env); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote the reproducer of %s in %s (build: sh %s/build.sh)\n", a.id.c_str(), a.out_dir.c_str(), a.out_dir.c_str());
  return 0;
}

}  // namespace ctxshare
