// `ctxshare repro`: a directory that stands alone for a vendor: one source file performing the
// case's steps with plain cu* and cuda* calls (the case's own source after a short prelude of plain
// stand-ins for its helpers), its build line and a CMakeLists.txt, the environment, the run's trace
// and findings when a result file is given, and a report draft.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "harness/case.h"

namespace ctxshare {

// The text of the prelude and of every case file, embedded at build time (cmake/embed_sources.cmake).
const std::map<std::string, std::string>& embedded_sources();

// Writes the reproducer of def into dir. result is the case's entry from a result file, or null.
// Returns an error, or empty.
std::string export_repro(const CaseDef& def, const std::string& dir, const nlohmann::json& result,
                         const nlohmann::json& environment);

}  // namespace ctxshare
