// Result files: the JSON document `ctxshare run --json` writes and every report reads, and the
// whole-or-nothing file writing that all outputs use.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

// The newest result-file schema: written by run, the newest that load_results reads.
constexpr int kSchemaVersion = 1;

// What a result file records besides the results.
struct RunRecord {
  std::vector<std::string> command;
  int jobs = 1;
  double wall_s = 0;
  nlohmann::json environment;
  nlohmann::json case_info;  // id -> the case's declared facts
  std::string baseline;      // which baseline judged the run, and why that one
};
// Writes the result file of a run. Returns an error message, empty on success.
std::string write_results(const std::string& path, const RunRecord& run, const std::vector<CaseResult>& results);

// A result file as read, cases renamed since under their current ids (renames.h).
struct ResultFile {
  std::string path;
  nlohmann::json doc;
};
// Reads a result file; an error names the file and what is wrong.
std::string load_results(const std::string& path, ResultFile* out);
// Every file given, or the first one's error.
std::string load_all_results(const std::vector<std::string>& paths, std::vector<ResultFile>* runs);

// Writes text to path through a temporary file in the same directory and a rename: readers see the
// old file or the whole new one. Returns an error message, empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);
// Fails early, before any case runs, when path cannot be written.
std::string check_writable(const std::string& path);

}  // namespace ctxshare
