// `ctxshare watch [--json FILE] [--fail-on LEVEL] -- PROGRAM ARGS...` (docs/watch.md): the program runs
// with the interposing libcuda.so.1 first on its library path, its output untouched; what its
// processes reported comes on standard error after it ends, crashed or not.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness/cli/commands.h"
#include "harness/reports/watch.h"
#include "harness/run/process.h"

namespace ctxshare {
namespace {

// Starts argv with the variables given; execvp's failure comes back through a close-on-exec pipe.
pid_t start_program(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                    std::string* error) {
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return *error = std::strerror(errno), -1;
  const pid_t pid = ::fork();
  if (pid < 0) return *error = std::strerror(errno), -1;
  if (pid == 0) {
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    const int e = errno;
    [[maybe_unused]] auto n = ::write(status_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  int exec_errno = 0;
  const ssize_t n = ::read(status_pipe[0], &exec_errno, sizeof exec_errno);
  ::close(status_pipe[0]);
  if (n == sizeof exec_errno) {
    ::waitpid(pid, nullptr, 0);
    *error = std::strerror(exec_errno);
    return -1;
  }
  return pid;
}

// The program's status once it ends; SIGINT and SIGTERM reach it (its process group is ours), so
// this process waits them out and reports.
int wait_for_program(pid_t pid) {
  struct sigaction ignore{}, old_int{}, old_term{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGTERM, &ignore, &old_term);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return status;
}

}  // namespace

int watch_command(const WatchArgs& a) {
  if (a.program.empty()) return bad_input("watch needs a program: ctxshare watch [options] -- PROGRAM ARGS...");
  if (a.fail_on != "" && a.fail_on != "warning" && a.fail_on != "error")
    return bad_input("--fail-on takes warning or error, not '" + a.fail_on + "'");
  std::string why;
  const std::string driver_dir = watch_driver_dir(&why);
  if (driver_dir.empty()) return bad_input(why);
  const std::string real_driver = find_real_driver(driver_dir, &why);
  if (real_driver.empty()) return bad_input(why);
  const std::string injection = a.runtime_api ? runtime_api_injection(driver_dir, &why) : "";
  if (a.runtime_api && injection.empty()) return bad_input("--runtime-api: " + why);
  char out_template[] = "/tmp/ctxshare-watch-XXXXXX";
  if (::mkdtemp(out_template) == nullptr) return bad_input(std::string("cannot make a directory in /tmp: ") + std::strerror(errno));
  const std::string out_dir = out_template;

  std::fflush(nullptr);
  const pid_t pid = start_program(a.program, watch_environment(driver_dir, real_driver, out_dir, injection), &why);
  if (pid < 0) {
    std::filesystem::remove_all(out_dir);
    return bad_input("cannot run '" + a.program.front() + "': " + why);
  }
  const int status = wait_for_program(pid);

  nlohmann::json reports = collect_watch_reports(out_dir);
  std::filesystem::remove_all(out_dir);
  reports["program"] = a.program;
  reports["driver"] = real_driver;
  reports["interposer"] = driver_dir + "/libcuda.so.1";
  if (WIFSIGNALED(status)) reports["exit"] = {{"signal", signal_name(WTERMSIG(status))}};
  else reports["exit"] = {{"code", WEXITSTATUS(status)}};

  std::string text = format_watch_reports(reports);
  if (a.runtime_api && !reports["processes"].empty() &&
      std::none_of(reports["processes"].begin(), reports["processes"].end(), [](const auto& p) { return p.value("runtime_api", false); }))
    text += "ctxshare watch: --runtime-api: no process had its runtime API calls followed (the driver did not load the injection, "
            "or CUPTI refused it: see above)\n";
  if (WIFSIGNALED(status))
    text += "ctxshare watch: the program was killed by " + signal_name(WTERMSIG(status)) + " (pid " + std::to_string(pid) + ")\n";
  std::fputs(text.c_str(), stderr);
  if (!a.json_path.empty()) {
    std::ofstream out(a.json_path);
    out << reports.dump(2) << "\n";
    if (!out) return bad_input("cannot write " + a.json_path);
  }

  bool fail = false;
  if (!a.fail_on.empty())
    for (const auto& h : reports["hazards"])
      fail = fail || watch_level_rank(h.value("level", "warning")) >= watch_level_rank(a.fail_on);
  if (fail) {
    std::fprintf(stderr, "ctxshare watch: exit %d: a hazard at or above --fail-on %s was reported\n", kWatchFailOn, a.fail_on.c_str());
    return kWatchFailOn;
  }
  if (WIFSIGNALED(status)) {  // end as the program did
    std::fflush(nullptr);
    std::signal(WTERMSIG(status), SIG_DFL);
    std::raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

int score_watch_command(const std::string& path, const std::string& json_path) {
  nlohmann::json results;
  if (std::filesystem::is_directory(path)) {
    results = results_of_watched_cases(path);
    if (results["cases"].empty()) return bad_input(path + ": holds no <case id>.result.json");
  } else {
    std::ifstream in(path);
    if (!in) return bad_input("cannot read " + path);
    results = nlohmann::json::parse(in, nullptr, false);
    if (results.is_discarded() || !results.is_object() || !results.contains("cases")) return bad_input(path + ": not a result file");
  }
  const auto score = score_watch_run(results);
  std::fputs(format_watch_score(score).c_str(), stdout);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << score.dump(2) << "\n";
    if (!out) return bad_input("cannot write " + json_path);
  }
  return score.value("ok", false) ? 0 : 1;
}

}  // namespace ctxshare
