#include "harness/results/junit.h"

#include <cstdio>

#include "harness/results/console.h"

namespace ctxshare {
namespace {

// The length of the valid UTF-8 sequence at s[i] whose code point XML allows, or 0.
std::size_t utf8_char_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (b(k) & 0x3F);
  }
  const unsigned min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

std::string attr(std::string_view s) { return xml_text(s, true); }

std::string join(const nlohmann::json& list, const char* separator = ",") {
  std::string out;
  if (list.is_array())
    for (const auto& v : list) out += (out.empty() ? "" : separator) + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

std::string suite_head(const std::vector<CaseResult>& results) {
  int count[4] = {};  // by JunitElement
  double total = 0;
  for (const auto& r : results) {
    ++count[static_cast<int>(policy(r.outcome).junit)];
    total += r.duration_s;
  }
  char head[256];
  std::snprintf(head, sizeof head,
                "<testsuites><testsuite name=\"ctxshare\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                results.size(), count[static_cast<int>(JunitElement::failure)],
                count[static_cast<int>(JunitElement::error)], count[static_cast<int>(JunitElement::skipped)], total);
  return head;
}

// What a CI view shows for the case: its declared facts, and the outcome JUnit's four states blur
// (crash and timeout are both errors, xfail a skip).
std::string properties(const CaseResult& r, const nlohmann::json& info) {
  std::string x = "    <properties>\n";
  const auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) x += "      <property name=\"" + std::string(name) + "\" value=\"" + attr(value) + "\"/>\n";
  };
  add("outcome", to_string(r.outcome));
  if (info.is_object()) {
    add("claims", join(info.value("claims", nlohmann::json::array())));
    add("kind", info.value("kind", ""));
    add("verdict", info.value("verdict", ""));
    add("source", info.value("source", ""));
    add("labels", join(info.value("labels", nlohmann::json::array())));
    add("weak_evidence", info.value("weak_evidence", ""));
  }
  return x + "    </properties>\n";
}

// The element the outcome's policy names, with the console's evidence as its text.
std::string case_element(const CaseResult& r) {
  const std::string message = attr(r.reason.empty() ? std::string(to_string(r.outcome)) : r.reason);
  const std::string type = to_string(r.outcome);
  const std::string findings = findings_text(r, 200, "");
  switch (policy(r.outcome).junit) {
    case JunitElement::none: return {};
    case JunitElement::skipped: {
      if (r.outcome != Outcome::xfail) return "    <skipped message=\"" + message + "\"/>\n";
      const std::string known = baseline_entry_text(r);
      return "    <skipped message=\"" + attr(known.empty() ? "xfail" : known) + "\">" +
             xml_text(known + "\nbaseline: " + r.expected.value("reason", "") + "; allows " + r.expected.value("outcomes", "") +
                      "\n" + findings) +
             "</skipped>\n";
    }
    case JunitElement::failure:
      return "    <failure type=\"" + type + "\" message=\"" + message + "\">" + xml_text(findings) + "</failure>\n";
    case JunitElement::error: {
      std::string text = findings + last_calls_text(r, "");
      if (!r.output_tail.empty())
        text += (r.output_bytes > static_cast<long long>(r.output_tail.size())
                     ? "output, the last " + std::to_string(r.output_tail.size()) + " of " + std::to_string(r.output_bytes) + " bytes:\n"
                     : std::string("output:\n")) +
                r.output_tail;
      return "    <error type=\"" + type + "\" message=\"" + message + "\">" + xml_text(text) + "</error>\n";
    }
  }
  return {};
}

// What the case recorded besides findings, and what a rerun needs: the driver it loaded, its seed.
std::string system_out(const CaseResult& r) {
  const auto compact = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  std::string text;
  if (!r.observations.empty()) {
    text += "observations:\n";
    for (const auto& [name, value] : r.observations.items()) text += "  " + name + ": " + compact(value) + "\n";
  }
  if (r.driver.is_object()) {
    const int v = r.driver.value("version", 0);
    if (r.driver.value("initialized", false))
      text += "driver: " + r.driver.value("path", "") + " (CUDA " + std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10) +
              ", " + std::to_string(r.driver.value("devices", 0)) + " devices)\n";
    else
      text += "driver: none usable: " + r.driver.value("problem", "") + "\n";
  }
  for (const auto& e : r.trace)
    if (e.value("mark", "") == "seed" && e.contains("seed")) {
      const std::string seed = compact(e["seed"]);
      text += "seed: " + seed + " (CTXSHARE_SEED=" + seed + " replays its data)\n";
      break;
    }
  if (!r.attempts.empty()) text += "attempts: " + join(r.attempts, ", ") + "\n";
  if (!r.expected.is_null() && r.outcome != Outcome::xfail)
    text += "baseline: " + r.expected.value("reason", "") + "; allows " + r.expected.value("outcomes", "") + " (" +
            r.expected.value("entry", "") + ")\n";
  return text.empty() ? text : "    <system-out>" + xml_text(text) + "</system-out>\n";
}

}  // namespace

std::string xml_text(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = utf8_char_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD: the output of a crash may hold any bytes, cut anywhere
      ++i;
      continue;
    }
    i += n;
    if (n > 1) {
      out.append(s.data() + i - n, n);
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\r': out += "&#13;"; break;
      default:
        // XML 1.0 has no place for the other control characters, which crash output may contain.
        if (c < 0x20) out += "?";
        else out += static_cast<char>(c);
    }
  }
  return out;
}

std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + suite_head(results);
  for (const auto& r : results) {
    const nlohmann::json info = case_info.contains(r.id) ? case_info[r.id] : nlohmann::json();
    const std::string family = info.is_object() ? info.value("family", "") : "";
    char time[32];
    std::snprintf(time, sizeof time, "%.3f", r.duration_s);
    x += "  <testcase classname=\"" + attr(family) + "\" name=\"" + attr(r.id) + "\" time=\"" + time + "\">\n";
    x += properties(r, info) + case_element(r) + system_out(r) + "  </testcase>\n";
  }
  x += "</testsuite></testsuites>\n";
  return x;
}

}  // namespace ctxshare
