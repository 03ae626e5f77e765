#include "harness/results/console.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>

namespace ctxshare {
namespace {

// A case's strings may hold any bytes (an error string, a path): never throw while showing them.
std::string compact(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

std::string findings_text(const CaseResult& r, std::size_t max_findings, const std::string& indent) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& f : r.findings) {
    if (shown++ == max_findings) {
      out += indent + "... " + std::to_string(r.findings.size()) + " findings in all\n";
      break;
    }
    out += indent + f.value("kind", "?") + ": " + f.value("message", "") + "\n";
    if (f.contains("evidence")) out += indent + "  " + compact(f["evidence"]) + "\n";
  }
  return out;
}

std::string last_calls_text(const CaseResult& r, const std::string& indent) {
  std::string out;
  const std::size_t n = r.trace.size();
  for (std::size_t i = n > 6 ? n - 6 : 0; i < n; ++i) {
    const auto& e = r.trace[i];
    if (!e.contains("fn")) continue;
    char line[512];
    std::snprintf(line, sizeof line, "#%lld %s [thread %d] -> %s\n", e.value("seq", 0LL), e.value("fn", "").c_str(),
                  e.value("tid", 0), e.contains("err") ? e["err"].get<std::string>().c_str() : "(did not return)");
    out += indent + "  " + line;
  }
  return out.empty() ? out : indent + "last calls:\n" + out;
}

std::string baseline_entry_text(const CaseResult& r) {
  if (r.expected.is_null()) return {};
  // What it did this time, and the baseline entry that allows it.
  const std::string did = r.attempts.empty() ? r.reason : r.attempts.front();
  return "known: " + did + " (" + r.expected.value("entry", "") + ")";
}

void print_result(const CaseResult& r, size_t done, size_t total) {
  const int width = static_cast<int>(std::to_string(total).size());
  if (!r.expected.is_null() && r.outcome == Outcome::xfail) {
    std::printf("[%*zu/%zu] %-8s %s (%.2f s)\n    %s\n", width, done, total, "xfail", r.id.c_str(), r.duration_s,
                baseline_entry_text(r).c_str());
    std::fflush(stdout);
    return;
  }
  const OutcomePolicy& p = policy(r.outcome);
  std::printf("[%*zu/%zu] %-8s %s (%.2f s)\n", width, done, total, p.name, r.id.c_str(), r.duration_s);
  // Without a GPU every case skips for one reason: it is said once, not once per case.
  static std::set<std::string> skip_reasons_said;
  const bool repeated_skip = r.outcome == Outcome::skipped && !skip_reasons_said.insert(r.reason).second;
  if (p.console_reason && !repeated_skip) std::printf("    %s\n", r.reason.c_str());
  if (p.console_findings) std::fputs(findings_text(r, 8, "    ").c_str(), stdout);
  if (p.console_findings && p.console_last_calls) {
    const std::string calls = last_calls_text(r, "    ");
    std::fputs(calls.empty() ? "    last calls:\n" : calls.c_str(), stdout);
  }
  std::fflush(stdout);  // a CI log shows each case as it ends, not when a buffer fills
}

void print_run_summary(const std::vector<CaseResult>& results, double wall_s, int jobs) {
  const auto count = count_outcomes(results);
  std::string summary;
  for (const auto& p : policies())
    if (p.always_in_summary || count.at(p.name) > 0)
      summary += (summary.empty() ? "" : ", ") + std::to_string(count.at(p.name)) + " " + p.name;
  std::map<std::string, int> skipped_for;
  for (const auto& r : results)
    if (r.outcome == Outcome::skipped) ++skipped_for[r.reason];
  for (const auto& [reason, n] : skipped_for)
    if (n > 1) std::printf("ctxshare: %d cases skipped: %s\n", n, reason.c_str());
  std::printf("ctxshare: %zu cases in %.1f s (-j %d)\n%s\n", results.size(), wall_s, jobs, summary.c_str());
  std::fflush(stdout);  // before any error on standard error, in the order a piped CI log shows them
}

}  // namespace ctxshare
