// What `ctxshare run` prints: a line per case as it ends, with what the outcome's policy (outcome.h)
// says to show under it, and the summary at the end. The evidence under a case's line is rendered by
// the *_text functions, which JUnit (junit.h) uses too, so a CI test view shows what the console shows.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

void print_result(const CaseResult& r, std::size_t done, std::size_t total);
void print_run_summary(const std::vector<CaseResult>& results, double wall_s, int jobs);

// Each finding as "kind: message", its evidence JSON (expected, observed, ...) on the next line, two
// spaces further in; after max_findings, how many there are in all. Every line starts with indent.
std::string findings_text(const CaseResult& r, std::size_t max_findings, const std::string& indent);
// "last calls:" and the last 6 calls traced, "#seq fn [thread t] -> result", a call that never
// returned (the one a crash or hang ended in) as "(did not return)"; empty when nothing was traced.
std::string last_calls_text(const CaseResult& r, const std::string& indent);
// What the case did this time and the baseline entry that applied, "known: failed[mismatch] (file:line)";
// empty when no entry applied.
std::string baseline_entry_text(const CaseResult& r);

}  // namespace ctxshare
