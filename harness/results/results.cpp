#include "harness/results/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

namespace ctxshare {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::failed: return "failed";
    case Outcome::skipped: return "skipped";
    case Outcome::xfail: return "xfail";
    case Outcome::xpass: return "xpass";
    case Outcome::timeout: return "timeout";
    case Outcome::crash: return "crash";
    case Outcome::error: return "error";
    case Outcome::flaky: return "flaky";
  }
  return "?";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (Outcome o : {Outcome::passed, Outcome::failed, Outcome::skipped, Outcome::xfail, Outcome::xpass,
                    Outcome::timeout, Outcome::crash, Outcome::error, Outcome::flaky})
    if (s == to_string(o)) return o;
  return std::nullopt;
}

bool acceptable(Outcome o) {
  // xpass (an improvement over the baseline) and flaky (a new flake) are changes: a gate notices them.
  return o == Outcome::passed || o == Outcome::skipped || o == Outcome::xfail;
}

nlohmann::json to_json(const CaseResult& r) {
  nlohmann::json j = {{"id", r.id},
                      {"outcome", to_string(r.outcome)},
                      {"duration_s", r.duration_s},
                      {"findings", r.findings},
                      {"observations", r.observations},
                      {"trace", r.trace},
                      {"trace_dropped", r.trace_dropped},
                      {"output_bytes", r.output_bytes},
                      {"output_tail", r.output_tail}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.exit_code >= 0) j["exit_code"] = r.exit_code;
  if (r.signal != 0) j["signal"] = r.signal;
  if (!r.driver.is_null()) j["driver"] = r.driver;
  if (!r.rerun_outcomes.empty()) j["reruns"] = r.rerun_outcomes;
  if (!r.attempts.empty()) j["attempts"] = r.attempts;
  if (!r.expected.is_null()) j["expected"] = r.expected;
  return j;
}

std::string check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) return path + ": is a directory";
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return path + ": directory " + dir.string() + " does not exist";
  if (access(dir.c_str(), W_OK) != 0) return path + ": cannot write in " + dir.string() + ": " + std::strerror(errno);
  return {};
}

std::string write_whole_file(const std::string& path, const std::string& text) {
  if (std::string why = check_writable(path); !why.empty()) return why;
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tmp + ": " + std::strerror(errno);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return why;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  }
  return {};
}

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
}  // namespace

std::string junit_xml(const std::vector<CaseResult>& results, const nlohmann::json& case_info) {
  std::map<std::string, int> count;
  double total = 0;
  for (const auto& r : results) {
    ++count[to_string(r.outcome)];
    total += r.duration_s;
  }
  const int failures = count["failed"] + count["xpass"];
  const int errors = count["crash"] + count["timeout"] + count["error"];
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  char head[256];
  std::snprintf(head, sizeof head,
                "<testsuites><testsuite name=\"ctxshare\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                results.size(), failures, errors, count["skipped"] + count["xfail"], total);
  x += head;
  for (const auto& r : results) {
    const std::string family = case_info.contains(r.id) ? case_info[r.id].value("family", "") : "";
    char time[32];
    std::snprintf(time, sizeof time, "%.3f", r.duration_s);
    x += "  <testcase classname=\"" + xml_escape(family) + "\" name=\"" + xml_escape(r.id) + "\" time=\"" + time + "\">";
    std::string details;
    for (const auto& f : r.findings) details += f.value("kind", "") + ": " + f.value("message", "") + "\n";
    const std::string message = xml_escape(r.reason.empty() ? std::string(to_string(r.outcome)) : r.reason);
    switch (r.outcome) {
      case Outcome::passed:
      case Outcome::flaky: break;
      case Outcome::skipped:
      case Outcome::xfail: x += "<skipped message=\"" + message + "\"/>"; break;
      case Outcome::failed:
      case Outcome::xpass:
        x += "<failure message=\"" + message + "\">" + xml_escape(details) + "</failure>";
        break;
      default:
        x += "<error type=\"" + std::string(to_string(r.outcome)) + "\" message=\"" + message + "\">" +
             xml_escape(details + r.output_tail) + "</error>";
    }
    x += "</testcase>\n";
  }
  x += "</testsuite></testsuites>\n";
  return x;
}

}  // namespace ctxshare
