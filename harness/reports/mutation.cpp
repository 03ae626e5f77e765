#include "harness/reports/mutation.h"
#include "harness/reports/build_locations.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness/results/outcome.h"
#include "mutate/fault_spec.h"

namespace ctxshare {

std::string mutate_driver_dir(std::string* why) {
  const char* given = std::getenv("CTXSHARE_MUTATE_DRIVER_DIR");
  const std::string dir = given != nullptr && *given != '\0' ? given : built_mutate_driver_dir();
  if (::access((dir + "/libcuda.so.1").c_str(), R_OK) != 0) {
    *why = "no mutating driver " + dir + "/libcuda.so.1 (build the ctxshare_mutate_driver target, or set CTXSHARE_MUTATE_DRIVER_DIR)";
    return "";
  }
  return dir;
}

Record read_record(const std::string& path) {
  Record r;
  std::ifstream in(path);
  std::string line;
  std::set<std::string> unmapped;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "start") {
      std::string pid, loaded;
      words >> pid >> loaded;
      ++r.processes;
      r.loaded = r.loaded || loaded == "loaded";
    } else if (first == "unmapped") {
      std::string name;
      words >> name;
      if (unmapped.insert(name).second) r.unmapped.push_back(name);
    } else if (first.rfind("cu", 0) == 0) {
      RecordedCall c{first};
      std::string by;
      if (!(words >> c.nth >> c.thread >> c.thread_nth)) continue;
      c.by_case = (words >> by) && by == "case";
      r.calls.push_back(c);
    }
  }
  return r;
}

namespace {

bool starts(const std::string& s, std::initializer_list<const char*> prefixes) {
  for (const char* p : prefixes)
    if (s.rfind(p, 0) == 0) return true;
  return false;
}

// The harness's start-up (load_driver) and error-name calls: every case makes them, and a fault
// there tests the harness more than the case.
bool start_up_call(const std::string& s) {
  return starts(s, {"cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGetName", "cuDeviceGetAttribute",
                    "cuGetExportTable", "cuDeviceTotalMem", "cuDeviceGetUuid", "cuGetErrorName", "cuGetErrorString",
                    "cuModuleGetLoadingMode", "cuDeviceGetProperties", "cuDeviceComputeCapability"}) ||
         s == "cuDeviceGet";
}

struct Candidate {
  int rank;
  std::string symbol;
  std::string fault;  // ":KIND[:ARG]"
  bool first_call;    // the first call, else the last one recorded
};

// The faults that fit an entry point, most telling first (docs/mutation.md: how faults are chosen).
// A start-up call the case makes itself is as telling as any other of its calls.
std::vector<Candidate> candidates_for(const std::string& s, bool by_case) {
  const char* changes = ctxshare_mutate::changes_of(s);
  const bool typed = changes != nullptr;
  if (start_up_call(s) && !by_case) return {{9, s, typed ? ":change" : ":error:999", false}};
  if (typed) {
    // Each change the getter knows, unless the first (a context's `differ`) covers the others.
    std::vector<Candidate> each{{0, s, ":change", false}};
    std::istringstream words(changes);
    std::string first, word;
    words >> first;
    while (first != "differ" && words >> word) each.push_back({0, s, ":change:" + word, false});
    each.push_back({7, s, ":error:999", false});
    return each;
  }
  if (starts(s, {"cuMemcpy", "cuMemset"})) return {{1, s, ":skip", false}, {7, s, ":work_then_error:999", false}};
  if (starts(s, {"cuStreamSynchronize", "cuCtxSynchronize", "cuEventSynchronize", "cuStreamWaitEvent"}))
    return {{2, s, ":skip", false}, {7, s, ":error:999", false}};
  if (starts(s, {"cuCtxSetCurrent", "cuCtxPushCurrent", "cuCtxPopCurrent"})) return {{3, s, ":skip", false}, {7, s, ":error:201", false}};
  if (starts(s, {"cuLaunch"})) return {{4, s, ":skip", false}, {7, s, ":error:999", false}};
  if (starts(s, {"cuCtxCreate", "cuStreamCreate", "cuEventCreate", "cuMemAlloc", "cuModuleLoad", "cuLibraryLoad",
                 "cuDevicePrimaryCtxRetain", "cuMemHostAlloc", "cuMemAllocHost", "cuGreenCtxCreate"}))
    return {{5, s, ":error:2", true}, {7, s, ":work_then_error:999", true}};
  if (starts(s, {"cuCtxDestroy", "cuStreamDestroy", "cuEventDestroy", "cuMemFree", "cuDevicePrimaryCtxRelease",
                 "cuDevicePrimaryCtxReset", "cuModuleUnload", "cuLibraryUnload", "cuEventRecord", "cuStreamQuery", "cuEventQuery"}))
    return {{6, s, ":work_then_error:999", false}, {7, s, ":skip", false}};
  return {{8, s, ":error:999", false}};
}

}  // namespace

