#include "harness/reports/watch.h"
#include "harness/reports/build_locations.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "watch/hazard_table.h"

namespace ctxshare {
namespace {

bool is_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string real_path(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? resolved : path;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, by);)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::string self_dir() {
  char exe[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "";
  std::string path(exe, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

// What `ldconfig -p` lists for libcuda.so.1, in its order.
std::vector<std::string> ld_cache_entries() {
  std::vector<std::string> found;
  for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
    if (!is_file(ldconfig)) continue;
    FILE* p = ::popen((std::string(ldconfig) + " -p 2>/dev/null").c_str(), "r");
    if (p == nullptr) continue;
    char line[1024];
    while (std::fgets(line, sizeof line, p) != nullptr) {
      const std::string text = line;
      const auto arrow = text.find("=> ");
      if (text.find("libcuda.so.1 ") == std::string::npos || arrow == std::string::npos) continue;
      std::string path = text.substr(arrow + 3);
      while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
      found.push_back(path);
    }
    ::pclose(p);
    break;
  }
  return found;
}

// A hazard the reader finds across processes, named by the table's first matching row.
nlohmann::json cross_process_hazard(const nlohmann::json& open, const char* hazard, const std::string& key, const std::string& what) {
  nlohmann::json h = open;
  h["event"] = "hazard";
  h["hazard"] = hazard;
  h["key"] = key;
  h["what"] = what;
  h["level"] = "warning";
  h["case"] = "";
  h["cases"] = nlohmann::json::array();
  h["indistinguishable"] = nlohmann::json::array();
  for (const auto& row : watch::kHazardTable) {
    if (std::string(row.hazard) != hazard || ::fnmatch(row.key, key.c_str(), 0) != 0) continue;
    h["level"] = row.level;
    h["case"] = row.case_id;
    if (*row.case_id != '\0') h["cases"].push_back(row.case_id);
    for (const auto& id : split(row.also_shown_by, ' ')) h["cases"].push_back(id);
    for (const auto& id : split(row.indistinguishable_from, ' ')) h["indistinguishable"].push_back(id);
    break;
  }
  for (const char* field : {"kind", "handle", "by", "t_ns"}) h.erase(field);
  return h;
}

// Interprocess handles opened in one process of the run and exported by another (matched by their
// bytes): through the other API than the export's, or after the exporter's process ended.
void interprocess_hazards(const std::vector<nlohmann::json>& exports, const std::vector<nlohmann::json>& opens,
                          const std::map<int, std::int64_t>& ends, std::vector<nlohmann::json>* hazards) {
  auto component = [](const std::string& label) { return label.substr(0, label.find(':')); };
  for (const auto& open : opens)
    for (const auto& exp : exports) {
      const int exporter = exp.value("pid", 0);
      if (exp.value("handle", "") != open.value("handle", "") || exporter == open.value("pid", 0)) continue;
      const std::string by = open.value("by", ""), made_by = exp.value("by", "");
      if (component(by) != component(made_by))
        hazards->push_back(cross_process_hazard(
            open, "ipc_handle_opened_through_the_other_api", made_by + "/" + by + "/" + exp.value("context", ""),
            "an interprocess " + open.value("kind", "") + " handle exported by " + made_by + " in process " +
                std::to_string(exporter) + " opened by " + by));
      if (const auto end = ends.find(exporter); end != ends.end() && end->second < open.value("t_ns", std::int64_t{0}))
        hazards->push_back(cross_process_hazard(
            open, "ipc_handle_opened_after_the_exporter_exited", by + "/" + made_by,
            "an interprocess " + open.value("kind", "") + " handle exported by " + made_by + " in process " +
                std::to_string(exporter) + ", which had ended, opened by " + by));
      break;
    }
}

// Mappings closed by an importer only after the exporting process freed the allocation, or destroyed
// or reset its context ("Calling cudaFree on an exported memory region before calling
// cudaIpcCloseMemHandle in the importing context will result in undefined behavior",
// cudaIpcOpenMemHandle): each close matched by the handle's bytes with the exporter's end of it, the
// mapping having been opened before that end (CLOCK_MONOTONIC, one clock for the run's processes).
void freed_before_closed_hazards(const std::vector<nlohmann::json>& exports, const std::vector<nlohmann::json>& opens,
                                 const std::vector<nlohmann::json>& ended, const std::vector<nlohmann::json>& closes,
                                 std::vector<nlohmann::json>* hazards) {
  for (const auto& close : closes) {
    const std::string handle = close.value("handle", "");
    const int importer = close.value("pid", 0);
    const auto closed_at = close.value("t_ns", std::int64_t{0});
    for (const auto& end : ended) {
      const int exporter = end.value("pid", 0);
      const auto ended_at = end.value("t_ns", std::int64_t{0});
      if (end.value("handle", "") != handle || exporter == importer || ended_at >= closed_at) continue;
      const bool exported_there = std::any_of(exports.begin(), exports.end(), [&](const auto& e) {
        return e.value("handle", "") == handle && e.value("pid", 0) == exporter;
      });
      const bool opened_before = std::any_of(opens.begin(), opens.end(), [&](const auto& o) {
        return o.value("handle", "") == handle && o.value("pid", 0) == importer && o.value("t_ns", std::int64_t{0}) < ended_at;
      });
      if (!exported_there || !opened_before) continue;
      const std::string by = close.value("by", ""), ender = end.value("by", "");
      hazards->push_back(cross_process_hazard(
          close, "ipc_memory_freed_before_the_importer_closed", by + "/" + ender,
          "an interprocess memory mapping closed by " + by + " after the exporting process " + std::to_string(exporter) +
              " ended the allocation with " + ender + " (freeing exported memory before the importer closes it is undefined)"));
      break;
    }
  }
}

}  // namespace

std::string watch_driver_dir(std::string* why) {
  std::vector<std::string> candidates;
  if (const char* given = std::getenv("CTXSHARE_WATCH_DRIVER_DIR"); given != nullptr && *given != '\0')
    candidates.push_back(given);
  else {
    candidates.push_back(self_dir() + "/watch-driver");
    candidates.push_back(built_watch_driver_dir());
  }
  for (const auto& dir : candidates)
    if (is_file(dir + "/libcuda.so.1")) return real_path(dir);
  *why = "no interposing libcuda.so.1 in " + candidates.front() + " (build the ctxshare_watch_driver target)";
  return "";
}

std::string find_real_driver(const std::string& interposer_dir, std::string* why) {
  if (const char* given = std::getenv("CTXSHARE_WATCH_REAL_DRIVER"); given != nullptr && *given != '\0') {
    if (is_file(given)) return given;
    *why = std::string("CTXSHARE_WATCH_REAL_DRIVER names no file: ") + given;
    return "";
  }
  std::vector<std::string> candidates;
  if (const char* path = std::getenv("LD_LIBRARY_PATH"))
    for (const auto& dir : split(path, ':')) candidates.push_back(dir + "/libcuda.so.1");
  for (const auto& entry : ld_cache_entries()) candidates.push_back(entry);
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/lib/wsl/lib"})
    candidates.push_back(std::string(dir) + "/libcuda.so.1");
  const std::string own = real_path(interposer_dir + "/libcuda.so.1");
  for (const auto& candidate : candidates) {
    if (!is_file(candidate)) continue;
    const std::string resolved = real_path(candidate);
    if (resolved == own || resolved.find("/stubs/") != std::string::npos) continue;
    return candidate;
  }
  *why = "no libcuda.so.1 found on LD_LIBRARY_PATH, in the ld.so cache or in the usual directories "
         "(is the NVIDIA driver installed? CTXSHARE_WATCH_REAL_DRIVER names it)";
  return "";
}

std::string runtime_api_injection(const std::string& interposer_dir, std::string* why) {
  const std::string injection = interposer_dir + "/libctxshare_watch_runtime_api.so";
  if (!is_file(injection)) {
    *why = "no " + injection + ": this build found no CUPTI, which following runtime API calls needs";
    return "";
  }
  if (const char* taken = std::getenv("CUDA_INJECTION64_PATH"); taken != nullptr && *taken != '\0') {
    *why = std::string("CUDA_INJECTION64_PATH is set already (") + taken + "): the driver loads one injection, CUPTI takes one subscriber";
    return "";
  }
  return injection;
}

std::vector<std::pair<std::string, std::string>> watch_environment(const std::string& interposer_dir,
                                                                   const std::string& real_driver,
                                                                   const std::string& out_dir,
                                                                   const std::string& injection) {
  std::string library_path = interposer_dir;
  if (const char* old = std::getenv("LD_LIBRARY_PATH"); old != nullptr && *old != '\0') library_path += std::string(":") + old;
  std::vector<std::pair<std::string, std::string>> env = {
      {"LD_LIBRARY_PATH", library_path}, {"CTXSHARE_WATCH_REAL_DRIVER", real_driver}, {"CTXSHARE_WATCH_OUT", out_dir}};
  // The exit marker (watch/exit_marker.cpp): tells the interposer when exit began, and from which handler.
  if (const std::string marker = interposer_dir + "/libctxshare_watch_exit.so"; is_file(marker)) {
    const char* old = std::getenv("LD_PRELOAD");
    env.emplace_back("LD_PRELOAD", old != nullptr && *old != '\0' ? marker + ":" + old : marker);
  }
  if (!injection.empty()) env.emplace_back("CUDA_INJECTION64_PATH", injection);
  return env;
}

nlohmann::json collect_watch_reports(const std::string& out_dir) {
  nlohmann::json reports = {{"processes", nlohmann::json::array()}, {"hazards", nlohmann::json::array()}};
  std::vector<std::string> files;
  if (DIR* d = ::opendir(out_dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 6 && name.ends_with(".jsonl")) files.push_back(out_dir + "/" + name);
    }
    ::closedir(d);
  }
  std::vector<nlohmann::json> hazards, exports, opens, ended, closes;
  std::map<int, std::int64_t> ends;
  std::set<int> runtime_api_followed;
  for (const auto& file : files) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      const auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) continue;
      const std::string event = record.value("event", "");
      if (event == "start") reports["processes"].push_back(record);
      else if (event == "hazard") hazards.push_back(record);
      else if (event == "ipc_export") exports.push_back(record);
      else if (event == "ipc_open") opens.push_back(record);
      else if (event == "ipc_export_ended") ended.push_back(record);
      else if (event == "ipc_close") closes.push_back(record);
      else if (event == "end") ends[record.value("pid", 0)] = record.value("t_ns", std::int64_t{0});
      else if (event == "runtime_api") runtime_api_followed.insert(record.value("pid", 0));
    }
  }
  interprocess_hazards(exports, opens, ends, &hazards);
  freed_before_closed_hazards(exports, opens, ended, closes, &hazards);
  // In the order they happened within each process, processes by pid.
  std::sort(hazards.begin(), hazards.end(), [](const auto& a, const auto& b) {
    return std::pair(a.value("pid", 0), a.value("call", 0)) < std::pair(b.value("pid", 0), b.value("call", 0));
  });
  for (auto& h : hazards) {
    const std::string id = h.value("case", "");
    h["repro"] = id.empty() ? "" : "ctxshare repro " + id + " --out repro-" + id;
    for (const auto& text : watch::kHazardTexts)
      if (h.value("hazard", "") == text.hazard) h["meaning"] = text.what;
    reports["hazards"].push_back(h);
  }
  auto& processes = reports["processes"];
  std::sort(processes.begin(), processes.end(), [](const auto& a, const auto& b) { return a.value("pid", 0) < b.value("pid", 0); });
  for (auto& p : processes) p["runtime_api"] = runtime_api_followed.count(p.value("pid", 0)) > 0;
  return reports;
}

