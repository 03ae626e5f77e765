#include "harness/results/results.h"

namespace ctxshare {

nlohmann::json to_json(const CaseResult& r) {
  nlohmann::json j = {{"id", r.id},
                      {"outcome", to_string(r.outcome)},
                      {"duration_s", r.duration_s},
                      {"findings", r.findings},
                      {"observations", r.observations},
                      {"trace", r.trace},
                      {"trace_dropped", r.trace_dropped},
                      {"output_bytes", r.output_bytes},
                      {"output_tail", r.output_tail}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.exit_code >= 0) j["exit_code"] = r.exit_code;
  if (r.signal != 0) j["signal"] = r.signal;
  if (!r.driver.is_null()) j["driver"] = r.driver;
  if (!r.visible_devices.empty()) j["visible_devices"] = r.visible_devices;
  if (!r.rerun_outcomes.empty()) j["reruns"] = r.rerun_outcomes;
  if (!r.attempts.empty()) j["attempts"] = r.attempts;
  if (!r.expected.is_null()) j["expected"] = r.expected;
  if (!r.watch.is_null()) j["watch"] = r.watch;
  return j;
}

std::map<std::string, int> count_outcomes(const std::vector<CaseResult>& results) {
  std::map<std::string, int> count;
  for (const auto& p : policies()) count[p.name] = 0;
  for (const auto& r : results) ++count[to_string(r.outcome)];
  return count;
}

}  // namespace ctxshare
