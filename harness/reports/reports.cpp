#include "harness/reports/reports.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness/results/renames.h"
#include "harness/results/results.h"

namespace ctxshare {
namespace {

constexpr int kNewestSchema = 1;

std::string str(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

std::string at(const nlohmann::json& j, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!j.contains(p)) return "";
  const auto& v = j.at(p);
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
}

std::map<std::string, const nlohmann::json*> by_id(const nlohmann::json& doc) {
  std::map<std::string, const nlohmann::json*> m;
  for (const auto& c : doc["cases"]) m[c["id"].get<std::string>()] = &c;
  return m;
}

std::set<std::string> finding_kinds(const nlohmann::json& c) {
  std::set<std::string> kinds;
  for (const auto& f : c.value("findings", nlohmann::json::array())) kinds.insert(str(f, "kind"));
  return kinds;
}

std::string join(const std::set<std::string>& s, const char* sep = ", ") {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string md_cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool acceptable_outcome(const std::string& o) {
  const auto parsed = outcome_from_string(o);
  return parsed && acceptable(*parsed);
}

}  // namespace

std::string load_results(const std::string& path, ResultFile* out) {
  std::ifstream in(path);
  if (!in) return path + ": cannot be read";
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) return path + ": not JSON";
  if (!doc.is_object() || str(doc, "schema") != "ctxshare-results") return path + ": not a ctxshare result file";
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer())
    return path + ": has no schema_version";
  if (doc["schema_version"].get<int>() > kNewestSchema)
    return path + ": schema version " + doc["schema_version"].dump() + " is newer than this ctxshare reads";
  if (!doc.contains("cases") || !doc["cases"].is_array()) return path + ": has no cases";
  for (auto& c : doc["cases"]) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !outcome_from_string(str(c, "outcome")))
      return path + ": a case without an id or with an unknown outcome";
    if (const std::string old = c["id"].get<std::string>(), id = current_case_id(old); id != old) {
      c["renamed_from"] = old;
      c["id"] = id;
    }
  }
  out->path = path;
  out->doc = std::move(doc);
  return {};
}

std::string run_label(const nlohmann::json& doc) {
  const auto& env = doc.value("environment", nlohmann::json::object());
  std::string gpu = at(env, "/cuda/devices/0/name");
  std::string driver = at(env, "/cuda/driver/nvml_version");
  if (driver.empty()) driver = at(env, "/cuda/driver/version");
  const std::string variant = at(env, "/build/variant");
  if (gpu.empty()) gpu = "no GPU";
  return gpu + ", driver " + (driver.empty() ? "none" : driver) + ", " + (variant.empty() ? "?" : variant) +
         (doc.value("jobs", 1) > 1 ? ", -j " + std::to_string(doc.value("jobs", 1)) : "");
}

Cell verdict_of(const nlohmann::json& c) {
  const std::string outcome = str(c, "outcome");
  const nlohmann::json spec = c.value("case", nlohmann::json::object());
  const std::string declared = str(spec, "verdict", "works");
  std::string details;
  for (const auto& f : c.value("findings", nlohmann::json::array()))
    details += str(f, "kind") + ": " + str(f, "message") + (f.contains("evidence") ? " " + f["evidence"].dump() : "") + "\n";
  if (c.contains("observations") && !c["observations"].empty()) details += "observed: " + c["observations"].dump() + "\n";
  if (outcome == "passed") {
    if (declared == "fails") return {"documented_failure", "fails as documented (" + str(spec, "expected_error") + ")", details};
    if (declared == "diagnostic") return {"observed", "observed, no crash", details};
    return {"works", "works", details};
  }
  if (outcome == "failed") return {"diverges", "diverges: " + join(finding_kinds(c)), details};
  if (outcome == "crash") return {"crash", "crash: " + str(c, "reason"), details};
  if (outcome == "timeout") return {"hang", "hang: " + str(c, "reason"), details};
  if (outcome == "skipped") return {"skipped", "skipped: " + str(c, "reason"), details};
  if (outcome == "xfail") return {"known", "known " + str(c["expected"], "outcome") + ": " + str(c["expected"], "reason"), details};
  if (outcome == "xpass") return {"works", "works (known failure fixed?)", details};
  if (outcome == "flaky") return {"diverges", "flaky", details};
  return {"error", "error: " + str(c, "reason"), details};
}