int watch_level_rank(const std::string& level) { return level == "error" ? 2 : 1; }

std::string format_watch_reports(const nlohmann::json& reports) {
  std::string out;
  const auto& processes = reports["processes"];
  const auto& hazards = reports["hazards"];
  if (processes.empty())
    return "ctxshare watch: the program never loaded libcuda.so.1: nothing was watched\n";
  out += "ctxshare watch: " + std::to_string(hazards.size()) + " hazard report(s) from " + std::to_string(processes.size()) +
         " process(es) that loaded the driver\n";
  const auto followed = std::count_if(processes.begin(), processes.end(), [](const auto& p) { return p.value("runtime_api", false); });
  if (followed > 0)
    out += "  runtime API calls followed (--runtime-api) in " + std::to_string(followed) + " of them\n";
  for (const auto& p : processes)
    if (!p.value("loaded", false))
      out += "  pid " + std::to_string(p.value("pid", 0)) + ": the real driver " + p.value("driver", "") + " could not be loaded\n";
  for (const auto& h : hazards) {
    const std::string id = h.value("case", "");
    out += "\n" + h.value("level", "warning") + ": " + h.value("hazard", "") + ": " + h.value("meaning", "") + "\n";
    out += "  pid " + std::to_string(h.value("pid", 0)) + ", thread " + std::to_string(h.value("thread", 0)) + " (tid " +
           std::to_string(h.value("tid", 0)) + "), call #" + std::to_string(h.value("call", 0)) + " " + h.value("function", "") +
           " by the " + h.value("component", "") + ", at " + h.value("site", "") + "\n";
    out += "  " + h.value("what", "") + "\n";
    if (h.contains("runtime_call")) out += "  inside the runtime API call " + h.value("runtime_call", "") + "\n";
    if (id.empty()) out += "  shown by: no suite case yet (key " + h.value("key", "") + ")\n";
    else {
      std::string also, same;
      for (const auto& other : h.value("cases", nlohmann::json::array()))
        if (other.get<std::string>() != id) also += (also.empty() ? "" : ", ") + other.get<std::string>();
      for (const auto& other : h.value("indistinguishable", nlohmann::json::array()))
        same += (same.empty() ? "" : ", ") + other.get<std::string>();
      out += "  shown by: " + id + (also.empty() ? "" : " (also done on purpose by " + also + ")") + "\n";
      if (!same.empty()) out += "  indistinguishable here from: " + same + "\n";
      out += "  reproducer: " + h.value("repro", "") + "\n";
    }
    out += "  calls leading to it on that thread:\n";
    for (const auto& c : h.value("recent", nlohmann::json::array()))
      out += "    #" + std::to_string(c.value("call", 0)) + " " + c.value("function", "") + " (" + c.value("component", "") +
             ") = " + std::to_string(c.value("result", -1)) + "\n";
  }
  return out;
}

