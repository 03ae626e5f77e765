#include "harness/run/expectations.h"

#include "harness/results/renames.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ctxshare {
namespace {

bool is_version(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) &&
         s.find("..") == std::string::npos;
}

// "A-B", "A-", "-B" or "A" into min and max; false when malformed.
bool parse_range(const std::string& text, std::string* min, std::string* max) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) {
    *min = *max = text;
    return is_version(text);
  }
  *min = text.substr(0, dash);
  *max = text.substr(dash + 1);
  if (min->empty() && max->empty()) return false;
  if ((!min->empty() && !is_version(*min)) || (!max->empty() && !is_version(*max))) return false;
  if (!min->empty() && !max->empty() && compare_versions(*min, *max).value_or(1) > 0) return false;
  return true;
}

bool in_range(const std::string& value, const std::string& min, const std::string& max) {
  if (min.empty() && max.empty()) return true;
  if (!is_version(value)) return false;
  if (!min.empty() && compare_versions(value, min).value_or(-1) < 0) return false;
  if (!max.empty() && compare_versions(value, max).value_or(1) > 0) return false;
  return true;
}

std::string text_at(const nlohmann::json& j, const nlohmann::json::json_pointer& p) {
  if (!j.contains(p)) return {};
  const auto& v = j.at(p);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return std::to_string(v.get<long long>());
  return {};
}

bool glob_match(const std::string& pattern, const std::string& value) {
  return pattern.empty() || fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

}  // namespace

std::optional<int> compare_versions(const std::string& a, const std::string& b) {
  if (!is_version(a) || !is_version(b)) return std::nullopt;
  std::stringstream sa(a), sb(b);
  std::string pa, pb;
  while (true) {
    const bool ha = static_cast<bool>(std::getline(sa, pa, '.'));
    const bool hb = static_cast<bool>(std::getline(sb, pb, '.'));
    if (!ha && !hb) return 0;
    const long long va = ha ? std::stoll(pa) : 0, vb = hb ? std::stoll(pb) : 0;
    if (va != vb) return va < vb ? -1 : 1;
  }
}

std::string Expectations::load(const std::string& path, const std::vector<std::string>& case_ids) {
  std::ifstream in(path);
  if (!in) return path + ": cannot be read";
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = path + ":" + std::to_string(number);
    // A comment is a whole line: a bug link may well hold a '#'.
    if (const auto first = line.find_first_not_of(" \t"); first == std::string::npos || line[first] == '#') continue;
    const auto sep = line.find(" -- ");
    std::string reason = sep == std::string::npos ? "" : line.substr(sep + 4);
    reason.erase(0, reason.find_first_not_of(' '));
    std::istringstream fields(line.substr(0, sep));
    std::vector<std::string> words;
    for (std::string w; fields >> w;) words.push_back(w);
    if (words.empty()) continue;
    if (words.size() < 2) return where + ": an entry needs a case and an outcome";
    if (reason.empty()) return where + ": an entry needs a reason or bug link after ' -- '";
    Expectation e;
    e.pattern = current_case_id(words[0]);
    e.reason = reason;
    e.where = where;
    const auto outcome = outcome_from_string(words[1]);
    if (!outcome || acceptable(*outcome) || *outcome == Outcome::xpass)
      return where + ": '" + words[1] + "' is not an outcome a case can be expected to end in (failed, crash, timeout, error)";
    e.outcome = *outcome;
    for (size_t i = 2; i < words.size(); ++i) {
      const auto eq = words[i].find('=');
      const std::string key = eq == std::string::npos ? words[i] : words[i].substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : words[i].substr(eq + 1);
      if (value.empty()) return where + ": '" + words[i] + "' needs a value";
      if (key == "driver" || key == "cuda") {
        auto* min = key == "driver" ? &e.driver_min : &e.cuda_min;
        auto* max = key == "driver" ? &e.driver_max : &e.cuda_max;
        if (!parse_range(value, min, max)) return where + ": malformed " + key + " range '" + value + "'";
      } else if (key == "gpu") {
        e.gpu = value;
      } else if (key == "variant") {
        e.variant = value;
      } else {
        return where + ": unknown condition '" + key + "' (driver, cuda, gpu, variant)";
      }
    }
    const bool known = std::any_of(case_ids.begin(), case_ids.end(), [&](const std::string& id) {
      return fnmatch(e.pattern.c_str(), id.c_str(), 0) == 0;
    });
    if (!known) return where + ": no case matches '" + e.pattern + "'";
    for (const auto& other : entries_)
      if (other.pattern == e.pattern && other.driver_min == e.driver_min && other.driver_max == e.driver_max &&
          other.cuda_min == e.cuda_min && other.cuda_max == e.cuda_max && other.gpu == e.gpu && other.variant == e.variant)
        return where + ": duplicates the entry at " + other.where;
    entries_.push_back(std::move(e));
  }
  return {};
}

const Expectation* Expectations::match(const std::string& case_id, const nlohmann::json& env) const {
  using ptr = nlohmann::json::json_pointer;
  const std::string driver = text_at(env, ptr("/cuda/driver/nvml_version"));
  const std::string cuda = text_at(env, ptr("/cuda/driver/version"));
  const std::string gpu = text_at(env, ptr("/cuda/devices/0/name"));
  const std::string variant = text_at(env, ptr("/build/variant"));
  for (const auto& e : entries_) {
    if (fnmatch(e.pattern.c_str(), case_id.c_str(), 0) != 0) continue;
    if (!in_range(driver, e.driver_min, e.driver_max) || !in_range(cuda, e.cuda_min, e.cuda_max)) continue;
    if (!glob_match(e.gpu, gpu) || !glob_match(e.variant, variant)) continue;
    return &e;
  }
  return nullptr;
}

void Expectations::apply(CaseResult& r, const nlohmann::json& environment) const {
  const Expectation* e = match(r.id, environment);
  if (e == nullptr || r.outcome == Outcome::skipped) return;
  r.expected = {{"outcome", to_string(e->outcome)}, {"reason", e->reason}, {"entry", e->where}};
  if (r.outcome == e->outcome) {
    r.outcome = Outcome::xfail;
  } else if (r.outcome == Outcome::passed) {
    r.outcome = Outcome::xpass;
    r.reason = "expected " + std::string(to_string(e->outcome)) + " (" + e->reason + "), but passed";
  }
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
