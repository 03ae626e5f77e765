// The ctxshare command. The scheduling commands (list, run, env) never initialize CUDA; the hidden
// __case and __env commands are what they re-execute, one fresh process per case.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "harness/reports/baseline.h"
#include "harness/reports/bench.h"
#include "harness/run/catalog.h"
#include "harness/reports/environment.h"
#include "harness/run/expectations.h"
#include "harness/reports/reports.h"
#include "harness/reports/repro.h"
#include "harness/child/child.h"
#include "harness/run/runner.h"

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
  std::string json_path, junit_path, expectations_path;
  bool flakes_pass = false;
  double timeout_s = 0;
  int jobs = 1, reruns = 2, skip_exit_code = -1;
};

void print_result(const CaseResult& r, size_t done, size_t total) {
  if (!r.expected.is_null() && r.outcome == Outcome::xfail) {
    std::printf("[%zu/%zu] %-8s %s (%.2f s)\n    known: %s (%s)\n", done, total, "xfail", r.id.c_str(), r.duration_s,
                r.expected.value("reason", "").c_str(), r.expected.value("entry", "").c_str());
    return;
  }
  const int width = static_cast<int>(std::to_string(total).size());
  std::printf("[%*zu/%zu] %-8s %s (%.2f s)\n", width, done, total, to_string(r.outcome), r.id.c_str(), r.duration_s);
  if (r.outcome == Outcome::skipped) std::printf("    %s\n", r.reason.c_str());
  if (r.outcome == Outcome::xpass) std::printf("    %s\n", r.reason.c_str());
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

  Expectations expectations;
  std::string baseline_why = a.expectations_path + " (--expectations)";
  const std::string baseline = a.expectations_path.empty() ? default_baseline(&baseline_why) : a.expectations_path;
  if (!baseline.empty()) {
    std::vector<std::string> ids;
    for (const auto& d : cases()) ids.push_back(d.id);
    if (std::string why = expectations.load(baseline, ids, !a.expectations_path.empty()); !why.empty()) return bad_input(why);
  }
  std::printf("ctxshare: baseline %s\n", baseline_why.c_str());
  // Entries are keyed by driver, GPU and build, so a case the baseline mentions is judged with the
  // environment, probed once (in a child: this process never initializes CUDA) when first needed.
  std::optional<nlohmann::json> env_probed;
  auto env_for = [&](const std::string& id) -> nlohmann::json {
    if (!expectations.mentions(id)) return nullptr;
    if (!env_probed) env_probed = environment();
    return *env_probed;
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
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, int> count;
  bool ok = true;
  for (const auto& r : results) {
    ++count[to_string(r.outcome)];
    ok = ok && (acceptable(r.outcome) || (r.outcome == Outcome::flaky && a.flakes_pass));
  }
  std::string summary;
  for (const char* o : {"passed", "failed", "skipped"}) summary += (summary.empty() ? "" : ", ") + std::to_string(count[o]) + " " + o;
  for (const char* o : {"xfail", "xpass", "timeout", "crash", "error", "flaky"})
    if (count[o] > 0) summary += ", " + std::to_string(count[o]) + " " + o;
  std::printf("ctxshare: %zu cases in %.1f s (-j %d)\n%s\n", results.size(), wall, a.jobs, summary.c_str());

  if (!a.json_path.empty() || !a.junit_path.empty()) {
    const nlohmann::json env = env_probed ? *env_probed : environment();
    nlohmann::json info = nlohmann::json::object();
    for (const auto* d : selected) info[d->id] = to_json(*d);
    if (!a.json_path.empty()) {
      nlohmann::json doc = {{"schema", "ctxshare-results"},
                            {"schema_version", kSchemaVersion},
                            {"started", utc_now()},
                            {"command", argv},
                            {"jobs", a.jobs},
                            {"wall_s", wall},
                            {"environment", env},
                            {"baseline", baseline_why},
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

int diff_command(const std::string& old_path, const std::string& new_path) {
  ResultFile old_run, new_run;
  for (auto [path, out] : {std::pair{&old_path, &old_run}, std::pair{&new_path, &new_run}})
    if (std::string why = load_results(*path, out); !why.empty()) return bad_input(why);
  const DiffReport report = diff_runs(old_run, new_run);
  std::fputs(report.text.c_str(), stdout);
  return report.regressions > 0 ? 1 : 0;
}

// Every file given, or the first one's error.
std::string load_all_results(const std::vector<std::string>& paths, std::vector<ResultFile>* runs) {
  runs->resize(paths.size());
  for (size_t i = 0; i < paths.size(); ++i)
    if (std::string why = load_results(paths[i], &(*runs)[i]); !why.empty()) return why;
  return {};
}

int matrix_command(const std::vector<std::string>& paths, const std::string& out_dir, const std::string& claims_path) {
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(paths, &runs); !why.empty()) return bad_input(why);
  std::ifstream in(claims_path);
  if (!in) return bad_input(claims_path + ": cannot be read");
  std::stringstream claims;
  claims << in.rdbuf();
  if (std::string why = write_matrix(runs, claims.str(), out_dir); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote patterns.md, claims.md and matrix.html in %s from %zu runs\n", out_dir.c_str(), runs.size());
  return 0;
}

int baseline_command(const std::vector<std::string>& paths, const std::string& out) {
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(paths, &runs); !why.empty()) return bad_input(why);
  const std::string text = draft_baseline(runs, paths);
  if (out.empty()) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (std::string why = write_whole_file(out, text); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote the draft baseline %s from %zu runs\n", out.c_str(), runs.size());
  return 0;
}

int tally_command(const std::vector<std::string>& paths, bool all) {
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(paths, &runs); !why.empty()) return bad_input(why);
  std::fputs(tally_runs(runs, all).c_str(), stdout);
  return 0;
}

int repro_command(const std::string& id, const std::string& out_dir, const std::string& results_path) {
  const CaseDef* def = find_case(id);
  if (def == nullptr) return bad_input("unknown case '" + id + "' (ctxshare list shows the cases)");
  nlohmann::json result, env;
  if (!results_path.empty()) {
    ResultFile run;
    if (std::string why = load_results(results_path, &run); !why.empty()) return bad_input(why);
    for (const auto& c : run.doc["cases"])
      if (c["id"] == id) result = c;
    if (result.is_null()) return bad_input(results_path + ": has no result for " + id);
    env = run.doc.value("environment", nlohmann::json::object());
  } else {
    env = environment();
  }
  if (std::string why = export_repro(*def, out_dir, result, env); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote the reproducer of %s in %s (build: sh %s/build.sh)\n", id.c_str(), out_dir.c_str(), out_dir.c_str());
  return 0;
}

int bench_command(int runs, int repetitions, const std::string& case_id, const std::string& json_path,
                  const std::string& svg_dir) {
  const CaseDef* def = find_case(case_id);
  if (def == nullptr) return bad_input("unknown case '" + case_id + "'");
  if (!json_path.empty())
    if (std::string why = check_writable(json_path); !why.empty()) return bad_input(why);
  nlohmann::json out = {{"environment", environment()}, {"command", "ctxshare bench"}};
  // The floor: a bare process doing what every case process must.
  std::vector<double> floor_s, case_s, init_ms, primary_ms;
  for (int i = 0; i < runs; ++i) {
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const nlohmann::json inside = nlohmann::json::parse(run_self({"__floor"}, &status, 60), nullptr, false);
    floor_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (inside.is_object()) {
      init_ms.push_back(inside.value("driver_init_ms", 0.0));
      primary_ms.push_back(inside.value("primary_retain_ms", 0.0));
    }
    if (status != 0) {
      std::fprintf(stderr, "ctxshare: bench: the floor process failed (no usable driver?)\n");
      return 1;
    }
  }
  // The same work as a case under the harness: spawn, trace, validate, release, classify.
  for (int i = 0; i < runs; ++i) {
    const auto r = run_cases({def}, RunOptions{});
    if (r[0].outcome != Outcome::passed) {
      std::fprintf(stderr, "ctxshare: bench: %s did not pass: %s\n", case_id.c_str(), to_string(r[0].outcome));
      return 1;
    }
    case_s.push_back(r[0].duration_s);
  }
  const nlohmann::json floor = summarize(floor_s, "s"), under_harness = summarize(case_s, "s");
  out["floor"]["bare process: load the driver, cuInit, primary context current, exit, s"] = floor;
  out["floor"]["the same work as a case under the harness, s"] = under_harness;
  out["driver_start"]["load libcuda, resolve every function, cuInit(0), ms"] = summarize(init_ms, "ms");
  out["driver_start"]["first cuDevicePrimaryCtxRetain in a process, ms"] = summarize(primary_ms, "ms");
  const double floor_median = floor["median"], case_median = under_harness["median"];
  out["harness_overhead"] = {{"case", case_id}, {"ratio_at_median", case_median / floor_median - 1}};
  int status = 0;
  const std::string mixing = run_self({"__bench", "--repetitions", std::to_string(repetitions)}, &status, 600);
  nlohmann::json benchmarks = nlohmann::json::parse(mixing, nullptr, false);
  if (status != 0 || benchmarks.is_discarded()) {
    std::fprintf(stderr, "ctxshare: bench: the benchmark process failed (status %d)\n", status);
    return 1;
  }
  out.update(benchmarks);
  for (const auto& [group, rows] : out.items()) {
    if (!rows.is_object() || group == "environment" || group == "settings" || group == "clocks" || group == "harness_overhead") continue;
    std::printf("%s\n", group.c_str());
    for (const auto& [name, s] : rows.items())
      if (s.is_object() && s.contains("median"))
        std::printf("  %-72s median %10.4g  min %10.4g  max %10.4g\n", name.c_str(), s["median"].get<double>(),
                    s["min"].get<double>(), s["max"].get<double>());
  }
  std::printf("harness overhead at the median: %.1f%% of the floor\n", 100 * out["harness_overhead"]["ratio_at_median"].get<double>());
  if (!json_path.empty())
    if (std::string why = write_whole_file(json_path, out.dump(1) + "\n"); !why.empty()) return bad_input(why);
  if (!svg_dir.empty())
    if (std::string why = write_bench_svgs(out, svg_dir); !why.empty()) return bad_input(why);
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
  run_cmd->add_option("--reruns", run.reruns, "run an attempt the baseline does not allow N more times (default 2): attempts that differ are a new flake")
      ->check(CLI::Range(0, 10));
  run_cmd->add_option("--json", run.json_path, "write the results as JSON");
  run_cmd->add_flag("--flakes-pass", run.flakes_pass, "a new flake (attempts that ended differently) does not fail the run");
  run_cmd->add_option("--expectations", run.expectations_path,
                      "known outcomes by driver, GPU and variant (docs/expectations.md): known failures become xfail");
  run_cmd->add_option("--junit", run.junit_path, "write the results as JUnit XML");
  run_cmd->add_option("--skip-exit-code", run.skip_exit_code,
                      "exit with this code when every selected case was skipped (ctest's SKIP_RETURN_CODE)")
      ->check(CLI::Range(0, 255));

  bool env_json = false;
  auto* env_cmd = app.add_subcommand("env", "the driver, runtime, GPUs and variables, as for a bug report");
  env_cmd->add_flag("--json", env_json, "as JSON");

  std::string diff_old, diff_new;
  auto* diff_cmd = app.add_subcommand("diff", "what changed between two runs; exit 1 on regressions");
  diff_cmd->add_option("old", diff_old, "the earlier result file")->required();
  diff_cmd->add_option("new", diff_new, "the later result file")->required();

  std::vector<std::string> matrix_runs;
  std::string matrix_out, matrix_claims = "docs/claims-reference.md";
  auto* matrix_cmd = app.add_subcommand("matrix", "the supported-patterns table, claims page and HTML matrix from result files");
  matrix_cmd->add_option("results", matrix_runs, "result files from `ctxshare run --json`")->required();
  matrix_cmd->add_option("--out", matrix_out, "directory to write patterns.md, claims.md and matrix.html")->required();
  matrix_cmd->add_option("--claims", matrix_claims, "the claims reference (default: docs/claims-reference.md)");

  std::vector<std::string> baseline_paths;
  std::string baseline_out;
  auto* baseline_cmd = app.add_subcommand("baseline", "draft a baseline from result files: every case that did not only pass, with what it was seen to do");
  baseline_cmd->add_option("results", baseline_paths, "result files from `ctxshare run --json`")->required();
  baseline_cmd->add_option("--out", baseline_out, "write the draft here (whole or not at all); default: standard output");
  std::vector<std::string> tally_paths;
  bool tally_all = false;
  auto* tally_cmd = app.add_subcommand("tally", "how each case ended over many runs, by machine and build (a Markdown table)");
  tally_cmd->add_option("results", tally_paths, "result files from `ctxshare run --json`")->required();
  tally_cmd->add_flag("--all", tally_all, "every case, not only those that did not end alike in every run");

  std::string repro_case, repro_out, repro_results;
  auto* repro_cmd = app.add_subcommand("repro", "a standalone reproducer of one case, with a report draft, for a vendor");
  repro_cmd->add_option("case", repro_case, "the case id")->required();
  repro_cmd->add_option("--out", repro_out, "directory to write it in")->required();
  repro_cmd->add_option("--results", repro_results, "a result file whose run of the case fills in the report");

  int bench_runs = 30, bench_reps = 20;
  std::string bench_case = "driver_first.retained_primary_made_current_is_the_threads_context", bench_json, bench_svg;
  auto* bench_cmd = app.add_subcommand("bench", "what mixing costs: the per-process floor, the harness's overhead, launches, switches, contexts");
  bench_cmd->add_option("--runs", bench_runs, "processes for the floor and for the case")->check(CLI::Range(3, 1000));
  bench_cmd->add_option("--repetitions", bench_reps, "samples of each mixing benchmark")->check(CLI::Range(3, 1000));
  bench_cmd->add_option("--case", bench_case, "the case the floor is compared with");
  bench_cmd->add_option("--json", bench_json, "write the numbers as JSON");
  bench_cmd->add_option("--svg-dir", bench_svg, "write one SVG chart per benchmark group there");
  auto* floor_child = app.add_subcommand("__floor", "")->group("");
  int child_reps = 20;
  auto* bench_child = app.add_subcommand("__bench", "")->group("");
  bench_child->add_option("--repetitions", child_reps);

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
  if (*diff_cmd) return diff_command(diff_old, diff_new);
  if (*matrix_cmd) return matrix_command(matrix_runs, matrix_out, matrix_claims);
  if (*repro_cmd) return repro_command(repro_case, repro_out, repro_results);
  if (*tally_cmd) return tally_command(tally_paths, tally_all);
  if (*baseline_cmd) return baseline_command(baseline_paths, baseline_out);
  if (*case_cmd) {
    const CaseDef* def = find_case(child_case);
    if (def == nullptr) return bad_input("unknown case '" + child_case + "'");
    return run_case_in_this_process(*def, event_fd);
  }
  if (*bench_cmd) return bench_command(bench_runs, bench_reps, bench_case, bench_json, bench_svg);
  if (*floor_child) return floor_in_this_process();
  if (*bench_child) {
    std::cout << mixing_benchmarks_in_this_process(child_reps).dump() << "\n";
    return 0;
  }
  if (*env_child) {
    std::cout << cuda_environment().dump() << "\n";
    return 0;
  }
  return bad_input("no command");
}
