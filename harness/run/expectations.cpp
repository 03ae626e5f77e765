#include "harness/build_info.h"
#include "harness/run/expectations.h"

#include "harness/run/gpus.h"
#include "harness/results/renames.h"
#include "harness/spec/events.h"

#include <dlfcn.h>
#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <cstdlib>
#include <iterator>
#include <regex>
#include <set>
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

bool is_finding_kind(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(FindingKind::early_exit); ++k)
    if (name == to_string(static_cast<FindingKind>(k))) return true;
  return false;
}

// "crash|failed[sticky_error,wrong_context]|passed" into the entry's allowed outcomes.
std::string parse_outcomes(const std::string& text, Expectation* e) {
  e->outcomes_text = text;
  std::istringstream alternatives(text);
  bool any_failure = false;
  for (std::string alt; std::getline(alternatives, alt, '|');) {
    AllowedOutcome allowed;
    const auto open = alt.find('[');
    const std::string name = alt.substr(0, open);
    const auto outcome = outcome_from_string(name);
    if (!outcome || (*outcome != Outcome::passed && *outcome != Outcome::failed && *outcome != Outcome::crash &&
                     *outcome != Outcome::timeout && *outcome != Outcome::error))
      return "'" + name + "' is not an outcome a case can be expected to end in (passed, failed, crash, timeout, error)";
    allowed.outcome = *outcome;
    any_failure = any_failure || *outcome != Outcome::passed;
    if (open != std::string::npos) {
      if (alt.back() != ']') return "'" + alt + "': a pin is closed by ']'";
      std::istringstream pins(alt.substr(open + 1, alt.size() - open - 2));
      for (std::string pin; std::getline(pins, pin, ',');) {
        if (pin.size() > 1 && pin[0] == '@') allowed.call = pin.substr(1);
        else if (is_finding_kind(pin)) allowed.finding_kinds.push_back(pin);
        else return "'" + pin + "' is neither a finding kind nor @call";
      }
    }
    e->outcomes.push_back(std::move(allowed));
  }
  if (!any_failure) return "'" + text + "' allows nothing but passed: an entry names what else a case was seen to do";
  return {};
}

bool pins_hold(const AllowedOutcome& allowed, const CaseResult& r) {
  if (allowed.outcome != r.outcome) return false;
  if (!allowed.call.empty() && r.reason.find("during " + allowed.call + " ") == std::string::npos) return false;
  if (allowed.finding_kinds.empty() || r.outcome != Outcome::failed) return true;
  for (const auto& f : r.findings)
    if (std::find(allowed.finding_kinds.begin(), allowed.finding_kinds.end(), f.value("kind", "")) ==
        allowed.finding_kinds.end())
      return false;
  return true;
}

// The installed driver's version ("580.159.04"), from the kernel module, or else from NVML, which a
// container may have where /proc/driver/nvidia is not mounted. Neither is CUDA: no context is made.
std::string installed_driver_version() {
  std::ifstream proc("/proc/driver/nvidia/version");
  const std::string text((std::istreambuf_iterator<char>(proc)), std::istreambuf_iterator<char>());
  std::smatch m;
  if (std::regex_search(text, m, std::regex("Kernel Module\\s+([0-9.]+)"))) return m[1].str();
  return nvml_driver_version();
}

}  // namespace

std::string attempt_signature(const std::string& outcome, const std::string& reason, const nlohmann::json& findings) {
  if (outcome == "crash" || outcome == "timeout") {
    const auto during = reason.find("during ");
    if (during == std::string::npos) return outcome;
    const auto from = during + 7;
    return outcome + "[@" + reason.substr(from, reason.find(' ', from) - from) + "]";
  }
  if (outcome != "failed") return outcome;
  std::set<std::string> kinds;
  for (const auto& f : findings) kinds.insert(f.value("kind", ""));
  std::string s = outcome;
  for (const auto& k : kinds) s += (k == *kinds.begin() ? "[" : ",") + k;
  return kinds.empty() ? s : s + "]";
}

