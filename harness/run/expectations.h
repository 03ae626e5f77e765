// The baseline: what cases were seen to do on given drivers, GPUs, toolkits or build variants, each
// with a reason or bug link. A run judged against it reports an outcome in the entry's set as xfail
// (known), a conformance case that passes where only failures were expected as xpass (an improvement,
// to clear from the baseline), and anything else as it is.
//
// One entry per line; '#' starts a comment (docs/expectations.md has the full description):
//   CASE-ID-OR-GLOB OUTCOMES [driver=RANGE] [cuda=RANGE] [gpu=GLOB] [variant=GLOB] -- REASON
// OUTCOMES is one or more of passed, failed, crash, timeout, error joined by '|', each optionally
// pinned in brackets: failed[wrong_context,sticky_error] (every finding is of these kinds),
// crash[@cuStreamQuery] (it died during that call):
//   lifecycle.stream_used_after_cudaDeviceReset.* passed|crash[@cuStreamQuery] driver=580- -- stale handle
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

// One allowed outcome of an entry, with what pins it.
struct AllowedOutcome {
  Outcome outcome = Outcome::failed;
  std::vector<std::string> finding_kinds;  // every finding must be of one of these (empty: any)
  std::string call;                        // a crash or timeout must have happened during it (empty: any)
};

struct Expectation {
  std::string pattern;  // a case id or a glob
  std::vector<AllowedOutcome> outcomes;
  std::string outcomes_text;  // as written
  std::string driver_min, driver_max;  // NVML driver version, e.g. 580.95.05
  std::string cuda_min, cuda_max;      // cuDriverGetVersion, e.g. 13000
  std::string gpu;                     // glob over device 0's name
  std::string variant;                 // glob over the build variant
  std::string reason;
  std::string where;                   // file:line
};

class Expectations {
 public:
  // Reads and checks a file against the known case ids. Returns an error naming the file and line,
  // or empty.
  // Not strict (a baseline found by default, which may be another build's): entries that match no
  // case are left out instead of refused.
  std::string load(const std::string& path, const std::vector<std::string>& case_ids, bool strict = true);
  // Whether some entry's pattern matches the case, whatever its conditions: only then does judging
  // the case need the environment.
  bool mentions(const std::string& case_id) const;
  // The first entry that matches a case in an environment (the "environment" object of a result file).
  const Expectation* match(const std::string& case_id, const nlohmann::json& environment) const;
  // Whether one attempt of a case is what its entry allows (no entry: passed or skipped).
  bool allows(const CaseResult& attempt, const nlohmann::json& environment) const;
  // Judges a case from its attempts (the first, then its reruns): xfail when each fell in the entry's
  // set, xpass when a conformance case passed every time where only failures were expected, the
  // outcome itself when every attempt ended alike outside the set, flaky when they differ. Records
  // which entry applied.
  void judge(CaseResult& r, const std::vector<CaseResult>& reruns, const nlohmann::json& environment) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Expectation> entries_;
};

// The baseline a run uses when none is given: CTXSHARE_BASELINE (a file; empty for none), else the
// bundled file of the driver branch this machine runs (nvidia-<major>.txt in the build's baseline
// directory, the branch read from /proc/driver/nvidia/version, no CUDA needed), else none. *why says
// which, for the run's header.
std::string default_baseline(std::string* why);

// How an attempt ended, in the baseline's words: "passed", "failed[mismatch,sticky_error]" (the kinds
// of its findings), "crash[@cuStreamQuery]" (the call it died in).
std::string attempt_signature(const std::string& outcome, const std::string& reason, const nlohmann::json& findings);

// Compares dotted numeric versions ("580.95.05" < "580.159.04"); false when either is not one.
std::optional<int> compare_versions(const std::string& a, const std::string& b);

}  // namespace ctxshare
