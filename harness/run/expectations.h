// Expectations: known outcomes of cases on given drivers, GPUs, toolkits or build variants, each with
// a reason or bug link. A run given expectations reports a known failure as xfail and a known
// failure that now passes as xpass, apart from new failures; only new failures fail the run.
//
// One entry per line; '#' starts a comment (docs/expectations.md has the full description):
//   CASE-ID-OR-GLOB OUTCOME [driver=RANGE] [cuda=RANGE] [gpu=GLOB] [variant=GLOB] -- REASON
//   lifecycle.stream_used_after_cudaDeviceReset.* crash driver=580- -- stale stream handle crashes
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

struct Expectation {
  std::string pattern;  // a case id or a glob
  Outcome outcome = Outcome::failed;
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
  std::string load(const std::string& path, const std::vector<std::string>& case_ids);
  // The first entry that matches a case in an environment (the "environment" object of a result file).
  const Expectation* match(const std::string& case_id, const nlohmann::json& environment) const;
  // Turns a known failure into xfail and a known failure that passed into xpass, and records which
  // entry applied.
  void apply(CaseResult& r, const nlohmann::json& environment) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Expectation> entries_;
};

// Compares dotted numeric versions ("580.95.05" < "580.159.04"); false when either is not one.
std::optional<int> compare_versions(const std::string& a, const std::string& b);

}  // namespace ctxshare
