// `ctxshare mutate` (docs/mutation.md): which driver faults each case notices. The mutating
// libcuda.so.1 (mutate/) records the calls a case's process makes and, one process at a time, makes
// one of them misbehave; this side derives the faults from the record, judges each mutant and scores
// cases, families and the suite. It never initializes CUDA.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

// The directory holding the mutating libcuda.so.1: CTXSHARE_MUTATE_DRIVER_DIR, else the build's.
// Empty, with *why, when it holds none.
std::string mutate_driver_dir(std::string* why);

// One line of a record file (CTXSHARE_FAULT_RECORD): the Nth call of SYMBOL over the process, made by
// the THREAD-th thread to call it (its THREAD_NTH call); by_case when the case itself made it (not the
// runtime on its behalf, not the harness).
struct RecordedCall {
  std::string symbol;
  long nth = 0, thread = 0, thread_nth = 0;
  bool by_case = false;
};
struct Record {
  std::vector<RecordedCall> calls;
  std::vector<std::string> unmapped;  // names cuGetProcAddress resolved to no exported symbol
  int processes = 0;
  bool loaded = false;  // some process loaded the real driver
};
Record read_record(const std::string& path);

// Up to max fault specs (mutate/fault_spec.h) for a case that made these calls: the case's own calls
// first, then those the runtime and the harness made; within each, calls whose result a case depends
// on first (getters changed, copies, synchronizations and set-currents skipped, launches skipped,
// creations failed), one per entry point before a second, the harness's own start-up calls last.
std::vector<std::string> derive_faults(const Record& record, int max);

// Whether a mutant's result kills it, given the case's kind ("conformance", "hazard") and the
// unmutated reference: a conformance case that no longer passes; a hazard case whose outcome or
// observations differ from the reference's.
bool killed_by(const CaseResult& mutant, const CaseResult& reference, const std::string& kind);

// Adds "families" and "overall" scores to a document whose "cases" hold each case's "mutants".
void score_mutation(nlohmann::json& doc);

// docs/mutation.md from a scored document; explained: [{"case": glob, "fault": glob, "why": text}, with
// optional "call" and "outcome" that must equal the mutant's] (docs/mutation/explained.json), which
// says why a surviving mutant could not be noticed.
std::string mutation_markdown(const nlohmann::json& doc, const nlohmann::json& explained);

}  // namespace ctxshare
