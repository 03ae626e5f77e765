// `ctxshare repro`: a directory that stands alone for a vendor: repro.cu, the one case as the suite has
// it (its family's helpers kept, every other case taken out) and a main that runs it; beside it the
// suite's case layer as one header, exported verbatim, so the reproducer judges exactly as the suite
// does; its build line and a CMakeLists.txt; the environment, the run's trace and findings when a
// result file is given, and a report draft.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "harness/reports/repro_source.h"
#include "harness/spec/spec.h"

namespace ctxshare {

// The case layer's files and every case file, by path from the project root, embedded at build time
// (cmake/embed_sources.cmake).
const SourceFiles& embedded_sources();

// Writes the reproducer of def into dir. result is the case's entry from a result file, or null.
// Returns an error, or empty.
std::string export_repro(const CaseDef& def, const std::string& dir, const nlohmann::json& result,
                         const nlohmann::json& environment);

}  // namespace ctxshare