DiffReport diff_runs(const ResultFile& old_run, const ResultFile& new_run) {
  DiffReport report;
  std::ostringstream out;
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
  const auto old_cases = by_id(old_run.doc), new_cases = by_id(new_run.doc);
  std::vector<std::string> regressions, fixed, changed, findings, observations, added, removed;
  for (const auto& [id, n] : new_cases) {
    const std::string now = str(*n, "outcome");
    auto it = old_cases.find(id);
    if (it == old_cases.end()) {
      added.push_back(id + ": " + now);
      if (!acceptable_outcome(now)) regressions.push_back(id + ": new case, " + now + " (" + str(*n, "reason") + ")");
      continue;
    }
    const std::string was = str(*it->second, "outcome");
    if (was == now) {
      const auto a = finding_kinds(*it->second), b = finding_kinds(*n);
      if (a != b) findings.push_back(id + ": " + now + ", findings " + (a.empty() ? "-" : join(a)) + " -> " + (b.empty() ? "-" : join(b)));
      // What a diagnostic case saw, where both runs saw it: handles and timings aside, a changed
      // answer is news.
      const auto& oo = it->second->value("observations", nlohmann::json::object());
      const auto& no = n->value("observations", nlohmann::json::object());
      for (const auto& [key, value] : no.items())
        if (oo.contains(key) && oo[key] != value && value.is_string() && oo[key].is_string())
          observations.push_back(id + ": " + key + ": " + oo[key].get<std::string>() + " -> " + value.get<std::string>());
      continue;
    }
    const std::string words = id + ": " + was + " -> " + now;
    if (acceptable_outcome(was) && !acceptable_outcome(now)) regressions.push_back(words + " (" + str(*n, "reason") + ")");
    else if (!acceptable_outcome(was) && (now == "passed" || now == "xpass")) fixed.push_back(words);
    else changed.push_back(words);
  }
  for (const auto& [id, o] : old_cases)
    if (!new_cases.count(id)) removed.push_back(id + ": was " + str(*o, "outcome"));
  auto section = [&](const char* title, const std::vector<std::string>& items) {
    out << title << " (" << items.size() << ")\n";
    for (const auto& i : items) out << "  " << i << "\n";
  };
  section("regressions", regressions);
  section("fixed", fixed);
  section("changed", changed);
  section("findings changed", findings);
  section("observations changed", observations);
  section("added", added);
  section("removed", removed);
  out << "summary: " << regressions.size() << " regressions, " << fixed.size() << " fixed, " << changed.size()
      << " changed, " << findings.size() << " with other findings, " << observations.size() << " other observations, "
      << added.size() << " added, " << removed.size()
      << " removed\n";
  report.text = out.str();
  report.regressions = static_cast<int>(regressions.size());
  return report;
}

std::string tally_runs(const std::vector<ResultFile>& runs, bool all) {
  // label -> case -> "outcome (answers)" -> count; labels in the order first seen.
  std::vector<std::string> labels;
  std::map<std::string, int> runs_of;
  std::map<std::string, std::map<std::string, std::map<std::string, int>>> seen;
  for (const auto& run : runs) {
    const std::string label = run_label(run.doc);
    if (!runs_of.count(label)) labels.push_back(label);
    ++runs_of[label];
    for (const auto& c : run.doc["cases"]) {
      // The answers a diagnostic case recorded; numbers are handles and timings, not answers.
      std::string answers;
      const nlohmann::json observations = c.value("observations", nlohmann::json::object());
      for (const auto& [key, value] : observations.items())
        if (value.is_string()) answers += (answers.empty() ? "" : "; ") + key + ": " + value.get<std::string>();
      std::string how = str(c, "outcome");
      if (!answers.empty()) how += " (" + answers + ")";
      ++seen[str(c, "id")][label][how];
    }
  }
  std::ostringstream out;
  out << "| case |";
  for (const auto& l : labels) out << " " << md_cell(l) << ", " << runs_of[l] << (runs_of[l] == 1 ? " run" : " runs") << " |";
  out << "\n|---|";
  for (size_t i = 0; i < labels.size(); ++i) out << "---|";
  out << "\n";
  int shown = 0;
  for (const auto& [id, by_label] : seen) {
    std::set<std::string> ways;
    bool every_run = true;
    for (const auto& l : labels) {
      auto it = by_label.find(l);
      if (it == by_label.end()) continue;
      int count = 0;
      for (const auto& [how, n] : it->second) {
        ways.insert(how);
        count += n;
      }
      every_run = every_run && count == runs_of[l];
    }
    if (!all && ways.size() == 1 && every_run) continue;
    ++shown;
    out << "| `" << id << "` |";
    for (const auto& l : labels) {
      auto it = by_label.find(l);
      if (it == by_label.end()) {
        out << " not run |";
        continue;
      }
      std::vector<std::pair<int, std::string>> counted;
      for (const auto& [how, n] : it->second) counted.emplace_back(-n, how);
      std::sort(counted.begin(), counted.end());
      std::string cell;
      for (const auto& [n, how] : counted) cell += (cell.empty() ? "" : "; ") + std::to_string(-n) + "x " + how;
      out << " " << md_cell(cell) << " |";
    }
    out << "\n";
  }
  out << "\n" << shown << (all ? " cases" : " cases that did not end alike in every run") << ", from " << runs.size()
      << " runs\n";
  return out.str();
}

