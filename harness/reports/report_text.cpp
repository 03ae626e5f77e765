#include "harness/reports/report_text.h"

#include <algorithm>

namespace ctxshare {

std::string str(const nlohmann::json& j, const char* key, const std::string& fallback) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

std::string at(const nlohmann::json& j, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!j.contains(p)) return "";
  const auto& v = j.at(p);
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
}

std::map<std::string, const nlohmann::json*> by_id(const nlohmann::json& doc) {
  std::map<std::string, const nlohmann::json*> m;
  for (const auto& c : doc["cases"]) m[c["id"].get<std::string>()] = &c;
  return m;
}

std::set<std::string> finding_kinds(const nlohmann::json& c) {
  std::set<std::string> kinds;
  for (const auto& f : c.value("findings", nlohmann::json::array())) kinds.insert(str(f, "kind"));
  return kinds;
}

std::set<std::string> claims_of(const nlohmann::json& case_info) {
  std::set<std::string> claims;
  for (const auto& c : case_info.value("claims", nlohmann::json::array())) claims.insert(c.get<std::string>());
  return claims;
}

std::string run_label(const nlohmann::json& doc) {
  const auto& env = doc.value("environment", nlohmann::json::object());
  std::string gpu = at(env, "/cuda/devices/0/name");
  std::string driver = at(env, "/cuda/driver/nvml_version");
  if (driver.empty()) driver = at(env, "/cuda/driver/version");
  const std::string variant = at(env, "/build/variant");
  if (gpu.empty()) gpu = "no GPU";
  return gpu + ", driver " + (driver.empty() ? "none" : driver) + ", " + (variant.empty() ? "?" : variant) +
         (doc.value("jobs", 1) > 1 ? ", -j " + std::to_string(doc.value("jobs", 1)) : "");
}

std::string join(const std::set<std::string>& s, const char* sep) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string md_cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace ctxshare