nlohmann::json watch_of_case(const std::string& out_dir) {
  nlohmann::json reports = out_dir.empty() ? nlohmann::json{{"processes", nlohmann::json::array()}, {"hazards", nlohmann::json::array()}}
                                           : collect_watch_reports(out_dir);
  bool loaded = !reports["processes"].empty();
  for (const auto& p : reports["processes"]) loaded = loaded && p.value("loaded", false);
  return {{"loaded", loaded}, {"processes", reports["processes"]}, {"hazards", reports["hazards"]}};
}

std::string watch_console_line(const nlohmann::json& watch) {
  if (!watch.is_object()) return "";
  std::string line;
  const auto& processes = watch.value("processes", nlohmann::json::array());
  if (!processes.empty() && !watch.value("loaded", false))
    line += "    watch: a process of the case could not load the real driver through the interposer\n";
  const auto& hazards = watch.value("hazards", nlohmann::json::array());
  if (hazards.empty()) return line;
  line += "    watch: " + std::to_string(hazards.size()) + (hazards.size() == 1 ? " report: " : " reports: ");
  for (std::size_t i = 0; i < hazards.size(); ++i) {
    const std::string id = hazards[i].value("case", "");
    line += (i ? ", " : "") + hazards[i].value("hazard", "") + " -> " + (id.empty() ? "(no case)" : id);
  }
  return line + "\n";
}

