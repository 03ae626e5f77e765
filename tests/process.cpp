#include "process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

Started start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  Started s;
  std::string tmpl = (std::filesystem::temp_directory_path() / "ctxshare-run-XXXXXX").string();
  s.dir = mkdtemp(tmpl.data());
  s.out = s.dir + "/out";
  s.err = s.dir + "/err";
  s.start = now();
  s.pid = fork();
  if (s.pid == 0) {
    for (const auto& [k, v] : env) v.empty() ? unsetenv(k.c_str()) : setenv(k.c_str(), v.c_str(), 1);
    const int o = open(s.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(s.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return s;
}

std::string output_so_far(const Started& s) { return read_file(s.out); }

Ran wait_for(Started& s) {
  int status = 0;
  waitpid(s.pid, &status, 0);
  Ran r;
  r.seconds = now() - s.start;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(s.out);
  r.err = read_file(s.err);
  std::error_code ec;
  std::filesystem::remove_all(s.dir, ec);
  return r;
}

Ran run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  Started s = start(argv, env);
  return wait_for(s);
}

bool process_running_with(const std::vector<std::string>& words, const std::string& env_entry) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = read_file(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.empty()) continue;
    bool all = true;
    for (const auto& w : words) all = all && cmdline.find(w) != std::string::npos;
    if (all && !env_entry.empty()) {
      std::string environ = read_file(entry.path().string() + "/environ");
      std::replace(environ.begin(), environ.end(), '\0', '\n');
      all = ("\n" + environ).find("\n" + env_entry + "\n") != std::string::npos;
    }
    if (all) return true;
  }
  return false;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ctxshare-test-XXXXXX").string();
  path = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
