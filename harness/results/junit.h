// JUnit XML of a run, for CI test views (GitHub, GitLab, Jenkins): each outcome's element comes from
// its policy (outcome.h) and carries what the console shows under the case's line (console.h): the
// findings with their evidence, for a crash, timeout or error also the last calls and the output's
// tail, for an xfail the baseline entry that allowed it. <system-out> holds the observations, the
// driver, the data seed and the attempts; <properties> the case's claims, kind and outcome.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "harness/results/results.h"

namespace ctxshare {

// case_info: id -> the case's declared facts (its family names the test class).
std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info);

// Text made fit for an XML 1.0 document: markup characters escaped, a control character XML has no
// place for and an invalid UTF-8 sequence (a cut or binary output tail) replaced; in an attribute,
// line breaks and tabs are kept as character references, which a parser would otherwise fold.
std::string xml_text(std::string_view s, bool attribute = false);

}  // namespace ctxshare
