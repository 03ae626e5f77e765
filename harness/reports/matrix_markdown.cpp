// patterns.md (each case by configuration) and claims.md (each claim, its evidence by strength, and how
// it fared on each configuration).
#include <algorithm>
#include <regex>
#include <sstream>

#include "harness/reports/matrix.h"
#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// "| H100 · 580.159.04 · cuda13.0.88 | ... |" after the given head, then the rule under it.
void table_head(std::ostream& out, const Matrix& m, const char* head, const char* rule) {
  out << head;
  for (const auto& c : m.columns) out << " " << c.label << (c.runs.size() > 1 ? " (" + std::to_string(c.runs.size()) + " runs)" : "") << " |";
  out << "\n" << rule;
  for (size_t i = 0; i < m.columns.size(); ++i) out << "---|";
  out << "\n";
}

void row_cells(std::ostream& out, const MatrixRow& row) {
  for (const auto& c : row.cells) out << " " << md_cell(c.text) << " |";
  out << "\n";
}

// Each configuration's runs: file, when, how many cases, how they ended.
void configurations(std::ostream& md, const Matrix& m) {
  md << "\n## Configurations\n\nOne column per machine, driver and build variant; repeated runs of one configuration are "
        "counted in one cell (\"works 8/8\", \"works 7, flaky 1\").\n\n"
        "| configuration | run (file) | started | jobs | cases | summary |\n|---|---|---|---|---|---|\n";
  for (const auto& c : m.columns)
    for (size_t r : c.runs) {
      const ResultFile& run = (*m.runs)[r];
      md << "| " << c.label << " | [" << run_file_name(run) << "](results/" << run_file_name(run) << ") | "
         << str(run.doc, "started") << " | " << run.doc.value("jobs", 1) << " | " << run.doc["cases"].size() << " | "
         << run_summary(run.doc) << " |\n";
    }
}

// What a case is to the claims it cites.
enum class Evidence { strong, weak, hazard, measurement };
Evidence evidence_of(const nlohmann::json& info) {
  const std::string kind = str(info, "kind"), verdict = str(info, "verdict");
  if (kind == "measurement" || verdict == "measurement") return Evidence::measurement;
  if (kind == "hazard" || verdict == "hazard" || verdict == "diagnostic") return Evidence::hazard;  // "diagnostic": older files
  return str(info, "weak_evidence").empty() ? Evidence::strong : Evidence::weak;
}

std::string evidence_words(Evidence e, const nlohmann::json& info) {
  switch (e) {
    case Evidence::strong: return "strong";
    case Evidence::weak: return "weak: " + str(info, "weak_evidence");
    case Evidence::hazard: return "hazard";
    case Evidence::measurement: break;
  }
  return "measurement, never evidence";
}

std::string count(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

// How the claim fared on one configuration: by its strong conformance cases, by its weak ones when it
// has no strong one; hazard cases only say how many broke.
struct ClaimTally {
  int strong = 0, strong_bad = 0, weak = 0, weak_bad = 0, hazards = 0, hazards_broke = 0;
};
std::string claim_on(const ClaimTally& t, bool measured_only, std::string* pattern) {
  std::string text;
  if (t.strong > 0) {
    *pattern = t.strong_bad == 0 ? "supported" : "diverges";
    text = t.strong_bad == 0 ? "supported" : "diverges in " + std::to_string(t.strong_bad) + " of " + std::to_string(t.strong);
  } else if (t.weak > 0) {
    *pattern = t.weak_bad == 0 ? "weakly supported" : "diverges";
    text = t.weak_bad == 0 ? "supported by weak evidence only"
                           : "diverges in " + std::to_string(t.weak_bad) + " of " + std::to_string(t.weak) + " weak";
  } else {
    *pattern = "skipped";
    text = measured_only ? "measured, not judged" : "not checked";
  }
  if (t.hazards_broke > 0) text += "; hazard: " + std::to_string(t.hazards_broke) + " of " + std::to_string(t.hazards) + " break";
  return text;
}

// One claim's section: what its evidence is, its cases by configuration (strong, weak, hazard,
// measurement), and how it fared on each configuration.
void claim_section(std::ostream& cm, const Matrix& m, const std::string& claim, const std::string& text) {
  cm << "\n## " << claim << "\n\n" << text << "\n\n";
  std::vector<const MatrixRow*> by[4];
  for (const auto& row : m.rows) {
    const auto& cl = row.info.value("claims", nlohmann::json::array());
    if (std::find(cl.begin(), cl.end(), claim) != cl.end()) by[static_cast<int>(evidence_of(row.info))].push_back(&row);
  }
  const auto& [strong, weak, hazard, measured] = by;
  cm << "Evidence: " << count(strong.size(), "strong conformance case", "strong conformance cases") << ", "
     << count(weak.size(), "weak one", "weak ones") << ", " << count(hazard.size(), "hazard case", "hazard cases") << ", "
     << count(measured.size(), "measurement", "measurements") << ".";
  const bool measured_only = strong.empty() && weak.empty() && !measured.empty();
  if (measured_only)
    cm << " **Measured, never judged:** the cases citing this claim record what they measured; a measurement is never "
          "evidence, so nothing here supports or refutes the claim.";
  else if (strong.empty())
    cm << " **No strong conformance case:** nothing here shows that this claim holds" << (weak.empty() ? "." : " beyond the weak evidence below.");
  cm << "\n\n";
  if (strong.size() + weak.size() + hazard.size() + measured.size() == 0) return;
  table_head(cm, m, "| case | evidence | across configurations |", "|---|---|---|");
  std::vector<ClaimTally> tally(m.columns.size());
  for (int e = 0; e < 4; ++e)
    for (const MatrixRow* row : by[e]) {
      cm << "| `" << row->id << "` | " << md_cell(evidence_words(static_cast<Evidence>(e), row->info)) << " | "
         << md_cell(row->summary) << " |";
      row_cells(cm, *row);
      for (size_t i = 0; i < row->cells.size(); ++i) {
        const bool ran = any_ran(row->cells[i]), bad = any_against(row->cells[i]);
        ClaimTally& t = tally[i];
        if (e == 0) t.strong += ran, t.strong_bad += bad;
        if (e == 1) t.weak += ran, t.weak_bad += bad;
        if (e == 2) t.hazards += ran, t.hazards_broke += bad;
      }
    }
  std::vector<std::string> words, patterns;
  for (const auto& t : tally) {
    patterns.emplace_back();
    words.push_back(claim_on(t, measured_only, &patterns.back()));
  }
  cm << "| **the claim** | | **" << (measured_only ? "measured, not judged" : summarize(m.columns, patterns)) << "** |";
  for (const auto& w : words) cm << " **" << w << "** |";
  cm << "\n";
}

}  // namespace

