// matrix.html: the patterns table, coloured by verdict, details on each cell.
#include <sstream>

#include "harness/reports/matrix.h"
#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

constexpr const char* kStyle =
    "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;max-width:26em}"
    "td:first-child{max-width:none;white-space:nowrap}th{background:#f3f3f3;position:sticky;top:0}"
    "td.works{background:#c8ecc8}td.documented_failure{background:#a9dfa9}td.observed{background:#cfe3f7}"
    "td.diverges{background:#ffd59a}td.crash,td.hang,td.error{background:#f4a6a6}td.known{background:#e8d3f5}"
    "td.skipped{background:#e6e6e6;color:#666}td.none{background:#fff}tr.family th{background:#dde;text-align:left}"
    "details summary{cursor:pointer}pre{white-space:pre-wrap;max-width:60em;margin:0.3em 0;font-size:12px}"
    ".legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ccc}</style>";

constexpr const char* kLegend =
    "<p class=\"legend\">"
    "<span style=\"background:#c8ecc8\">works</span><span style=\"background:#a9dfa9\">fails as documented</span>"
    "<span style=\"background:#cfe3f7\">observed (diagnostic)</span><span style=\"background:#ffd59a\">diverges from its documentation</span>"
    "<span style=\"background:#f4a6a6\">crash, hang, error</span><span style=\"background:#e8d3f5\">known failure</span>"
    "<span style=\"background:#e6e6e6\">skipped</span></p>\n";

// The page's head, legend, list of runs and the table's header row.
void page_head(std::ostream& h, const Matrix& m) {
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctxshare: supported mixing patterns</title>\n"
    << kStyle << "</head><body>\n<h1>ctxshare: supported mixing patterns</h1>\n<p>" << html(kMatrixProvenance) << "</p>\n"
    << kLegend << "<ol>";
  for (size_t r = 0; r < m.labels.size(); ++r) {
    const ResultFile& run = (*m.runs)[r];
    h << "<li>" << html(m.labels[r]) << " <small>(" << html(run_file_name(run)) << ", " << html(str(run.doc, "started"))
      << ")</small></li>";
  }
  h << "</ol>\n<table>\n<tr><th>case</th><th>claims</th>";
  for (size_t r = 0; r < m.labels.size(); ++r) h << "<th>run " << r + 1 << "</th>";
  h << "</tr>\n";
}

void cell(std::ostream& h, const nlohmann::json* c) {
  if (c == nullptr) {
    h << "<td class=\"none\">not run</td>";
    return;
  }
  const Cell v = verdict_of(*c);
  h << "<td class=\"" << v.kind << "\">";
  if (v.details.empty()) h << html(v.words);
  else h << "<details><summary>" << html(v.words) << "</summary><pre>" << html(v.details) << "</pre></details>";
  h << "</td>";
}

}  // namespace

std::string matrix_html(const Matrix& m) {
  std::ostringstream h;
  page_head(h, m);
  std::string family;
  for (const auto& row : m.rows) {
    if (row.family != family) {
      family = row.family;
      h << "<tr class=\"family\"><th colspan=\"" << m.labels.size() + 2 << "\">" << html(family) << "</th></tr>\n";
    }
    h << "<tr><td><code>" << html(row.id) << "</code></td><td>" << html(join(claims_of(row.info))) << "</td>";
    for (const auto* c : row.results) cell(h, c);
    h << "</tr>\n";
  }
  h << "</table>\n</body></html>\n";
  return h.str();
}

}  // namespace ctxshare
