// The ctxshare command: its options and dispatch; each command's body is in its own file (commands.h).
// The scheduling commands (list, run, env) never initialize CUDA; the hidden __case and __env commands
// are what they re-execute, one fresh process per case.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>

#include "harness/cli/commands.h"
#include "harness/reports/bench.h"
#include "harness/reports/environment.h"

namespace ctxshare {

int bad_input(const std::string& message) {
  std::fprintf(stderr, "ctxshare: error: %s\n", message.c_str());
  return kBadInput;
}

namespace {

// An output path: "-" is standard output; an empty one is a mistake, never "no output".
const CLI::Validator kOutputPath(
    [](std::string& path) { return path.empty() ? std::string("an output path is empty") : std::string(); }, "PATH");

// Seconds a case may run: positive and finite, said plainly when not.
const CLI::Validator kSeconds(
    [](std::string& text) {
      char* end = nullptr;
      const double s = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(s > 0) || s > 86400) return "'" + text + "' is not a number of seconds from 0 to 86400";
      return std::string();
    },
    "SECONDS");

// A subcommand and what runs when it is given; each holds its parsed options.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

// A subcommand with its options' storage, kept alive by the command that reads it.
template <class Args>
std::pair<CLI::App*, std::shared_ptr<Args>> subcommand(CLI::App& app, const char* name, const char* description) {
  return {app.add_subcommand(name, description), std::make_shared<Args>()};
}

Command add_list(CLI::App& app) {
  auto [cmd, a] = subcommand<ListArgs>(app, "list", "list the cases with their claims, verdict, needs and labels");
  cmd->add_option("patterns", a->patterns, "case ids, families or globs");
  cmd->add_option("-l,--label", a->labels, "only cases with this label (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--json", a->json, "as JSON");
  return {cmd, [a] { return list_command(*a); }};
}

Command add_run(CLI::App& app, const std::vector<std::string>& argv) {
  auto [cmd, a] = subcommand<RunArgs>(app, "run", "run cases, each in a fresh process");
  cmd->add_option("patterns", a->patterns, "case ids, families or globs (default: all)");
  cmd->add_option("-l,--label", a->labels, "only cases with this label (repeatable)")->allow_extra_args(false);
  cmd->add_option("-t,--timeout", a->timeout_s, "seconds before a case is killed (default: the case's own)")->check(kSeconds);
  cmd->add_option("-j,--jobs", a->jobs,
                  "cases run at once (default: 4 per GPU, at most the cores); exclusive cases always run alone")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--reruns", a->reruns,
                  "run an attempt the baseline does not allow N more times (default 2): attempts that differ are a new flake")
      ->check(CLI::Range(0, 10));
  cmd->add_flag("--flakes-pass", a->flakes_pass, "a new flake (attempts that ended differently) does not fail the run");
  cmd->add_option("--json", a->json_path, "write the results as JSON (- for standard output)")->check(kOutputPath);
  cmd->add_option("--expectations,--baseline", a->expectations_path,
                  "the baseline (docs/expectations.md); default: CTXSHARE_BASELINE, else the driver branch's bundled file");
  cmd->add_option("--junit", a->junit_path, "write the results as JUnit XML (- for standard output)")->check(kOutputPath);
  cmd->add_flag("--require-gpu", a->require_gpu,
                "fail the run when no case reached a usable GPU, with the reason (also CTXSHARE_REQUIRE_GPU=1): a GPU job on a machine without one is red, not green");
  cmd->add_flag("--watch", a->watch,
                "start each case's process under the interposer of `ctxshare watch`: its reports go into the result ('watch') and the console (docs/watch.md)");
  cmd->add_flag("--watch-runtime-api", a->watch_runtime_api,
                "with --watch: follow the runtime's API calls too, as `ctxshare watch --runtime-api` does")
      ->needs(cmd->get_option("--watch"));
  cmd->add_option("--skip-exit-code", a->skip_exit_code,
                  "exit with this code when every selected case was skipped (ctest's SKIP_RETURN_CODE)")
      ->check(CLI::Range(0, 255));
  return {cmd, [a, &argv] { return run_command(*a, argv); }};
}

Command add_env(CLI::App& app) {
  auto [cmd, json] = subcommand<bool>(app, "env", "the driver, runtime, GPUs and variables, as for a bug report");
  cmd->add_flag("--json", *json, "as JSON");
  return {cmd, [json] { return env_command(*json); }};
}

