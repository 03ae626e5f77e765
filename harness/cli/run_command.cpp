#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "harness/cli/commands.h"
#include "harness/reports/environment.h"
#include "harness/reports/watch.h"
#include "harness/results/console.h"
#include "harness/results/junit.h"
#include "harness/results/result_file.h"
#include "harness/run/catalog.h"
#include "harness/run/expectations.h"
#include "harness/run/gpus.h"
#include "harness/run/process.h"
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
  std::vector<std::string> outputs;
  for (const auto* path : {&a.json_path, &a.junit_path})
    if (!path->empty()) outputs.push_back(*path);
  if (std::string why = check_outputs(outputs); !why.empty()) return why;
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

bool require_gpu(const RunArgs& a) {
  const char* env = std::getenv("CTXSHARE_REQUIRE_GPU");
  return a.require_gpu || (env != nullptr && std::strcmp(env, "1") == 0);
}

// Why the run did not reach a GPU although one is required, or empty: no case that needs a GPU
// found a driver that initialized with a device (the case's first skip reason says what was missing).
std::string no_gpu_reached(const std::vector<const CaseDef*>& selected, const std::vector<CaseResult>& results) {
  std::string first_reason;
  for (size_t i = 0; i < results.size(); ++i) {
    const CaseDef* def = find_case(results[i].id);
    if (def == nullptr || def->spec.needs.devices == 0) continue;
    const nlohmann::json& drv = results[i].driver;
    if (drv.is_object() && drv.value("initialized", false) && drv.value("devices", 0) > 0) return {};
    if (first_reason.empty()) first_reason = results[i].reason;
  }
  const bool any_gpu_case = std::any_of(selected.begin(), selected.end(), [](const CaseDef* d) { return d->spec.needs.devices > 0; });
  if (!any_gpu_case) return {};
  return "a GPU is required (--require-gpu or CTXSHARE_REQUIRE_GPU=1) and no case reached one: " +
         (first_reason.empty() ? std::string("no case that needs a GPU ran") : first_reason);
}

int exit_status(const RunArgs& a, const std::vector<CaseResult>& results) {
  const auto all = [&](auto pred) { return std::all_of(results.begin(), results.end(), pred); };
  if (a.skip_exit_code >= 0 && !results.empty() && all([](const CaseResult& r) { return r.outcome == Outcome::skipped; }))
    return a.skip_exit_code;
  return all([&](const CaseResult& r) { return acceptable(r.outcome) || (r.outcome == Outcome::flaky && a.flakes_pass); }) ? 0
                                                                                                                    : 1;
}

// `run --watch`: the interposer and the real driver each case's process starts with, and the folder
// their reports go to (removed when the run ends: the reports are in the results). Empty, with the
// reason in *why, when either cannot be found.
class WatchSetup {
 public:
  bool prepare(RunOptions& options, bool runtime_api, std::string* why) {
    const std::string interposer_dir = watch_driver_dir(why);
    if (interposer_dir.empty()) return false;
    const std::string real_driver = find_real_driver(interposer_dir, why);
    if (real_driver.empty()) return false;
    const std::string injection = runtime_api ? runtime_api_injection(interposer_dir, why) : "";
    if (runtime_api && injection.empty()) return false;
    char root[] = "/tmp/ctxshare-run-watch-XXXXXX";
    if (::mkdtemp(root) == nullptr) return *why = std::string("cannot make a directory in /tmp: ") + std::strerror(errno), false;
    root_ = root;
    options.watch_root = root_;
    for (auto& [name, value] : watch_environment(interposer_dir, real_driver, root_, injection))
      if (name != "CTXSHARE_WATCH_OUT") options.watch_env.emplace_back(name, value);
    options.read_watch = [](const std::string& dir) { return watch_of_case(dir); };
    line_ = "ctxshare: watching each case's process: " + interposer_dir + "/libcuda.so.1 forwarding to " + real_driver +
            (runtime_api ? ", runtime API calls followed through " + injection : "") + "\n";
    return true;
  }
  const std::string& line() const { return line_; }
  ~WatchSetup() {
    if (root_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

 private:
  std::string root_, line_;
};

}  // namespace

int run_command(const RunArgs& a, const std::vector<std::string>& argv) {
  std::vector<const CaseDef*> selected;
  Expectations expectations;
  std::string baseline;
  if (std::string why = prepare(a, &selected, &expectations, &baseline); !why.empty()) return bad_input(why);
  RunOptions options;
  WatchSetup watch;
  if (std::string why; a.watch && !watch.prepare(options, a.watch_runtime_api, &why)) return bad_input("run --watch: " + why);
  if (is_stdout_path(a.json_path) || is_stdout_path(a.junit_path)) {
    // Standard output carries the document alone; the progress goes to standard error.
    set_stdout_for_data(dup(STDOUT_FILENO));
    dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  std::printf("ctxshare: baseline %s\n", baseline.c_str());
  std::fputs(watch.line().c_str(), stdout);
  RunRecord record;
  record.command = argv;
  // Cases that need one device are spread over the GPUs, one visible to each (docs/results.md). One
  // case alone (a ctest test) sees what it is given: ctest's resource spec spreads those.
  const std::vector<std::string> gpus = selected.size() > 1 ? schedulable_gpus() : std::vector<std::string>{};
  const int jobs = a.jobs > 0 ? a.jobs : default_jobs(gpus.size());
  record.jobs = jobs;
  // Entries are keyed by driver, GPU and build, so a case the baseline mentions is judged with the
  // environment, probed once (in a child: this process never initializes CUDA) when first needed.
  bool probed = false;
  auto env_for = [&](const std::string& id) -> nlohmann::json {
    if (!expectations.mentions(id)) return nullptr;
    if (!probed) record.environment = environment_through_child();
    probed = true;
    return record.environment;
  };

  options.jobs = jobs;
  options.gpus = gpus;
  options.timeout_s = a.timeout_s;
  options.reruns = a.reruns;
  options.expected = [&](const CaseResult& r) { return expectations.allows(r, env_for(r.id)); };
  options.judge = [&](CaseResult& r, const std::vector<CaseResult>& reruns) { expectations.judge(r, reruns, env_for(r.id)); };
  options.on_result = [&](CaseResult& r, size_t done, size_t total) {
    print_result(r, done, total);
    if (a.watch) {
      std::fputs(watch_console_line(r.watch).c_str(), stdout);
      std::fflush(stdout);
    }
  };
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_cases(selected, options);
  record.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_run_summary(results, record.wall_s, jobs);
  record.baseline = baseline;
  if (const int sig = interrupted_by(); sig != 0) {
    record.interrupted = signal_name(sig);
    record.cases_not_run = static_cast<int>(selected.size() - results.size());
    std::printf("ctxshare: interrupted by %s: %zu of %zu cases ran; the results so far are written\n", record.interrupted.c_str(),
                results.size(), selected.size());
    if (std::string why = write_outputs(a, selected, std::move(record), results); !why.empty()) return bad_input(why);
    return 128 + sig;
  }
  if (!a.json_path.empty() && !probed) record.environment = environment_through_child();

  if (std::string why = write_outputs(a, selected, std::move(record), results); !why.empty()) return bad_input(why);
  if (require_gpu(a))
    if (std::string why = no_gpu_reached(selected, results); !why.empty()) {
      std::fprintf(stderr, "ctxshare: error: %s\n", why.c_str());
      return 1;
    }
  return exit_status(a, results);
}

}  // namespace ctxshare
