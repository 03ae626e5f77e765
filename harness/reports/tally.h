// `ctxshare tally`: how runs of the same cases ended.
#pragma once

#include <string>
#include <vector>

#include "harness/results/result_file.h"

namespace ctxshare {

// How often each case ended each way, and with which answers, over runs of the same cases, one
// column per machine and build (run_label): what settles with the variant and what differs between
// runs of one build. Markdown; only cases not alike in every run unless `all`.
std::string tally_runs(const std::vector<ResultFile>& runs, bool all);

}  // namespace ctxshare