Command add_diff(CLI::App& app) {
  auto [cmd, a] = subcommand<DiffArgs>(app, "diff", "what changed between two runs; exit 1 on regressions");
  cmd->add_option("old", a->old_path, "the earlier result file")->required();
  cmd->add_option("new", a->new_path, "the later result file")->required();
  return {cmd, [a] { return diff_command(*a); }};
}

Command add_matrix(CLI::App& app) {
  auto [cmd, a] = subcommand<MatrixArgs>(app, "matrix", "the supported-patterns table, claims page and HTML matrix from result files");
  cmd->add_option("results", a->paths, "result files from `ctxshare run --json`")->required();
  cmd->add_option("--out", a->out_dir, "directory to write patterns.md, claims.md and matrix.html (made if missing)")
      ->required()
      ->check(kOutputPath);
  cmd->add_option("--claims", a->claims_path, "the claims reference (default: the one of the source tree this ctxshare was built from)");
  return {cmd, [a] { return matrix_command(*a); }};
}

Command add_baseline(CLI::App& app) {
  auto [cmd, a] = subcommand<BaselineArgs>(
      app, "baseline", "draft a baseline from result files: every case that did not only pass, with what it was seen to do");
  cmd->add_option("results", a->paths, "result files from `ctxshare run --json`")->required();
  cmd->add_option("--out", a->out, "write the draft here (whole or not at all); default: standard output")->check(kOutputPath);
  return {cmd, [a] { return baseline_command(*a); }};
}

Command add_tally(CLI::App& app) {
  auto [cmd, a] = subcommand<TallyArgs>(app, "tally", "how each case ended over many runs, by machine and build (a Markdown table)");
  cmd->add_option("results", a->paths, "result files from `ctxshare run --json`")->required();
  cmd->add_flag("--all", a->all, "every case, not only those that did not end alike in every run");
  return {cmd, [a] { return tally_command(*a); }};
}

Command add_repro(CLI::App& app) {
  auto [cmd, a] = subcommand<ReproArgs>(app, "repro", "a standalone reproducer of one case, with a report draft, for a vendor");
  cmd->add_option("case", a->id, "the case id")->required();
  cmd->add_option("--out", a->out_dir, "directory to write it in")->required()->check(kOutputPath);
  cmd->add_option("--results", a->results_path, "a result file whose run of the case fills in the report");
  return {cmd, [a] { return repro_command(*a); }};
}

Command add_bench(CLI::App& app) {
  auto [cmd, a] = subcommand<BenchArgs>(app, "bench", "what mixing costs: the per-process floor, the harness's overhead, launches, switches, contexts");
  cmd->add_option("--runs", a->runs, "processes for the floor and for the case")->check(CLI::Range(3, 1000));
  cmd->add_option("--repetitions", a->repetitions, "samples of each mixing benchmark")->check(CLI::Range(3, 1000));
  cmd->add_option("--case", a->case_id, "the case the floor is compared with");
  cmd->add_option("--json", a->json_path, "write the numbers as JSON")->check(kOutputPath);
  cmd->add_option("--svg-dir", a->svg_dir, "write one SVG chart per benchmark group there")->check(kOutputPath);
  cmd->add_option("--from", a->from_path, "no run: print and chart this JSON of an earlier bench (with --svg-dir)");
  cmd->add_flag("--suite", a->suite,
                "the suite figure instead: the whole suite's wall time next to as many bare processes at each --suite-jobs");
  cmd->add_option("--suite-jobs", a->suite_jobs, "the -j values of the suite figure (default 1 4 8 16)")
      ->check(CLI::Range(1, 256))
      ->allow_extra_args(false)
      ->delimiter(',');
  cmd->add_flag("--watch-cost", a->watch_cost,
                "what `ctxshare watch` costs instead: the launch loop (watch/bench_launches.cu) bare and under the interposer, alternating; medians and their ratio");
  cmd->add_option("--watch-runs", a->watch_runs, "processes of each kind for --watch-cost (default 15)")->check(CLI::Range(1, 1000));
  cmd->add_option("--watch-reps", a->watch_reps, "timed loops of each kind per process for --watch-cost, after a warm-up (default 5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--launches", a->launches, "launches per loop for --watch-cost (default 100000)")->check(CLI::Range(1, 100000000));
  return {cmd, [a] { return bench_command(*a); }};
}

