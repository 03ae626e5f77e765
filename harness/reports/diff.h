// `ctxshare diff`: what changed between two runs of the suite.
#pragma once

#include <string>

#include "harness/results/result_file.h"

namespace ctxshare {

struct DiffReport {
  std::string text;
  int regressions = 0;
};
DiffReport diff_runs(const ResultFile& old_run, const ResultFile& new_run);

}  // namespace ctxshare
