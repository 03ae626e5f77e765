// What the reports share: a result file's fields as text, its run's label, Markdown cells, HTML.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace ctxshare {

// j[key] when it is a string, else fallback.
std::string str(const nlohmann::json& j, const char* key, const std::string& fallback = "");
// The value at a JSON pointer as text: strings as they are, other values dumped, "" when absent or null.
std::string at(const nlohmann::json& j, const char* pointer);
// A result document's cases by id.
std::map<std::string, const nlohmann::json*> by_id(const nlohmann::json& doc);
// The kinds of a case result's findings.
std::set<std::string> finding_kinds(const nlohmann::json& case_result);
// The claims a case declares, sorted.
std::set<std::string> claims_of(const nlohmann::json& case_info);
// A short name for the machine and build a run came from: "NVIDIA H100 80GB HBM3, driver 580.159.04, cuda13.0.88".
std::string run_label(const nlohmann::json& doc);
std::string join(const std::set<std::string>& s, const char* sep = ", ");
// Text for one Markdown table cell: pipes escaped, lines joined.
std::string md_cell(std::string s);
std::string html(std::string_view s);

}  // namespace ctxshare
