#include "harness/results/result_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/results/renames.h"

namespace ctxshare {
namespace {

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

bool is_string(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

// The document's header, or why it is not a result file this ctxshare reads.
std::string check_header(const std::string& path, const nlohmann::json& doc) {
  if (!doc.is_object() || !is_string(doc, "schema") || doc["schema"] != "ctxshare-results")
    return path + ": not a ctxshare result file";
  if (!doc.contains("schema_version") || !doc["schema_version"].is_number_integer())
    return path + ": has no schema_version";
  if (doc["schema_version"].get<int>() > kSchemaVersion)
    return path + ": schema version " + doc["schema_version"].dump() + " is newer than this ctxshare reads";
  if (!doc.contains("cases") || !doc["cases"].is_array()) return path + ": has no cases";
  return {};
}

// Checks each case and files it under its current id.
std::string check_cases(const std::string& path, nlohmann::json& cases) {
  for (auto& c : cases) {
    if (!c.is_object() || !is_string(c, "id") || !is_string(c, "outcome") ||
        !outcome_from_string(c["outcome"].get<std::string>()))
      return path + ": a case without an id or with an unknown outcome";
    if (const std::string old = c["id"].get<std::string>(), id = current_case_id(old); id != old) {
      c["renamed_from"] = old;
      c["id"] = id;
    }
  }
  return {};
}

}  // namespace

std::string write_results(const std::string& path, const RunRecord& run, const std::vector<CaseResult>& results) {
  nlohmann::json doc = {{"schema", "ctxshare-results"},
                        {"schema_version", kSchemaVersion},
                        {"started", utc_now()},
                        {"command", run.command},
                        {"jobs", run.jobs},
                        {"wall_s", run.wall_s},
                        {"environment", run.environment},
                        {"baseline", run.baseline},
                        {"summary", count_outcomes(results)},
                        {"cases", nlohmann::json::array()}};
  for (const auto& r : results) {
    nlohmann::json c = to_json(r);
    c["case"] = run.case_info.contains(r.id) ? run.case_info[r.id] : nlohmann::json();
    doc["cases"].push_back(std::move(c));
  }
  return write_whole_file(path, doc.dump(1) + "\n");
}

std::string load_results(const std::string& path, ResultFile* out) {
  std::ifstream in(path);
  if (!in) return path + ": cannot be read";
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) return path + ": not JSON";
  if (std::string why = check_header(path, doc); !why.empty()) return why;
  if (std::string why = check_cases(path, doc["cases"]); !why.empty()) return why;
  out->path = path;
  out->doc = std::move(doc);
  return {};
}

std::string load_all_results(const std::vector<std::string>& paths, std::vector<ResultFile>* runs) {
  runs->resize(paths.size());
  for (size_t i = 0; i < paths.size(); ++i)
    if (std::string why = load_results(paths[i], &(*runs)[i]); !why.empty()) return why;
  return {};
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

}  // namespace ctxshare
