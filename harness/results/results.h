// The result model: one CaseResult per case run, built by the runner from the child's event stream and
// exit status; written as JSON (result_file.h) and JUnit (junit.h), printed by console.h.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "harness/results/outcome.h"

namespace ctxshare {

struct CaseResult {
  std::string id;
  Outcome outcome = Outcome::error;
  std::string reason;                 // skip reason, crash signal, timeout, error
  double duration_s = 0;
  int exit_code = -1;                 // when the process exited
  int signal = 0;                     // when a signal ended it
  nlohmann::json findings = nlohmann::json::array();
  nlohmann::json observations = nlohmann::json::object();
  nlohmann::json trace = nlohmann::json::array();  // calls in order, the last ones kept when long
  long long trace_dropped = 0;
  nlohmann::json driver;              // what the child loaded
  std::string visible_devices;        // the CUDA_VISIBLE_DEVICES the scheduler gave it, if any
  std::string output_tail;            // the end of the child's stdout and stderr
  long long output_bytes = 0;
  std::vector<std::string> rerun_outcomes;
  std::vector<std::string> attempts;  // how each attempt ended, first to last, in the baseline's words
  nlohmann::json expected;            // the expectation entry that applied, if any
  nlohmann::json watch;               // `run --watch`: {"loaded", "processes", "hazards"} (docs/watch.md); null otherwise
};

nlohmann::json to_json(const CaseResult& r);

// How many results ended each way, by outcome name; every outcome is named, 0 where none ended so.
std::map<std::string, int> count_outcomes(const std::vector<CaseResult>& results);

}  // namespace ctxshare
