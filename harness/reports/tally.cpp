#include "harness/reports/tally.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// "outcome (answers)" -> how many runs ended so.
using Ways = std::map<std::string, int>;

struct Tally {
  std::vector<std::string> labels;  // in the order first seen
  std::map<std::string, int> runs_of;
  std::map<std::string, std::map<std::string, Ways>> seen;  // case -> label -> ways
};

// How a case ended, with the answers a diagnostic case recorded; numbers are handles and timings, not answers.
std::string how_it_ended(const nlohmann::json& c) {
  std::string answers;
  const nlohmann::json observations = c.value("observations", nlohmann::json::object());
  for (const auto& [key, value] : observations.items())
    if (value.is_string()) answers += (answers.empty() ? "" : "; ") + key + ": " + value.get<std::string>();
  std::string how = str(c, "outcome");
  if (!answers.empty()) how += " (" + answers + ")";
  return how;
}

Tally count_runs(const std::vector<ResultFile>& runs) {
  Tally t;
  for (const auto& run : runs) {
    const std::string label = run_label(run.doc);
    if (!t.runs_of.count(label)) t.labels.push_back(label);
    ++t.runs_of[label];
    for (const auto& c : run.doc["cases"]) ++t.seen[str(c, "id")][label][how_it_ended(c)];
  }
  return t;
}

// Whether the case ended one way in every run of every label.
bool alike_everywhere(const Tally& t, const std::map<std::string, Ways>& by_label) {
  std::set<std::string> ways;
  bool every_run = true;
  for (const auto& l : t.labels) {
    auto it = by_label.find(l);
    if (it == by_label.end()) continue;
    int count = 0;
    for (const auto& [how, n] : it->second) {
      ways.insert(how);
      count += n;
    }
    every_run = every_run && count == t.runs_of.at(l);
  }
  return ways.size() == 1 && every_run;
}

// "3x passed; 1x crash", most frequent first.
std::string ways_cell(const Ways& ways) {
  std::vector<std::pair<int, std::string>> counted;
  for (const auto& [how, n] : ways) counted.emplace_back(-n, how);
  std::sort(counted.begin(), counted.end());
  std::string cell;
  for (const auto& [n, how] : counted) cell += (cell.empty() ? "" : "; ") + std::to_string(-n) + "x " + how;
  return md_cell(cell);
}

void print_header(std::ostream& out, const Tally& t) {
  out << "| case |";
  for (const auto& l : t.labels) {
    const int n = t.runs_of.at(l);
    out << " " << md_cell(l) << ", " << n << (n == 1 ? " run" : " runs") << " |";
  }
  out << "\n|---|";
  for (size_t i = 0; i < t.labels.size(); ++i) out << "---|";
  out << "\n";
}

}  // namespace

std::string tally_runs(const std::vector<ResultFile>& runs, bool all) {
  const Tally t = count_runs(runs);
  std::ostringstream out;
  print_header(out, t);
  int shown = 0;
  for (const auto& [id, by_label] : t.seen) {
    if (!all && alike_everywhere(t, by_label)) continue;
    ++shown;
    out << "| `" << id << "` |";
    for (const auto& l : t.labels) {
      auto it = by_label.find(l);
      out << " " << (it == by_label.end() ? "not run" : ways_cell(it->second)) << " |";
    }
    out << "\n";
  }
  out << "\n" << shown << (all ? " cases" : " cases that did not end alike in every run") << ", from " << runs.size()
      << " runs\n";
  return out.str();
}

}  // namespace ctxshare
