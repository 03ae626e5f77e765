// The catalogue of cases: how a user selects them (ids, globs, families, labels) and how they are
// described to tools (ctest discovery, docs, result files).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/spec/spec.h"

namespace ctxshare {

nlohmann::json to_json(const CaseDef& def);
// Its family, its declared labels, and "gpu" (it needs a device) and "exclusive" (it runs alone).
std::vector<std::string> labels_of(const CaseDef& def);

// Every case that matches one of the patterns (all when there are none) and carries every label.
// Patterns are exact ids, family names, or globs (* ? [...]). A pattern or label that selects
// nothing is an error, returned as one line in *error.
std::vector<const CaseDef*> select_cases(const std::vector<std::string>& patterns,
                                         const std::vector<std::string>& labels, std::string* error);

}  // namespace ctxshare
