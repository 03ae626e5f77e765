// The source text a reproducer is made of: the case layer as one header, and the one case taken out
// of its family file. Both are the suite's own text, never a copy kept by hand.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ctxshare {

// Files by path from the project root ("harness/case/case.h"), embedded at build time.
using SourceFiles = std::map<std::string, std::string>;

// The folders whose files make the case layer a reproducer carries.
inline const std::vector<std::string> kCaseLayerFolders = {"harness/spec/", "harness/cuda/", "harness/case/", "harness/repro/"};

// The text without its project includes ("harness/...", "cases/...") and #pragma once: what stands
// in the one-header case layer for each file.
std::string without_project_includes(const std::string& text);

// Every file of the case layer, headers first in include order, then the sources, each under a
// marker line "// ==== ctxshare: <path> ====". Returns empty with *error set when a file is missing.
std::string amalgamate_case_layer(const SourceFiles& sources, std::string* error);
// The marker-separated files of such a header: path -> text.
std::map<std::string, std::string> split_case_layer(const std::string& header);

// A case's block in its family's text: from the comment lines just above CTXSHARE_CASE to the closing
// brace of its body.
struct CaseBlock {
  std::size_t begin = 0, end = 0;
  std::string name;  // the CTXSHARE_CASE name
};
std::vector<CaseBlock> case_blocks(const std::string& text);
// The family's text with every case but `name` taken out: its helpers and kernels stay.
std::string only_case(const std::string& text, const std::string& name);

}  // namespace ctxshare