namespace {

std::string signature(const CaseResult& r) { return attempt_signature(to_string(r.outcome), r.reason, r.findings); }

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

std::string Expectations::load(const std::string& path, const std::vector<std::string>& case_ids, bool strict) {
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
    if (std::string why = parse_outcomes(words[1], &e); !why.empty()) return where + ": " + why;
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
    if (!known && !strict) continue;
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

bool Expectations::mentions(const std::string& case_id) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Expectation& e) { return fnmatch(e.pattern.c_str(), case_id.c_str(), 0) == 0; });
}

std::string default_baseline(std::string* why) {
  if (const char* given = std::getenv("CTXSHARE_BASELINE")) {
    *why = *given == '\0' ? "none (CTXSHARE_BASELINE is empty)" : std::string(given) + " (CTXSHARE_BASELINE)";
    return given;
  }
  if (std::string(CTXSHARE_BASELINE_FILE) != "") {
    *why = std::string(CTXSHARE_BASELINE_FILE) + " (configured with CTXSHARE_BASELINE)";
    return CTXSHARE_BASELINE_FILE;
  }
  const std::string version = installed_driver_version();
  const std::string branch = version.substr(0, version.find('.'));
  if (branch.empty()) {
    *why = "none (neither /proc/driver/nvidia/version nor NVML names a driver branch)";
    return {};
  }
  const std::string file = std::string(CTXSHARE_BASELINE_DIR) + "/nvidia-" + branch + ".txt";
  if (!std::ifstream(file).good()) {
    *why = "none (no bundled baseline for driver branch " + branch + ": " + file + ")";
    return {};
  }
  *why = file + " (driver " + version + ")";
  return file;
}

bool Expectations::allows(const CaseResult& attempt, const nlohmann::json& environment) const {
  if (attempt.outcome == Outcome::skipped) return true;
  const Expectation* e = match(attempt.id, environment);
  if (e == nullptr) return attempt.outcome == Outcome::passed;
  return std::any_of(e->outcomes.begin(), e->outcomes.end(), [&](const AllowedOutcome& a) { return pins_hold(a, attempt); });
}

void Expectations::judge(CaseResult& r, const std::vector<CaseResult>& reruns, const nlohmann::json& environment) const {
  const Expectation* e = match(r.id, environment);
  if (e != nullptr) r.expected = {{"outcomes", e->outcomes_text}, {"reason", e->reason}, {"entry", e->where}};
  if (r.outcome == Outcome::skipped) return;
  std::vector<std::string> attempts = {signature(r)};
  bool all_allowed = allows(r, environment);
  for (const auto& again : reruns) {
    attempts.push_back(signature(again));
    all_allowed = all_allowed && allows(again, environment);
  }
  if (!reruns.empty()) r.rerun_outcomes = std::vector<std::string>(attempts.begin() + 1, attempts.end());
  r.attempts = attempts;
  if (all_allowed) {
    if (e != nullptr && r.outcome != Outcome::passed) r.outcome = Outcome::xfail;
    return;
  }
  std::string seen;
  for (const auto& a : attempts) seen += (seen.empty() ? "" : ", ") + a;
  if (std::all_of(attempts.begin(), attempts.end(), [&](const std::string& a) { return a == attempts.front(); })) {
    if (e != nullptr && r.outcome == Outcome::passed) {
      r.outcome = Outcome::xpass;
      r.reason = "improvement: passed in every attempt where the baseline expects " + e->outcomes_text + " (" + e->reason +
                 "): clear " + e->where;
    }
    return;
  }
  r.outcome = Outcome::flaky;
  r.reason = "new flake: its attempts ended " + seen +
             (e != nullptr ? "; the baseline allows " + e->outcomes_text : "; no baseline entry declares it");
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
