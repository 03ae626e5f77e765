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

// A fresh temporary directory, removed with the object.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

std::string read_file(const std::string& path);
