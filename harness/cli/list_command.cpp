#include <cstdio>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/run/catalog.h"

namespace ctxshare {

int list_command(const ListArgs& a) {
  std::string error;
  const auto selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return bad_input(error);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto* d : selected) out.push_back(to_json(*d));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto* d : selected) {
    std::string claims;
    for (const auto& c : d->spec.claims) claims += (claims.empty() ? "" : ",") + c;
    std::printf("%-72s %-10s %s\n", d->id.c_str(), to_string(d->spec.verdict), claims.c_str());
  }
  return 0;
}

}  // namespace ctxshare
