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

// Why the run cannot start, or empty: the selection, the output files, the expectations.
std::string prepare(const RunArgs& a, std::vector<const CaseDef*>* selected, Expectations* expectations) {
  std::string error;
  *selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return error;
  for (const auto* path : {&a.json_path, &a.junit_path})
    if (!path->empty())
      if (std::string why = check_writable(*path); !why.empty()) return why;
  if (a.expectations_path.empty()) return {};
  std::vector<std::string> ids;
  for (const auto& d : cases()) ids.push_back(d.id);
  return expectations->load(a.expectations_path, ids);
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
  return all([](const CaseResult& r) { return acceptable(r.outcome); }) ? 0 : 1;
}

}  // namespace

int run_command(const RunArgs& a, const std::vector<std::string>& argv) {
  std::vector<const CaseDef*> selected;
  Expectations expectations;
  if (std::string why = prepare(a, &selected, &expectations); !why.empty()) return bad_input(why);
  // Expectations are keyed by driver and GPU, so the environment comes first when there are any.
  RunRecord record;
  record.command = argv;
  record.jobs = a.jobs;
  if (!expectations.empty() || !a.json_path.empty()) record.environment = environment_through_child();

  RunOptions options;
  options.jobs = a.jobs;
  options.timeout_s = a.timeout_s;
  options.reruns = a.reruns;
  options.on_result = [&](CaseResult& r, size_t done, size_t total) {
    expectations.apply(r, record.environment);
    print_result(r, done, total);
  };
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_cases(selected, options);
  record.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_run_summary(results, record.wall_s, a.jobs);

  if (std::string why = write_outputs(a, selected, std::move(record), results); !why.empty()) return bad_input(why);
  return exit_status(a, results);
}

}  // namespace ctxshare
