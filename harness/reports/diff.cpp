#include "harness/reports/diff.h"

#include <cstdio>
#include <sstream>
#include <vector>

#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// The outcome's diff class (outcome.h); an unknown outcome counts as failing.
DiffClass diff_class(const std::string& outcome) {
  const auto o = outcome_from_string(outcome);
  return o ? policy(*o).diff : DiffClass::fails;
}

struct Changes {
  std::vector<std::string> regressions, fixed, changed, findings, observations, added, removed;
};

// The machine and build of each run, side by side.
void print_environments(std::ostream& out, const ResultFile& old_run, const ResultFile& new_run) {
  const auto& oe = old_run.doc.value("environment", nlohmann::json::object());
  const auto& ne = new_run.doc.value("environment", nlohmann::json::object());
  char line[512];
  out << "ctxshare diff\n";
  std::snprintf(line, sizeof line, "  %-10s %-44s %s\n", "", old_run.path.c_str(), new_run.path.c_str());
  out << line;
  for (const auto& [name, pointer] : std::vector<std::pair<std::string, const char*>>{
           {"gpu", "/cuda/devices/0/name"},       {"driver", "/cuda/driver/nvml_version"},
           {"cuda", "/cuda/driver/version"},      {"runtime", "/cuda/runtime_version"},
           {"variant", "/build/variant"},         {"os", "/os"}}) {
    std::snprintf(line, sizeof line, "  %-10s %-44s %s\n", name.c_str(), at(oe, pointer).c_str(), at(ne, pointer).c_str());
    out << line;
  }
}

// A case that ended the same way in both runs: its findings or its answers may still differ.
void compare_same_outcome(const std::string& id, const nlohmann::json& was, const nlohmann::json& now, Changes* ch) {
  const auto a = finding_kinds(was), b = finding_kinds(now);
  if (a != b)
    ch->findings.push_back(id + ": " + str(now, "outcome") + ", findings " + (a.empty() ? "-" : join(a)) + " -> " +
                           (b.empty() ? "-" : join(b)));
  // What a diagnostic case saw, where both runs saw it: handles and timings aside, a changed answer is news.
  const auto& oo = was.value("observations", nlohmann::json::object());
  const auto& no = now.value("observations", nlohmann::json::object());
  for (const auto& [key, value] : no.items())
    if (oo.contains(key) && oo[key] != value && value.is_string() && oo[key].is_string())
      ch->observations.push_back(id + ": " + key + ": " + oo[key].get<std::string>() + " -> " + value.get<std::string>());
}

void compare_case(const std::string& id, const nlohmann::json* was, const nlohmann::json& now, Changes* ch) {
  const std::string after = str(now, "outcome");
  if (was == nullptr) {
    ch->added.push_back(id + ": " + after);
    if (diff_class(after) == DiffClass::fails)
      ch->regressions.push_back(id + ": new case, " + after + " (" + str(now, "reason") + ")");
    return;
  }
  const std::string before = str(*was, "outcome");
  if (before == after) return compare_same_outcome(id, *was, now, ch);
  const std::string words = id + ": " + before + " -> " + after;
  const DiffClass b = diff_class(before), a = diff_class(after);
  if (b != DiffClass::fails && a == DiffClass::fails) ch->regressions.push_back(words + " (" + str(now, "reason") + ")");
  else if (b == DiffClass::fails && a == DiffClass::passes) ch->fixed.push_back(words);
  else ch->changed.push_back(words);
}

void print_changes(std::ostream& out, const Changes& ch) {
  auto section = [&](const char* title, const std::vector<std::string>& items) {
    out << title << " (" << items.size() << ")\n";
    for (const auto& i : items) out << "  " << i << "\n";
  };
  section("regressions", ch.regressions);
  section("fixed", ch.fixed);
  section("changed", ch.changed);
  section("findings changed", ch.findings);
  section("observations changed", ch.observations);
  section("added", ch.added);
  section("removed", ch.removed);
  out << "summary: " << ch.regressions.size() << " regressions, " << ch.fixed.size() << " fixed, " << ch.changed.size()
      << " changed, " << ch.findings.size() << " with other findings, " << ch.observations.size()
      << " other observations, " << ch.added.size() << " added, " << ch.removed.size() << " removed\n";
}

}  // namespace

DiffReport diff_runs(const ResultFile& old_run, const ResultFile& new_run) {
  std::ostringstream out;
  print_environments(out, old_run, new_run);
  const auto old_cases = by_id(old_run.doc), new_cases = by_id(new_run.doc);
  Changes ch;
  for (const auto& [id, n] : new_cases) {
    const auto it = old_cases.find(id);
    compare_case(id, it == old_cases.end() ? nullptr : it->second, *n, &ch);
  }
  for (const auto& [id, o] : old_cases)
    if (!new_cases.count(id)) ch.removed.push_back(id + ": was " + str(*o, "outcome"));
  print_changes(out, ch);
  return {out.str(), static_cast<int>(ch.regressions.size())};
}

}  // namespace ctxshare