std::string write_matrix(const std::vector<ResultFile>& runs, const std::string& claims_reference,
                         const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return out_dir + ": not a directory";

  // Every case any run saw, with its declared facts from the newest run that has it.
  std::map<std::string, nlohmann::json> info;
  std::map<std::string, std::vector<const nlohmann::json*>> cells;  // case -> one per run (or null)
  for (size_t r = 0; r < runs.size(); ++r)
    for (const auto& c : runs[r].doc["cases"]) {
      const std::string id = c["id"];
      info[id] = c.value("case", nlohmann::json::object());
      auto& row = cells[id];
      row.resize(runs.size(), nullptr);
      row[r] = &c;
    }
  for (auto& [id, row] : cells) row.resize(runs.size(), nullptr);
  std::vector<std::string> labels;
  for (const auto& r : runs) labels.push_back(run_label(r.doc));
  const std::string provenance =
      "Generated by `ctxshare matrix` from the committed result files in docs/results/; do not edit by hand.\n";

  // patterns.md: pattern by run.
  std::ostringstream md;
  md << "# Supported mixing patterns\n\n" << provenance << "\n## Runs\n\n| run | file | started | cases | summary |\n|---|---|---|---|---|\n";
  for (size_t r = 0; r < runs.size(); ++r) {
    std::string summary;
    const nlohmann::json counts = runs[r].doc.value("summary", nlohmann::json::object());
    for (const auto& [k, v] : counts.items())
      if (v.get<int>() > 0) summary += (summary.empty() ? "" : ", ") + std::to_string(v.get<int>()) + " " + k;
    md << "| " << r + 1 << ": " << md_cell(labels[r]) << " | " << fs::path(runs[r].path).filename().string() << " | "
       << str(runs[r].doc, "started") << " | " << runs[r].doc["cases"].size() << " | " << summary << " |\n";
  }
  std::string family;
  for (const auto& [id, row] : cells) {
    const std::string f = str(info[id], "family", id.substr(0, id.find('.')));
    if (f != family) {
      family = f;
      md << "\n## " << family << "\n\n| case | claims | declared |";
      for (size_t r = 0; r < runs.size(); ++r) md << " run " << r + 1 << " |";
      md << "\n|---|---|---|";
      for (size_t r = 0; r < runs.size(); ++r) md << "---|";
      md << "\n";
    }
    std::set<std::string> claims;
    for (const auto& c : info[id].value("claims", nlohmann::json::array())) claims.insert(c.get<std::string>());
    md << "| `" << id << "` | " << join(claims) << " | " << str(info[id], "verdict") << " |";
    for (const auto* c : row) md << " " << (c == nullptr ? "not run" : md_cell(verdict_of(*c).words)) << " |";
    md << "\n";
  }

  // claims.md: each claim, its cases, and how it fared on each run.
  std::ostringstream cm;
  cm << "# Claims and what the drivers did\n\n" << provenance
     << "\nA claim holds on a run when every case citing it passed there; it diverges when a case found the driver "
        "doing otherwise; `observed` marks diagnostic cases, which record behaviour the documentation leaves open.\n";
  const std::regex claim_line("^- ([A-Z][A-Z0-9-]+): (.*)$");
  std::istringstream ref(claims_reference);
  for (std::string line; std::getline(ref, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, claim_line)) continue;
    const std::string claim = m[1];
    cm << "\n## " << claim << "\n\n" << m[2].str() << "\n\n| case |";
    for (size_t r = 0; r < runs.size(); ++r) cm << " run " << r + 1 << " |";
    cm << "\n|---|";
    for (size_t r = 0; r < runs.size(); ++r) cm << "---|";
    cm << "\n";
    std::vector<int> bad(runs.size(), 0), ran(runs.size(), 0);
    for (const auto& [id, row] : cells) {
      const auto& cl = info[id].value("claims", nlohmann::json::array());
      if (std::find(cl.begin(), cl.end(), claim) == cl.end()) continue;
      cm << "| `" << id << "` |";
      for (size_t r = 0; r < runs.size(); ++r) {
        if (row[r] == nullptr) {
          cm << " not run |";
          continue;
        }
        const Cell v = verdict_of(*row[r]);
        if (v.kind != "skipped") ++ran[r];
        if (v.kind == "diverges" || v.kind == "crash" || v.kind == "hang" || v.kind == "known" || v.kind == "error") ++bad[r];
        cm << " " << md_cell(v.words) << " |";
      }
      cm << "\n";
    }
    cm << "| **on this run** |";
    for (size_t r = 0; r < runs.size(); ++r)
      cm << " **" << (ran[r] == 0 ? "not checked" : bad[r] == 0 ? "holds" : "diverges in " + std::to_string(bad[r]) + " of " + std::to_string(ran[r])) << "** |";
    cm << "\n";
  }
  cm << "\n## Runs\n\n";
  for (size_t r = 0; r < runs.size(); ++r) cm << "- run " << r + 1 << ": " << labels[r] << "\n";

  // matrix.html: the same table, coloured by verdict, details on each cell.
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctxshare: supported mixing patterns</title>\n"
       "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:13px}"
       "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;max-width:26em}"
       "td:first-child{max-width:none;white-space:nowrap}th{background:#f3f3f3;position:sticky;top:0}"
       "td.works{background:#c8ecc8}td.documented_failure{background:#a9dfa9}td.observed{background:#cfe3f7}"
       "td.diverges{background:#ffd59a}td.crash,td.hang,td.error{background:#f4a6a6}td.known{background:#e8d3f5}"
       "td.skipped{background:#e6e6e6;color:#666}td.none{background:#fff}tr.family th{background:#dde;text-align:left}"
       "details summary{cursor:pointer}pre{white-space:pre-wrap;max-width:60em;margin:0.3em 0;font-size:12px}"
       ".legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ccc}</style></head><body>\n"
       "<h1>ctxshare: supported mixing patterns</h1>\n<p>" << html(provenance) << "</p>\n<p class=\"legend\">"
       "<span style=\"background:#c8ecc8\">works</span><span style=\"background:#a9dfa9\">fails as documented</span>"
       "<span style=\"background:#cfe3f7\">observed (diagnostic)</span><span style=\"background:#ffd59a\">diverges from its documentation</span>"
       "<span style=\"background:#f4a6a6\">crash, hang, error</span><span style=\"background:#e8d3f5\">known failure</span>"
       "<span style=\"background:#e6e6e6\">skipped</span></p>\n<ol>";
  for (size_t r = 0; r < runs.size(); ++r)
    h << "<li>" << html(labels[r]) << " <small>(" << html(fs::path(runs[r].path).filename().string()) << ", "
      << html(str(runs[r].doc, "started")) << ")</small></li>";
  h << "</ol>\n<table>\n<tr><th>case</th><th>claims</th>";
  for (size_t r = 0; r < runs.size(); ++r) h << "<th>run " << r + 1 << "</th>";
  h << "</tr>\n";
  family.clear();
  for (const auto& [id, row] : cells) {
    const std::string f = str(info[id], "family", id.substr(0, id.find('.')));
    if (f != family) {
      family = f;
      h << "<tr class=\"family\"><th colspan=\"" << runs.size() + 2 << "\">" << html(family) << "</th></tr>\n";
    }
    std::set<std::string> claims;
    for (const auto& c : info[id].value("claims", nlohmann::json::array())) claims.insert(c.get<std::string>());
    h << "<tr><td><code>" << html(id) << "</code></td><td>" << html(join(claims)) << "</td>";
    for (const auto* c : row) {
      if (c == nullptr) {
        h << "<td class=\"none\">not run</td>";
        continue;
      }
      const Cell v = verdict_of(*c);
      h << "<td class=\"" << v.kind << "\">";
      if (v.details.empty()) h << html(v.words);
      else h << "<details><summary>" << html(v.words) << "</summary><pre>" << html(v.details) << "</pre></details>";
      h << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n</body></html>\n";

  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"patterns.md", md.str()}, {"claims.md", cm.str()}, {"matrix.html", h.str()}})
    if (std::string why = write_whole_file((fs::path(out_dir) / name).string(), text); !why.empty()) return why;
  return {};
}

}  // namespace ctxshare
