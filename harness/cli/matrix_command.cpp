#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/cli/commands.h"
#include "harness/reports/matrix.h"

namespace ctxshare {

int matrix_command(const MatrixArgs& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) return bad_input(a.out_dir + ": cannot be made: " + ec.message());
  std::vector<ResultFile> runs;
  if (std::string why = load_all_results(a.paths, &runs); !why.empty()) return bad_input(why);
  std::ifstream in(a.claims_path);
  if (!in) return bad_input(a.claims_path + ": cannot be read");
  std::stringstream claims;
  claims << in.rdbuf();
  if (std::string why = write_matrix(runs, claims.str(), a.out_dir); !why.empty()) return bad_input(why);
  std::printf("ctxshare: wrote patterns.md, claims.md and matrix.html in %s from %zu runs\n", a.out_dir.c_str(), runs.size());
  return 0;
}

}  // namespace ctxshare
