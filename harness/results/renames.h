// Case ids that changed, old -> new: result files and expectation entries written before a rename
// are read under the new id, so `ctxshare diff` of an old run against a new one compares like with like.
#pragma once

#include <map>
#include <string>

namespace ctxshare {

const std::map<std::string, std::string>& renamed_cases();
// The id a case has now: the id given, unless it was renamed.
std::string current_case_id(const std::string& id);

}  // namespace ctxshare
