// The result model: one CaseResult per case run, built by the runner from the child's event stream and
// exit status; written as JSON and JUnit, whole or not at all.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ctxshare {

// The closed set of outcomes.
enum class Outcome { passed, failed, skipped, xfail, xpass, timeout, crash, error, flaky };
const char* to_string(Outcome o);
std::optional<Outcome> outcome_from_string(std::string_view s);
// Whether the outcome lets a run exit 0.
bool acceptable(Outcome o);

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
  std::string output_tail;            // the end of the child's stdout and stderr
  long long output_bytes = 0;
  std::vector<std::string> rerun_outcomes;
  std::vector<std::string> attempts;  // how each attempt ended, first to last, in the baseline's words
  nlohmann::json expected;            // the expectation entry that applied, if any
};

nlohmann::json to_json(const CaseResult& r);

// Writes text to path through a temporary file in the same directory and a rename: readers see the
// old file or the whole new one. Returns an error message, empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);
// Fails early, before any case runs, when path cannot be written.
std::string check_writable(const std::string& path);

std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info);

}  // namespace ctxshare
