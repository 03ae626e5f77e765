#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/reports/diff.h"

namespace ctxshare {

int diff_command(const DiffArgs& a) {
  ResultFile old_run, new_run;
  for (auto [path, out] : {std::pair{&a.old_path, &old_run}, std::pair{&a.new_path, &new_run}})
    if (std::string why = load_results(*path, out); !why.empty()) return bad_input(why);
  const DiffReport report = diff_runs(old_run, new_run);
  std::fputs(report.text.c_str(), stdout);
  return report.regressions > 0 ? 1 : 0;
}

}  // namespace ctxshare
