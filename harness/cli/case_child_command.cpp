#include "harness/child/child.h"
#include "harness/cli/commands.h"

namespace ctxshare {

int case_child_command(const std::string& id, int event_fd) {
  const CaseDef* def = find_case(id);
  if (def == nullptr) return bad_input("unknown case '" + id + "'");
  return run_case_in_this_process(*def, event_fd);
}

}  // namespace ctxshare
