// `ctxshare bench --watch-cost`: what `ctxshare watch` costs a launch-heavy program. The launch loop
// (watch/bench_launches.cu: cuLaunchKernel through the exported symbol, then <<<>>> through whatever
// the runtime resolved, each timed `reps` times in a process after a warm-up) runs in `runs` processes
// bare and `runs` under the interposer, alternating so that clocks and other load weigh on both alike;
// the medians are over every timed loop. Runs from the scheduling side: the loop's processes
// are the only ones that load the driver.
#include "harness/reports/watch_bench.h"
#include "harness/reports/build_locations.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "harness/reports/bench.h"
#include "harness/reports/environment.h"
#include "harness/reports/watch.h"

extern char** environ;

namespace ctxshare {
namespace {

// Runs argv with the variables given in place of ours of the same name; its standard output, and
// its status in *status (-1 when it could not start).
std::string output_of(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                      int* status) {
  *status = -1;
  int out[2];
  if (::pipe(out) != 0) return "";
  const pid_t pid = ::fork();
  if (pid < 0) return ::close(out[0]), ::close(out[1]), "";
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return text;
}

std::string launch_loop_program(std::string* why) {
  if (const char* given = std::getenv("CTXSHARE_WATCH_BENCH"); given != nullptr && *given != '\0') return given;
  char exe[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  const std::string beside = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
  for (const std::string& candidate : {beside.substr(0, beside.rfind('/')) + "/watch/watch_bench_launches",
                                       std::string(built_watch_bench())})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  *why = "no launch loop program (watch/watch_bench_launches; build the watch_bench_launches target)";
  return "";
}

}  // namespace

nlohmann::json run_watch_cost_bench(const WatchCostOptions& options) {
  nlohmann::json out = {{"environment", environment_through_child()}, {"command", "ctxshare bench --watch-cost"}};
  if (const std::string why = no_gpu_reason(out["environment"]); !why.empty()) {
    std::fprintf(stderr, "ctxshare: bench: needs a GPU: %s\n", why.c_str());
    return nullptr;
  }
  std::string why;
  const std::string program = launch_loop_program(&why);
  const std::string interposer_dir = program.empty() ? "" : watch_driver_dir(&why);
  const std::string real_driver = interposer_dir.empty() ? "" : find_real_driver(interposer_dir, &why);
  if (real_driver.empty()) {
    std::fprintf(stderr, "ctxshare: bench: %s\n", why.c_str());
    return nullptr;
  }
  const std::filesystem::path reports = std::filesystem::temp_directory_path() / ("ctxshare-watch-cost-" + std::to_string(::getpid()));
  std::filesystem::create_directories(reports);
  const auto watched_env = watch_environment(interposer_dir, real_driver, reports.string());
  const std::vector<std::string> argv = {program, std::to_string(options.launches), std::to_string(options.reps)};
  const char* const kLoops[] = {"cuLaunchKernel_s", "runtime_launch_s"};
  std::map<std::string, std::vector<double>> bare, watched;
  for (int i = 0; i < options.runs; ++i)
    for (const bool under_watch : {false, true}) {
      int status = 0;
      const std::string line = output_of(argv, under_watch ? watched_env : decltype(watched_env){}, &status);
      const auto record = nlohmann::json::parse(line, nullptr, false);
      auto complete = [&] {
        for (const char* loop : kLoops)
          if (!record.contains(loop) || !record[loop].is_array() || record[loop].size() != static_cast<std::size_t>(options.reps) ||
              !std::all_of(record[loop].begin(), record[loop].end(), [](const nlohmann::json& s) { return s.is_number(); }))
            return false;
        return true;
      };
      if (status != 0 || !record.is_object() || !complete()) {
        std::fprintf(stderr, "ctxshare: bench: the launch loop failed %s (status %d)\n", under_watch ? "under the interposer" : "bare", status);
        std::filesystem::remove_all(reports);
        return nullptr;
      }
      for (const char* loop : kLoops)
        for (const auto& seconds : record[loop]) (under_watch ? watched : bare)[loop].push_back(seconds.get<double>());
    }
  // What the interposer saw of the loop's processes: every one loaded the real driver, none reported.
  const nlohmann::json seen = watch_of_case(reports.string());
  std::filesystem::remove_all(reports);
  out["settings"] = {{"runs", options.runs}, {"launches", options.launches}, {"reps", options.reps}, {"program", program},
                     {"interposer", interposer_dir + "/libcuda.so.1"}, {"real_driver", real_driver}};
  out["watch_check"] = {{"processes", seen["processes"].size()}, {"loaded", seen["loaded"]}, {"hazards", seen["hazards"].size()}};
  for (const char* loop : kLoops) {
    const std::string name = std::string(loop).substr(0, std::strlen(loop) - 2);
    const nlohmann::json b = summarize(bare[loop], "s"), w = summarize(watched[loop], "s");
    out["watch_cost"][name + " x" + std::to_string(options.launches) + ", bare, s"] = b;
    out["watch_cost"][name + " x" + std::to_string(options.launches) + ", under watch, s"] = w;
    out["watch_cost_ratio"][name] = w["median"].get<double>() / b["median"].get<double>();
  }
  out["watch_cost_target"] = 1.2;
  return out;
}

void print_watch_cost(const nlohmann::json& bench) {
  if (!bench.contains("watch_cost_ratio")) return;
  for (const auto& [loop, ratio] : bench["watch_cost_ratio"].items())
    std::printf("%s under watch: %.3fx its bare median (target <= %.1f)\n", loop.c_str(), ratio.get<double>(),
                bench.value("watch_cost_target", 1.2));
  const auto& check = bench["watch_check"];
  std::printf("the interposer: %d processes, loaded %s, %d hazard reports\n", check.value("processes", 0),
              check.value("loaded", false) ? "true" : "false", check.value("hazards", 0));
}

}  // namespace ctxshare
