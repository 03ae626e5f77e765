// Reports made from result files, never from CUDA: what changed between two runs (diff), how runs of
// the same cases ended (tally), and the supported-patterns table, claims page and HTML matrix merged
// from many runs (matrix).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ctxshare {

// Reads a result file written by `ctxshare run --json`; an error names the file and what is wrong.
struct ResultFile {
  std::string path;
  nlohmann::json doc;
};
std::string load_results(const std::string& path, ResultFile* out);

// A short name for the machine and build a run came from: "NVIDIA H100 80GB HBM3, driver 580.159.04, cuda13.0.88".
std::string run_label(const nlohmann::json& doc);

// One case's verdict in a run, as the table shows it: a class for the colour and words for the cell.
struct Cell {
  std::string kind;   // works, documented_failure, observed, diverges, crash, hang, skipped, known, error
  std::string words;  // "works", "diverges: unexpected_success", "crash: SIGSEGV during cuStreamQuery", ...
  std::string details;
};
Cell verdict_of(const nlohmann::json& case_result);

struct DiffReport {
  std::string text;
  int regressions = 0;
};
DiffReport diff_runs(const ResultFile& old_run, const ResultFile& new_run);

// How often each case ended each way, and with which answers, over runs of the same cases, one
// column per machine and build (run_label): what settles with the variant and what differs between
// runs of one build. Markdown; only cases not alike in every run unless `all`.
std::string tally_runs(const std::vector<ResultFile>& runs, bool all);

// Writes patterns.md, claims.md and matrix.html into out_dir; claims_reference is the text of
// docs/claims-reference.md. Returns an error, or empty.
std::string write_matrix(const std::vector<ResultFile>& runs, const std::string& claims_reference,
                         const std::string& out_dir);

}  // namespace ctxshare
