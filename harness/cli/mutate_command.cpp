// `ctxshare mutate` (docs/mutate.md): each case once under the mutating driver in record mode (the
// reference), then once per fault derived from what it called; killed or survived, scored.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "harness/cli/commands.h"
#include "harness/reports/mutation.h"
#include "harness/reports/watch.h"
#include "harness/results/outcome.h"
#include "harness/run/catalog.h"
#include "harness/run/runner.h"
#include "mutate/fault_spec.h"

namespace ctxshare {

namespace {

nlohmann::json read_json_file(const std::string& path, std::string* why) {
  std::ifstream in(path);
  if (!in) return *why = "cannot read " + path, nullptr;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return *why = path + " is not JSON", nullptr;
  return j;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::vector<std::string> finding_kinds(const CaseResult& r) {
  std::vector<std::string> kinds;
  for (const auto& f : r.findings) kinds.push_back(f.value("kind", ""));
  return kinds;
}

int write_docs(const MutateArgs& a, const nlohmann::json& doc) {
  if (a.docs_dir.empty()) return 0;
  const std::string explained_path = a.explained_path.empty() ? a.docs_dir + "/mutation/explained.json" : a.explained_path;
  nlohmann::json explained = nlohmann::json::array();
  if (std::filesystem::exists(explained_path)) {
    std::string why;
    explained = read_json_file(explained_path, &why);
    if (!why.empty()) return bad_input("mutate: " + why);
  }
  if (!write_text(a.docs_dir + "/mutation.md", mutation_markdown(doc, explained))) return bad_input("mutate: cannot write " + a.docs_dir + "/mutation.md");
  return 0;
}

}  // namespace

int mutate_command(const MutateArgs& a, const std::vector<std::string>& argv) {
  if (!a.from_path.empty()) {  // the docs from a committed run
    std::string why;
    nlohmann::json doc = read_json_file(a.from_path, &why);
    if (!why.empty()) return bad_input("mutate: " + why);
    if (doc.contains("cases")) score_mutation(doc);
    return write_docs(a, doc);
  }
  std::string error;
  const auto selected = select_cases(a.patterns, a.labels, &error);
  if (!error.empty()) return bad_input("mutate: " + error);
  for (const auto& spec : a.faults) {  // given faults are checked before any process starts
    ctxshare_mutate::FaultSpec parsed;
    if (!ctxshare_mutate::parse_fault_spec(spec, &parsed, &error, [](const std::string&) { return true; }))
      return bad_input("mutate: bad fault '" + spec + "': " + error);
  }
  const std::string driver_dir = mutate_driver_dir(&error);
  if (driver_dir.empty()) return bad_input("mutate: " + error);
  // CTXSHARE_MUTATE_REAL_DRIVER names it; else the search of `ctxshare watch` (docs/watch.md).
  const char* named = std::getenv("CTXSHARE_MUTATE_REAL_DRIVER");
  const std::string real_driver = named != nullptr && *named != '\0' ? named : find_real_driver(driver_dir, &error);
  if (real_driver.empty()) return bad_input("mutate: " + error);
  char root_template[] = "/tmp/ctxshare-mutate-XXXXXX";
  if (::mkdtemp(root_template) == nullptr) return bad_input("mutate: cannot make a directory in /tmp");
  const std::string root = root_template;
  std::printf("ctxshare: mutating each case's driver: %s/libcuda.so.1 forwarding to %s\n", driver_dir.c_str(), real_driver.c_str());

  auto base_env = [&](std::vector<std::pair<std::string, std::string>> env) {
    env.emplace_back("LD_LIBRARY_PATH", driver_dir);
    env.emplace_back("CTXSHARE_MUTATE_REAL_DRIVER", real_driver);
    return env;
  };
  RunOptions options;
  options.jobs = a.jobs > 0 ? a.jobs : 1;
  options.timeout_s = a.timeout_s;
  options.reruns = 0;  // a mutant is judged on its one process; the reference too
  options.expected = [](const CaseResult&) { return true; };

  // 1. The references, recording what each case calls.
  std::vector<const CaseDef*> references;
  for (const auto* d : selected)
    if (d->spec.verdict != Verdict::measurement) references.push_back(d);
  options.environment_of = [&](std::size_t i) { return base_env({{"CTXSHARE_FAULT_RECORD", root + "/" + std::to_string(i) + ".record"}}); };
  options.on_result = [](CaseResult& r, std::size_t done, std::size_t total) {
    std::printf("[reference %zu/%zu] %s %s\n", done, total, to_string(r.outcome), r.id.c_str());
    std::fflush(stdout);
  };
  const auto reference_results = run_cases(references, options);
  if (interrupted_by() != 0) return 128 + interrupted_by();

  // 2. The mutants: each case's faults, a process each.
  nlohmann::json doc = {{"command", argv}, {"driver", real_driver}, {"max_per_case", a.max_per_case}, {"cases", nlohmann::json::array()}};
  std::string command_line;
  for (const auto& word : argv) command_line += (command_line.empty() ? "" : " ") + word;
  doc["command_line"] = command_line;
  std::vector<const CaseDef*> mutants;
  std::vector<std::string> mutant_faults;
  std::vector<std::size_t> mutant_case;
  std::vector<bool> mutant_by_case;  // whether the faulted call was one the case made itself
  for (std::size_t i = 0; i < reference_results.size(); ++i) {
    const CaseResult& ref = reference_results[i];
    const Record record = read_record(root + "/" + std::to_string(i) + ".record");
    const std::string kind = kind_of(references[i]->spec.verdict);
    nlohmann::json entry = {{"id", ref.id}, {"family", references[i]->family}, {"kind", kind},
                            {"reference", {{"outcome", to_string(ref.outcome)}, {"reason", ref.reason}, {"processes", record.processes},
                                           {"loaded", record.loaded}, {"entry_points", nlohmann::json::array()},
                                           {"unmapped", record.unmapped}}},
                            {"mutants", nlohmann::json::array()}};
    std::set<std::string> called;
    for (const auto& c : record.calls) called.insert(c.symbol);
    entry["reference"]["entry_points"] = called;
    if (ref.outcome == Outcome::passed) {
      const auto faults = a.faults.empty() ? derive_faults(record, a.max_per_case) : a.faults;
      for (const auto& f : faults) {
        mutants.push_back(references[i]);
        mutant_faults.push_back(f);
        mutant_case.push_back(i);
        ctxshare_mutate::FaultSpec parsed;
        std::string ignored;
        bool by_case = false;
        if (ctxshare_mutate::parse_fault_spec(f, &parsed, &ignored, [](const std::string&) { return true; }))
          for (const auto& c : record.calls) by_case = by_case || (c.by_case && c.symbol == parsed.symbol && c.nth == parsed.nth);
        mutant_by_case.push_back(by_case);
      }
    }
    doc["cases"].push_back(std::move(entry));
  }
  auto fired_file = [&](std::size_t m) { return root + "/" + std::to_string(m) + ".fired"; };
  options.environment_of = [&](std::size_t m) {
    return base_env({{"CTXSHARE_FAULT", mutant_faults[m]}, {"CTXSHARE_FAULT_FIRED", fired_file(m)}});
  };
  options.on_result = nullptr;
  const auto mutant_results = run_cases(mutants, options);
  for (std::size_t m = 0; m < mutant_results.size(); ++m) {
    const std::size_t i = mutant_case[m];
    const CaseResult& r = mutant_results[m];
    // A fault whose call never came changed nothing: neither killed nor survived.
    const bool fired = std::filesystem::exists(fired_file(m));
    const bool killed = killed_by(r, reference_results[i], doc["cases"][i].value("kind", ""));
    const char* verdict = !fired ? "not_reached" : killed ? "killed" : "survived";
    doc["cases"][i]["mutants"].push_back({{"fault", mutant_faults[m]}, {"call", mutant_by_case[m] ? "case" : "runtime or harness"},
                                          {"outcome", to_string(r.outcome)},
                                          {"verdict", verdict}, {"findings", finding_kinds(r)},
                                          {"reason", r.reason}});
    std::printf("  %-11s %s under %s (%s)\n", verdict, r.id.c_str(), mutant_faults[m].c_str(), to_string(r.outcome));
  }
  score_mutation(doc);
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);

  for (const auto& [kind, t] : doc["overall"].items())
    std::printf("ctxshare: %s cases killed by at least one mutant: %d/%d; mutants killed %d/%d\n", kind.c_str(), t.value("cases_killed", 0),
                t.value("cases", 0), t.value("killed", 0), t.value("mutants", 0));
  if (!a.json_path.empty() && !write_text(a.json_path, doc.dump(1) + "\n")) return bad_input("mutate: cannot write " + a.json_path);
  if (interrupted_by() != 0) return 128 + interrupted_by();
  return write_docs(a, doc);
}

}  // namespace ctxshare
