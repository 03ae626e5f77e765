// The bodies of ctxshare's commands, one file each; main.cpp parses the options and calls them.
#pragma once

#include <string>
#include <vector>

namespace ctxshare {

// Bad input (an unknown case, an unreadable file, a wrong option) exits 2, said on stderr.
constexpr int kBadInput = 2;
int bad_input(const std::string& message);

struct ListArgs {
  std::vector<std::string> patterns, labels;
  bool json = false;
};
int list_command(const ListArgs& a);

struct RunArgs {
  std::vector<std::string> patterns, labels;
  std::string json_path, junit_path, expectations_path;
  bool flakes_pass = false;
  bool require_gpu = false;  // or CTXSHARE_REQUIRE_GPU=1: a run where no case found a usable GPU fails
  double timeout_s = 0;
  int jobs = 0, reruns = 2, skip_exit_code = -1;  // jobs 0: chosen from the GPUs and cores (gpus.h)
  bool watch = false;  // each case's process under the interposer of `ctxshare watch` (docs/watch.md)
  bool watch_runtime_api = false;  // and its runtime API calls followed (`watch --runtime-api`)
};
// argv is recorded in the result file.
int run_command(const RunArgs& a, const std::vector<std::string>& argv);

int env_command(bool json);

// `ctxshare mutate` (docs/mutate.md): which driver faults each case notices.
struct MutateArgs {
  std::vector<std::string> patterns, labels, faults;  // faults: given instead of derived (mutate/fault_spec.h)
  std::string json_path, docs_dir, from_path, explained_path;
  int max_per_case = 3, jobs = 1;
  double timeout_s = 0;
};
int mutate_command(const MutateArgs& a, const std::vector<std::string>& argv);

struct DiffArgs {
  std::string old_path, new_path;
};
int diff_command(const DiffArgs& a);

struct MatrixArgs {
  std::vector<std::string> paths;
  std::string out_dir, claims_path = CTXSHARE_CLAIMS_REFERENCE;  // the source tree's, built in
};
int matrix_command(const MatrixArgs& a);

struct TallyArgs {
  std::vector<std::string> paths;
  bool all = false;
};
int tally_command(const TallyArgs& a);

struct BaselineArgs {
  std::vector<std::string> paths;
  std::string out;
};
int baseline_command(const BaselineArgs& a);

struct ReproArgs {
  std::string id, out_dir, results_path;
};
int repro_command(const ReproArgs& a);

struct BenchArgs {
  int runs = 30, repetitions = 20;
  std::string case_id = "driver_first.retained_primary_made_current_is_the_threads_context", json_path, svg_dir;
  bool suite = false;                 // the suite figure instead of the mixing benchmarks
  std::vector<int> suite_jobs = {1, 4, 8, 16};
  bool watch_cost = false;            // the launch loop bare and under `ctxshare watch`'s interposer instead
  int watch_runs = 15, launches = 100000, watch_reps = 5;
  std::string from_path;              // no run: print and chart this JSON (a committed bench)
};
int bench_command(const BenchArgs& a);

struct WatchArgs {
  std::vector<std::string> program;  // PROGRAM ARGS...
  std::string json_path, fail_on;    // fail_on: "", "warning" or "error"
  bool runtime_api = false;          // the runtime's API calls followed too (CUPTI, watch/runtime_api.cpp)
};
// With --fail-on, a report at or above the level makes watch exit with this (else the program's status).
constexpr int kWatchFailOn = 97;
int watch_command(const WatchArgs& a);
// Scores a `ctxshare run --watch` result file: recall over hazard cases, false alarms over passing
// conformance cases; exit 1 when any is missed or false.
// With json_path, the score as JSON there too.
int score_watch_command(const std::string& path, const std::string& json_path);

// The hidden commands a scheduling process re-executes: one case, the mixing benchmarks, the CUDA
// environment, each in this process.
int case_child_command(const std::string& id, int event_fd);
int bench_child_command(int repetitions);
int env_child_command();

}  // namespace ctxshare
