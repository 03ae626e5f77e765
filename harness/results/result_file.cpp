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
  if (!run.interrupted.empty()) doc["interrupted"] = {{"signal", run.interrupted}, {"cases_not_run", run.cases_not_run}};
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

namespace {

namespace fs = std::filesystem;

// Where a write lands. A symbolic link is written through: an existing target as the kernel resolves
// it (realpath, which also follows /dev/stdout's /proc links), a dangling one link by link.
fs::path write_target(const std::string& path) {
  std::error_code ec;
  if (fs::exists(fs::path(path), ec)) {
    const fs::path real = fs::canonical(fs::path(path), ec);
    return ec ? fs::path(path) : real;
  }
  fs::path p(path);
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) break;
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  return fs::absolute(p, ec).lexically_normal();
}

// Not a regular file (a FIFO, a terminal, /dev/null, /dev/stdout): written in place, since replacing
// it would destroy what the user pointed at.
bool written_in_place(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(fs::path(path), ec);
  return !ec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st);
}

int g_stdout_fd = STDOUT_FILENO;

std::string write_all(int fd, const std::string& text, const std::string& name) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return name + ": " + std::strerror(errno);
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

bool is_stdout_path(const std::string& path) { return path == "-"; }
void set_stdout_for_data(int fd) { g_stdout_fd = fd; }

std::string check_writable(const std::string& path) {
  if (path.empty()) return "an output path is empty";
  if (is_stdout_path(path)) return {};
  std::error_code ec;
  if (fs::is_directory(fs::path(path), ec)) return path + ": is a directory";
  if (written_in_place(path)) {
    // Opening a FIFO to try it would end its reader's input: it gets a permission check alone.
    if (fs::is_fifo(fs::path(path), ec)) return access(path.c_str(), W_OK) == 0 ? std::string() : path + ": " + std::strerror(errno);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return path + ": " + std::strerror(errno);
    ::close(fd);
    return {};
  }
  const fs::path target = write_target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return path + ": directory " + dir.string() + " does not exist";
  // Creating a file is the only test that holds for root, read-only mounts and full quotas alike.
  const std::string probe = (dir / (".ctxshare-probe-" + std::to_string(getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return path + ": cannot write in " + dir.string() + ": " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

std::string check_outputs(const std::vector<std::string>& paths) {
  std::vector<fs::path> seen;
  bool stdout_given = false;
  for (const auto& path : paths) {
    if (std::string why = check_writable(path); !why.empty()) return why;
    if (is_stdout_path(path)) {
      if (stdout_given) return "- (standard output) is given for two outputs";
      stdout_given = true;
      continue;
    }
    if (written_in_place(path)) continue;  // /dev/null may take every output
    const fs::path target = write_target(path);
    for (const auto& other : seen)
      if (other == target) return path + ": given for two outputs; each needs its own file";
    seen.push_back(target);
  }
  return {};
}

std::string write_whole_file(const std::string& path, const std::string& text) {
  if (std::string why = check_writable(path); !why.empty()) return why;
  if (is_stdout_path(path)) {
    std::fflush(stdout);
    return write_all(g_stdout_fd, text, "standard output");
  }
  if (written_in_place(path)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return path + ": " + std::strerror(errno);
    std::string why = write_all(fd, text, path);
    ::close(fd);
    return why;
  }
  // A regular file is replaced whole: readers see the old file or the new one, never a part.
  const fs::path target = write_target(path);
  const std::string tmp = target.string() + ".tmp-" + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tmp + ": " + std::strerror(errno);
  if (std::string why = write_all(fd, text, tmp); !why.empty()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return why;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return why;
  }
  return {};
}

}  // namespace ctxshare
