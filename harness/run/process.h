// This executable started again as a child process: how the runner runs a case and how the
// environment is probed, without this process touching CUDA.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "harness/spec/spec.h"

namespace ctxshare {

// A started process with its output pipes, in its own process group.
struct Process {
  pid_t pid = -1;
  int out_fd = -1;    // its stdout and stderr
  int event_fd = -1;  // its fd 3, or -1
};

double seconds_now();
// "SIGSEGV", "SIGABRT", ... or "signal N".
std::string signal_name(int sig);
// Starts `this executable args...` with our environment, the given variables in place of any of the
// same name; with_events gives it a pipe on fd 3. On failure pid is -1 and *error says why.
Process spawn(const std::vector<std::string>& args, bool with_events, std::string* error,
              const std::vector<std::pair<std::string, std::string>>& extra_env = {});
// The variables a case's process starts with: its own, and the GPUs ctest allotted to the test.
std::vector<std::pair<std::string, std::string>> child_environment(const CaseSpec& spec);

}  // namespace ctxshare
