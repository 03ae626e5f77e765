#include <algorithm>
#include <chrono>

#include "harness/cli/commands.h"
#include "harness/reports/environment.h"
#include "harness/results/console.h"
#include "harness/results/junit.h"
#include "harness/results/result_file.h"
#include "harness/run/catalog.h"
#include "harness/run/expectations.h"
#include "harness/run/runner.h"

namespace ctxshare {
namespace {

// Why the run cannot start, or empty: the selection, the output files, the baseline. *baseline says
// which baseline applies: --expectations, else the one found by default (expectations.h).
std::string prepare(const RunArgs& a, std::vector<const CaseDef*>* selected, Expectations* expectations,
                    std::string* baseline) {
  std::string error;
  *selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return error;
  for (const auto* path : {&a.json_path, &a.junit_path})
    if (!path->empty())
      if (std::string why = check_writable(*path); !why.empty()) return why;
  *baseline = a.expectations_path + " (--expectations)";
  const std::string file = a.expectations_path.empty() ? default_baseline(baseline) : a.expectations_path;
  if (file.empty()) return {};
  std::vector<std::string> ids;
  for (const auto& d : cases()) ids.push_back(d.id);
  // A baseline found by default may be another build's: its entries for cases not here are left out.
  return expectations->load(file, ids, !a.expectations_path.empty());
}

std::string write_outputs(const RunArgs& a, const std::vector<const CaseDef*>& selected, RunRecord record,
                          const std::vector<CaseResult>& results) {
  for (const auto* d : selected) record.case_info[d->id] = to_json(*d);
  if (!a.json_path.empty())
    if (std::string why = write_results(a.json_path, record, results); !why.empty()) return why;
  if (!a.junit_path.empty()) return write_whole_file(a.junit_path, junit_xml(results, record.case_info));
  return {};
}

int exit_status(const RunArgs& a, const std::vector<CaseResult>& results) {
  const auto all = [&](auto pred) { return std::all_of(results.begin(), results.end(), pred); };
  if (a.skip_exit_code >= 0 && !results.empty() && all([](const CaseResult& r) { return r.outcome == Outcome::skipped; }))
    return a.skip_exit_code;
  return all([&](const CaseResult& r) { return acceptable(r.outcome) || (r.outcome == Outcome::flaky && a.flakes_pass); }) ? 0
                                                                                                                    : 1;
}

}  // namespace

int run_command(const RunArgs& a, const std::vector<std::string>& argv) {
  std::vector<const CaseDef*> selected;
  Expectations expectations;
  std::string baseline;
  if (std::string why = prepare(a, &selected, &expectations, &baseline); !why.empty()) return bad_input(why);
  std::printf("ctxshare: baseline %s\n", baseline.c_str());
  RunRecord record;
  record.command = argv;
  record.jobs = a.jobs;
  // Entries are keyed by driver, GPU and build, so a case the baseline mentions is judged with the
  // environment, probed once (in a child: this process never initializes CUDA) when first needed.
  bool probed = false;
  auto env_for = [&](const std::string& id) -> nlohmann::json {
    if (!expectations.mentions(id)) return nullptr;
    if (!probed) record.environment = environment_through_child();
    probed = true;
    return record.environment;
  };

  RunOptions options;
  options.jobs = a.jobs;
  options.timeout_s = a.timeout_s;
  options.reruns = a.reruns;
  options.expected = [&](const CaseResult& r) { return expectations.allows(r, env_for(r.id)); };
  options.judge = [&](CaseResult& r, const std::vector<CaseResult>& reruns) { expectations.judge(r, reruns, env_for(r.id)); };
  options.on_result = [&](CaseResult& r, size_t done, size_t total) { print_result(r, done, total); };
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_cases(selected, options);
  record.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_run_summary(results, record.wall_s, a.jobs);
  if (!a.json_path.empty() && !probed) record.environment = environment_through_child();
  record.baseline = baseline;

  if (std::string why = write_outputs(a, selected, std::move(record), results); !why.empty()) return bad_input(why);
  return exit_status(a, results);
}

}  // namespace ctxshare
