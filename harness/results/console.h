// What `ctxshare run` prints: a line per case as it ends, with what the outcome's policy (outcome.h)
// says to show under it, and the summary at the end.
#pragma once

#include <cstddef>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

void print_result(const CaseResult& r, std::size_t done, std::size_t total);
void print_run_summary(const std::vector<CaseResult>& results, double wall_s, int jobs);

}  // namespace ctxshare
