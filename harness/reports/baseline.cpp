#include "harness/reports/baseline.h"

#include <map>
#include <set>

#include "harness/run/expectations.h"

namespace ctxshare {
namespace {

// Each attempt of a case in a result file, in the baseline's words. Files from before attempts were
// recorded give their one outcome; a known failure (xfail) there is told by its findings.
std::vector<std::string> attempts_of(const nlohmann::json& c) {
  if (c.contains("attempts")) return c["attempts"].get<std::vector<std::string>>();
  std::string outcome = c.value("outcome", "error");
  const nlohmann::json findings = c.value("findings", nlohmann::json::array());
  if (outcome == "xfail" || outcome == "flaky") {
    outcome = "failed";
    for (const auto& f : findings)
      if (f.value("kind", "") == "crash" || f.value("kind", "") == "timeout") outcome = f.value("kind", "");
  }
  std::vector<std::string> out = {attempt_signature(outcome, c.value("reason", ""), findings)};
  for (const auto& again : c.value("reruns", nlohmann::json::array())) out.push_back(again.get<std::string>());
  return out;
}

std::string branch_of(const nlohmann::json& doc) {
  const nlohmann::json::json_pointer p("/environment/cuda/driver/nvml_version");
  const std::string v = doc.contains(p) && doc.at(p).is_string() ? doc.at(p).get<std::string>() : "";
  return v.substr(0, v.find('.'));
}

}  // namespace

std::string draft_baseline(const std::vector<ResultFile>& runs, const std::vector<std::string>& paths) {
  // case -> variant -> attempt -> count
  std::map<std::string, std::map<std::string, std::map<std::string, int>>> seen;
  std::set<std::string> branches;
  for (const auto& run : runs) {
    const std::string variant = run.doc.value("environment", nlohmann::json::object()).value("build", nlohmann::json::object()).value("variant", "");
    branches.insert(branch_of(run.doc));
    for (const auto& c : run.doc["cases"])
      for (const auto& a : attempts_of(c))
        // A skip says nothing of the driver, nor does a case the run's interruption ended.
        if (a != "skipped" && a != "interrupted") ++seen[c["id"].get<std::string>()][variant][a];
  }
  const std::string driver = branches.size() == 1 && !branches.begin()->empty() ? " driver=" + *branches.begin() + "-" : "";
  std::string out = "# Drafted by `ctxshare baseline` from " + std::to_string(runs.size()) + " result files:\n";
  for (const auto& p : paths) out += "#   " + p + "\n";
  out += "# Review every entry before a fleet gates on it (docs/expectations.md).\n";
  for (const auto& [id, by_variant] : seen) {
    // One entry for every variant when they were seen alike, else one per variant.
    std::set<std::set<std::string>> distinct;
    for (const auto& [variant, counts] : by_variant) {
      std::set<std::string> outcomes;
      for (const auto& [attempt, n] : counts) outcomes.insert(attempt);
      distinct.insert(outcomes);
    }
    const bool alike = distinct.size() == 1;
    std::map<std::string, std::map<std::string, int>> entries;
    for (const auto& [variant, counts] : by_variant)
      for (const auto& [attempt, n] : counts) entries[alike ? "" : variant][attempt] += n;
    for (const auto& [variant, counts] : entries) {
      if (counts.size() == 1 && counts.begin()->first == "passed") continue;
      std::string set, tally;
      for (const auto& [attempt, n] : counts) {
        set += (set.empty() ? "" : "|") + attempt;
        tally += (tally.empty() ? "" : ", ") + std::to_string(n) + "x " + attempt;
      }
      out += id + " " + set + driver + (variant.empty() ? "" : " variant=" + variant) + " -- seen: " + tally + "\n";
    }
  }
  return out;
}

}  // namespace ctxshare
