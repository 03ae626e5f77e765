// matrix.html: the patterns table, a column per configuration, coloured by verdict, a summary per row;
// each cell links to its evidence (findings, reason, last calls) below the table, or to its result file.
#include <sstream>

#include "harness/reports/matrix.h"
#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// Fixed column widths (46em, then 9em a configuration) so that 8 configurations fit 1600 px; long case names wrap at '.' and '_'.
constexpr const char* kStyle =
    "<style>body{font-family:system-ui,sans-serif;margin:1em 1.2em;color:#222;font-size:14px}"
    "h1{font-size:1.4em;margin:0.2em 0}p{margin:0.4em 0}"
    "table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:2px 4px;text-align:left;vertical-align:top}"
    "table.matrix{table-layout:fixed}table.matrix td{overflow-wrap:break-word}"
    "table.matrix thead th{background:#f3f3f3;position:sticky;top:0;font-weight:600}"
    "col.id{width:23em}col.claims{width:10em}col.sum{width:13em}col.cfg{width:9em}"
    "td.id code{font-size:11.5px}td.claims{font-size:11px;color:#444}td.claims span{white-space:nowrap}"
    "table.matrix td a{color:inherit;text-decoration:none;display:block}table.matrix td a:hover{text-decoration:underline}"
    "td.works{background:#c8ecc8}td.documented_failure{background:#a9dfa9}td.observed{background:#cfe3f7}"
    "td.diverges{background:#ffd59a}td.crash,td.hang,td.error{background:#f4a6a6}td.known{background:#e8d3f5}"
    "td.flaky,td.mixed{background:#fff3a0}td.skipped{background:#e6e6e6;color:#666}td.none{background:#fff;color:#999}"
    "td.same{color:#333}td.differs{background:#fffbe0;font-weight:600}"
    "tr.family th{background:#dde;text-align:left;font-size:13px}"
    "table.configs td,table.configs th{padding:2px 6px}table.configs th{background:#f3f3f3}"
    "div.ev{border-top:1px solid #ddd;padding:0.3em 0}div.ev:target{background:#fff8c4}div.ev h3{font-size:13px;margin:0.2em 0}"
    "pre{white-space:pre-wrap;max-width:80em;margin:0.2em 0 0.2em 1em;font-size:12px}"
    ".legend span{display:inline-block;padding:1px 8px;margin:0 6px 2px 0;border:1px solid #ccc;font-size:12px}</style>";

constexpr const char* kLegend =
    "<p class=\"legend\">"
    "<span style=\"background:#c8ecc8\">works</span><span style=\"background:#a9dfa9\">fails as documented</span>"
    "<span style=\"background:#cfe3f7\">observed (hazard or measurement, no crash)</span>"
    "<span style=\"background:#ffd59a\">diverges from its documentation; a hazard breaks</span>"
    "<span style=\"background:#f4a6a6\">crash, hang, error</span><span style=\"background:#e8d3f5\">known failure (the baseline expects it)</span>"
    "<span style=\"background:#fff3a0\">flaky, or runs differ</span><span style=\"background:#e6e6e6\">skipped</span></p>\n";

// HTML of text that may wrap after '.' and '_' (case names, finding kinds), as well as at spaces.
std::string wrapping(const std::string& text) {
  std::string out;
  for (char c : html(text)) {
    out += c;
    if (c == '.' || c == '_') out += "<wbr>";
  }
  return out;
}

// "family.a_b.c" -> "a_b.c": the family is the section's heading.
std::string case_name(const MatrixRow& row) {
  return wrapping(row.id.rfind(row.family + ".", 0) == 0 ? row.id.substr(row.family.size() + 1) : row.id);
}

std::string claims_cell(const nlohmann::json& info) {
  std::string out;
  for (const auto& c : claims_of(info)) out += (out.empty() ? "" : " ") + ("<span>" + html(c) + "</span>");
  return out;
}

std::string anchor(size_t row, size_t column) { return "e" + std::to_string(row) + "-" + std::to_string(column); }

// Whether a cell has more to show than its words: findings, observations, last calls, or runs that differ.
bool telling(const ColumnCell& c) {
  if (c.ways.size() > 1) return true;
  for (const auto& [v, n] : c.ways)
    if ((v.pattern != "works" && v.pattern != "skipped") || v.details.find("\nobserved: ") != std::string::npos) return true;
  return false;
}

