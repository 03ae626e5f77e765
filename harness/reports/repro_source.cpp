#include "harness/reports/repro_source.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

namespace ctxshare {
namespace {

constexpr const char* kMarker = "// ==== ctxshare: ";
constexpr const char* kMarkerEnd = " ====";

bool is_project_include(const std::string& line) {
  return line.rfind("#include \"harness/", 0) == 0 || line.rfind("#include \"cases/", 0) == 0;
}

std::vector<std::string> project_includes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (is_project_include(line)) out.push_back(line.substr(10, line.find('"', 10) - 10));
  return out;
}

bool in_case_layer(const std::string& path) {
  return std::any_of(kCaseLayerFolders.begin(), kCaseLayerFolders.end(),
                     [&](const std::string& folder) { return path.rfind(folder, 0) == 0; });
}

// Skips a comment, string or character literal starting at text[i]; returns the index after it, or i.
std::size_t skip_literal(const std::string& text, std::size_t i) {
  if (text.compare(i, 2, "//") == 0) return std::min(text.find('\n', i), text.size());
  if (text.compare(i, 2, "/*") == 0) return std::min(text.find("*/", i + 2) + 2, text.size());
  if (text[i] == '"' || text[i] == '\'') {
    if (text[i] == '"' && i > 0 && text[i - 1] == 'R') {  // a raw string: R"delim( ... )delim"
      const std::size_t open = text.find('(', i);
      const std::string close = ")" + text.substr(i + 1, open - i - 1) + "\"";
      return std::min(text.find(close, open) + close.size(), text.size());
    }
    for (std::size_t j = i + 1; j < text.size(); ++j) {
      if (text[j] == '\\') ++j;
      else if (text[j] == text[i]) return j + 1;
    }
    return text.size();
  }
  return i;
}

// The index just after the bracket that closes the one at text[open].
std::size_t matching(const std::string& text, std::size_t open) {
  const char o = text[open], c = o == '(' ? ')' : '}';
  int depth = 0;
  for (std::size_t i = open; i < text.size();) {
    if (const std::size_t after = skip_literal(text, i); after != i) {
      i = after;
      continue;
    }
    if (text[i] == o) ++depth;
    if (text[i] == c && --depth == 0) return i + 1;
    ++i;
  }
  return std::string::npos;
}

// Where the comment lines directly above `at` (a line start) begin.
std::size_t comment_above(const std::string& text, std::size_t at) {
  while (at > 0) {
    const std::size_t prev = text.rfind('\n', at - 2 < at ? at - 2 : 0);
    const std::size_t line = prev == std::string::npos ? 0 : prev + 1;
    const std::string l = text.substr(line, at - line);
    if (l.find_first_not_of(" \t") == std::string::npos || l.substr(l.find_first_not_of(" \t"), 2) != "//") break;
    at = line;
  }
  return at;
}

}  // namespace

std::string without_project_includes(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (!is_project_include(line) && line != "#pragma once") out += line + "\n";
  return out;
}

std::string amalgamate_case_layer(const SourceFiles& sources, std::string* error) {
  std::vector<std::string> order;
  std::set<std::string> placed;
  std::function<bool(const std::string&)> place = [&](const std::string& path) {
    if (placed.count(path)) return true;
    const auto it = sources.find(path);
    if (it == sources.end()) {
      *error = "the case layer needs " + path + ", which this build did not embed";
      return false;
    }
    placed.insert(path);
    for (const auto& dep : project_includes(it->second))
      if (in_case_layer(dep) && !place(dep)) return false;
    order.push_back(path);
    return true;
  };
  for (const bool headers : {true, false})
    for (const auto& [path, text] : sources) {
      const bool header = path.ends_with(".h");
      if (in_case_layer(path) && header == headers && !place(path)) return {};
    }
  std::string out;
  for (const auto& path : order) out += kMarker + path + kMarkerEnd + "\n" + without_project_includes(sources.at(path));
  return out;
}

std::map<std::string, std::string> split_case_layer(const std::string& header) {
  std::map<std::string, std::string> files;
  std::string* current = nullptr;
  std::istringstream in(header);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(kMarker, 0) == 0 && line.ends_with(kMarkerEnd)) {
      const std::size_t from = std::string(kMarker).size();
      current = &files[line.substr(from, line.size() - from - std::string(kMarkerEnd).size())];
    } else if (current != nullptr) {
      *current += line + "\n";
    }
  }
  return files;
}

std::vector<CaseBlock> case_blocks(const std::string& text) {
  std::vector<CaseBlock> blocks;
  const std::string head = "CTXSHARE_CASE(";
  for (std::size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
    if (at > 0 && text[at - 1] != '\n') continue;  // the macro's own definition, or a mention
    const std::size_t args_end = matching(text, at + head.size() - 1);
    const std::size_t body = args_end == std::string::npos ? args_end : text.find('{', args_end);
    const std::size_t end = body == std::string::npos ? body : matching(text, body);
    if (end == std::string::npos) break;
    const std::size_t comma = text.find(',', at);
    std::string name = text.substr(comma + 1, text.find(',', comma + 1) - comma - 1);
    name.erase(0, name.find_first_not_of(" \n"));
    blocks.push_back({comment_above(text, at), end, name});
    at = end;
  }
  return blocks;
}

std::string only_case(const std::string& text, const std::string& name) {
  std::string out;
  std::size_t from = 0;
  for (const auto& b : case_blocks(text)) {
    if (b.name == name) continue;
    out += text.substr(from, b.begin - from);
    from = b.end;
    if (from < text.size() && text[from] == '\n') ++from;
  }
  out += text.substr(from);
  // The cases taken out leave their blank lines behind: keep one.
  for (std::size_t at; (at = out.find("\n\n\n")) != std::string::npos;) out.erase(at, 1);
  return out;
}

}  // namespace ctxshare
