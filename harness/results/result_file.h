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
  std::string interrupted;   // the signal that stopped the run early, empty when it ran to the end
  int cases_not_run = 0;     // selected cases that never started because of it
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

// Writes text to path, whole or not at all: a regular file (or a new one) through a temporary in the
// same directory and a rename, so readers see the old file or the whole new one; a symbolic link is
// written through to its target; a FIFO or device (/dev/stdout) is written in place; "-" is standard
// output. Returns an error message, empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);
// Fails early, before any case runs, when path cannot be written (an empty path included).
std::string check_writable(const std::string& path);
// check_writable for each, and no two of them the same file.
std::string check_outputs(const std::vector<std::string>& paths);
bool is_stdout_path(const std::string& path);
// Where "-" writes: standard output, unless the console was moved off it (run --json - prints its
// progress on standard error, so that standard output holds the document alone).
void set_stdout_for_data(int fd);

}  // namespace ctxshare
