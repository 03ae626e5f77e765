#include "harness/results/junit.h"

#include <cstdio>

namespace ctxshare {
namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no place for most control characters, which crash output may contain.
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') out += "?";
        else out += static_cast<char>(c);
    }
  }
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

// What goes inside <testcase>: nothing, or the element the outcome's policy names.
std::string case_element(const CaseResult& r) {
  std::string details;
  for (const auto& f : r.findings) details += f.value("kind", "") + ": " + f.value("message", "") + "\n";
  const std::string message = xml_escape(r.reason.empty() ? std::string(to_string(r.outcome)) : r.reason);
  switch (policy(r.outcome).junit) {
    case JunitElement::none: return {};
    case JunitElement::skipped: return "<skipped message=\"" + message + "\"/>";
    case JunitElement::failure: return "<failure message=\"" + message + "\">" + xml_escape(details) + "</failure>";
    case JunitElement::error:
      return "<error type=\"" + std::string(to_string(r.outcome)) + "\" message=\"" + message + "\">" +
             xml_escape(details + r.output_tail) + "</error>";
  }
  return {};
}

}  // namespace

std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + suite_head(results);
  for (const auto& r : results) {
    const std::string family = case_info.contains(r.id) ? case_info[r.id].value("family", "") : "";
    char time[32];
    std::snprintf(time, sizeof time, "%.3f", r.duration_s);
    x += "  <testcase classname=\"" + xml_escape(family) + "\" name=\"" + xml_escape(r.id) + "\" time=\"" + time + "\">";
    x += case_element(r) + "</testcase>\n";
  }
  x += "</testsuite></testsuites>\n";
  return x;
}

}  // namespace ctxshare
