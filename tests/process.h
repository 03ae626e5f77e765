// Runs a command for a test and collects its exit status and output.
#pragma once

#include <map>
#include <string>
#include <vector>

struct Ran {
  int exit_code = -1;  // -1 when a signal ended it
  std::string out, err;
  double seconds = 0;
};

// Runs argv with the current environment plus `env` (an empty value unsets the variable).
Ran run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

// The same, started and left running: a test signals it, then waits for it.
struct Started {
  int pid = -1;
  std::string out, err;  // files its output goes to
  std::string dir;       // holds them; removed by wait_for
  double start = 0;
};
Started start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
std::string output_so_far(const Started& s);
Ran wait_for(Started& s);
// Whether any process's command line holds every one of the words and, if given, its environment
// holds env_entry ("NAME=value": tells one test's processes from those of a test beside it).
bool process_running_with(const std::vector<std::string>& words, const std::string& env_entry = "");

// A fresh temporary directory, removed with the object.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

std::string read_file(const std::string& path);
