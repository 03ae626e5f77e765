#include "harness/reports/matrix.h"

#include <filesystem>
#include <map>

#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

std::string cell_details(const nlohmann::json& c) {
  std::string details;
  for (const auto& f : c.value("findings", nlohmann::json::array()))
    details += str(f, "kind") + ": " + str(f, "message") + (f.contains("evidence") ? " " + f["evidence"].dump() : "") + "\n";
  if (c.contains("observations") && !c["observations"].empty()) details += "observed: " + c["observations"].dump() + "\n";
  return details;
}

// A pass reads as the case declared it: working, failing as documented, or a diagnostic's observation.
Cell passed_cell(const nlohmann::json& c, const std::string& details) {
  const nlohmann::json spec = c.value("case", nlohmann::json::object());
  const std::string declared = str(spec, "verdict", "works");
  if (declared == "fails") return {"documented_failure", "fails as documented (" + str(spec, "expected_error") + ")", details};
  if (declared == "diagnostic" || declared == "hazard" || declared == "measurement")  // "diagnostic": older files
    return {"observed", "observed, no crash", details};
  return {policy(Outcome::passed).matrix_kind, "works", details};
}

std::string cell_words(Outcome o, const nlohmann::json& c) {
  const nlohmann::json expected = c.value("expected", nlohmann::json::object());
  switch (o) {
    case Outcome::passed: return "works";
    case Outcome::failed: {
      // A hazard case has no documentation to diverge from: what it found is what breaks.
      const std::string declared = str(c.value("case", nlohmann::json::object()), "verdict");
      const bool hazard = declared == "hazard" || declared == "diagnostic" || declared == "measurement";
      return (hazard ? "breaks: " : "diverges: ") + join(finding_kinds(c));
    }
    case Outcome::crash: return "crash: " + str(c, "reason");
    case Outcome::timeout: return "hang: " + str(c, "reason");
    case Outcome::skipped: return "skipped: " + str(c, "reason");
    case Outcome::xfail: return "known " + str(expected, expected.contains("outcomes") ? "outcomes" : "outcome") + ": " + str(expected, "reason");
    case Outcome::xpass: return "improved: passed where the baseline expects " + str(expected, expected.contains("outcomes") ? "outcomes" : "outcome");
    case Outcome::flaky: return "flaky";
    case Outcome::error: break;
  }
  return "error: " + str(c, "reason");
}

}  // namespace

Cell verdict_of(const nlohmann::json& c) {
  const auto outcome = outcome_from_string(str(c, "outcome"));
  const std::string details = cell_details(c);
  if (outcome == Outcome::passed) return passed_cell(c, details);
  const Outcome o = outcome.value_or(Outcome::error);
  return {policy(o).matrix_kind, cell_words(o, c), details};
}

Matrix build_matrix(const std::vector<ResultFile>& runs) {
  std::map<std::string, MatrixRow> rows;
  for (size_t r = 0; r < runs.size(); ++r)
    for (const auto& c : runs[r].doc["cases"]) {
      auto& row = rows[c["id"]];
      row.info = c.value("case", nlohmann::json::object());
      row.results.resize(runs.size(), nullptr);
      row.results[r] = &c;
    }
  Matrix m{&runs, {}, {}};
  for (const auto& run : runs) m.labels.push_back(run_label(run.doc));
  for (auto& [id, row] : rows) {
    row.id = id;
    row.family = str(row.info, "family", id.substr(0, id.find('.')));
    m.rows.push_back(std::move(row));
  }
  return m;
}

std::string run_file_name(const ResultFile& run) { return std::filesystem::path(run.path).filename().string(); }

std::string write_matrix(const std::vector<ResultFile>& runs, const std::string& claims_reference,
                         const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return out_dir + ": not a directory";
  const Matrix m = build_matrix(runs);
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"patterns.md", patterns_markdown(m)}, {"claims.md", claims_markdown(m, claims_reference)},
           {"matrix.html", matrix_html(m)}})
    if (std::string why = write_whole_file((fs::path(out_dir) / name).string(), text); !why.empty()) return why;
  return {};
}

}  // namespace ctxshare