namespace {

bool real_world(const MatrixRow& row) {
  const auto& labels = row.info.value("labels", nlohmann::json::array());
  return std::find(labels.begin(), labels.end(), "real-world") != labels.end();
}

// Where a real-world case stands across every configuration that ran it: what the reader must know first.
enum class Standing { breaks, undocumented, works, not_run };
Standing standing_of(const MatrixRow& row) {
  bool ran = false, observed = false;
  for (const auto& c : row.cells) {
    if (any_against(c)) return Standing::breaks;
    if (!any_ran(c)) continue;
    ran = true;
    for (const auto& [cell, n] : c.ways) observed = observed || cell.pattern != "works";
  }
  if (!ran) return Standing::not_run;
  return observed ? Standing::undocumented : Standing::works;
}

// A family's real-world cases, worst first: what each did across the configurations, the public reports
// it comes from (its source) and how a program avoids it.
void what_breaks(std::ostream& md, const std::vector<const MatrixRow*>& rows) {
  static constexpr struct {
    Standing standing;
    const char* heading;
  } kGroups[] = {
      {Standing::breaks, "Breaks (a documented answer not given, a crash or a hang) on at least one configuration"},
      {Standing::undocumented, "Undocumented: what the drivers did is recorded, and a change is reported"},
      {Standing::works, "Works as documented everywhere it ran"},
      {Standing::not_run, "Not run on a GPU yet"}};
  md << "\n### What breaks and how to avoid it\n\nThe family's `real-world` cases: patterns that public reports show "
        "programs hitting, each with the reports it comes from (its source) and how to avoid it.\n";
  for (const auto& group : kGroups) {
    bool any = false;
    for (const MatrixRow* row : rows) {
      if (standing_of(*row) != group.standing) continue;
      if (!any) md << "\n**" << group.heading << "**\n\n";
      any = true;
      const std::string kind = str(row->info, "kind");
      md << "- `" << row->id << "`" << (kind.empty() ? "" : " (" + kind + ")") << ": " << row->summary << ".\n  Reports: "
         << str(row->info, "source") << "\n  Avoid: " << (str(row->info, "avoid").empty() ? "(not stated)" : str(row->info, "avoid")) << "\n";
    }
  }
}

}  // namespace

std::string patterns_markdown(const Matrix& m) {
  std::ostringstream md;
  md << "# Supported mixing patterns\n\n" << kMatrixProvenance;
  configurations(md, m);
  for (size_t i = 0; i < m.rows.size();) {
    const std::string& family = m.rows[i].family;
    md << "\n## " << family << "\n\n";
    table_head(md, m, "| case | claims | declared | across configurations |", "|---|---|---|---|");
    std::vector<const MatrixRow*> real;
    for (; i < m.rows.size() && m.rows[i].family == family; ++i) {
      const MatrixRow& row = m.rows[i];
      md << "| `" << row.id << "` | " << join(claims_of(row.info)) << " | " << str(row.info, "verdict") << " | "
         << md_cell(row.summary) << " |";
      row_cells(md, row);
      if (real_world(row)) real.push_back(&row);
    }
    if (!real.empty()) what_breaks(md, real);
  }
  return md.str();
}

std::string claims_markdown(const Matrix& m, const std::string& claims_reference) {
  std::ostringstream cm;
  cm << "# Claims and what the drivers did\n\n" << kMatrixProvenance
     << "\nEach claim lists its evidence by strength. A **strong** conformance case checks the claim so that it fails "
        "when the driver does otherwise; a **weak** one checks something, but says why it could pass while the "
        "claim is broken. A claim is supported on a configuration when every strong case citing it passed there, and "
        "diverges from its documentation when one found the driver doing otherwise (a claim with no strong case is "
        "judged by its weak ones, and says so). **Hazard** cases (a misuse, or a use after destroy or reset, whose "
        "outcome is undocumented) never make a claim supported or diverging: the last line says how many of them broke "
        "(failed, crashed or hung). **Measurements** record numbers and are never evidence. Columns are "
        "configurations (machine, driver, build variant); repeated runs of one are counted in one cell.\n";
  const std::regex claim_line("^- ([A-Z][A-Z0-9-]+): (.*)$");
  std::istringstream ref(claims_reference);
  for (std::string line; std::getline(ref, line);) {
    std::smatch m_line;
    if (std::regex_search(line, m_line, claim_line)) claim_section(cm, m, m_line[1], m_line[2].str());
  }
  cm << "\n## Configurations\n\n";
  for (const auto& c : m.columns) cm << "- " << c.label << ": " << column_files(m, c) << "\n";
  return cm.str();
}

}  // namespace ctxshare
