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

// One claim's section: its cases by run, and whether it held on each.
void claim_section(std::ostream& cm, const Matrix& m, const std::string& claim, const std::string& text) {
  cm << "\n## " << claim << "\n\n" << text << "\n\n";
  table_head(cm, m, "| case |", "|---|");
  std::vector<int> bad(m.labels.size(), 0), ran(m.labels.size(), 0);
  for (const auto& row : m.rows) {
    const auto& cl = row.info.value("claims", nlohmann::json::array());
    if (std::find(cl.begin(), cl.end(), claim) == cl.end()) continue;
    cm << "| `" << row.id << "` |";
    for (size_t r = 0; r < row.results.size(); ++r) {
      if (row.results[r] == nullptr) {
        cm << " not run |";
        continue;
      }
      const Cell v = verdict_of(*row.results[r]);
      if (v.kind != "skipped") ++ran[r];
      if (counts_against_claim(v)) ++bad[r];
      cm << " " << md_cell(v.words) << " |";
    }
    cm << "\n";
  }
  cm << "| **on this run** |";
  for (size_t r = 0; r < m.labels.size(); ++r)
    cm << " **" << (ran[r] == 0 ? "not checked" : bad[r] == 0 ? "holds" : "diverges in " + std::to_string(bad[r]) + " of " + std::to_string(ran[r])) << "** |";
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
     << "\nA claim holds on a run when every case citing it passed there; it diverges when a case found the driver "
        "doing otherwise; `observed` marks diagnostic cases, which record behaviour the documentation leaves open.\n";
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
