// Starting this executable again as a child process, in its own process group, with its output and
// event pipes: what the runner and the environment probe are built on. No CUDA here.
#include "harness/run/process.h"

#include "harness/run/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace ctxshare {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {
std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}
}  // namespace

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGTRAP: return "SIGTRAP";
    default: return "signal " + std::to_string(sig);
  }
}

Process spawn(const std::vector<std::string>& args, bool with_events, std::string* error,
              const std::vector<std::pair<std::string, std::string>>& extra_env) {
  int out[2], ev[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || (with_events && pipe2(ev, O_CLOEXEC) != 0)) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  if (with_events) posix_spawn_file_actions_adddup2(&actions, ev[1], 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  const std::string exe = self_exe();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // The child's environment: ours, with the case's own variables in place of any of the same name.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const bool replaced = std::any_of(extra_env.begin(), extra_env.end(),
                                      [&](const auto& kv) { return entry.rfind(kv.first + "=", 0) == 0; });
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : extra_env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  Process p;
  const int rc = posix_spawn(&p.pid, exe.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (with_events) ::close(ev[1]);
  if (rc != 0) {
    *error = "cannot start " + exe + ": " + std::strerror(rc);
    ::close(out[0]);
    if (with_events) ::close(ev[0]);
    return {};
  }
  p.out_fd = out[0];
  p.event_fd = with_events ? ev[0] : -1;
  fcntl(p.out_fd, F_SETFL, O_NONBLOCK);
  if (p.event_fd >= 0) fcntl(p.event_fd, F_SETFL, O_NONBLOCK);
  return p;
}

// Under `ctest --resource-spec-file`, the GPUs ctest allotted to this test (CTEST_RESOURCE_GROUP_*)
// become the child's CUDA_VISIBLE_DEVICES, so that parallel tests never share a device beyond its slots.
std::vector<std::pair<std::string, std::string>> child_environment(const CaseSpec& spec) {
  std::vector<std::pair<std::string, std::string>> env = spec.environment;
  const char* count = std::getenv("CTEST_RESOURCE_GROUP_COUNT");
  const bool case_sets_it = std::any_of(env.begin(), env.end(), [](const auto& kv) { return kv.first == "CUDA_VISIBLE_DEVICES"; });
  if (count == nullptr || case_sets_it) return env;
  std::string devices;
  for (int i = 0; i < std::atoi(count); ++i) {
    const char* gpus = std::getenv(("CTEST_RESOURCE_GROUP_" + std::to_string(i) + "_GPUS").c_str());
    if (gpus == nullptr) continue;
    // "id:0,slots:1" (one entry per group of this type)
    std::string text = gpus;
    for (size_t at = text.find("id:"); at != std::string::npos; at = text.find("id:", at + 3)) {
      const std::string id = text.substr(at + 3, text.find_first_of(",;", at) - at - 3);
      devices += (devices.empty() ? "" : ",") + id;
    }
  }
  if (!devices.empty()) env.emplace_back("CUDA_VISIBLE_DEVICES", devices);
  return env;
}


std::string run_self(const std::vector<std::string>& args, int* status, double timeout_s) {
  std::string error;
  Process p = spawn(args, false, &error);
  if (p.pid < 0) {
    *status = -1;
    return {};
  }
  std::string out;
  const double deadline = seconds_now() + timeout_s;
  char buf[65536];
  while (p.out_fd >= 0) {
    pollfd fd{p.out_fd, POLLIN, 0};
    poll(&fd, 1, 50);
    const ssize_t n = ::read(p.out_fd, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      ::close(p.out_fd);
      p.out_fd = -1;
    }
    if (seconds_now() > deadline) {
      kill(-p.pid, SIGKILL);
      break;
    }
  }
  if (p.out_fd >= 0) ::close(p.out_fd);
  waitpid(p.pid, status, 0);
  return out;
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