std::vector<std::string> derive_faults(const Record& record, int max) {
  // symbol -> the first and the last call recorded: of the case's own calls where it made some.
  struct Calls {
    long first = 0, last = 0, first_by_case = 0, last_by_case = 0;
  };
  std::map<std::string, Calls> calls;
  for (const auto& c : record.calls) {
    Calls& k = calls[c.symbol];
    k.first = k.first == 0 ? c.nth : std::min(k.first, c.nth);
    k.last = std::max(k.last, c.nth);
    if (!c.by_case) continue;
    k.first_by_case = k.first_by_case == 0 ? c.nth : std::min(k.first_by_case, c.nth);
    k.last_by_case = std::max(k.last_by_case, c.nth);
  }
  constexpr int kNotTheCases = 100;  // the runtime's and the harness's calls rank after every call of the case
  // Among those, the calls the runtime and the harness make around every API call (which context is
  // current, its device, its synchronization) rank last: the runtime's other calls are the ones a
  // runtime-API case caused (cudaIpcGetEventHandle's cuIpcGetEventHandle).
  constexpr int kBookkeeping = 50;
  auto bookkeeping = [](const std::string& s) {
    return starts(s, {"cuCtxGetCurrent", "cuCtxSetCurrent", "cuCtxGetDevice", "cuCtxPushCurrent", "cuCtxPopCurrent", "cuCtxSynchronize",
                      "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxGetState", "cuCtxGetFlags"});
  };
  std::vector<Candidate> all;
  for (const auto& [symbol, k] : calls) {
    const bool by_case = k.last_by_case > 0;
    for (auto& c : candidates_for(symbol, by_case)) {
      if (!by_case) c.rank += kNotTheCases + (bookkeeping(symbol) || start_up_call(symbol) ? kBookkeeping : 0);
      all.push_back(std::move(c));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.rank < b.rank; });
  std::vector<std::string> faults;
  std::set<std::string> used;
  // Per tier (the case's calls, then the others): one fault per entry point first, then the second of each.
  for (const bool case_tier : {true, false})
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& c : all) {
        if (static_cast<int>(faults.size()) >= max) return faults;
        if ((c.rank < kNotTheCases) != case_tier) continue;
        const Calls& k = calls[c.symbol];
        const long nth = case_tier ? (c.first_call ? k.first_by_case : k.last_by_case) : (c.first_call ? k.first : k.last);
        const std::string spec = c.symbol + "#" + std::to_string(nth) + c.fault;
        if (used.count(spec) || (pass == 0 && used.count(c.symbol))) continue;
        used.insert(spec);
        used.insert(c.symbol);
        faults.push_back(spec);
      }
  return faults;
}

bool killed_by(const CaseResult& mutant, const CaseResult& reference, const std::string& kind) {
  if (kind == "hazard") return mutant.outcome != reference.outcome || mutant.observations != reference.observations;
  return mutant.outcome != Outcome::passed && mutant.outcome != Outcome::skipped;
}

void score_mutation(nlohmann::json& doc) {
  struct Tally {
    int cases = 0, cases_killed = 0, mutants = 0, killed = 0;
    nlohmann::json json() const {
      return {{"cases", cases}, {"cases_killed", cases_killed}, {"mutants", mutants}, {"killed", killed},
              {"case_score", cases ? static_cast<double>(cases_killed) / cases : 0.0}};
    }
  };
  std::map<std::string, std::map<std::string, Tally>> families;
  std::map<std::string, Tally> overall;
  for (auto& c : doc["cases"]) {
    int killed = 0, total = 0, not_reached = 0;
    for (const auto& m : c["mutants"]) {
      const std::string verdict = m.value("verdict", "");
      if (verdict == "not_reached") {  // its call never came: it changed nothing, and scores nothing
        ++not_reached;
        continue;
      }
      ++total;
      killed += verdict == "killed";
    }
    c["killed"] = killed;
    c["total"] = total;
    c["not_reached"] = not_reached;
    if (total == 0) continue;  // not scored: the reference did not pass, no call to mutate, or none reached
    for (Tally* t : {&families[c.value("family", "")][c.value("kind", "")], &overall[c.value("kind", "")]}) {
      ++t->cases;
      t->cases_killed += killed > 0;
      t->mutants += total;
      t->killed += killed;
    }
  }
  doc["families"] = nlohmann::json::object();
  for (const auto& [family, kinds] : families)
    for (const auto& [kind, t] : kinds) doc["families"][family][kind] = t.json();
  doc["overall"] = nlohmann::json::object();
  for (const auto& [kind, t] : overall) doc["overall"][kind] = t.json();
}

