#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/reports/baseline.h"
#include "harness/results/result_file.h"

namespace ctxshare {

int baseline_command(const BaselineArgs& a) {
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(a.paths, &runs); !why.empty()) return bad_input(why);
  const std::string text = draft_baseline(runs, a.paths);
  if (a.out.empty()) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (std::string why = write_whole_file(a.out, text); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote the draft baseline %s from %zu runs\n", a.out.c_str(), runs.size());
  return 0;
}

}  // namespace ctxshare
