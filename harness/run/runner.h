// The scheduling side: runs each case in a fresh child process (this executable, re-executed), reads
// its event stream as it goes, enforces the timeout, and classifies what happened. Nothing here
// touches CUDA: fork after CUDA initialization is broken, and one case's state must not reach another.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/results/results.h"
#include "harness/spec/spec.h"

namespace ctxshare {

struct RunOptions {
  int jobs = 1;
  double timeout_s = 0;  // 0: each case's own timeout
  int reruns = 2;        // an unexpected attempt is run this many times more, to tell a flake from a change
  // The GPUs to spread cases over (gpus.h: schedulable_gpus), as CUDA_VISIBLE_DEVICES entries: a case
  // that needs one device sees one, the least busy; a case that needs N sees the first N. Empty:
  // every case sees what this process sees.
  std::vector<std::string> gpus;
  // Whether an attempt is what the baseline allows; by default, passed or skipped.
  std::function<bool(const CaseResult&)> expected;
  // The case's verdict from its first attempt and its reruns (the baseline's judgement); by default
  // the first attempt's outcome, or flaky when the attempts differ.
  std::function<void(CaseResult& first, const std::vector<CaseResult>& reruns)> judge;
  // Called as each case is judged; it may amend the result.
  std::function<void(CaseResult&, std::size_t done, std::size_t total)> on_result;
  // `run --watch` (docs/watch.md): when watch_root is set, each attempt's process starts with
  // watch_env (the interposer's folder first on LD_LIBRARY_PATH, the real driver) and
  // CTXSHARE_WATCH_OUT naming a fresh folder of its own under watch_root; when the attempt ends,
  // read_watch turns that folder into the result's `watch`. The scheduler makes the folder and
  // nothing more: the interposer writes it, the reports layer reads it.
  std::string watch_root;
  std::vector<std::pair<std::string, std::string>> watch_env;
  std::function<nlohmann::json(const std::string& dir)> read_watch;
  // `mutate` (docs/mutation.md): variables for the process of selection[index] (a case may appear
  // more than once, under a different fault each time), added to, or replacing, the case's own.
  std::function<std::vector<std::pair<std::string, std::string>>(std::size_t index)> environment_of;
};

// Runs the selection. SIGINT, SIGTERM or SIGHUP stop the run: the running cases' processes are
// killed and their results marked interrupted, no other case starts, and the results so far come back
// (interrupted_by() then names the signal).
std::vector<CaseResult> run_cases(const std::vector<const CaseDef*>& selection, const RunOptions& options);
// The signal that interrupted the last run_cases, 0 if none did.
int interrupted_by();

// Runs `this executable args...` in a fresh process and returns its stdout, for the environment
// probe; exit status in *status.
std::string run_self(const std::vector<std::string>& args, int* status, double timeout_s);

}  // namespace ctxshare
