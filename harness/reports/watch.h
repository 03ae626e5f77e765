// `ctxshare watch`: runs a program with the interposing libcuda.so.1 (watch/) first on its library
// path, then reads what each of its processes reported (docs/watch.md). The interposer writes one
// JSON line per record to CTXSHARE_WATCH_OUT/<pid>.jsonl; this side finds the drivers, collects the
// records and says them. It never initializes CUDA.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace ctxshare {

// The directory holding the interposer: CTXSHARE_WATCH_DRIVER_DIR, else watch-driver/ beside this
// executable, else the build tree's. Empty, with *why, when none holds libcuda.so.1.
std::string watch_driver_dir(std::string* why);

// The real driver the interposer forwards to: CTXSHARE_WATCH_REAL_DRIVER, else the first
// libcuda.so.1 on LD_LIBRARY_PATH, in the ld.so cache or in the usual directories that is neither in
// interposer_dir nor a toolkit stub. Empty, with *why, when none is found.
std::string find_real_driver(const std::string& interposer_dir, std::string* why);

// `--runtime-api`: the injection the driver loads to tell the interposer of runtime API calls
// (watch/runtime_api.cpp, through CUPTI), beside the interposer. Empty, with *why, where this build has
// none or CUDA_INJECTION64_PATH is taken (one injection per process).
std::string runtime_api_injection(const std::string& interposer_dir, std::string* why);

// The variables a watched process starts with (added to, or replacing, the caller's); with an injection,
// CUDA_INJECTION64_PATH too.
std::vector<std::pair<std::string, std::string>> watch_environment(const std::string& interposer_dir,
                                                                   const std::string& real_driver,
                                                                   const std::string& out_dir,
                                                                   const std::string& injection = "");

// Every record of out_dir's files: {"processes": [start records, each with "runtime_api": whether its
// runtime API calls were followed], "hazards": [hazard records, each with "repro", the command that
// exports its case's reproducer, and "runtime_call" where one was in progress]}. Lines that do not parse are skipped:
// a process killed mid-write leaves at most its last line torn.
nlohmann::json collect_watch_reports(const std::string& out_dir);

// "error" > "warning"; unknown levels rank as warnings.
int watch_level_rank(const std::string& level);

// The reports as text, for standard error.
std::string format_watch_reports(const nlohmann::json& reports);

// One case's `watch` in a `run --watch` result: what its processes wrote to out_dir. {"loaded": every
// process that started loaded the real driver (false when none started), "processes", "hazards"}.
nlohmann::json watch_of_case(const std::string& out_dir);
// The console's line for it ("    watch: 2 reports: hazard -> case id, ..."), empty when nothing to say.
std::string watch_console_line(const nlohmann::json& watch);

// `ctxshare score-watch`: a run made with `ctxshare run --watch`. Hazard cases (not skipped):
// "recalled" (a report names their own id: its row's case or one of its also-shown-by cases),
// "recalled_as_indistinguishable" [{"id", "reported"}] (a report's row lists them as indistinguishable
// from its case: the same calls seen), "reported_with_other_ids" [{"id", "reported"}], "not_reported";
// passing conformance cases: "false_alarms" [{"id", "reported"}] (a report that does not name them),
// "self_reported" (every report names them: a documented misuse, or a documented behaviour that is the
// risky pattern, performed on purpose); "skipped" (how many cases were skipped: in no count),
// "unwatched", "not_loaded", "summary" (one line) and "ok" (every hazard case recalled or silent as
// declared, no false alarm). Hazard cases the table declares silent (watch/hazard_table.h, kSilentCases:
// a correct program's calls), by id with the reason: "silent_as_declared" [{"id", "why"}] when nothing
// reported them, else "declared_silent_but_reported" [{"id", "reported"}], false alarms too.
nlohmann::json score_watch_run(const nlohmann::json& results);
nlohmann::json score_watch_run(const nlohmann::json& results, const std::map<std::string, std::string>& silent);
// The score as text: each list with its count, then the summary line.
std::string format_watch_score(const nlohmann::json& score);
// The same input from a directory of single-case runs made under watch, until `run --watch` exists:
// <id>.result.json (`ctxshare run <id> --json`) and <id>.watch.json (`ctxshare watch --json` around it).
nlohmann::json results_of_watched_cases(const std::string& dir);

}  // namespace ctxshare