namespace {

std::string percent(const nlohmann::json& t) {
  if (!t.is_object() || t.value("cases", 0) == 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d/%d (%.0f%%)", t.value("cases_killed", 0), t.value("cases", 0), 100.0 * t.value("case_score", 0.0));
  return buf;
}

// The first entry whose case and fault globs match, and whose call ("case", "runtime or harness") and
// outcome, where it names them, are the mutant's.
std::string explanation(const nlohmann::json& explained, const std::string& id, const nlohmann::json& mutant) {
  const std::string fault = mutant.value("fault", "");
  auto same = [&](const nlohmann::json& e, const char* field) { return !e.contains(field) || e.value(field, "") == mutant.value(field, ""); };
  for (const auto& e : explained)
    if (fnmatch(e.value("case", "").c_str(), id.c_str(), 0) == 0 && fnmatch(e.value("fault", "*").c_str(), fault.c_str(), 0) == 0 &&
        same(e, "call") && same(e, "outcome"))
      return e.value("why", "");
  return "";
}

}  // namespace

std::string mutation_markdown(const nlohmann::json& doc, const nlohmann::json& explained) {
  std::ostringstream md;
  md << "# Mutation score: which driver faults each case notices\n\n"
     << "Generated by `ctxshare mutate --from docs/mutation/mutation.json --docs docs` from the committed run "
        "(docs/mutation/mutation.json) and docs/mutation/explained.json: do not edit. How it works: docs/mutate.md.\n\n";
  if (doc.value("cases", nlohmann::json::array()).empty()) {
    md << "No GPU run is committed yet: run `mutate/gpu-check.sh BUILD_DIR OUT_DIR` on a GPU machine and commit its "
          "mutation.json here.\n";
    return md.str();
  }
  md << "Run: `" << doc.value("command_line", std::string()) << "`, driver " << doc.value("driver", std::string()) << ", up to "
     << doc.value("max_per_case", 0) << " mutants a case.\n\n";
  const auto& o = doc["overall"];
  md << "Cases killed by at least one mutant: conformance " << percent(o.value("conformance", nlohmann::json())) << ", hazard "
     << percent(o.value("hazard", nlohmann::json())) << ".\n\n";
  md << "| family | conformance cases killed | mutants killed | hazard cases killed | mutants killed |\n|---|---|---|---|---|\n";
  for (const auto& [family, kinds] : doc["families"].items()) {
    auto mutants = [&](const char* kind) {
      if (!kinds.contains(kind)) return std::string("-");
      return std::to_string(kinds[kind].value("killed", 0)) + "/" + std::to_string(kinds[kind].value("mutants", 0));
    };
    md << "| " << family << " | " << percent(kinds.value("conformance", nlohmann::json())) << " | " << mutants("conformance") << " | "
       << percent(kinds.value("hazard", nlohmann::json())) << " | " << mutants("hazard") << " |\n";
  }
  md << "\n## Surviving mutants of conformance cases\n\n"
     << "Each is explained (why no correct case could notice it) or is a case to make stronger.\n\n"
     << "| case | fault | whose call | outcome | why it survives |\n|---|---|---|---|---|\n";
  int unexplained = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("kind", "") != "conformance") continue;
    for (const auto& m : c["mutants"]) {
      if (m.value("verdict", "") != "survived") continue;
      std::string why = explanation(explained, c.value("id", ""), m);
      if (why.empty()) ++unexplained, why = "**not explained yet**";
      md << "| `" << c.value("id", "") << "` | `" << m.value("fault", "") << "` | " << m.value("call", "?") << " | " << m.value("outcome", "")
         << " | " << why << " |\n";
    }
  }
  md << "\nUnexplained: " << unexplained << ".\n\n## Mutants whose call never came\n\n"
     << "The fault named a call the reference run made, but in the mutant's run that call did not come (the order of "
        "the runtime's own calls changed, or a thread ran later): the fault changed nothing, so the mutant is neither "
        "killed nor survived and is not scored.\n\n";
  int not_reached = 0;
  for (const auto& c : doc["cases"])
    for (const auto& m : c["mutants"])
      if (m.value("verdict", "") == "not_reached")
        ++not_reached, md << "- `" << c.value("id", "") << "` under `" << m.value("fault", "") << "` (" << m.value("outcome", "") << ")\n";
  if (not_reached == 0) md << "None.\n";
  md << "\n## Cases not scored\n\n"
     << "The reference run did not pass, or made no driver call to mutate, or none of its mutants' calls came.\n\n";
  for (const auto& c : doc["cases"])
    if (c.value("total", 0) == 0)
      md << "- `" << c.value("id", "") << "`: reference " << c["reference"].value("outcome", "") << "\n";
  return md.str();
}

}  // namespace ctxshare
