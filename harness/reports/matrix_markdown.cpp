// patterns.md (pattern by run) and claims.md (each claim, its cases, and how it fared on each run).
#include <algorithm>
#include <regex>
#include <sstream>

#include "harness/reports/matrix.h"
#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// "| run 1 | run 2 |" after the given head, then the rule under it.
void table_head(std::ostream& out, const Matrix& m, const char* head, const char* rule) {
  out << head;
  for (size_t r = 0; r < m.labels.size(); ++r) out << " run " << r + 1 << " |";
  out << "\n" << rule;
  for (size_t r = 0; r < m.labels.size(); ++r) out << "---|";
  out << "\n";
}

std::string run_summary(const nlohmann::json& doc) {
  std::string summary;
  const nlohmann::json counts = doc.value("summary", nlohmann::json::object());
  for (const auto& [k, v] : counts.items())
    if (v.get<int>() > 0) summary += (summary.empty() ? "" : ", ") + std::to_string(v.get<int>()) + " " + k;
  return summary;
}

void patterns_runs(std::ostream& md, const Matrix& m) {
  md << "\n## Runs\n\n| run | file | started | cases | summary |\n|---|---|---|---|---|\n";
  for (size_t r = 0; r < m.labels.size(); ++r) {
    const ResultFile& run = (*m.runs)[r];
    md << "| " << r + 1 << ": " << md_cell(m.labels[r]) << " | " << run_file_name(run) << " | " << str(run.doc, "started")
       << " | " << run.doc["cases"].size() << " | " << run_summary(run.doc) << " |\n";
  }
}

// A claim diverges on a run where one of its cases did other than its documentation says, or did not end.
bool counts_against_claim(const Cell& v) {
  return v.kind == "diverges" || v.kind == "crash" || v.kind == "hang" || v.kind == "known" || v.kind == "error";
}

// A hazard case (a misuse or use after destroy or reset) is no evidence that a claim holds or
// diverges; what it shows is listed apart: what breaks, and how often. Older files say "diagnostic".
bool is_hazard(const nlohmann::json& info) {
  const std::string kind = str(info, "kind"), verdict = str(info, "verdict");
  return kind == "hazard" || kind == "measurement" || verdict == "diagnostic" || verdict == "hazard";
}

// What a claim's documented cases showed on one run, and what its hazard cases broke there.
std::string claim_on_run(int ran, int bad, int hazards, int hazards_broke) {
  std::string text = ran == 0 ? "not checked" : bad == 0 ? "supported" : "diverges from its documentation in " + std::to_string(bad) + " of " + std::to_string(ran);
  if (hazards_broke > 0) text += "; hazard: " + std::to_string(hazards_broke) + " of " + std::to_string(hazards) + " break";
  return text;
}

// One claim's section: its cases by run (conformance first, then hazards), and how it fared on each.
void claim_section(std::ostream& cm, const Matrix& m, const std::string& claim, const std::string& text) {
  cm << "\n## " << claim << "\n\n" << text << "\n\n";
  table_head(cm, m, "| case |", "|---|");
  const size_t runs = m.labels.size();
  std::vector<int> bad(runs, 0), ran(runs, 0), hazards(runs, 0), hazards_broke(runs, 0);
  for (const bool hazard_rows : {false, true})
    for (const auto& row : m.rows) {
      const auto& cl = row.info.value("claims", nlohmann::json::array());
      if (std::find(cl.begin(), cl.end(), claim) == cl.end() || is_hazard(row.info) != hazard_rows) continue;
      cm << "| `" << row.id << "`" << (hazard_rows ? " (hazard)" : "") << " |";
      for (size_t r = 0; r < row.results.size(); ++r) {
        if (row.results[r] == nullptr) {
          cm << " not run |";
          continue;
        }
        const Cell v = verdict_of(*row.results[r]);
        const bool counted = v.kind != "skipped", against = counts_against_claim(v);
        (hazard_rows ? hazards : ran)[r] += counted;
        (hazard_rows ? hazards_broke : bad)[r] += against;
        cm << " " << md_cell(v.words) << " |";
      }
      cm << "\n";
    }
  cm << "| **on this run** |";
  for (size_t r = 0; r < runs; ++r) cm << " **" << claim_on_run(ran[r], bad[r], hazards[r], hazards_broke[r]) << "** |";
  cm << "\n";
}

}  // namespace

std::string patterns_markdown(const Matrix& m) {
  std::ostringstream md;
  md << "# Supported mixing patterns\n\n" << kMatrixProvenance;
  patterns_runs(md, m);
  std::string family;
  for (const auto& row : m.rows) {
    if (row.family != family) {
      family = row.family;
      md << "\n## " << family << "\n\n";
      table_head(md, m, "| case | claims | declared |", "|---|---|---|");
    }
    md << "| `" << row.id << "` | " << join(claims_of(row.info)) << " | " << str(row.info, "verdict") << " |";
    for (const auto* c : row.results) md << " " << (c == nullptr ? "not run" : md_cell(verdict_of(*c).words)) << " |";
    md << "\n";
  }
  return md.str();
}

std::string claims_markdown(const Matrix& m, const std::string& claims_reference) {
  std::ostringstream cm;
  cm << "# Claims and what the drivers did\n\n" << kMatrixProvenance
     << "\nA claim is supported on a run when every conformance case citing it passed there, and diverges from its "
        "documentation when one found the driver doing otherwise. Hazard cases (a misuse, or a use after destroy or "
        "reset, whose outcome is undocumented) are listed apart and never make a claim read supported or diverging: "
        "the last line says how many of them broke (failed, crashed or hung) on each run.\n";
  const std::regex claim_line("^- ([A-Z][A-Z0-9-]+): (.*)$");
  std::istringstream ref(claims_reference);
  for (std::string line; std::getline(ref, line);) {
    std::smatch m_line;
    if (std::regex_search(line, m_line, claim_line)) claim_section(cm, m, m_line[1], m_line[2].str());
  }
  cm << "\n## Runs\n\n";
  for (size_t r = 0; r < m.labels.size(); ++r) cm << "- run " << r + 1 << ": " << m.labels[r] << "\n";
  return cm.str();
}

}  // namespace ctxshare
