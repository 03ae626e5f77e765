// The ctxshare command. The scheduling commands (list, run, env) never initialize CUDA; the hidden
// __case and __env commands are what they re-execute, one fresh process per case.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>

#include "harness/catalog.h"
#include "harness/environment.h"
#include "harness/runner.h"

namespace ctxshare {
namespace {

constexpr int kBadInput = 2;
constexpr int kSchemaVersion = 1;

int bad_input(const std::string& message) {
  std::fprintf(stderr, "ctxshare: error: %s\n", message.c_str());
  return kBadInput;
}

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The CUDA half of the environment comes from a child process: this one must not initialize CUDA.
nlohmann::json environment() {
  nlohmann::json env = host_environment();
  int status = 0;
  const std::string out = run_self({"__env"}, &status, 60);
  nlohmann::json cuda = nlohmann::json::parse(out, nullptr, false);
  if (cuda.is_discarded() || !cuda.is_object())
    env["cuda"] = {{"error", "the environment probe failed (status " + std::to_string(status) + ")"}};
  else
    env["cuda"] = cuda;
  return env;
}

struct ListArgs {
  std::vector<std::string> patterns, labels;
  bool json = false;
};

int list_command(const ListArgs& a) {
  std::string error;
  const auto selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return bad_input(error);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto* d : selected) out.push_back(to_json(*d));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto* d : selected) {
    std::string claims;
    for (const auto& c : d->spec.claims) claims += (claims.empty() ? "" : ",") + c;
    std::printf("%-72s %-10s %s\n", d->id.c_str(), to_string(d->spec.verdict), claims.c_str());
  }
  return 0;
}

struct RunArgs {
  std::vector<std::string> patterns, labels;
  std::string json_path, junit_path;
  double timeout_s = 0;
  int jobs = 1, reruns = 0, skip_exit_code = -1;
};

void print_result(const CaseResult& r, size_t done, size_t total) {
  const int width = static_cast<int>(std::to_string(total).size());
  std::printf("[%*zu/%zu] %-8s %s (%.2f s)\n", width, done, total, to_string(r.outcome), r.id.c_str(), r.duration_s);
  if (r.outcome == Outcome::skipped) std::printf("    %s\n", r.reason.c_str());
  if (acceptable(r.outcome) && r.outcome != Outcome::flaky) return;
  int shown = 0;
  for (const auto& f : r.findings) {
    if (shown++ == 8) {
      std::printf("    ... %zu findings in all\n", r.findings.size());
      break;
    }
    std::printf("    %s: %s\n", f.value("kind", "?").c_str(), f.value("message", "").c_str());
    if (f.contains("evidence")) std::printf("      %s\n", f["evidence"].dump().c_str());
  }
  if (r.outcome == Outcome::crash || r.outcome == Outcome::timeout || r.outcome == Outcome::error) {
    std::printf("    last calls:\n");
    const size_t n = r.trace.size();
    for (size_t i = n > 6 ? n - 6 : 0; i < n; ++i) {
      const auto& e = r.trace[i];
      if (!e.contains("fn")) continue;
      std::printf("      #%lld %s [thread %d] -> %s\n", e.value("seq", 0LL), e.value("fn", "").c_str(), e.value("tid", 0),
                  e.contains("err") ? e["err"].get<std::string>().c_str() : "(did not return)");
    }
  }
  std::fflush(stdout);
}