void page_head(std::ostream& h, const Matrix& m) {
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctxshare: supported mixing patterns</title>\n"
    << kStyle << "</head><body>\n<h1>ctxshare: supported mixing patterns</h1>\n<p>" << html(kMatrixProvenance) << "</p>\n"
    << kLegend
    << "<p>One column per configuration (machine, driver, build variant); repeated runs of one are counted in one cell "
       "(\"works 8/8\", \"works 7, flaky 1\"). <b>Across configurations</b> sums up a row: the same everywhere, or "
       "which machine, driver or build it differs by. A cell links to its evidence (findings, reason, last calls) "
       "below the table, or to its result file.</p>\n"
    << "<table class=\"configs\"><tr><th>configuration</th><th>runs</th><th>started</th><th>cases</th><th>summary</th></tr>\n";
  for (const auto& c : m.columns)
    for (size_t r : c.runs) {
      const ResultFile& run = (*m.runs)[r];
      h << "<tr><td>" << html(c.label) << "</td><td><a href=\"results/" << html(run_file_name(run)) << "\">"
        << html(run_file_name(run)) << "</a></td><td>" << html(str(run.doc, "started")) << "</td><td>"
        << run.doc["cases"].size() << "</td><td>" << html(run_summary(run.doc)) << "</td></tr>\n";
    }
  // A fixed layout needs a width: the columns' own, so that nothing is stretched or squeezed.
  h << "</table>\n<p></p>\n<table class=\"matrix\" style=\"width:" << 46 + 9 * m.columns.size() << "em\">\n<colgroup><col class=\"id\"><col class=\"claims\"><col class=\"sum\">";
  for (size_t i = 0; i < m.columns.size(); ++i) h << "<col class=\"cfg\">";
  h << "</colgroup>\n<thead><tr><th>case</th><th>claims</th><th>across configurations</th>";
  for (const auto& c : m.columns)
    h << "<th title=\"" << html(column_files(m, c)) << "\">" << html(c.machine) << "<br>" << html(c.driver) << "<br>"
      << html(c.build) << (c.runs.size() > 1 ? "<br>" + std::to_string(c.runs.size()) + " runs" : "") << "</th>";
  h << "</tr></thead>\n<tbody>\n";
}

void cell(std::ostream& h, const Matrix& m, size_t row, size_t column) {
  const ColumnCell& c = m.rows[row].cells[column];
  h << "<td class=\"" << c.kind << "\">";
  if (c.ways.empty()) h << "not run";
  else if (telling(c)) h << "<a href=\"#" << anchor(row, column) << "\">" << wrapping(c.text) << "</a>";
  else h << "<a href=\"results/" << html(run_file_name((*m.runs)[c.runs_of_way[0][0]])) << "\">" << wrapping(c.text) << "</a>";
  h << "</td>";
}

// The evidence of every telling cell: per way the case ended, its runs and the first one's details.
void evidence(std::ostream& h, const Matrix& m) {
  h << "<h2 id=\"evidence\">Evidence</h2>\n";
  for (size_t r = 0; r < m.rows.size(); ++r)
    for (size_t i = 0; i < m.columns.size(); ++i) {
      const ColumnCell& c = m.rows[r].cells[i];
      if (c.ways.empty() || !telling(c)) continue;
      h << "<div class=\"ev\" id=\"" << anchor(r, i) << "\"><h3><code>" << html(m.rows[r].id) << "</code> on "
        << html(m.columns[i].label) << "</h3>\n";
      for (size_t w = 0; w < c.ways.size(); ++w) {
        h << "<p><b>" << html(c.ways[w].first.words) << "</b> in " << c.ways[w].second << " run"
          << (c.ways[w].second == 1 ? "" : "s") << ":";
        for (size_t run : c.runs_of_way[w])
          h << " <a href=\"results/" << html(run_file_name((*m.runs)[run])) << "\">" << html(run_file_name((*m.runs)[run])) << "</a>";
        h << "</p><pre>" << html(c.ways[w].first.details) << "</pre>\n";
      }
      h << "</div>\n";
    }
}

}  // namespace

std::string matrix_html(const Matrix& m) {
  std::ostringstream h;
  page_head(h, m);
  std::string family;
  for (size_t r = 0; r < m.rows.size(); ++r) {
    const MatrixRow& row = m.rows[r];
    if (row.family != family) {
      family = row.family;
      h << "<tr class=\"family\"><th colspan=\"" << m.columns.size() + 3 << "\">" << html(family) << "</th></tr>\n";
    }
    const bool same = row.summary.find("everywhere") != std::string::npos;
    h << "<tr><td class=\"id\" title=\"" << html(row.id) << "\"><code>" << case_name(row) << "</code></td><td class=\"claims\">"
      << claims_cell(row.info) << "</td><td class=\"" << (same ? "same" : "differs") << "\">" << html(row.summary)
      << "</td>";
    for (size_t i = 0; i < m.columns.size(); ++i) cell(h, m, r, i);
    h << "</tr>\n";
  }
  h << "</tbody></table>\n";
  evidence(h, m);
  h << "</body></html>\n";
  return h.str();
}

}  // namespace ctxshare
