#include "harness/run/catalog.h"

#include <fnmatch.h>

#include <algorithm>

namespace ctxshare {
namespace {

bool is_glob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }

// fnmatch takes an unclosed '[' literally; a user who typed one almost surely meant a class.
bool balanced_brackets(const std::string& p) {
  int depth = 0;
  for (char c : p) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
  }
  return depth == 0;
}

bool has_label(const CaseDef& def, const std::string& label) {
  const std::vector<std::string> all = labels_of(def);
  return std::find(all.begin(), all.end(), label) != all.end();
}

}  // namespace

std::vector<std::string> labels_of(const CaseDef& def) {
  const CaseSpec& s = def.spec;
  std::vector<std::string> labels = {def.family};
  labels.insert(labels.end(), s.labels.begin(), s.labels.end());
  if (s.needs.devices > 0) labels.push_back("gpu");
  if (s.exclusive) labels.push_back("exclusive");
  return labels;
}

nlohmann::json to_json(const CaseDef& def) {
  const CaseSpec& s = def.spec;
  const std::vector<std::string> labels = labels_of(def);
  nlohmann::json j = {{"id", def.id},
                      {"family", def.family},
                      {"claims", s.claims},
                      {"source", s.source},
                      {"verdict", to_string(s.verdict)},
                      {"kind", kind_of(s.verdict)},
                      {"needs",
                       {{"devices", s.needs.devices},
                        {"min_driver", s.needs.min_driver},
                        {"min_compute_capability", s.needs.min_compute_capability},
                        {"min_toolkit", s.needs.min_toolkit},
                        {"libraries", s.needs.libraries}}},
                      {"labels", labels},
                      {"timeout_s", s.timeout_s},
                      {"exclusive", s.exclusive},
                      {"file", def.file},
                      {"line", def.line}};
  if (!def.variant.empty()) {
    j["variant"] = def.variant;
    for (const auto& p : def.params) j["axes"][p.axis] = p.value;
  }
  if (s.verdict == Verdict::fails) j["expected_error"] = s.expected_error;
  if (!s.weak_evidence.empty()) j["weak_evidence"] = s.weak_evidence;
  if (!s.avoid.empty()) j["avoid"] = s.avoid;
  return j;
}

std::vector<const CaseDef*> select_cases(const std::vector<std::string>& patterns,
                                         const std::vector<std::string>& labels, std::string* error) {
  std::vector<const CaseDef*> out;
  for (const auto& p : patterns) {
    if (p.empty()) {
      *error = "empty case pattern";
      return {};
    }
    if (is_glob(p) && !balanced_brackets(p)) {
      *error = "malformed pattern '" + p + "': unbalanced '['";
      return {};
    }
  }
  for (const auto& label : labels)
    if (std::none_of(cases().begin(), cases().end(), [&](const CaseDef& d) { return has_label(d, label); })) {
      *error = "no case has the label '" + label + "'";
      return {};
    }
  std::vector<bool> used(patterns.size(), false);
  for (const auto& def : cases()) {
    bool match = patterns.empty();
    for (size_t i = 0; i < patterns.size(); ++i) {
      const std::string& p = patterns[i];
      // An exact id selects that case alone; otherwise a name selects its family or its variants.
      const bool hit = is_glob(p)            ? fnmatch(p.c_str(), def.id.c_str(), 0) == 0
                       : find_case(p) != nullptr ? def.id == p
                                                 : def.family == p || def.id.rfind(p + ".", 0) == 0;
      if (hit) used[i] = true;
      match = match || hit;
    }
    if (match && std::all_of(labels.begin(), labels.end(), [&](const std::string& l) { return has_label(def, l); }))
      out.push_back(&def);
  }
  for (size_t i = 0; i < patterns.size(); ++i)
    if (!used[i]) {
      *error = is_glob(patterns[i]) ? "no case matches '" + patterns[i] + "'"
                                    : "unknown case '" + patterns[i] + "' (ctxshare list shows the cases)";
      return {};
    }
  if (out.empty()) *error = "the selection is empty: no case matches both the patterns and the labels";
  return out;
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
