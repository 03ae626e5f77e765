#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/reports/tally.h"

namespace ctxshare {

int tally_command(const TallyArgs& a) {
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(a.paths, &runs); !why.empty()) return bad_input(why);
  std::fputs(tally_runs(runs, a.all).c_str(), stdout);
  return 0;
}

}  // namespace ctxshare