namespace {
std::string kind_of(const nlohmann::json& c) {
  return c.contains("case") && c["case"].is_object() ? c["case"].value("kind", "") : c.value("kind", "");
}
}  // namespace

namespace {
// The ids a report names: "cases" (its row's case and the cases that do it on purpose), else "case".
std::vector<std::string> ids_named_by(const nlohmann::json& h) {
  std::vector<std::string> ids;
  for (const auto& id : h.value("cases", nlohmann::json::array())) ids.push_back(id.get<std::string>());
  if (ids.empty()) ids.push_back(h.value("case", ""));
  return ids;
}
}  // namespace

nlohmann::json score_watch_run(const nlohmann::json& results) {
  std::map<std::string, std::string> silent;
  for (const auto& c : watch::kSilentCases) silent.emplace(c.case_id, c.why);
  return score_watch_run(results, silent);
}

nlohmann::json score_watch_run(const nlohmann::json& results, const std::map<std::string, std::string>& silent) {
  using nlohmann::json;
  json score = {{"hazard_cases", 0},           {"recalled", json::array()},      {"recalled_as_indistinguishable", json::array()},
                {"reported_with_other_ids", json::array()},
                {"not_reported", json::array()}, {"silent_as_declared", json::array()},
                {"declared_silent_but_reported", json::array()}, {"conformance_passed", 0}, {"false_alarms", json::array()},
                {"self_reported", json::array()}, {"unwatched", json::array()},     {"not_loaded", json::array()},
                {"skipped", 0}};
  for (const auto& c : results.value("cases", json::array())) {
    const std::string id = c.value("id", "");
    const json watch = c.value("watch", json());
    if (!watch.is_object()) {
      score["unwatched"].push_back(id);
      continue;
    }
    const std::string outcome = c.value("outcome", "");
    if (outcome == "skipped") {  // never ran here (needs two devices, a library, ...): not in any count
      score["skipped"] = score["skipped"].get<int>() + 1;
      continue;
    }
    if (!watch.value("processes", json::array()).empty() && !watch.value("loaded", true)) score["not_loaded"].push_back(id);
    std::vector<std::string> named;  // the first id of each report
    bool own = false, own_by_every_report = true, indistinguishable = false;
    json reported = json::array();
    for (const auto& h : watch.value("hazards", json::array())) {
      const std::string by = h.value("case", "");
      const auto ids = ids_named_by(h);
      const bool names_it = std::find(ids.begin(), ids.end(), id) != ids.end();
      own = own || names_it;
      own_by_every_report = own_by_every_report && names_it;
      for (const auto& same : h.value("indistinguishable", json::array())) indistinguishable = indistinguishable || same == id;
      named.push_back(by);
      reported.push_back({{"hazard", h.value("hazard", "")}, {"case", by}, {"key", h.value("key", "")}});
    }
    const std::string kind = kind_of(c);
    const auto declared_silent = silent.find(id);
    if (kind == "hazard") {
      score["hazard_cases"] = score["hazard_cases"].get<int>() + 1;
      if (declared_silent != silent.end()) {
        if (named.empty()) score["silent_as_declared"].push_back({{"id", id}, {"why", declared_silent->second}});
        else score["declared_silent_but_reported"].push_back({{"id", id}, {"reported", reported}});
      } else if (own) score["recalled"].push_back(id);
      else if (indistinguishable) score["recalled_as_indistinguishable"].push_back({{"id", id}, {"reported", reported}});
      else if (!named.empty()) score["reported_with_other_ids"].push_back({{"id", id}, {"reported", reported}});
      else score["not_reported"].push_back(id);
    } else if (kind == "conformance" && outcome == "passed") {
      score["conformance_passed"] = score["conformance_passed"].get<int>() + 1;
      // A conformance case that performs a documented misuse on purpose (the driver must refuse it)
      // is reported with its own id: listed apart, not a false alarm.
      const bool only_own = !named.empty() && own_by_every_report;
      if (only_own) score["self_reported"].push_back(id);
      else if (!named.empty()) score["false_alarms"].push_back({{"id", id}, {"reported", reported}});
    }
  }
  const int hazards = score["hazard_cases"].get<int>();
  const std::size_t recalled = score["recalled"].size();
  const std::size_t alike = score["recalled_as_indistinguishable"].size();
  const std::size_t quiet = score["silent_as_declared"].size(), loud = score["declared_silent_but_reported"].size();
  char summary[1024];
  std::snprintf(summary, sizeof summary,
                "watch recall %zu/%d hazard cases with their own id (%zu more named as indistinguishable, %zu with other ids, "
                "%zu not reported, %zu a correct program's calls and silent as declared); %zu false alarms in %d passing "
                "conformance cases and %zu in %zu hazard cases declared silent; %d skipped cases left out",
                recalled, hazards, alike, score["reported_with_other_ids"].size(), score["not_reported"].size(), quiet,
                score["false_alarms"].size(), score["conformance_passed"].get<int>(), loud, quiet + loud,
                score["skipped"].get<int>());
  score["summary"] = summary;
  score["ok"] = static_cast<int>(recalled + alike + quiet) == hazards && score["false_alarms"].empty() && loud == 0;
  return score;
}

