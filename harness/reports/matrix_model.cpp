// One case's verdict in one run (a cell of the matrix), and the matrix: rows by case id, columns by
// configuration (matrix_columns.cpp).
#include "harness/reports/matrix.h"

#include <filesystem>
#include <map>

#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

constexpr size_t kLastCalls = 6;

// "SIGSEGV during cuStreamQuery (call 8, thread 0)" -> "SIGSEGV during cuStreamQuery": the part that is
// alike from run to run, so that repeated runs merge; the whole reason is in the details.
std::string first_clause(const std::string& reason) {
  return reason.substr(0, std::min(reason.find(" ("), reason.find(": ")));
}

bool is_hazard_spec(const nlohmann::json& c) {
  const nlohmann::json spec = c.value("case", nlohmann::json::object());
  const std::string kind = str(spec, "kind"), verdict = str(spec, "verdict");  // "diagnostic": older files
  return kind == "hazard" || kind == "measurement" || verdict == "diagnostic" || verdict == "hazard" || verdict == "measurement";
}

// The last calls the case's trace recorded: what it was doing when it failed, crashed or hung.
std::string last_calls(const nlohmann::json& c) {
  if (!c.contains("trace") || !c.at("trace").is_array()) return "";
  std::vector<const nlohmann::json*> calls;
  for (const auto& t : c.at("trace"))
    if (t.contains("fn")) calls.push_back(&t);
  std::string text;
  for (size_t i = calls.size() > kLastCalls ? calls.size() - kLastCalls : 0; i < calls.size(); ++i) {
    const auto& t = *calls[i];
    text += "  #" + at(t, "/seq") + " " + str(t, "fn") + " -> " + str(t, "err", "(did not return)") +
            (at(t, "/by") == "harness" ? " (harness)" : "") + "\n";
  }
  return text.empty() ? "" : "last calls:\n" + text;
}

std::string cell_details(const nlohmann::json& c, Outcome o) {
  std::string details = "outcome: " + str(c, "outcome");
  if (c.contains("attempts") && c["attempts"].size() > 1) details += " (attempts: " + c["attempts"].dump() + ")";
  details += "\n";
  if (!str(c, "reason").empty()) details += "reason: " + str(c, "reason") + "\n";
  if (c.contains("expected")) details += "baseline: " + at(c, "/expected/entry") + ": " + at(c, "/expected/reason") + "\n";
  for (const auto& f : c.value("findings", nlohmann::json::array()))
    details += str(f, "kind") + ": " + str(f, "message") + (f.contains("evidence") ? " " + f["evidence"].dump() : "") + "\n";
  if (c.contains("observations") && !c["observations"].empty()) details += "observed: " + c["observations"].dump() + "\n";
  if (o != Outcome::passed && o != Outcome::skipped) details += last_calls(c);
  return details;
}

// What the driver did, whatever a baseline expected.
std::string pattern_of(Outcome o, bool hazard) {
  switch (o) {
    case Outcome::passed:
    case Outcome::xpass: return hazard ? "observed" : "works";
    case Outcome::failed: return hazard ? "breaks" : "diverges";
    case Outcome::crash: return "crashes";
    case Outcome::timeout: return "hangs";
    case Outcome::skipped: return "skipped";
    case Outcome::flaky: return "flaky";
    case Outcome::interrupted: return "not finished";
    case Outcome::xfail:
    case Outcome::error: break;
  }
  return "errors";
}

std::string cell_words(Outcome o, const nlohmann::json& c) {
  const nlohmann::json spec = c.value("case", nlohmann::json::object());
  switch (o) {
    case Outcome::passed:
    case Outcome::xpass: {
      const std::string declared = str(spec, "verdict", "works");
      const std::string words = is_hazard_spec(c) ? "observed, no crash"
                                : declared == "fails" ? "fails as documented (" + str(spec, "expected_error") + ")"
                                                      : "works";
      return o == Outcome::xpass ? words + " (improved)" : words;
    }
    // A hazard case has no documentation to diverge from: what it found is what breaks.
    case Outcome::failed: return (is_hazard_spec(c) ? "breaks: " : "diverges: ") + join(finding_kinds(c));
    case Outcome::crash: return "crash: " + first_clause(str(c, "reason"));
    case Outcome::timeout: return "hang: " + first_clause(str(c, "reason"));
    case Outcome::skipped: return "skipped: " + first_clause(str(c, "reason"));
    case Outcome::flaky: return "flaky";
    case Outcome::interrupted: return "not finished: the run was interrupted";
    case Outcome::xfail:
    case Outcome::error: break;
  }
  return "error: " + first_clause(str(c, "reason"));
}

// An expected failure: how the case ended before the baseline judged it ("failed[wrong_context]").
Outcome underlying(const nlohmann::json& c) {
  std::string how = c.contains("attempts") && !c["attempts"].empty() && c["attempts"].back().is_string()
                        ? c["attempts"].back().get<std::string>()
                        : at(c, "/expected/outcomes").empty() ? at(c, "/expected/outcome") : at(c, "/expected/outcomes");
  return outcome_from_string(how.substr(0, how.find_first_of("[,| "))).value_or(Outcome::error);
}

}  // namespace

Cell verdict_of(const nlohmann::json& c) {
  const Outcome o = outcome_from_string(str(c, "outcome")).value_or(Outcome::error);
  const bool hazard = is_hazard_spec(c);
  if (o == Outcome::xfail) {
    const Outcome was = underlying(c);
    return {"known", cell_words(was, c) + " (known)", pattern_of(was, hazard), cell_details(c, o)};
  }
  std::string kind = policy(o).matrix_kind;
  if (o == Outcome::passed && hazard) kind = "observed";
  if (o == Outcome::passed && str(c.value("case", nlohmann::json::object()), "verdict") == "fails") kind = "documented_failure";
  return {kind, cell_words(o, c), pattern_of(o, hazard), cell_details(c, o)};
}

bool against_claim(const std::string& pattern) {
  return pattern == "diverges" || pattern == "breaks" || pattern == "crashes" || pattern == "hangs" || pattern == "flaky" ||
         pattern == "errors";
}

bool any_against(const ColumnCell& c) {
  for (const auto& [cell, n] : c.ways)
    if (against_claim(cell.pattern)) return true;
  return false;
}

bool any_ran(const ColumnCell& c) {
  for (const auto& [cell, n] : c.ways)
    if (cell.pattern != "skipped") return true;
  return false;
}

std::string run_file_name(const ResultFile& run) { return std::filesystem::path(run.path).filename().string(); }

std::string column_files(const Matrix& m, const Column& c) {
  std::string files;
  for (size_t r : c.runs) files += (files.empty() ? "" : ", ") + run_file_name((*m.runs)[r]);
  return files;
}

std::string run_summary(const nlohmann::json& doc) {
  std::string summary;
  const nlohmann::json counts = doc.value("summary", nlohmann::json::object());
  for (const auto& [k, v] : counts.items())
    if (v.is_number() && v.get<int>() > 0) summary += (summary.empty() ? "" : ", ") + std::to_string(v.get<int>()) + " " + k;
  return summary;
}

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
