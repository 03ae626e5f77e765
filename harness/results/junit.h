// JUnit XML of a run, for CI: each outcome's element comes from its policy (outcome.h).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

// case_info: id -> the case's declared facts (its family names the test class).
std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info);

}  // namespace ctxshare