std::string format_watch_score(const nlohmann::json& score) {
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  auto reported_text = [](const nlohmann::json& reported) {
    std::string text;
    for (const auto& r : reported) {
      const std::string id = r.value("case", "");
      text += (text.empty() ? "" : ", ") + r.value("hazard", "") + " -> " + (id.empty() ? "(no case; key " + r.value("key", "") + ")" : id);
    }
    return text;
  };
  line("hazard cases reported with their own id: " + std::to_string(score["recalled"].size()) + "/" +
       std::to_string(score["hazard_cases"].get<int>()));
  for (const auto& id : score["recalled"]) line("  recalled: " + id.get<std::string>());
  line("hazard cases named by a report as indistinguishable from the case it names (same calls seen): " +
       std::to_string(score["recalled_as_indistinguishable"].size()));
  for (const auto& m : score["recalled_as_indistinguishable"]) line("  " + m.value("id", "") + ": " + reported_text(m["reported"]));
  line("hazard cases reported only with other ids: " + std::to_string(score["reported_with_other_ids"].size()));
  for (const auto& m : score["reported_with_other_ids"]) line("  " + m.value("id", "") + ": " + reported_text(m["reported"]));
  line("hazard cases not reported: " + std::to_string(score["not_reported"].size()));
  for (const auto& id : score["not_reported"]) line("  " + id.get<std::string>());
  line("hazard cases the table declares a correct program's calls, silent as declared: " +
       std::to_string(score["silent_as_declared"].size()));
  for (const auto& q : score["silent_as_declared"]) line("  " + q.value("id", "") + ": " + q.value("why", ""));
  line("hazard cases declared silent but reported (false alarms): " + std::to_string(score["declared_silent_but_reported"].size()));
  for (const auto& f : score["declared_silent_but_reported"]) line("  " + f.value("id", "") + ": " + reported_text(f["reported"]));
  line("passing conformance cases with a report (false alarms): " + std::to_string(score["false_alarms"].size()) + " of " +
       std::to_string(score["conformance_passed"].get<int>()));
  for (const auto& f : score["false_alarms"]) line("  " + f.value("id", "") + ": " + reported_text(f["reported"]));
  if (!score["self_reported"].empty()) {
    line("passing conformance cases reported with their own id (on purpose: a documented misuse, or a documented behaviour that is the risky pattern): " +
         std::to_string(score["self_reported"].size()));
    for (const auto& id : score["self_reported"]) line("  " + id.get<std::string>());
  }
  if (!score["not_loaded"].empty()) {
    line("cases with a process that could not load the real driver through the interposer: " + std::to_string(score["not_loaded"].size()));
    for (const auto& id : score["not_loaded"]) line("  " + id.get<std::string>());
  }
  line("skipped cases left out of every count: " + std::to_string(score.value("skipped", 0)));
  if (!score["unwatched"].empty())
    line("cases without watch records (run without --watch?): " + std::to_string(score["unwatched"].size()));
  line(score.value("summary", ""));
  return out;
}

nlohmann::json results_of_watched_cases(const std::string& dir) {
  nlohmann::json results = {{"cases", nlohmann::json::array()}};
  std::vector<std::string> ids;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.ends_with(".result.json")) ids.push_back(name.substr(0, name.size() - std::string(".result.json").size()));
    }
    ::closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    std::ifstream result_in(dir + "/" + id + ".result.json"), watch_in(dir + "/" + id + ".watch.json");
    const auto run = nlohmann::json::parse(result_in, nullptr, false);
    const auto watched = nlohmann::json::parse(watch_in, nullptr, false);
    if (run.is_discarded() || !run.contains("cases")) continue;
    for (auto c : run["cases"]) {
      if (c.value("id", "") != id) continue;
      if (!watched.is_discarded()) c["watch"] = watched;
      results["cases"].push_back(c);
    }
  }
  return results;
}

}  // namespace ctxshare