Command add_watch(CLI::App& app) {
  auto [cmd, a] = subcommand<WatchArgs>(app, "watch", "run a program and report the known mixing hazards it performs (docs/watch.md)");
  cmd->add_option("--json", a->json_path, "write the reports as JSON")->check(kOutputPath);
  cmd->add_option("--fail-on", a->fail_on, "exit 97 when a report at or above this level (warning, error) exists");
  cmd->add_flag("--runtime-api", a->runtime_api,
                "follow the CUDA runtime's API calls too, through CUPTI (one subscriber per process: not beside a profiler); "
                "reports then name the runtime call in progress, and see what no driver call shows (docs/watch.md)");
  cmd->add_option("program", a->program, "-- PROGRAM ARGS...")->required();
  cmd->prefix_command(false);
  return {cmd, [a] { return watch_command(*a); }};
}

Command add_score_watch(CLI::App& app) {
  auto [cmd, paths] = subcommand<std::pair<std::string, std::string>>(
      app, "score-watch", "score a `run --watch` result file: hazard cases reported with their own id, false alarms");
  cmd->add_option("results", paths->first, "the result file of `run --watch --json`, or a directory of <id>.result.json and <id>.watch.json (docs/watch.md)")
      ->required();
  cmd->add_option("--json", paths->second, "write the score as JSON")->check(kOutputPath);
  return {cmd, [paths] { return score_watch_command(paths->first, paths->second); }};
}

Command add_mutate(CLI::App& app, const std::vector<std::string>& argv) {
  auto [cmd, a] = subcommand<MutateArgs>(app, "mutate", "make the driver misbehave, one fault a process, and say which cases notice (docs/mutate.md)");
  cmd->add_option("cases", a->patterns, "case ids, families or globs (default: all)");
  cmd->add_option("--label", a->labels, "only cases with this label (repeatable)");
  cmd->add_option("--max-per-case", a->max_per_case, "faults per case, derived from the calls it made (default 3)")->check(CLI::Range(1, 100));
  cmd->add_option("--fault", a->faults, "run these faults (SYMBOL[#N][@T]:KIND[:ARG]) instead of derived ones (repeatable)");
  cmd->add_option("-j,--jobs", a->jobs, "processes at a time (default 1)")->check(CLI::Range(1, 256));
  cmd->add_option("--timeout", a->timeout_s, "seconds per process instead of each case's own")->check(kSeconds);
  cmd->add_option("--json", a->json_path, "write the mutants and scores as JSON")->check(kOutputPath);
  cmd->add_option("--docs", a->docs_dir, "write DIR/mutation.md")->check(kOutputPath);
  cmd->add_option("--from", a->from_path, "no run: the docs from this JSON (a committed run)");
  cmd->add_option("--explained", a->explained_path, "why surviving mutants survive (default DOCS/mutation/explained.json)");
  return {cmd, [a, argv] { return mutate_command(*a, argv); }};
}

// The hidden commands, run in child processes.
std::vector<Command> add_children(CLI::App& app) {
  auto* floor = app.add_subcommand("__floor", "")->group("");
  auto reps = std::make_shared<int>(20);
  auto* bench = app.add_subcommand("__bench", "")->group("");
  bench->add_option("--repetitions", *reps);
  auto child = std::make_shared<std::pair<std::string, int>>("", -1);
  auto* one_case = app.add_subcommand("__case", "")->group("");  // the child: one case, this process
  one_case->add_option("id", child->first)->required();
  one_case->add_option("--event-fd", child->second)->required();
  auto* env = app.add_subcommand("__env", "")->group("");
  return {{floor, [] { return floor_in_this_process(); }},
          {bench, [reps] { return bench_child_command(*reps); }},
          {one_case, [child] { return case_child_command(child->first, child->second); }},
          {env, [] { return env_child_command(); }}};
}

}  // namespace
}  // namespace ctxshare

int main(int argc, char** argv) {
  using namespace ctxshare;
  spdlog::set_pattern("ctxshare: %l: %v");
  CLI::App app{"ctxshare: conformance and diagnostics for mixing the CUDA driver and runtime APIs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_line());
  const std::vector<std::string> args(argv, argv + argc);
  std::vector<Command> commands = {add_list(app),   add_run(app, args), add_env(app),   add_diff(app),
                                   add_matrix(app), add_tally(app), add_baseline(app),     add_repro(app), add_bench(app),
                                   add_watch(app),  add_score_watch(app), add_mutate(app, args)};
  for (auto& c : add_children(app)) commands.push_back(std::move(c));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string what = e.what();
    if (what.empty()) what = "invalid arguments";
    return bad_input(what + " (ctxshare --help)");
  }
  for (const auto& c : commands)
    if (*c.app) return c.run();
  return bad_input("no command");
}
