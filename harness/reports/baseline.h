// `ctxshare baseline`: drafts a baseline (docs/expectations.md) from the result files of one or many
// runs, as deqp-runner feeds a run's failures back as the next baseline: every case that did anything
// but pass, with the set of outcomes it was seen to end in, pinned to the finding kinds and calls seen,
// and counts in the reason. A person reviews the draft before it becomes the fleet's baseline.
#pragma once

#include <string>
#include <vector>

#include "harness/results/result_file.h"

namespace ctxshare {

std::string draft_baseline(const std::vector<ResultFile>& runs, const std::vector<std::string>& paths);

}  // namespace ctxshare