int run_command(const RunArgs& a, const std::vector<std::string>& argv) {
  std::string error;
  const auto selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return bad_input(error);
  for (const auto* path : {&a.json_path, &a.junit_path})
    if (!path->empty())
      if (std::string why = check_writable(*path); !why.empty()) return bad_input(why);

  RunOptions options;
  options.jobs = a.jobs;
  options.timeout_s = a.timeout_s;
  options.reruns = a.reruns;
  options.on_result = print_result;
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_cases(selected, options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, int> count;
  bool ok = true;
  for (const auto& r : results) {
    ++count[to_string(r.outcome)];
    ok = ok && acceptable(r.outcome);
  }
  std::string summary;
  for (const char* o : {"passed", "failed", "skipped"}) summary += (summary.empty() ? "" : ", ") + std::to_string(count[o]) + " " + o;
  for (const char* o : {"xfail", "xpass", "timeout", "crash", "error", "flaky"})
    if (count[o] > 0) summary += ", " + std::to_string(count[o]) + " " + o;
  std::printf("ctxshare: %zu cases in %.1f s (-j %d)\n%s\n", results.size(), wall, a.jobs, summary.c_str());

  if (!a.json_path.empty() || !a.junit_path.empty()) {
    nlohmann::json info = nlohmann::json::object();
    for (const auto* d : selected) info[d->id] = to_json(*d);
    if (!a.json_path.empty()) {
      nlohmann::json doc = {{"schema", "ctxshare-results"},
                            {"schema_version", kSchemaVersion},
                            {"started", utc_now()},
                            {"command", argv},
                            {"jobs", a.jobs},
                            {"wall_s", wall},
                            {"environment", environment()},
                            {"summary", count},
                            {"cases", nlohmann::json::array()}};
      for (const auto& r : results) {
        nlohmann::json c = to_json(r);
        c["case"] = info[r.id];
        doc["cases"].push_back(std::move(c));
      }
      if (std::string why = write_whole_file(a.json_path, doc.dump(1) + "\n"); !why.empty()) return bad_input(why);
    }
    if (!a.junit_path.empty())
      if (std::string why = write_whole_file(a.junit_path, junit_xml(results, info)); !why.empty()) return bad_input(why);
  }
  if (a.skip_exit_code >= 0 && !results.empty() &&
      std::all_of(results.begin(), results.end(), [](const CaseResult& r) { return r.outcome == Outcome::skipped; }))
    return a.skip_exit_code;
  return ok ? 0 : 1;
}

int env_command(bool json) {
  const nlohmann::json env = environment();
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
  std::printf("variables: %s\n", env["variables"].dump().c_str());
  return 0;
}

}  // namespace
}  // namespace ctxshare

int main(int argc, char** argv) {
  using namespace ctxshare;
  spdlog::set_pattern("ctxshare: %l: %v");
  CLI::App app{"ctxshare: conformance and diagnostics for mixing the CUDA driver and runtime APIs"};
  app.require_subcommand(1);

  ListArgs list;
  auto* list_cmd = app.add_subcommand("list", "list the cases with their claims, verdict, needs and labels");
  list_cmd->add_option("patterns", list.patterns, "case ids, families or globs");
  list_cmd->add_option("-l,--label", list.labels, "only cases with this label (repeatable)");
  list_cmd->add_flag("--json", list.json, "as JSON");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "run cases, each in a fresh process");
  run_cmd->add_option("patterns", run.patterns, "case ids, families or globs (default: all)");
  run_cmd->add_option("-l,--label", run.labels, "only cases with this label (repeatable)");
  run_cmd->add_option("-t,--timeout", run.timeout_s, "seconds before a case is killed (default: the case's own)")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("-j,--jobs", run.jobs, "cases run at once; exclusive cases always run alone")
      ->check(CLI::Range(1, 256));
  run_cmd->add_option("--reruns", run.reruns, "re-run a failed case up to N times; one that then passes is flaky")
      ->check(CLI::Range(0, 10));
  run_cmd->add_option("--json", run.json_path, "write the results as JSON");
  run_cmd->add_option("--junit", run.junit_path, "write the results as JUnit XML");
  run_cmd->add_option("--skip-exit-code", run.skip_exit_code,
                      "exit with this code when every selected case was skipped (ctest's SKIP_RETURN_CODE)")
      ->check(CLI::Range(0, 255));

  bool env_json = false;
  auto* env_cmd = app.add_subcommand("env", "the driver, runtime, GPUs and variables, as for a bug report");
  env_cmd->add_flag("--json", env_json, "as JSON");

  std::string child_case;
  int event_fd = -1;
  auto* case_cmd = app.add_subcommand("__case", "")->group("");  // the child: one case, this process
  case_cmd->add_option("id", child_case)->required();
  case_cmd->add_option("--event-fd", event_fd)->required();
  auto* env_child = app.add_subcommand("__env", "")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string what = e.what();
    if (what.empty()) what = "invalid arguments";
    return bad_input(what + " (ctxshare --help)");
  }
  const std::vector<std::string> args(argv, argv + argc);
  if (*list_cmd) return list_command(list);
  if (*run_cmd) return run_command(run, args);
  if (*env_cmd) return env_command(env_json);
  if (*case_cmd) {
    const CaseDef* def = find_case(child_case);
    if (def == nullptr) return bad_input("unknown case '" + child_case + "'");
    return run_case_in_this_process(*def, event_fd);
  }
  if (*env_child) {
    std::cout << cuda_environment().dump() << "\n";
    return 0;
  }
  return bad_input("no command");
}
