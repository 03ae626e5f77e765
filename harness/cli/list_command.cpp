#include <algorithm>
#include <cstdio>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/run/catalog.h"

namespace ctxshare {
namespace {

std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// What a case needs to run rather than skip, in a few words: "2 GPUs, cc>=6.0, driver>=12.4, cublas".
std::string needs_text(const Needs& n) {
  std::string out;
  const auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (n.devices > 0) add(std::to_string(n.devices) + (n.devices == 1 ? " GPU" : " GPUs"));
  if (n.min_compute_capability > 0)
    add("cc>=" + std::to_string(n.min_compute_capability / 10) + "." + std::to_string(n.min_compute_capability % 10));
  if (n.min_driver > 0) add("driver>=" + cuda_version(n.min_driver));
  if (n.min_toolkit > 0) add("toolkit>=" + cuda_version(n.min_toolkit));
  for (const auto& lib : n.libraries) add(lib);
  return out.empty() ? "-" : out;
}

// The labels besides the family, which the id already starts with.
std::string labels_text(const CaseDef& d) {
  std::string out;
  for (const auto& l : labels_of(d))
    if (l != d.family) out += (out.empty() ? "" : ",") + l;
  return out.empty() ? "-" : out;
}

}  // namespace

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
  // Fits 160 columns: an id longer than its column is printed whole on a line of its own (an id is the
  // case's only name, to be copied) and the rest of its row on the next; claims come last, wrapped at a
  // comma onto lines of their own where they would pass column 160.
  constexpr std::size_t kWidth = 160, kIdWidth = 76;
  std::size_t id_w = 2, verdict_w = 7, needs_w = 5, labels_w = 6;
  for (const auto* d : selected) {
    id_w = std::max(id_w, std::min(d->id.size(), kIdWidth));
    verdict_w = std::max(verdict_w, std::string(to_string(d->spec.verdict)).size());
    needs_w = std::max(needs_w, needs_text(d->spec.needs).size());
    labels_w = std::max(labels_w, labels_text(*d).size());
  }
  const std::size_t claims_at = id_w + verdict_w + needs_w + labels_w + 8;
  const std::size_t claims_w = kWidth > claims_at + 20 ? kWidth - claims_at : 20;
  const auto print_row = [&](const std::string& id, const std::string& verdict, const std::string& needs,
                             const std::string& labels, const std::vector<std::string>& claims) {
    if (id.size() > id_w) std::printf("%s\n", id.c_str());
    std::printf("%-*s  %-*s  %-*s  %-*s  ", static_cast<int>(id_w), id.size() > id_w ? "" : id.c_str(),
                static_cast<int>(verdict_w), verdict.c_str(), static_cast<int>(needs_w), needs.c_str(),
                static_cast<int>(labels_w), labels.c_str());
    std::string line;
    for (std::size_t i = 0; i < claims.size(); ++i) {
      const std::string item = claims[i] + (i + 1 < claims.size() ? "," : "");
      if (!line.empty() && line.size() + item.size() > claims_w) {
        std::printf("%s\n%*s", line.c_str(), static_cast<int>(claims_at), "");
        line.clear();
      }
      line += item;
    }
    std::printf("%s\n", line.c_str());
  };
  print_row("ID", "VERDICT", "NEEDS", "LABELS", {"CLAIMS"});
  for (const auto* d : selected) print_row(d->id, to_string(d->spec.verdict), needs_text(d->spec.needs), labels_text(*d), d->spec.claims);
  return 0;
}

}  // namespace ctxshare
